"""Study files (DESIGN section 7): loading, design points for each method, applying a point to
the base scenario, and one clear line per problem in a bad study file (exit 2)."""

from __future__ import annotations

import copy
import math
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridorsim.cli import main
from corridorsim.errors import InputError
from corridorsim.experiment.study import Study, load_study

FIXTURES = Path(__file__).parent / "fixtures"
TINY_STUDY = FIXTURES / "tiny-study.yaml"
TINY = (FIXTURES / "tiny.yaml").resolve()

SPEED = "links.XB-PORT--XB-BORDER.speed_kmh"
FERRY = "links.XA-PORT--XB-PORT.ferry.every_h"
LAST_SPEED = "links.XC-BORDER--XC-DEST.speed_kmh"
SERVERS = "nodes.XB-BORDER.facility.border.servers"
#: Four continuous parameters for the design-size checks.
RANGES: dict[str, Any] = {
    SPEED: {"min": 30, "max": 70},
    FERRY: {"min": 24, "max": 72},
    LAST_SPEED: {"min": 40, "max": 80},
    "cargo.wheat.tonnes_per_wagon": {"min": 50, "max": 70},
}


def study_doc(**changes: Any) -> dict[str, Any]:
    """tiny-study.yaml as a dict (base made absolute, so the file can live anywhere)."""
    doc: dict[str, Any] = yaml.safe_load(TINY_STUDY.read_text(encoding="utf-8"))
    doc["base"] = str(TINY)
    doc.update(changes)
    return doc


