"""Scenario files (YAML): loading, network changes, and the errors a planner reads.

tests/fixtures/tiny.yaml is the format contract: it loads as it is, and every key in it ends up
where the documentation says. Every problem with a scenario is an InputError whose lines each
start with the file's path, then the line and the place in the document
(``tiny.yaml:23: shipments[1].origin: ...``); unknown keys come with the closest known key.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime as dt
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from corridorsim.cli import main
from corridorsim.errors import InputError
from corridorsim.network.distributions import Exponential
from corridorsim.scenario.load import Scenario, load_scenario

FIXTURES = Path(__file__).parent / "fixtures"
TINY_YAML = FIXTURES / "tiny.yaml"
FERRY = "XA-PORT--XB-PORT"
NEWLINE = "XB-PORT--XC-DEST-NEWLINE"


@pytest.fixture(scope="module")
def tiny_scenario() -> Scenario:
    return load_scenario(TINY_YAML)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder holding a copy of tiny.geojson, for scenarios written next to it."""
    shutil.copy(FIXTURES / "tiny.geojson", tmp_path / "tiny.geojson")
    return tmp_path


def tiny_doc() -> dict[str, Any]:
    return yaml.safe_load(TINY_YAML.read_text(encoding="utf-8"))


def write_yaml(folder: Path, doc: Any, name: str = "scenario.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def tiny_text_with(folder: Path, old: str, new: str, *, occurrence: int = 1,
                   name: str = "edited.yaml") -> tuple[Path, int]:
    """tiny.yaml with the ``occurrence``-th line containing ``old`` replaced by ``new``;
    returns the file and the (1-based) number of the changed line."""
    lines = TINY_YAML.read_text(encoding="utf-8").splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if old in line]
    index = hits[occurrence - 1]
    lines[index] = lines[index].replace(old, new)
    path = folder / name
    path.write_text("".join(lines), encoding="utf-8")
    return path, index + 1


def problems_of(path: Path) -> tuple[str, ...]:
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    return caught.value.problems


def assert_every_line_names_the_file(problems: tuple[str, ...], path: Path) -> None:
    assert problems
    for line in problems:
        assert line.startswith(f"{path}:"), line
        assert "\n" not in line


# --------------------------------------------------------------------------------------------
# tiny.yaml as it is


def test_tiny_yaml_loads_with_every_key(tiny_scenario: Scenario) -> None:
    s = tiny_scenario
    assert s.path == str(TINY_YAML)
    assert s.name == "Tiny example - grain by ferry and rail"
    spec = s.spec
    assert spec.network == "tiny.geojson"
    assert spec.start == dt.date(2025, 11, 1)
    assert spec.horizon_days == 90 and s.horizon_h == 90 * 24
    assert s.replications == 20
    assert s.seed == 42
    assert spec.target_days == 10
    assert spec.network_changes.open == () and spec.network_changes.close == ()
    assert spec.network_changes.set == {f"links.{FERRY}.ferry.every_h": 36}
    wheat = spec.cargo["wheat"]
    assert (wheat.tonnes_per_wagon, wheat.value_usd_per_tonne,
            wheat.value_of_time_usd_per_tonne_day) == (68, 230, 0.5)

    assert [p.id for p in s.shipments] == ["pilot", "weekly", "fixed-road"]
    pilot, weekly, fixed = s.shipments
    for plan in s.shipments:
        assert (plan.origin, plan.destination) == ("XA-ORIGIN", "XC-DEST")
        assert plan.cargo == wheat
        assert plan.route.origin == "XA-ORIGIN" and plan.route.destination == "XC-DEST"
    assert (pilot.wagons, pilot.spec.depart_h, pilot.route.policy) == (15, 0, "fastest")
    assert pilot.gap_h is None and not pilot.spec.is_recurring
    assert pilot.tonnes == 15 * 68
    assert (weekly.wagons, weekly.spec.count, weekly.route.policy) == (30, 10, "generalized")
    assert weekly.gap_h == Exponential(dist="exponential", mean=168)
    assert weekly.spec.is_recurring
    assert (fixed.wagons, fixed.spec.depart_h) == (10, 24)
    assert fixed.spec.route.fixed == ("XA-ORIGIN", "XA-PORT", "XB-PORT", "XC-DEST")
    assert fixed.route.nodes == ("XA-ORIGIN", "XA-PORT", "XB-PORT", "XC-DEST")
    assert fixed.route.modes == ("rail", "ferry", "road")  # the new line stays planned
    assert s.target_days("pilot") == 10

    (closure,) = s.disruptions
    assert (closure.target, closure.from_h, closure.to_h, closure.effect, closure.reroute) == (
        "XB-BORDER", 240, 480, "closed", True)
    assert closure.closes

    # The set is applied to the network the scenario runs on, not to the file's network.
    assert s.network.links[FERRY].ferry.every_h == 36
    assert s.network.links[NEWLINE].status == "planned"
    # Input hashes: the scenario first, then its network.
    assert list(s.input_hashes) == [str(TINY_YAML), str(FIXTURES / "tiny.geojson")]
    assert all(len(digest) == 64 for digest in s.input_hashes.values())


