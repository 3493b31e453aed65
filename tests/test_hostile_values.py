"""Hostile values in network, scenario and study files: each is refused at load, through the
command line, with exit code 2 and one line naming the file and the place in it, quickly.

Every case starts from the tiny example files (copied into a temporary folder), changes one
value, and runs the command a user would run on it. A case that hangs fails on its alarm.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from cliguard import time_limit
from corridorsim import simulate
from corridorsim.cli import main
from corridorsim.errors import ParameterError
from corridorsim.experiment.study import load_study
from corridorsim.network.distributions import MAX_DURATION_H, MAX_SD_OVER_MEAN, parse_duration
from corridorsim.scenario.load import load_scenario

FIXTURES = Path(__file__).parent / "fixtures"
#: Seconds a case may take before it counts as a hang.
TIME_LIMIT_S = 10


@pytest.fixture
def alarm() -> Iterator[None]:
    """Fail the test if it runs longer than :data:`TIME_LIMIT_S`."""
    with time_limit(TIME_LIMIT_S):
        yield


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """tiny.geojson, tiny.yaml and tiny-study.yaml, copied into a folder of their own."""
    for name in ("tiny.geojson", "tiny.yaml", "tiny-study.yaml"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    return tmp_path


Edit = Callable[[Any], None]


def edit_json(path: Path, change: Edit) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")


def edit_yaml(path: Path, change: Edit) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def props(doc: dict[str, Any], feature_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        f["properties"] for f in doc["features"] if f["properties"]["id"] == feature_id
    )
    return found


FERRY = "XA-PORT--XB-PORT"


def _set_shipment(index: int, **values: Any) -> Edit:
    def change(doc: dict[str, Any]) -> None:
        doc["shipments"][index].update(values)
        for key, value in values.items():
            if value is None:
                del doc["shipments"][index][key]

    return change


def _fixed(*nodes: str) -> Edit:
    return _set_shipment(2, route={"fixed": list(nodes)})


def _no_nodes(doc: dict[str, Any]) -> None:
    doc["features"] = []


def _ferry_every(doc: dict[str, Any]) -> None:
    props(doc, FERRY)["ferry"]["every_h"] = 1e-6


def _huge_sd(doc: dict[str, Any]) -> None:
    props(doc, "XB-BORDER")["facility"]["dwell_h"] = {"dist": "gamma", "mean": 18, "sd": 1e154}


def _huge_max(doc: dict[str, Any]) -> None:
    props(doc, "XC-DEST")["facility"]["dwell_h"] = {"dist": "uniform", "min": 1, "max": 1e200}


def _length_true(doc: dict[str, Any]) -> None:
    props(doc, "XB-PORT--XB-BORDER")["length_km"] = True


def _length_text(doc: dict[str, Any]) -> None:
    props(doc, "XB-PORT--XB-BORDER")["length_km"] = "420"


def _levels(levels: list[Any]) -> Edit:
    def change(doc: dict[str, Any]) -> None:
        doc["method"] = "grid"
        doc.pop("samples", None)
        doc["parameters"] = {f"links.{FERRY}.ferry.every_h": levels}

    return change


def _huge_grid(doc: dict[str, Any]) -> None:
    doc["method"] = "grid"
    doc.pop("samples", None)
    for spec in doc["parameters"].values():
        spec["steps"] = 1000  # three parameters: 10^9 points
    doc["parameters"]["links.XA-ORIGIN--XA-PORT.speed_kmh"] = {"min": 30, "max": 60, "steps": 1000}


def _huge_sobol(doc: dict[str, Any]) -> None:
    doc["method"] = "sobol"
    doc["samples"] = 2**19  # x (3 + 2) parameters: 2.6 million points


#: id -> (file to change, change, command, the start of the one line expected after FILE).
CASES: dict[str, tuple[str, Edit, str, str]] = {
    "flow-tiny-gap": (
        "tiny.yaml",
        _set_shipment(1, interarrival_h=1.0e-6, count=None),
        "run",
        r":\d+: shipments\[1\]\.interarrival_h: about ",
    ),
    "flow-huge-tonnage": (
        "tiny.yaml",
        _set_shipment(1, interarrival_h=None, count=None, tonnes_per_year=1e300),
        "run",
        r":\d+: shipments\[1\]\.tonnes_per_year: about ",
    ),
    "ferry-every-microhour": (
        "tiny.geojson",
        _ferry_every,
        "validate",
        rf": feature {FERRY}: properties\.ferry\.every_h: must be greater than or equal to 0\.1",
    ),
    "dwell-sd-overflows": (
        "tiny.geojson",
        _huge_sd,
        "validate",
        r": feature XB-BORDER: properties\.facility\.dwell_h\.sd: must be less than or equal",
    ),
    "dwell-max-overflows": (
        "tiny.geojson",
        _huge_max,
        "validate",
        r": feature XC-DEST: properties\.facility\.dwell_h\.max: must be less than or equal",
    ),
    "replications-flag": (
        "tiny.yaml", lambda doc: None, "run-r", r"^(-r|--replications): must be at most 100,000"
    ),
    "levels-text-number": (
        "tiny-study.yaml",
        _levels([24, "100.0"]),  # quoted in the file, so text however YAML reads numbers
        "sweep",
        r":\d+: parameters\.links\.XA-PORT--XB-PORT\.ferry\.every_h\[1\]: '100\.0' is text, "
        r"not a number: write 100\.0",
    ),
    "levels-mixed-kinds": (
        "tiny-study.yaml",
        _levels([24, [48, 72]]),
        "sweep",
        r":\d+: parameters\.links\.XA-PORT--XB-PORT\.ferry\.every_h\[1\]: levels mix a number "
        r"and a list",
    ),
    "grid-too-big": (
        "tiny-study.yaml",
        _huge_grid,
        "sweep",
        r":\d+: parameters: 1,000,000,000,000 design points",
    ),
    "sobol-too-big": (
        "tiny-study.yaml",
        _huge_sobol,
        "sweep",
        r":\d+: samples: 2,621,440 design points",
    ),
    "network-without-nodes": (
        "tiny.geojson",
        _no_nodes,
        "validate",
        r": features: no nodes",
    ),
    "fixed-route-repeats-a-node": (
        "tiny.yaml",
        _fixed("XA-ORIGIN", "XA-PORT", "XB-PORT", "XB-BORDER", "XB-PORT", "XC-DEST"),
        "run",
        r":\d+: shipments\[2\]\.route\.fixed\[4\]: XB-PORT is listed twice",
    ),
    "fixed-route-gap": (
        "tiny.yaml",
        _fixed("XA-ORIGIN", "XA-PORT", "XB-BORDER", "XC-BORDER", "XC-DEST"),
        "run",
        r":\d+: shipments\[2\]\.route\.fixed\[2\]: no open link from XA-PORT to XB-BORDER",
    ),
    "length-true": (
        "tiny.geojson",
        _length_true,
        "validate",
        r": feature XB-PORT--XB-BORDER: properties\.length_km: must be a valid number",
    ),
    "length-text": (
        "tiny.geojson",
        _length_text,
        "validate",
        r": feature XB-PORT--XB-BORDER: properties\.length_km: must be a valid number",
    ),
    "wagons-true": (
        "tiny.yaml",
        _set_shipment(0, wagons=True),
        "run",
        r":\d+: shipments\[0\]\.wagons: must be a valid integer",
    ),
}


def _command(kind: str, folder: Path, changed: Path) -> list[str]:
    if kind == "validate":
        return ["network", "validate", str(changed)]
    if kind == "run":
        return ["run", str(folder / "tiny.yaml"), "-r", "1", "--quiet"]
    if kind == "run-r":
        return ["run", str(folder / "tiny.yaml"), "-r", "1000000000", "--quiet"]
    return ["sweep", str(folder / "tiny-study.yaml"), "-o", str(folder / "out"), "--quiet"]


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_value_is_one_line_naming_the_file_and_the_place(
    case: str, files: Path, alarm: None
) -> None:
    name, change, kind, expected = CASES[case]
    changed = files / name
    (edit_json if name.endswith(".geojson") else edit_yaml)(changed, change)
    result = CliRunner().invoke(main, _command(kind, files, changed))
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert len(lines) == 1, result.output
    if kind == "run-r":
        assert re.search(expected, lines[0]), lines[0]
    else:
        assert re.match(re.escape(str(changed)) + expected, lines[0]), lines[0]


def test_simulate_holds_the_replications_cap_of_the_file(alarm: None) -> None:
    scenario = load_scenario(FIXTURES / "tiny.yaml")
    with pytest.raises(ParameterError, match=r"^replications: must be at most 100,000"):
        simulate(scenario, replications=1_000_000_000)


@pytest.mark.parametrize(
    "levels, expected",
    [([24, 100.0], (24.0, 100.0)), ([24, 48], (24, 48)), ([36.5, 48], (36.5, 48.0))],
)
def test_numeric_levels_become_one_type(
    files: Path, levels: list[Any], expected: tuple[Any, ...], alarm: None
) -> None:
    edit_yaml(files / "tiny-study.yaml", _levels(levels))
    study = load_study(files / "tiny-study.yaml")
    spec = study.parameters[0].spec
    assert spec == expected
    assert [type(v) for v in spec] == [type(v) for v in expected]


def test_text_levels_stay_text(files: Path, alarm: None) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["method"] = "grid"
        doc.pop("samples", None)
        doc["parameters"] = {"shipments.pilot.route.policy": ["fastest", "cheapest"]}

    edit_yaml(files / "tiny-study.yaml", change)
    assert load_study(files / "tiny-study.yaml").parameters[0].spec == ("fastest", "cheapest")


AT_THE_BOUND = [
    MAX_DURATION_H,
    {"dist": "exponential", "mean": MAX_DURATION_H},
    {"dist": "lognormal", "mean": MAX_DURATION_H, "sd": MAX_DURATION_H},
    {"dist": "lognormal", "mean": 1.0, "sd": MAX_SD_OVER_MEAN},
    {"dist": "lognormal", "mean": 5e-324, "sd": 5e-324},
    {"dist": "gamma", "mean": MAX_DURATION_H, "sd": MAX_DURATION_H},
    {"dist": "gamma", "mean": 1.0, "sd": MAX_SD_OVER_MEAN},
    {"dist": "gamma", "mean": MAX_DURATION_H, "sd": 5e-324},
    {"dist": "triangular", "min": 0, "mode": MAX_DURATION_H, "max": MAX_DURATION_H},
    {"dist": "uniform", "min": 0, "max": MAX_DURATION_H},
    {"dist": "normal_trunc", "mean": MAX_DURATION_H, "sd": MAX_DURATION_H,
     "max": MAX_DURATION_H},
    {"dist": "normal_trunc", "mean": -MAX_DURATION_H, "sd": MAX_DURATION_H},
    {"dist": "empirical", "values": [0, MAX_DURATION_H], "weights": [1e9, 1e9]},
]


@pytest.mark.parametrize("spec", AT_THE_BOUND, ids=lambda s: str(s if not isinstance(s, dict)
                                                             else s["dist"]))
def test_every_family_samples_at_the_bound_without_overflow(spec: Any) -> None:
    dist = parse_duration(spec)
    assert math.isfinite(dist.mean()) and math.isfinite(dist.variance())
    draws = np.asarray(dist.sample(np.random.default_rng(1), 1000), dtype=float)
    assert np.isfinite(draws).all() and (draws >= 0).all()