@pytest.fixture
def write_study(tmp_path: Path) -> Callable[..., Path]:
    def write(doc: dict[str, Any], name: str = "study.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        return path

    return write


@pytest.fixture
def make_study(write_study: Callable[..., Path]) -> Callable[..., Study]:
    def make(**changes: Any) -> Study:
        return load_study(write_study(study_doc(**changes)))

    return make


# --------------------------------------------------------------------------------------------
# The documented example


def test_tiny_study_loads_as_it_is() -> None:
    study = load_study(TINY_STUDY)
    assert study.path == str(TINY_STUDY)
    assert study.spec.name == "What drives transit time on the tiny network?"
    assert study.spec.method == "morris"
    assert (study.spec.samples, study.spec.replications, study.spec.seed) == (10, 5, 7)
    assert [p.path for p in study.parameters] == [SPEED, FERRY, LAST_SPEED]
    assert all(p.kind == "range" and not p.integer for p in study.parameters)
    assert study.spec.kpis == ("transit_days.mean", "transit_days.p90", "usd_per_tonne.mean")
    assert study.shipments == ["pilot"]
    assert study.base.name == "Tiny example - grain by ferry and rail"
    assert re.fullmatch(r"[0-9a-f]{64}", study.fingerprint)
    assert len(study.points) == 10 * (3 + 1)


def test_loading_is_deterministic_and_the_seed_matters(make_study: Callable[..., Study]) -> None:
    first, again = load_study(TINY_STUDY), load_study(TINY_STUDY)
    assert first.points == again.points
    assert first.fingerprint == again.fingerprint
    assert make_study(seed=8).points != first.points


def test_without_shipment_every_shipment_is_studied(write_study: Callable[..., Path]) -> None:
    doc = study_doc()
    del doc["shipment"]
    study = load_study(write_study(doc))
    assert study.shipments == ["pilot", "weekly", "fixed-road"]


# --------------------------------------------------------------------------------------------
# Design sizes


@pytest.mark.parametrize("dims", [2, 3, 4])
@pytest.mark.parametrize(
    ("method", "samples", "expected"),
    [
        ("morris", 3, lambda n, d: n * (d + 1)),
        ("morris", 6, lambda n, d: n * (d + 1)),
        ("sobol", 4, lambda n, d: n * (d + 2)),  # calc_second_order=False
        ("sobol", 16, lambda n, d: n * (d + 2)),
        ("lhs", 5, lambda n, d: n),
        ("lhs", 13, lambda n, d: n),
    ],
)
def test_design_sizes(
    make_study: Callable[..., Study],
    method: str,
    samples: int,
    expected: Callable[[int, int], int],
    dims: int,
) -> None:
    parameters = dict(list(RANGES.items())[:dims])
    study = make_study(method=method, samples=samples, parameters=parameters)
    points = study.points
    assert len(points) == expected(samples, dims)
    for point in points:
        assert list(point) == list(parameters)
        for path, spec in parameters.items():
            assert spec["min"] <= point[path] <= spec["max"]


def test_grid_is_every_combination_of_lists_and_steps(make_study: Callable[..., Study]) -> None:
    parameters = {
        SPEED: [30, 50, 70],
        FERRY: {"min": 24, "max": 72, "steps": 4},
        SERVERS: [1, 2],
    }
    study = make_study(method="grid", parameters=parameters)
    points = study.points
    assert len(points) == 3 * 4 * 2
    assert {p[FERRY] for p in points} == {24.0, 40.0, 56.0, 72.0}
    combos = {(p[SPEED], p[FERRY], p[SERVERS]) for p in points}
    assert len(combos) == len(points)  # no combination twice


def test_grid_range_with_steps_on_an_integer_key(make_study: Callable[..., Study]) -> None:
    study = make_study(method="grid", parameters={SERVERS: {"min": 1, "max": 3, "steps": 3},
                                                  SPEED: [40, 60]})
    values = [p[SERVERS] for p in study.points]
    assert sorted(set(values)) == [1, 2, 3]
    assert all(type(v) is int for v in values)


# --------------------------------------------------------------------------------------------
# Integer keys and discrete levels


@pytest.mark.parametrize("method,samples", [("lhs", 9), ("morris", 4), ("sobol", 8)])
def test_integer_keys_are_rounded(
    make_study: Callable[..., Study], method: str, samples: int
) -> None:
    parameters = {
        SERVERS: {"min": 1, "max": 4},
        "shipments.pilot.wagons": {"min": 5, "max": 20},
        SPEED: {"min": 30, "max": 70},
    }
    study = make_study(method=method, samples=samples, parameters=parameters)
    assert [p.integer for p in study.parameters] == [True, True, False]
    for point in study.points:
        assert type(point[SERVERS]) is int and 1 <= point[SERVERS] <= 4
        assert type(point["shipments.pilot.wagons"]) is int
        assert 5 <= point["shipments.pilot.wagons"] <= 20
        assert type(point[SPEED]) is float
    # and a rounded point still builds a valid scenario
    scenario = study.scenario_for(study.points[0])
    assert scenario.shipment("pilot").wagons == study.points[0]["shipments.pilot.wagons"]


def test_integer_flag_rounds_any_key(make_study: Callable[..., Study]) -> None:
    study = make_study(method="lhs", samples=6, parameters={
        SPEED: {"min": 30, "max": 70, "integer": True},
        FERRY: {"min": 24, "max": 72, "integer": False},
    })
    assert [p.integer for p in study.parameters] == [True, False]
    assert all(type(p[SPEED]) is int for p in study.points)
    assert all(type(p[FERRY]) is float for p in study.points)


@pytest.mark.parametrize("spec", [
    {"dist": "triangular", "min": 1, "mode": 2, "max": 4},
    {"dist": "normal", "mean": 3, "sd": 0.5},
])
def test_integer_keys_are_rounded_for_distributions(
    make_study: Callable[..., Study], spec: dict[str, Any]
) -> None:
    study = make_study(method="lhs", samples=6, parameters={SERVERS: spec, SPEED: RANGES[SPEED]})
    assert all(type(p[SERVERS]) is int for p in study.points)


@pytest.mark.parametrize("method,samples", [("lhs", 12), ("morris", 6), ("sobol", 8)])
def test_list_parameters_give_only_listed_levels(
    make_study: Callable[..., Study], method: str, samples: int
) -> None:
    levels = [24, 48, 72]
    policies = ["fastest", "cheapest", "generalized"]
    study = make_study(method=method, samples=samples, parameters={
        FERRY: levels,
        "shipments.pilot.route.policy": policies,
        SPEED: RANGES[SPEED],
    })
    ferry = [p[FERRY] for p in study.points]
    policy = [p["shipments.pilot.route.policy"] for p in study.points]
    assert set(ferry) <= set(levels)
    assert set(policy) <= set(policies)
    assert len(set(ferry)) >= 2 and len(set(policy)) >= 2  # the design does move them
    if method == "lhs":  # a Latin hypercube covers every stratum, hence every level
        assert set(ferry) == set(levels)
        assert set(policy) == set(policies)


def test_morris_refuses_an_unbounded_normal_parameter(
    write_study: Callable[..., Path], tmp_path: Path
) -> None:
    # Morris steps to the 0 and 1 quantiles of each parameter: infinite for a normal, so
    # the study is refused at its place rather than run on infinite values.
    doc = study_doc()
    doc["parameters"][SPEED] = {"dist": "normal", "mean": 50, "sd": 5}
    study = write_study(doc)
    line = one_line(sweep(study, tmp_path / "out"), study, f"parameters.{SPEED}")
    assert "bounded" in line


def test_distributions_are_sampled_within_their_support(make_study: Callable[..., Study]) -> None:
    study = make_study(method="lhs", samples=40, parameters={
        SPEED: {"dist": "triangular", "min": 30, "mode": 35, "max": 70},
        FERRY: {"dist": "normal", "mean": 48, "sd": 4},
    })
    speeds = [p[SPEED] for p in study.points]
    ferries = [p[FERRY] for p in study.points]
    assert all(30 <= v <= 70 for v in speeds)
    assert sum(speeds) / len(speeds) == pytest.approx((30 + 35 + 70) / 3, rel=0.05)
    assert sum(ferries) / len(ferries) == pytest.approx(48, rel=0.03)


# --------------------------------------------------------------------------------------------
# Applying a point: scenario paths and network paths


def test_scenario_for_applies_scenario_and_network_paths(make_study: Callable[..., Study]) -> None:
    parameters = {
        "horizon_days": {"min": 60, "max": 120},
        "shipments.pilot.wagons": {"min": 5, "max": 20},
        "shipments[2].wagons": {"min": 5, "max": 20},
        "cargo.wheat.tonnes_per_wagon": {"min": 50, "max": 70},
        FERRY: {"min": 24, "max": 72},
        SERVERS: {"min": 1, "max": 4},
        "nodes.XC-BORDER.facility.gauge_change.servers": [1, 2, 3],
    }
    study = make_study(method="lhs", samples=3, parameters=parameters)
    pristine = copy.deepcopy(study.base_doc.data)
    values = {
        "horizon_days": 77.5,
        "shipments.pilot.wagons": 7,
        "shipments[2].wagons": 9,
        "cargo.wheat.tonnes_per_wagon": 55.5,
        FERRY: 60.25,
        SERVERS: 3,
        "nodes.XC-BORDER.facility.gauge_change.servers": 2,
    }
    scenario = study.scenario_for(values)
    assert scenario.spec.horizon_days == 77.5
    assert scenario.shipment("pilot").wagons == 7
    assert scenario.shipment("fixed-road").wagons == 9  # shipments[2]
    assert scenario.shipment("weekly").wagons == 30  # untouched
    assert scenario.spec.cargo["wheat"].tonnes_per_wagon == 55.5
    assert scenario.shipment("pilot").tonnes == 7 * 55.5
    assert scenario.network.links["XA-PORT--XB-PORT"].ferry.every_h == 60.25
    (border,) = scenario.network.nodes["XB-BORDER"].facilities
    assert border.servers == 3
    by_type = {f.type: f.servers for f in scenario.network.nodes["XC-BORDER"].facilities}
    assert by_type == {"border": 2, "gauge_change": 2}
    # The base is untouched: workers build every point from the same base document.
    assert study.base_doc.data == pristine
    assert study.base.network.links["XA-PORT--XB-PORT"].ferry.every_h == 36  # tiny.yaml's set
    assert study.base.shipment("pilot").wagons == 15


def test_every_design_point_builds_a_scenario(make_study: Callable[..., Study]) -> None:
    study = make_study(method="lhs", samples=4, parameters={
        "shipments.pilot.wagons": {"min": 5, "max": 20},
        FERRY: {"min": 24, "max": 72},
    })
    for point in study.points:
        scenario = study.scenario_for(point)
        assert scenario.shipment("pilot").wagons == point["shipments.pilot.wagons"]
        assert scenario.network.links["XA-PORT--XB-PORT"].ferry.every_h == point[FERRY]


# --------------------------------------------------------------------------------------------
# Bad study files: exit 2, one line naming the file and the place


def sweep(study: Path, out: Path) -> Result:
    return CliRunner().invoke(main, ["sweep", str(study), "-o", str(out), "--jobs", "1",
                                     "--quiet"])


def one_line(result: Result, study: Path, place: str) -> str:
    """Exit 2, nothing on stdout, no traceback, one line ``STUDY:LINE: PLACE...``."""
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert re.match(rf"{re.escape(str(study))}:\d+: {re.escape(place)}", lines[0]), lines[0]
    return lines[0]


def _rename(doc: dict[str, Any], old: str, new: str, spec: Any = None) -> None:
    value = doc["parameters"].pop(old)
    doc["parameters"][new] = value if spec is None else spec


BAD_STUDIES: dict[str, tuple[Callable[[dict[str, Any]], None], str, str]] = {
    # name: (corruption, place the line must start with, text it must contain)
    "unknown network key": (
        lambda d: _rename(d, SPEED, SPEED + "h"),
        f"parameters.{SPEED}h:",
        f"closest valid: {SPEED}",
    ),
    "unknown link": (
        lambda d: _rename(d, SPEED, SPEED.replace("BORDER", "BORDR")),
        "parameters.links.XB-PORT--XB-BORDR.speed_kmh:",
        "closest: XB-PORT--XB-BORDER",
    ),
    "unknown scenario key": (
        lambda d: d["parameters"].update({"horizon_dayz": {"min": 30, "max": 90}}),
        "parameters.horizon_dayz:",
        "did you mean 'horizon_days'",
    ),
    "unknown shipment key": (
        lambda d: d["parameters"].update({"shipments.pilot.wagonz": {"min": 5, "max": 20}}),
        "parameters.shipments.pilot.wagonz:",
        "did you mean 'wagons'",
    ),
    "unknown method": (lambda d: d.update(method="montecarlo"), "method:", "montecarlo"),
    "unknown KPI": (
        lambda d: d.update(kpis=["transit_days.mean", "transit_dayz.p90"]),
        "kpis[1]:",
        "unknown KPI 'transit_dayz.p90'",
    ),
    "unknown statistic": (
        lambda d: d.update(kpis=["transit_days.p99"]), "kpis[0]:", "transit_days.p99"
    ),
    "unknown shipment": (
        lambda d: d.update(shipment="pilott"), "shipment:", "has: pilot, weekly, fixed-road"
    ),
    "unknown key": (
        lambda d: d.update(replicatons=5), "replicatons:", "did you mean 'replications'"
    ),
    "missing base": (lambda d: d.update(base="nope.yaml"), "base:", "nope.yaml"),
    "bad value of a scenario key": (
        lambda d: d["parameters"].update({"shipments.pilot.wagons": [0, 5]}),
        "parameters.shipments.pilot.wagons:",
        "greater than or equal to 1",
    ),
}


@pytest.mark.parametrize("case", list(BAD_STUDIES))
def test_bad_study_gives_one_line_naming_file_and_place(
    case: str, write_study: Callable[..., Path], tmp_path: Path
) -> None:
    corrupt, place, text = BAD_STUDIES[case]
    doc = study_doc()
    corrupt(doc)
    study = write_study(doc)
    line = one_line(sweep(study, tmp_path / "out"), study, place)
    assert text in line
    assert not (tmp_path / "out" / "results.sqlite").exists()


def test_grid_without_steps_names_each_parameter(
    write_study: Callable[..., Path], tmp_path: Path
) -> None:
    study = write_study(study_doc(method="grid"))
    result = sweep(study, tmp_path / "out")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 3  # one problem per parameter, one line each
    for line, path in zip(lines, (SPEED, FERRY, LAST_SPEED), strict=True):
        assert re.match(rf"{re.escape(str(study))}:\d+: parameters\.{re.escape(path)}: ", line)
        assert "steps" in line


BAD_SAMPLES = {
    "too few morris samples": dict(samples=1),
    "too few lhs samples": dict(method="lhs", samples=1),
    "too few sobol samples": dict(method="sobol", samples=2),
    "sobol samples not a power of 2": dict(method="sobol", samples=12),
}


@pytest.mark.parametrize("case", list(BAD_SAMPLES))
def test_bad_samples_are_refused(
    case: str, write_study: Callable[..., Path], tmp_path: Path
) -> None:
    study = write_study(study_doc(**BAD_SAMPLES[case]))
    result = sweep(study, tmp_path / "out")
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(str(study))
    assert "samples" in line
    assert f"got {BAD_SAMPLES[case]['samples']}" in line
    if "power" in case:
        assert "power of 2" in line


@pytest.mark.parametrize("case", list(BAD_SAMPLES))
def test_bad_samples_name_the_line_and_place(
    case: str, write_study: Callable[..., Path], tmp_path: Path
) -> None:
    study = write_study(study_doc(**BAD_SAMPLES[case]))
    one_line(sweep(study, tmp_path / "out"), study, "samples:")


@pytest.mark.parametrize("spec", [{"min": 70, "max": 30}, {"min": 70, "max": 70}])
def test_empty_range_gives_one_line(
    spec: dict[str, Any], write_study: Callable[..., Path], tmp_path: Path
) -> None:
    doc = study_doc()
    doc["parameters"][SPEED] = spec
    study = write_study(doc)
    line = one_line(sweep(study, tmp_path / "out"), study, f"parameters.{SPEED}:")
    assert "empty range" in line


BAD_SPECS = {
    "unknown key in a range": ({"min": 30, "max": 70, "stepz": 3}, "did you mean 'steps'"),
    "triangular out of order": ({"dist": "triangular", "min": 5, "mode": 1, "max": 3}, "mode"),
    "normal with sd 0": ({"dist": "normal", "mean": 5, "sd": 0}, "sd"),
    "unknown distribution": ({"dist": "weibull", "a": 1}, "weibull"),
}


@pytest.mark.parametrize("case", list(BAD_SPECS))
def test_bad_parameter_spec_gives_one_line(
    case: str, write_study: Callable[..., Path], tmp_path: Path
) -> None:
    spec, text = BAD_SPECS[case]
    doc = study_doc()
    doc["parameters"][SPEED] = spec
    study = write_study(doc)
    line = one_line(sweep(study, tmp_path / "out"), study, f"parameters.{SPEED}")
    assert text in line


@pytest.mark.parametrize("case", list(BAD_SPECS))
def test_bad_parameter_spec_is_refused_with_its_reason(
    case: str, write_study: Callable[..., Path], tmp_path: Path
) -> None:
    """Exit 2, every line names the file and the parameter, and one of them says what is
    wrong."""
    spec, text = BAD_SPECS[case]
    doc = study_doc()
    doc["parameters"][SPEED] = spec
    study = write_study(doc)
    result = sweep(study, tmp_path / "out")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert all(line.startswith(f"{study}:") and f"parameters.{SPEED}" in line for line in lines)
    assert any(text in line for line in lines)


def test_unknown_shipment_in_a_path_lists_the_closest_ids(
    write_study: Callable[..., Path], tmp_path: Path
) -> None:
    doc = study_doc()
    doc["parameters"]["shipments.pilott.wagons"] = {"min": 5, "max": 20}
    study = write_study(doc)
    line = one_line(sweep(study, tmp_path / "out"), study, "parameters.shipments.pilott.wagons")
    assert "'pilot'" in line


@pytest.mark.parametrize(
    "path,spec",
    [
        ("links..speed_kmh", {"min": 30, "max": 70}),
        ("links..speed_kmh", [30, 70]),
        (".", [1, 2]),
        ("\u00b9", [1, 2]),  # "¹".isdigit() is True, int("¹") raises ValueError
        ("shipments.pilot", [1, 2]),
    ],
)
def test_malformed_paths_are_input_errors(
    path: str, spec: Any, write_study: Callable[..., Path]
) -> None:
    doc = study_doc()
    doc["parameters"][path] = spec
    study = write_study(doc)
    with pytest.raises(InputError, match=rf"^{re.escape(str(study))}:") as caught:
        load_study(study)
    assert all(line.startswith(str(study)) for line in caught.value.problems)


@pytest.mark.parametrize("path", [SERVERS, SPEED])
@pytest.mark.parametrize("bound", [math.inf, math.nan])
def test_non_finite_bounds_are_input_errors(
    path: str, bound: float, write_study: Callable[..., Path]
) -> None:
    doc = study_doc()
    doc["parameters"][path] = {"min": 1, "max": bound}
    study = write_study(doc)
    with pytest.raises(InputError, match=re.escape(f"parameters.{path}")) as caught:
        load_study(study)
    assert all(line.startswith(str(study)) for line in caught.value.problems)


# --------------------------------------------------------------------------------------------
# Random corruptions: InputError naming the file, or a study; never another exception.
# Malformed paths have their own test above, so the strategies below keep to well-formed
# paths.

_PRISTINE_TEXT = TINY_STUDY.read_text(encoding="utf-8")
_PRISTINE: dict[str, Any] = yaml.safe_load(_PRISTINE_TEXT)

_numbers = st.one_of(st.floats(-1e6, 1e6), st.sampled_from([math.inf, -math.inf, math.nan]))
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 2_000_000), _numbers,
    st.text(max_size=8), st.sampled_from(["morris", "grid", "transit_days.mean", "pilot", ""]),
)
_specs = st.one_of(
    st.fixed_dictionaries({"min": _numbers, "max": _numbers},
                          optional={"steps": st.integers(-2, 6), "integer": st.booleans()}),
    st.fixed_dictionaries({"dist": st.sampled_from(["normal", "triangular", "weibull"])},
                          optional={"mean": _numbers, "sd": _numbers, "min": _numbers,
                                    "mode": _numbers, "max": _numbers}),
    st.lists(st.one_of(st.integers(-5, 100), _numbers, st.text(max_size=5)), max_size=4),
    _scalars,
)
_junk = st.one_of(_scalars, _specs, st.lists(_scalars, max_size=3),
                  st.dictionaries(st.text(max_size=5), _scalars, max_size=3))