def test_shared_example_is_the_fixture() -> None:
    shared = Path(__file__).parents[2] / "shared" / "examples" / "tiny.yaml"
    if not shared.exists():
        pytest.skip("shared/examples not beside the repository")
    assert shared.read_bytes() == TINY_YAML.read_bytes()


def test_loaded_scenario_is_frozen(tiny_scenario: Scenario) -> None:
    s = tiny_scenario
    plan = s.shipments[0]
    attempts: list[tuple[Any, str, Any]] = [
        (s, "seed", 1), (s, "network", None), (s, "shipments", ()),
        (plan, "wagons_override", 1), (plan, "route", None),
    ]
    for obj, name, value in attempts:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, name, value)
    pydantic_attempts: list[tuple[Any, str, Any]] = [
        (s.spec, "seed", 1), (s.spec, "horizon_days", 1.0),
        (plan.spec, "wagons", 99), (plan.spec.route, "policy", "cheapest"),
        (plan.cargo, "tonnes_per_wagon", 1.0), (s.disruptions[0], "to_h", 1.0),
        (s.network.links[FERRY], "status", "closed"),
        (s.network.links[FERRY].ferry, "every_h", 1.0),
        (s.network.nodes["XA-PORT"].facility[0], "servers", 9),
    ]
    for obj, name, value in pydantic_attempts:
        with pytest.raises(ValidationError):
            setattr(obj, name, value)
    for leg in plan.route.legs[:2]:
        with pytest.raises(dataclasses.FrozenInstanceError):
            leg.run_h = 0.0  # type: ignore[misc]
    # Sequences are tuples, not lists that could be changed in place.
    assert isinstance(s.shipments, tuple) and isinstance(s.disruptions, tuple)
    assert isinstance(plan.route.legs, tuple)
    assert isinstance(plan.spec.route.fixed, tuple | type(None))


def test_loaded_scenario_mappings_are_read_only() -> None:
    s = load_scenario(TINY_YAML)  # a copy of its own: the test may change it
    for mapping in (s.network.nodes, s.network.links, s.spec.cargo,
                    s.spec.network_changes.set, s.input_hashes):
        with pytest.raises(TypeError):
            mapping["extra"] = None  # type: ignore[index]


def test_loading_twice_gives_equal_scenarios(tiny_scenario: Scenario) -> None:
    again = load_scenario(TINY_YAML)
    assert again.spec == tiny_scenario.spec
    assert again.shipments == tiny_scenario.shipments
    assert again.network == tiny_scenario.network


def test_example_shipments_patterns(workdir: Path) -> None:
    doc = tiny_doc()
    doc["shipments"].append({
        "id": "monthly", "cargo": "wheat", "origin": "Origin Yard", "destination": "xc-dest",
        "wagons": 15, "tonnes_per_month": 17500, "arrivals": "poisson", "target_days": 25,
    })
    doc["description"] = "with a tonnage flow"
    scenario = load_scenario(write_yaml(workdir, doc))
    monthly = scenario.shipment("monthly")
    assert (monthly.origin, monthly.destination) == ("XA-ORIGIN", "XC-DEST")  # by name
    assert monthly.gap_h.dist == "exponential"
    # 15 wagons x 68 t a train, 17500 t a month = 730 h: one train every 730*1020/17500 h.
    assert monthly.gap_h.mean() == pytest.approx(8760 / 12 * 15 * 68 / 17500)
    assert scenario.target_days("monthly") == 25
    assert scenario.target_days("pilot") == 10


# --------------------------------------------------------------------------------------------
# network_changes


