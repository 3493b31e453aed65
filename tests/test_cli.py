"""The ``corridorsim`` command line, as a user meets it (through click's CliRunner).

Exit codes: 0 ok, 1 runtime failure (e.g. no route), 2 bad input (file, flag, name), never a
traceback. ``--json`` prints exactly one JSON document on stdout.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from corridorsim.cli import main
from netgen import props

#: The keys of ``routes --json`` that users' scripts rely on (DESIGN section 8).
STABLE_ROUTE_KEYS = {"rank", "nodes", "links", "modes", "km", "hours", "days", "usd_per_wagon",
                     "usd_per_tonne", "co2_kg_per_tonne", "borders", "transfers", "legs"}
NEWLINE = "XB-PORT--XC-DEST-NEWLINE"


def run(*args: str | Path) -> Result:
    """Invoke ``corridorsim ARGS``; stdout and stderr are kept apart."""
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_bad_input(result: Result) -> list[str]:
    """Exit 2, nothing on stdout, no traceback: return the problem lines from stderr."""
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert isinstance(result.exception, SystemExit)  # not an escaped error
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines
    return lines


# --------------------------------------------------------------------------------------------
# Help


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in ("network", "routes"):
        assert command in result.stdout
    network = run("network", "--help")
    assert network.exit_code == 0
    for command in ("validate", "info", "plot"):
        assert command in network.stdout
    assert run("routes", "-h").exit_code == 0


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert "corridorsim" in result.stdout and "0.1.0" in result.stdout


# --------------------------------------------------------------------------------------------
# network validate


def test_validate_a_good_file(tiny_path: Path) -> None:
    result = run("network", "validate", tiny_path)
    assert result.exit_code == 0
    assert result.stdout == f"{tiny_path}: ok (6 nodes, 7 links)\n"
    # Its links without a tariff are free: each is a warning on stderr, not a failure.
    assert all(line.startswith(f"warning: {tiny_path}: link ") and "has no tariff" in line
               for line in result.stderr.splitlines())


def test_validate_a_bad_file_prints_one_line_per_problem(
    tiny_doc: dict[str, Any], write_doc: Callable[..., Path]
) -> None:
    props(tiny_doc, "XA-ORIGIN--XA-PORT")["speed_kmh"] = -45
    props(tiny_doc, "XC-DEST")["kind"] = "depot"
    props(tiny_doc, "XB-PORT--XB-BORDER")["lenght_km"] = 420
    path = write_doc(tiny_doc, "bad.geojson")
    lines = assert_bad_input(run("network", "validate", path))
    assert len(lines) == 3
    assert all(line.startswith(f"{path}: feature ") for line in lines)
    assert any("did you mean 'length_km'" in line for line in lines)


def test_validate_several_files_reports_each(
    tiny_path: Path, tiny_doc: dict[str, Any], write_doc: Callable[..., Path]
) -> None:
    props(tiny_doc, "XA-PORT--XB-PORT").pop("ferry")
    bad = write_doc(tiny_doc, "bad.geojson")
    result = run("network", "validate", tiny_path, bad)
    assert result.exit_code == 2
    assert result.stdout == f"{tiny_path}: ok (6 nodes, 7 links)\n"
    problems = [x for x in result.stderr.splitlines() if not x.startswith("warning: ")]
    assert problems == [
        f"{bad}: feature XA-PORT--XB-PORT: a ferry link needs a ferry block "
        "(capacity_wagons, sailing_h, every_h)"]


def test_validate_a_missing_file(tmp_path: Path) -> None:
    (line,) = assert_bad_input(run("network", "validate", tmp_path / "nope.geojson"))
    assert line.startswith(f"{tmp_path / 'nope.geojson'}: cannot read")


def test_validate_bad_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection",\n "features": [,]}\n')
    (line,) = assert_bad_input(run("network", "validate", path))
    assert line.startswith(f"{path}: line 2 column ")


def test_validate_needs_a_file() -> None:
    result = run("network", "validate")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------------------------
# network info


def test_info_as_tables(tiny_path: Path) -> None:
    result = run("network", "info", tiny_path)
    assert result.exit_code == 0, result.stderr
    assert "Tiny example network" in result.stdout
    assert "6 nodes, 7 links" in result.stdout
    assert NEWLINE in result.stdout  # the planned link is listed


def test_info_as_json(tiny_path: Path) -> None:
    result = run("network", "info", tiny_path, "--json")
    assert result.exit_code == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["name"] == "Tiny example network"
    assert (info["nodes"], info["links"]) == (6, 7)
    assert info["links_by_mode"] == {"ferry": 1, "rail": 5, "road": 1}
    assert info["links_by_status"] == {"open": 6, "planned": 1}
    assert info["nodes_by_country"] == {"XA": 2, "XB": 2, "XC": 2}
    assert info["rail_links_by_gauge_mm"] == {"1435": 1, "1520": 4}
    assert info["components_open"] == info["components_all"] == 1
    assert info["planned"] == [{"id": NEWLINE, "opens_year": 2028, "km": 610}]
    assert info["km_by_mode"]["ferry"] == 450
    assert [f["node"] for f in info["facilities"]["gauge_change"]] == ["XC-BORDER"]


def test_info_on_a_bad_file_exits_2(
    tiny_doc: dict[str, Any], write_doc: Callable[..., Path]
) -> None:
    props(tiny_doc, "XA-PORT")["country"] = "xa"
    path = write_doc(tiny_doc)
    (line,) = assert_bad_input(run("network", "info", path, "--json"))
    assert line.startswith(f"{path}: feature XA-PORT: properties.country")


# --------------------------------------------------------------------------------------------
# network plot (report/maps.py)


def test_plot_writes_a_png(tiny_path: Path, tmp_path: Path) -> None:
    try:
        importlib.import_module("corridorsim.report.maps")
    except ImportError as exc:
        pytest.skip(f"corridorsim.report.maps is not importable yet: {exc}")
    out = tmp_path / "map.png"
    result = run("network", "plot", tiny_path, "-o", out)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------------------------
# routes


def test_routes_as_tables(tiny_path: Path) -> None:
    result = run("routes", tiny_path, "--from", "origin yard", "--to", "XC-DEST")
    assert result.exit_code == 0, result.stderr
    assert "2 route(s), best by fastest" in result.stdout
    assert "Route 1" in result.stdout and "Route 2" in result.stdout
    assert "Border Gate" in result.stdout  # the gauge change of the rail route


def test_routes_as_json(tiny_path: Path) -> None:
    result = run("routes", tiny_path, "--from", "XA-ORIGIN", "--to", "destination terminal",
                 "--by", "cheapest", "-k", "5", "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)  # exactly one JSON document, nothing else
    assert (doc["from"], doc["to"], doc["policy"]) == ("XA-ORIGIN", "XC-DEST", "cheapest")
    routes = doc["routes"]
    assert [r["rank"] for r in routes] == [1, 2]
    for route in routes:
        assert set(route) >= STABLE_ROUTE_KEYS
        assert route["nodes"][0] == "XA-ORIGIN" and route["nodes"][-1] == "XC-DEST"
        assert len(route["links"]) == len(route["modes"]) == len(route["nodes"]) - 1
        assert route["days"] == pytest.approx(route["hours"] / 24, abs=1e-3)
        assert route["usd_per_tonne"] == pytest.approx(route["usd_per_wagon"] / 68, abs=1e-2)
        assert route["km"] == pytest.approx(sum(leg.get("km", 0) for leg in route["legs"]),
                                            abs=1e-2)
        for transfer in route["transfers"]:
            assert {"node", "type", "from", "to"} <= set(transfer)
    usd = [r["usd_per_wagon"] for r in routes]
    assert usd == sorted(usd)
    assert routes[0]["borders"] == ["XB-BORDER", "XC-BORDER"]
    assert {"node": "XC-BORDER", "type": "gauge_change", "from": "rail-1520", "to": "rail-1435",
            "hours": 6.0, "usd_per_wagon": 300.0} in routes[0]["transfers"]


def test_routes_json_with_tonnes_per_wagon(tiny_path: Path) -> None:
    result = run("routes", tiny_path, "--from", "XA-ORIGIN", "--to", "XC-DEST", "-k", "1",
                 "--tonnes-per-wagon", "50", "--json")
    (route,) = json.loads(result.stdout)["routes"]
    assert route["usd_per_tonne"] == pytest.approx(route["usd_per_wagon"] / 50, abs=1e-2)


def test_max_overlap_keeps_different_corridors(tiny_path: Path) -> None:
    result = run("routes", tiny_path, "--from", "XA-ORIGIN", "--to", "XC-DEST", "--open", NEWLINE,
                 "--max-overlap", "0.4", "-k", "5", "--json")
    assert result.exit_code == 0, result.stderr
    (route,) = json.loads(result.stdout)["routes"]
    assert route["links"][-1] == NEWLINE
    bad = run("routes", tiny_path, "--from", "XA-ORIGIN", "--to", "XC-DEST", "--max-overlap", "2")
    assert bad.exit_code == 2 and "Traceback" not in bad.stderr


def test_routes_on_a_scenario_use_its_network_changes(tiny_path: Path) -> None:
    """tiny.yaml sets the ferry to every 36 h: an expected wait of 36/2 + 36 x 0.1/0.9 = 22 h."""
    pytest.importorskip("corridorsim.scenario.load")
    scenario = tiny_path.with_name("tiny.yaml")
    result = run("routes", scenario, "--from", "XA-ORIGIN", "--to", "XC-DEST", "--json")
    assert result.exit_code == 0, (result.stderr, result.exception)
    (ferry,) = [leg for leg in json.loads(result.stdout)["routes"][0]["legs"]
                if leg["id"] == "XA-PORT--XB-PORT"]
    assert ferry["wait_h"] == pytest.approx(36 / 2 + 36 * 0.1 / 0.9)


def test_an_unknown_from_name_exits_2_with_the_closest_candidates(tiny_path: Path) -> None:
    (line,) = assert_bad_input(run("routes", tiny_path, "--from", "Origen Yard", "--to", "XC-DEST"))
    assert line.startswith("--from: no node 'Origen Yard' (closest: XA-ORIGIN (Origin Yard)")


def test_an_ambiguous_name_exits_2_naming_each_candidate(tiny_path: Path) -> None:
    (line,) = assert_bad_input(run("routes", tiny_path, "--from", "port", "--to", "XC-DEST"))
    assert "ambiguous" in line and "XA-PORT" in line and "XB-PORT" in line


def test_avoid_a_country(hand_doc: dict[str, Any], write_doc: Callable[..., Path]) -> None:
    path = write_doc(hand_doc, "hand.geojson")
    everything = json.loads(run("routes", path, "--from", "A", "--to", "D", "--json").stdout)
    assert len(everything["routes"]) == 2
    result = run("routes", path, "--from", "A", "--to", "D", "--avoid", "XT", "--json")
    assert result.exit_code == 0, result.stderr
    (route,) = json.loads(result.stdout)["routes"]
    assert route["nodes"] == ["A", "B", "C", "D"]


def test_avoid_takes_a_comma_separated_list(tiny_path: Path) -> None:
    result = run("routes", tiny_path, "--from", "XA-ORIGIN", "--to", "XC-DEST", "--json",
                 "--avoid", "XB-BORDER,XB-PORT--XC-DEST-ROAD", "--open", NEWLINE)
    (route,) = json.loads(result.stdout)["routes"]
    assert route["links"][-1] == NEWLINE


def test_avoiding_the_country_of_the_destination_exits_2(tiny_path: Path) -> None:
    (line,) = assert_bad_input(
        run("routes", tiny_path, "--from", "XA-ORIGIN", "--to", "XC-DEST", "--avoid", "XC"))
    assert "destination XC-DEST is among the nodes to avoid" in line


def test_no_route_exits_1_and_names_the_link_that_would_connect(tiny_path: Path) -> None:
    result = run("routes", tiny_path, "--from", "XA-ORIGIN", "--to", "XC-DEST",
                 "--avoid", "XB-BORDER", "--avoid", "XB-PORT--XC-DEST-ROAD")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"no open route from XA-ORIGIN to XC-DEST; opening {NEWLINE} would connect them (--open)")
    assert "Traceback" not in result.stderr


def test_open_a_planned_link(tiny_path: Path) -> None:
    result = run("routes", tiny_path, "--from", "XA-ORIGIN", "--to", "XC-DEST", "--open", NEWLINE,
                 "--json")
    assert json.loads(result.stdout)["routes"][0]["links"][-1] == NEWLINE


def test_opening_an_unknown_link_exits_2(tiny_path: Path) -> None:
    lines = assert_bad_input(run("routes", tiny_path, "--from", "XA-ORIGIN", "--to", "XC-DEST",
                                 "--open", "NOPE,ALSO-NOPE"))
    assert lines == ["--open: no link 'NOPE'", "--open: no link 'ALSO-NOPE'"]


def test_routes_on_a_missing_file_exits_2(tmp_path: Path) -> None:
    (line,) = assert_bad_input(run("routes", tmp_path / "nope.geojson", "--from", "A", "--to", "B"))
    assert line.startswith(f"{tmp_path / 'nope.geojson'}: cannot read")


def test_routes_on_a_bad_network_exits_2(
    tiny_doc: dict[str, Any], write_doc: Callable[..., Path]
) -> None:
    props(tiny_doc, "XA-ORIGIN--XA-PORT").pop("gauge_mm")
    path = write_doc(tiny_doc)
    (line,) = assert_bad_input(run("routes", path, "--from", "XA-ORIGIN", "--to", "XC-DEST"))
    assert line.startswith(f"{path}: feature XA-ORIGIN--XA-PORT: ")


@pytest.mark.parametrize("flags", [
    pytest.param(["-k", "0"], id="k-zero"),
    pytest.param(["--by", "shortest"], id="unknown-policy"),
    pytest.param(["--tonnes-per-wagon", "0"], id="no-load"),
])
def test_bad_flags_exit_2(tiny_path: Path, flags: list[str]) -> None:
    result = run("routes", tiny_path, "--from", "XA-ORIGIN", "--to", "XC-DEST", *flags)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert result.stderr