_paths = st.sampled_from([
    SPEED, FERRY, SERVERS, "nodes.XC-BORDER.facility.gauge_change.servers",
    "nodes.XC-BORDER.facility[1].dwell_h.max", "links.XB-PORT--XB-BORDER.tariff.usd_per_tonne_km",
    "horizon_days", "seed", "target_days", "shipments.pilot.wagons", "shipments[0].wagons",
    "shipments[7].wagons", "shipments.nobody.wagons", "shipments.weekly.count",
    "shipments.pilot.route.policy", "cargo.wheat.tonnes_per_wagon", "cargo.rice.tonnes_per_wagon",
    "disruptions[0].to_h", "disruptions[3].to_h", "links.NOPE.speed_kmh", "nodes.XB-BORDER",
    "nodes.XB-BORDER.facility.yard.servers", "links.XA-PORT--XB-PORT.ferry.cancel_prob[3]",
    "network_changes.close", "start", "name",
])
#: New names for keys (also parameter paths, hence no dots, brackets or exotic digits).
_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-0123456789", min_size=1, max_size=8)
_snippets = st.sampled_from(["", ":", "{", "[", "- ", "\t", '"', "\n  x: 1",
                             "!!python/object:os.system", "&a ", "*a", "%", "\n---\n", "? ", "0x",
                             "\u00e9"])