def test_network_changes_open_close_and_set(workdir: Path) -> None:
    doc = tiny_doc()
    doc["network_changes"] = {
        "open": [NEWLINE],
        "close": ["XB-PORT--XC-DEST-ROAD", "XC-BORDER"],
        "set": {
            f"links.{FERRY}.ferry.every_h": 24,
            f"links.{FERRY}.ferry.sailing_h.mean": 18,
            f"links.{FERRY}.ferry.cancel_prob": [0.2] * 12,
            "links.XA-ORIGIN--XA-PORT.speed_kmh": 60,
            "links.XA-ORIGIN--XA-PORT.tariff.usd_per_wagon": 15,
            "nodes.XB-BORDER.facility.dwell_h.mean": 12,
            "nodes.XB-PORT.facility.terminal.servers": 3,
            "nodes.XC-BORDER.facility[1].fee_usd_per_wagon": 250,
        },
    }
    doc["shipments"] = doc["shipments"][:2]  # the fixed route needs the closed road
    scenario = load_scenario(write_yaml(workdir, doc))
    net = scenario.network
    assert net.links[NEWLINE].status == "open"
    assert net.links["XB-PORT--XC-DEST-ROAD"].status == "closed"
    # Closing a node closes every link touching it.
    assert net.links["XB-BORDER--XC-BORDER"].status == "closed"
    assert net.links["XC-BORDER--XC-DEST"].status == "closed"
    assert net.links["XB-PORT--XB-BORDER"].status == "open"
    ferry = net.links[FERRY].ferry
    assert ferry.every_h == 24
    assert ferry.sailing_h.loc == 18 and ferry.sailing_h.sd == 2  # the rest kept
    assert ferry.cancel_prob == (0.2,) * 12
    assert ferry.capacity_wagons == 52
    assert net.links["XA-ORIGIN--XA-PORT"].speed_kmh == 60
    assert net.links["XA-ORIGIN--XA-PORT"].tariff.usd_per_wagon == 15
    assert net.links["XA-ORIGIN--XA-PORT"].tariff.usd_per_wagon_km == 0.9
    assert net.nodes["XB-BORDER"].facility[0].dwell_h.mean() == 12
    assert net.nodes["XB-PORT"].facility[1].servers == 3
    assert net.nodes["XB-PORT"].facility[0].servers == 2
    assert net.nodes["XC-BORDER"].facility[1].fee_usd_per_wagon == 250
    # Routes are planned on the changed network: through the new line.
    assert scenario.shipment("pilot").route.links[-1] == NEWLINE


def test_set_may_name_a_key_the_file_leaves_at_its_default(workdir: Path) -> None:
    doc = tiny_doc()
    doc["network_changes"]["set"] = {"links.XB-PORT--XB-BORDER.capacity_per_day": 6,
                                     f"links.{FERRY}.ferry.carries": ["rail"]}
    scenario = load_scenario(write_yaml(workdir, doc))
    assert scenario.network.links["XB-PORT--XB-BORDER"].capacity_per_day == 6
    assert scenario.network.links[FERRY].ferry.carries == ("rail",)


def test_set_leaves_the_network_file_alone(workdir: Path) -> None:
    before = (workdir / "tiny.geojson").read_bytes()
    load_scenario(write_yaml(workdir, tiny_doc()))
    assert (workdir / "tiny.geojson").read_bytes() == before


def test_wrong_set_path_names_the_closest_valid_paths(workdir: Path) -> None:
    doc = tiny_doc()
    doc["network_changes"]["set"] = {f"links.{FERRY}.ferry.every_hours": 24}
    path = write_yaml(workdir, doc)
    line = path.read_text().splitlines().index("  set:") + 1
    (problem,) = problems_of(path)
    assert problem.startswith(
        f"{path}:{line}: network_changes.set.links.{FERRY}.ferry.every_hours: ")
    assert "not a settable parameter" in problem
    assert f"links.{FERRY}.ferry.every_h" in problem.split("closest valid:")[1]


@pytest.mark.parametrize(("path_text", "expected"), [
    ("links.XA-PORT--XB-PORTT.ferry.every_h", "closest: XA-PORT--XB-PORT"),
    ("nodes.XB-BORDR.facility.servers", "closest: XB-BORDER"),
    ("nodes.XB-BORDER.facility.dwell_h.sdd", "nodes.XB-BORDER.facility[0].dwell_h.sd"),
    ("nodes.XB-PORT.facility.port.dwel_h", "nodes.XB-PORT.facility[0].dwell_h"),
    ("links.XA-ORIGIN--XA-PORT.tarif.usd_per_wagon", "tariff.usd_per_wagon"),
    ("stations.XB-BORDER.servers", "must start with links.<link id>. or nodes.<node id>."),
    ("links..speed_kmh", "not a dotted path"),
    ("links.XA-ORIGIN--XA-PORT.id", "not a settable parameter"),
])
def test_bad_set_paths(workdir: Path, path_text: str, expected: str) -> None:
    doc = tiny_doc()
    doc["network_changes"]["set"] = {path_text: 3}
    path = write_yaml(workdir, doc)
    problems = problems_of(path)
    assert_every_line_names_the_file(problems, path)
    assert any(path_text in p and expected in p for p in problems), problems


def test_set_value_that_breaks_the_network_is_reported_against_the_scenario(
    workdir: Path,
) -> None:
    doc = tiny_doc()
    doc["network_changes"]["set"] = {f"links.{FERRY}.ferry.every_h": -5,
                                     "nodes.XB-BORDER.facility.servers": 0}
    path = write_yaml(workdir, doc)
    problems = problems_of(path)
    assert_every_line_names_the_file(problems, path)
    text = "\n".join(problems)
    assert "every_h" in text and "servers" in text
    assert FERRY in text and "XB-BORDER" in text


@pytest.mark.parametrize(("changes", "expected"), [
    ({"open": ["NO-SUCH-LINK"]}, "network_changes.open[0]: no link 'NO-SUCH-LINK'"),
    ({"open": ["XA-ORIGIN--XA-PORT"]}, "network_changes.open[0]: link 'XA-ORIGIN--XA-PORT' "
                                       "is already open"),
    ({"close": ["NOWHERE"]}, "network_changes.close[0]: no link or node 'NOWHERE'"),
])
def test_bad_open_and_close(workdir: Path, changes: dict[str, Any], expected: str) -> None:
    doc = tiny_doc()
    doc["network_changes"] = changes
    path = write_yaml(workdir, doc)
    problems = problems_of(path)
    assert_every_line_names_the_file(problems, path)
    assert any(expected in p for p in problems), problems


def test_closing_what_a_shipment_needs_names_the_links_that_would_connect(
    workdir: Path,
) -> None:
    doc = tiny_doc()
    doc["network_changes"]["close"] = ["XA-ORIGIN--XA-PORT"]
    path = write_yaml(workdir, doc)
    problems = problems_of(path)
    assert_every_line_names_the_file(problems, path)
    assert "no route from XA-ORIGIN to XC-DEST" in problems[0]
    assert "XA-ORIGIN--XA-PORT" in problems[0]


# --------------------------------------------------------------------------------------------
# Errors: file, line, place in the document