def _keys(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    items: Any = ()
    if isinstance(doc, dict):
        items = doc.items()
    elif isinstance(doc, list):
        items = enumerate(doc)
    for key, value in items:
        out.append((*prefix, key))
        out.extend(_keys(value, (*prefix, key)))
    return out


_KEYS = _keys(_PRISTINE)


@st.composite
def corrupted_studies(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["set", "delete", "rename", "parameter", "text"]))
    doc = copy.deepcopy(_PRISTINE)
    if kind == "text":
        at = draw(st.integers(0, len(_PRISTINE_TEXT)))
        cut = draw(st.integers(0, 3))
        return _PRISTINE_TEXT[:at] + draw(_snippets) + _PRISTINE_TEXT[at + cut:]
    if kind == "parameter":
        doc["parameters"][draw(_paths)] = draw(_specs)
    else:
        key = draw(st.sampled_from(_KEYS))
        parent: Any = doc
        for part in key[:-1]:
            parent = parent[part]
        if kind == "set":
            parent[key[-1]] = draw(_junk)
        elif kind == "delete":
            del parent[key[-1]]
        elif isinstance(parent, dict):
            parent[draw(_names)] = parent.pop(key[-1])
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


@pytest.fixture(scope="module")
def corruption_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corrupt")
    for name in ("tiny.yaml", "tiny.geojson"):
        shutil.copy(FIXTURES / name, folder / name)
    return folder


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=corrupted_studies())
def test_random_corruptions_raise_input_error_or_load(corruption_dir: Path, text: str) -> None:
    path = corruption_dir / "study.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        study = load_study(path)
    except InputError as exc:
        assert exc.problems
        for line in exc.problems:
            # The study file, or the file it names as base (an error inside that file).
            assert line.startswith(str(path)) or line.startswith(str(corruption_dir)), line
        return
    assert isinstance(study, Study)
    assert study.parameters