@pytest.mark.parametrize(("old", "new", "occurrence", "place", "words"), [
    ("origin: XA-ORIGIN", "origin: XA-ORIGN", 2, "shipments[1].origin",
     ["no origin 'XA-ORIGN'", "XA-ORIGIN"]),
    ("destination: XC-DEST", "destination: NOWHERE", 3, "shipments[2].destination",
     ["no destination 'NOWHERE'"]),
    ("cargo: wheat", "cargo: barley", 1, "shipments[0].cargo", ["no cargo 'barley'", "wheat"]),
    ("wagons: 30", "wagons: -3", 1, "shipments[1].wagons", ["greater than or equal to 1"]),
    ("wagons: 15", "wagons: many", 1, "shipments[0].wagons", ["integer"]),
    ("horizon_days: 90", "horizon_days: -90", 1, "horizon_days", ["greater than 0"]),
    ("seed: 42", "seed: -1", 1, "seed", ["greater than or equal to 0"]),
    ("start: 2025-11-01", "start: '2025-13-01'", 1, "start", ["date"]),
    ("start: 2025-11-01", "start: yesterday", 1, "start", ["date"]),
    # A rule between two keys is reported at the item holding both (the line of its "-").
    ("    to_h: 480", "    to_h: 100", 1, "disruptions[0]", ["to_h must be after from_h"]),
    ("  - target: XB-BORDER", "  - target: XB-BORDR", 1, "disruptions[0].target",
     ["no node or link 'XB-BORDR'"]),
    ("    effect: closed", "    effect: {capacity_factor: 2}", 1,
     "disruptions[0].effect.capacity_factor", ["less than or equal to 1"]),
    ("    effect: closed", "    effect: {extra_dwell_h: 2, capacity_fact: 0.5}", 1,
     "disruptions[0].effect.capacity_fact", ["unknown key", "capacity_factor"]),
    ("route: {fixed: [XA-ORIGIN, XA-PORT, XB-PORT, XC-DEST]}",
     "route: {fixed: [XA-ORIGIN, XA-PORT, XB-PART, XC-DEST]}", 1,
     "shipments[2].route.fixed[2]", ["no node 'XB-PART'"]),
    ("route: {policy: fastest}", "route: {policy: quickest}", 1, "shipments[0].route.policy",
     ["fastest"]),
    ("interarrival_h: {dist: exponential, mean: 168}",
     "interarrival_h: {dist: exponential, mean: -168}", 1, "shipments[1].interarrival_h.mean",
     ["greater than 0"]),
    ("interarrival_h: {dist: exponential, mean: 168}",
     "interarrival_h: {dist: poisson, mean: 168}", 1, "shipments[1].interarrival_h",
     ["poisson"]),
    ("network: tiny.geojson", "network: missing.geojson", 1, "network", ["no file"]),
])
def test_errors_name_file_line_and_place(
    workdir: Path, old: str, new: str, occurrence: int, place: str, words: list[str]
) -> None:
    path, line = tiny_text_with(workdir, old, new, occurrence=occurrence)
    if place == "disruptions[0]":
        line = TINY_YAML.read_text().splitlines().index("  - target: XB-BORDER") + 1
    problems = problems_of(path)
    assert_every_line_names_the_file(problems, path)
    expected_start = f"{path}:{line}: {place}: "
    matching = [p for p in problems if p.startswith(expected_start)]
    assert matching, f"no line starts with {expected_start!r}: {problems}"
    for word in words:
        assert word in matching[0], matching[0]


def test_missing_required_keys_are_named(workdir: Path) -> None:
    doc = tiny_doc()
    del doc["horizon_days"]
    del doc["shipments"][1]["wagons"]
    path = write_yaml(workdir, doc)
    problems = problems_of(path)
    assert_every_line_names_the_file(problems, path)
    assert any(": horizon_days: missing (required)" in p for p in problems), problems
    assert any(": shipments[1].wagons: missing (required)" in p for p in problems), problems


def test_all_independent_problems_are_reported_at_once(workdir: Path) -> None:
    doc = tiny_doc()
    doc["seed"] = -1
    doc["replications"] = 0
    doc["shipments"][0]["wagons"] = 0
    path = write_yaml(workdir, doc)
    problems = problems_of(path)
    assert len(problems) == 3, problems


@pytest.mark.parametrize(("key_path", "typo", "suggestion"), [
    ((), "horizon_day", "horizon_days"),
    ((), "replication", "replications"),
    (("shipments", 0), "wagon", "wagons"),
    (("shipments", 1), "interarival_h", "interarrival_h"),
    (("cargo", "wheat"), "tonnes_per_wagn", "tonnes_per_wagon"),
    (("disruptions", 0), "rerout", "reroute"),
    (("network_changes",), "sett", "set"),
    (("shipments", 0, "route"), "polcy", "policy"),
])
def test_unknown_keys_are_rejected_with_did_you_mean(
    workdir: Path, key_path: tuple[Any, ...], typo: str, suggestion: str
) -> None:
    doc = tiny_doc()
    target: Any = doc
    for part in key_path:
        target = target[part]
    target[typo] = target.pop(suggestion) if suggestion in target else 1
    path = write_yaml(workdir, doc)
    problems = problems_of(path)
    assert_every_line_names_the_file(problems, path)
    place = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in (*key_path, typo))
    place = place.lstrip(".")
    hits = [p for p in problems if f": {place}: unknown key" in p]
    assert hits, problems
    assert f"did you mean '{suggestion}'" in hits[0]


def test_unknown_key_error_gives_its_own_line(workdir: Path) -> None:
    path, line = tiny_text_with(workdir, "    depart_h: 24", "    depart_hour: 24")
    problems = problems_of(path)
    assert any(p.startswith(f"{path}:{line}: shipments[2].depart_hour: unknown key")
               for p in problems), problems


def test_an_unreadable_key_is_named_quoted_on_one_line(workdir: Path) -> None:
    """A key holding a line break is shown as Python would write it, not broken in two."""
    path, line = tiny_text_with(workdir, "    depart_h: 24", '    "\\n": 24')
    problems = problems_of(path)
    assert f"{path}:{line}: shipments[2]['\\n']: unknown key" in problems, problems
    assert_every_line_names_the_file(problems, path)


@pytest.mark.parametrize(("text", "words"), [
    ("name: [unclosed\n", ["not valid YAML"]),
    ("- just\n- a list\n", ["mapping"]),
    ("", ["mapping"]),
    ("name: x\nnetwork: tiny.geojson\n", ["horizon_days", "missing"]),
    ("!!python/object/apply:os.system ['echo hi']\n", ["not valid YAML"]),
])
def test_malformed_files(workdir: Path, text: str, words: list[str]) -> None:
    path = workdir / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    problems = problems_of(path)
    assert_every_line_names_the_file(problems, path)
    for word in words:
        assert any(word in p for p in problems), problems


def test_missing_and_binary_files(workdir: Path) -> None:
    missing = workdir / "nope.yaml"
    assert_every_line_names_the_file(problems_of(missing), missing)
    binary = workdir / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00name")
    assert_every_line_names_the_file(problems_of(binary), binary)


def test_yaml_is_never_evaluated(workdir: Path) -> None:
    marker = workdir / "evaluated"
    path = workdir / "evil.yaml"
    path.write_text(f"name: !!python/object/apply:os.system ['touch {marker}']\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"evil\.yaml: line 1 column 7: not valid YAML: "
                       r"could not determine a constructor for the tag"):
        load_scenario(path)
    assert not marker.exists()


@pytest.mark.parametrize("value", ["2025-02-30", "2025-13-01", "2025-11-01 25:00:00",
                                   "!!int soon", "!!bool maybe"])
def test_yaml_scalars_that_cannot_be_constructed(workdir: Path, value: str) -> None:
    path, line = tiny_text_with(workdir, "start: 2025-11-01", f"start: {value}")
    problems = problems_of(path)  # an InputError naming the file, never a traceback ...
    assert_every_line_names_the_file(problems, path)
    # ... and the place: the line, as for every other problem.
    assert f"line {line}" in problems[0] or f"{path}:{line}:" in problems[0], problems


def test_cli_run_impossible_date_exits_2(workdir: Path) -> None:
    path, _ = tiny_text_with(workdir, "start: 2025-11-01", "start: 2025-02-30")
    result = CliRunner().invoke(main, ["run", str(path), "-r", "1", "--jobs", "1"])
    assert result.exit_code == 2
    assert all(line.startswith(f"{path}:") for line in result.stderr.splitlines())


def test_non_finite_disruption_end_is_rejected(workdir: Path) -> None:
    path, _ = tiny_text_with(workdir, "    to_h: 480", "    to_h: .nan")
    problems = problems_of(path)
    assert_every_line_names_the_file(problems, path)
    assert "to_h" in problems[0]


def test_error_inside_a_union_is_one_clean_line(workdir: Path) -> None:
    path, _ = tiny_text_with(workdir, "    effect: closed", "    effect: {capacity_factor: 2}")
    problems = problems_of(path)
    assert len(problems) == 1, problems
    assert "literal[" not in problems[0]


def test_same_origin_and_destination_names_the_file(workdir: Path) -> None:
    path, _ = tiny_text_with(workdir, "destination: XC-DEST", "destination: XA-ORIGIN")
    problems = problems_of(path)
    assert_every_line_names_the_file(problems, path)
    assert re.match(rf"{re.escape(str(path))}:\d+: shipments\[0\]", problems[0]), problems
    assert "same node" in problems[0]


def test_avoiding_the_origin_names_the_file(workdir: Path) -> None:
    doc = tiny_doc()
    doc["shipments"][0]["route"] = {"policy": "fastest", "avoid": ["XA"]}  # country of origin
    path = write_yaml(workdir, doc)
    problems = problems_of(path)
    assert_every_line_names_the_file(problems, path)
    assert ": shipments[0].route" in problems[0], problems


def test_bad_avoid_names_its_place(workdir: Path) -> None:
    doc = tiny_doc()
    doc["shipments"][0]["route"] = {"policy": "fastest", "avoid": ["NOWHERE-AT-ALL"]}
    path = write_yaml(workdir, doc)
    problems = problems_of(path)
    assert_every_line_names_the_file(problems, path)
    assert ": shipments[0].route.avoid" in problems[0], problems


def test_set_replacing_a_block_then_setting_inside_it(workdir: Path) -> None:
    doc = tiny_doc()
    doc["network_changes"]["set"] = {f"links.{FERRY}.ferry": 24,
                                     f"links.{FERRY}.tariff.usd_per_wagon": 3}
    path = write_yaml(workdir, doc)
    problems = problems_of(path)
    assert_every_line_names_the_file(problems, path)
    assert any(FERRY in p and "ferry" in p.split(FERRY, 1)[1] for p in problems), problems


def test_set_with_a_list_as_distribution_name(workdir: Path) -> None:
    doc = tiny_doc()
    doc["network_changes"]["set"] = {"nodes.XA-PORT.facility.dwell_h": {"dist": []},
                                     "nodes.XA-PORT.facility.dwell_h.mean": 3}
    path = write_yaml(workdir, doc)
    assert_every_line_names_the_file(problems_of(path), path)


# --------------------------------------------------------------------------------------------
# Property: random corruptions of tiny.yaml load, or fail with InputError lines naming the file

_TINY = tiny_doc()
_TOP_KEYS = sorted(_TINY)
_VALID_IDS = ["XA-ORIGIN", "XA-PORT", "XB-PORT", "XB-BORDER", "XC-BORDER", "XC-DEST", FERRY,
              NEWLINE, "XB-PORT--XC-DEST-ROAD", "XA"]
_junk_id = st.text(alphabet="ABCXYZ-_.09 é", min_size=0, max_size=12)
_wrong_values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
    st.text(max_size=8), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.just({"dist": "exponential", "mean": -1}), st.just({"dist": "nope"}), st.just({"dist": []}),
    st.just("2025-02-30"), st.just(-0.5), st.just(1e308),
)
_set_parts = st.lists(st.one_of(
    st.sampled_from(["links", "nodes", "ferry", "facility", "dwell_h", "mean", "every_h",
                     "tariff", "border", "speed_kmh", "servers", "[1]", "0", ""]),
    st.sampled_from(_VALID_IDS), _junk_id), min_size=1, max_size=6)


def _mappings(doc: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every mapping and list in ``doc``."""
    out = []
    if isinstance(doc, dict):
        out.append(here)
        for key, value in doc.items():
            out.extend(_mappings(value, (*here, key)))
    elif isinstance(doc, list):
        out.append(here)
        for i, value in enumerate(doc):
            out.extend(_mappings(value, (*here, i)))
    return out


def _leaves(doc: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every key and item in ``doc``."""
    out = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) \
        else ()
    for key, value in items:
        out.append((*here, key))
        out.extend(_leaves(value, (*here, key)))
    return out


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


@st.composite
def corruptions(draw: st.DrawFn) -> Callable[[dict[str, Any]], None]:
    """One corruption of the tiny document, as a function changing it in place."""
    kind = draw(st.sampled_from(["delete", "wrong_type", "negative", "unknown_key",
                                 "node_id", "set_path"]))
    leaves = _leaves(_TINY)
    if kind == "delete":
        path = draw(st.sampled_from(leaves))
        return lambda doc: _get(doc, path[:-1]).pop(path[-1])
    if kind == "wrong_type":
        path = draw(st.sampled_from(leaves))
        value = draw(_wrong_values)

        def replace(doc: dict[str, Any]) -> None:
            _get(doc, path[:-1])[path[-1]] = value
        return replace
    if kind == "negative":
        numeric = [p for p in leaves if isinstance(_get(_TINY, p), int | float)
                   and not isinstance(_get(_TINY, p), bool)]
        path = draw(st.sampled_from(numeric))
        value = -abs(_get(_TINY, path)) - draw(st.sampled_from([0, 0.5, 1, 1000]))

        def negate(doc: dict[str, Any]) -> None:
            _get(doc, path[:-1])[path[-1]] = value
        return negate
    if kind == "unknown_key":
        path = draw(st.sampled_from([p for p in _mappings(_TINY)
                                     if isinstance(_get(_TINY, p), dict)]))
        key = draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=15))
        return lambda doc: _get(doc, path).setdefault(key, 1)
    if kind == "node_id":
        places = [("shipments", i, key) for i in range(3) for key in ("origin", "destination")]
        places += [("disruptions", 0, "target"), ("shipments", 2, "route", "fixed", 1)]
        path = draw(st.sampled_from(places))
        value = draw(st.one_of(st.sampled_from(_VALID_IDS), _junk_id))
        extra = draw(st.sampled_from(["open", "close", None]))

        def rename(doc: dict[str, Any]) -> None:
            _get(doc, path[:-1])[path[-1]] = value
            if extra:
                doc["network_changes"][extra] = [value]
        return rename
    # set_path: one more entry in network_changes.set
    dotted = ".".join(draw(_set_parts))
    value = draw(st.one_of(_wrong_values, st.sampled_from([0, 1, 12, 24.5, 0.5])))

    def add_set(doc: dict[str, Any]) -> None:
        doc["network_changes"]["set"][dotted] = value
    return add_set


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(corruptions(), min_size=1, max_size=3))
def test_corrupted_tiny_yaml_loads_or_raises_input_error(
    workdir: Path, changes: list[Callable[[dict[str, Any]], None]]
) -> None:
    doc = copy.deepcopy(_TINY)
    for change in changes:
        # An earlier change may have removed or replaced what this one addresses.
        with contextlib.suppress(KeyError, IndexError, TypeError, AttributeError):
            change(doc)
    path = workdir / "corrupt.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    try:
        load_scenario(path)
    except InputError as exc:
        assert_every_line_names_the_file(exc.problems, path)


_TINY_LINES = TINY_YAML.read_text(encoding="utf-8").splitlines(keepends=True)
_VALUE_LINES = [i for i, line in enumerate(_TINY_LINES)
                if ":" in line and not line.lstrip().startswith("#")]
#: Scalars and fragments as a planner might mistype them. Impossible dates and explicit tags
#: PyYAML cannot construct are test_yaml_scalars_that_cannot_be_constructed.
_TOKENS = ["-1", "0", "1e400", ".inf", "-.inf", ".nan", "~", "[]", "{}", "yes", "no", "'x'",
           "2025-01-01", "2025-11-01 10:00:00", "!!str 5", "&a 1", "*nowhere", "|", ">", "@x",
           "`x`", "%x", "{a: [}", "[1, 2", "\"unterminated", "x: y: z", "- a", "!!binary AAAA",
           "!!python/name:os.system", "{dist: gamma, mean: 5}", "[XA-ORIGIN]", "0x1F", "1_0",
           "\t1", "XA-ORIGIN", "XC-DEST", "XB-BORDER", NEWLINE, FERRY]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_VALUE_LINES), st.sampled_from(_TOKENS),
                          st.booleans()), min_size=1, max_size=3))
def test_edited_tiny_yaml_text_loads_or_raises_input_error(
    workdir: Path, edits: list[tuple[int, str, bool]]
) -> None:
    """Edits of the text itself: a value replaced, or a key's line broken, as by hand."""
    lines = list(_TINY_LINES)
    for index, token, whole_line in edits:
        key, _, _ = lines[index].partition(":")
        lines[index] = f"{token}\n" if whole_line else f"{key}: {token}\n"
    text = "".join(lines)
    path = workdir / "edited.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_scenario(path)
    except InputError as exc:
        assert_every_line_names_the_file(exc.problems, path)


# --------------------------------------------------------------------------------------------
# Through the CLI: exit 2, one line per problem naming the file, no traceback


@pytest.mark.parametrize(("old", "new"), [
    ("origin: XA-ORIGIN", "origin: XA-ORIGN"),
    ("horizon_days: 90", "horizon_dayz: 90"),
    ("network: tiny.geojson", "network: nowhere.geojson"),
    ("    links.XA-PORT--XB-PORT.ferry.every_h: 36", "    links.XA-PORT--XB-PORT.ferry.evry_h: 36"),
    ("name: Tiny example - grain by ferry and rail", "name: [unclosed"),
])
def test_cli_run_bad_scenario_exits_2_naming_the_file(workdir: Path, old: str, new: str) -> None:
    path, _ = tiny_text_with(workdir, old, new)
    result = CliRunner().invoke(main, ["run", str(path), "-r", "1", "--jobs", "1", "--json"])
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines
    for line in lines:
        assert line.startswith(f"{path}:"), line
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                     SystemExit)


def test_cli_run_missing_file_exits_2(workdir: Path) -> None:
    result = CliRunner().invoke(main, ["run", str(workdir / "nope.yaml"), "-r", "1"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert str(workdir / "nope.yaml") in result.stderr
