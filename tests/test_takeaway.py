"""What planners take away on the command line (DESIGN §14): routes priced for a scenario's
cargo and written leg by leg as CSV, and tables at full width through a pipe."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from cliguard import cli, one_line
from netgen import link, node
from scenariogen import write_scenario


def line_network() -> list[dict[str, Any]]:
    """A - B - C: 100 km each, 200 USD a wagon on A-B; a border at B charging 50 USD a wagon."""
    rail = {"mode": "rail", "gauge_mm": 1520, "speed_kmh": 50}
    a = node("A", 40.0, 40.0)
    b = node("B", 41.0, 40.0, kind="border", country="XB",
              facility={"type": "border", "servers": 1, "dwell_h": 2,
                        "fee_usd_per_wagon": 50})
    c = node("C", 42.0, 40.0, country="XC")
    return [a, b, c, link("A-B", a, b, length_km=100, tariff={"usd_per_wagon": 200}, **rail),
            link("B-C", b, c, length_km=100, tariff={"usd_per_wagon": 0, "note": "free"},
                 **rail)]


def scenario(tmp_path: Path) -> Path:
    return write_scenario(
        tmp_path, line_network(),
        cargo={"box": {"tonnes_per_wagon": 50}, "grain": {"tonnes_per_wagon": 25}},
        shipments=[{"id": "g", "cargo": "grain", "origin": "A", "destination": "C",
                    "wagons": 4}])


def test_routes_on_a_scenario_price_for_its_cargo(tmp_path: Path) -> None:
    import json

    path = scenario(tmp_path)
    # The shipment between A and C carries grain at 25 t a wagon: 250 USD / 25 t.
    doc = json.loads(cli("routes", path, "--from", "A", "--to", "C", "--json").stdout)
    assert doc["cargo"] == "grain"
    assert doc["routes"][0]["usd_per_tonne"] == pytest.approx(250 / 25)
    box = json.loads(cli("routes", path, "--from", "A", "--to", "C", "--json",
                         "--cargo", "box").stdout)
    assert box["routes"][0]["usd_per_tonne"] == pytest.approx(250 / 50)
    # A flag still overrides the cargo's load; on the network file the default is 68 t.
    given = json.loads(cli("routes", path, "--from", "A", "--to", "C", "--json",
                           "--tonnes-per-wagon", "10").stdout)
    assert given["routes"][0]["usd_per_tonne"] == pytest.approx(25.0)
    plain = json.loads(cli("routes", tmp_path / "net.geojson", "--from", "A", "--to", "C",
                           "--json").stdout)
    assert "cargo" not in plain
    assert plain["routes"][0]["usd_per_tonne"] == pytest.approx(250 / 68, abs=1e-3)
    table = cli("routes", path, "--from", "A", "--to", "C").stdout
    assert "costs for grain, 25 t a wagon" in table


def test_an_unknown_cargo_and_cargo_on_a_network_file_are_refused(tmp_path: Path) -> None:
    path = scenario(tmp_path)
    line = one_line(cli("routes", path, "--from", "A", "--to", "C", "--cargo", "oil"), 2)
    assert line.startswith("--cargo:") and "no cargo 'oil'" in line and "box, grain" in line
    line = one_line(cli("routes", tmp_path / "net.geojson", "--from", "A", "--to", "C",
                        "--cargo", "box"), 2)
    assert line.startswith("--cargo:") and "scenario file" in line


def test_routes_csv_is_a_row_per_leg_with_its_category_and_country(tmp_path: Path) -> None:
    path = scenario(tmp_path)
    result = cli("routes", path, "--from", "A", "--to", "C", "--csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["kind"], r["id"]) for r in rows] == [
        ("link", "A-B"), ("facility", "B"), ("link", "B-C")]
    assert [r["category"] for r in rows] == ["tariff", "facility_fees", "tariff"]
    assert [r["country"] for r in rows] == ["XA", "XB", "XB"]
    assert sum(float(r["usd_per_tonne"]) for r in rows) == pytest.approx(10.0)
    out = tmp_path / "legs.csv"
    assert cli("routes", path, "--from", "A", "--to", "C", "--csv", "-o", out).exit_code == 0
    assert out.read_text() == result.stdout
    assert "-o: only with --csv" in one_line(
        cli("routes", path, "--from", "A", "--to", "C", "-o", out), 2)


def test_tables_through_a_pipe_are_not_cut(tmp_path: Path) -> None:
    # Two scenarios with long file names: a pipe gets them whole, not "scenario-with-a-l...".
    first = scenario(tmp_path / "a")
    names = ("a-scenario-with-a-rather-long-file-name", "another-scenario-also-named-at-length")
    long_names = []
    for name in names:
        target = tmp_path / f"{name}.yaml"
        target.write_text(first.read_text().replace("net.geojson", "a/net.geojson"))
        long_names.append(target)
    result = cli("compare", *long_names, "-r", "2", "--quiet")
    assert result.exit_code == 0, result.output
    for name in names:
        assert name in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) > 80


# --------------------------------------------------------------------------------------------
# --set PATH=VALUE


def test_set_changes_what_routes_sees_as_computed_by_hand(tmp_path: Path) -> None:
    import json

    path = scenario(tmp_path)
    # 100 instead of 200 USD a wagon on A-B, and the border fee 50: 150 / 25 t.
    doc = json.loads(cli("routes", path, "--from", "A", "--to", "C", "--json",
                         "--set", "links.A-B.tariff.usd_per_wagon=100").stdout)
    assert doc["routes"][0]["usd_per_tonne"] == pytest.approx(150 / 25)
    # On the network file too, and the speed: 100 km at 100 km/h + 2 h at B + 100 km at 50.
    doc = json.loads(cli("routes", tmp_path / "net.geojson", "--from", "A", "--to", "C",
                         "--json", "--set", "links.A-B.speed_kmh=100").stdout)
    assert doc["routes"][0]["hours"] == pytest.approx(1 + 2 + 2)


def test_set_reaches_the_scenario_itself_in_run_and_compare(tmp_path: Path) -> None:
    import json

    path = scenario(tmp_path)
    doc = json.loads(cli("run", path, "-r", "1", "--json", "--quiet",
                         "--set", "shipments.g.wagons=6", "--set", "horizon_days=10").stdout)
    assert doc["horizon_days"] == 10
    assert doc["shipments"]["g"]["wagons_departed"] == 6
    other = tmp_path / "other.yaml"
    other.write_text(path.read_text())
    compared = cli("compare", path, other, "-r", "2", "--json", "--quiet",
                   "--set", "cargo.grain.tonnes_per_wagon=50")
    assert compared.exit_code == 0, compared.output
    per = json.loads(compared.stdout)["shipments"]["g"]["per_scenario"]
    assert {round(v["usd_per_tonne"], 6) for v in per.values()} == {250 / 50}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("nonsense", "--set: expected PATH=VALUE (got 'nonsense')"),
        ("=3", "--set: expected PATH=VALUE"),
        ("links.A-B.speed_kmh=[1, ", "--set links.A-B.speed_kmh: not a value YAML can read"),
        ("links.A-B.speed_kmz=80", "--set links.A-B.speed_kmz: not a settable parameter"),
        ("shipments.g.wagonz=3", "did you mean 'wagons'"),
    ],
)
def test_a_bad_set_is_one_line_naming_it(tmp_path: Path, value: str, expected: str) -> None:
    line = one_line(cli("run", scenario(tmp_path), "-r", "1", "--quiet", "--set", value), 2)
    assert expected in line


def test_set_on_assign_and_capacity(tmp_path: Path) -> None:
    import json

    path = write_scenario(
        tmp_path, line_network(), horizon_days=20,
        demand=[{"id": "f", "cargo": "box", "origin": "A", "destination": "C", "wagons": 2,
                 "tonnes_per_year": 50_000, "routes": 1}],
        assignment={"replications": 1, "iterations": 1})
    doc = json.loads(cli("assign", path, "--json", "--quiet",
                         "--set", "links.A-B.tariff.usd_per_wagon=0").stdout)
    assert doc["flows"]["f"]["routes"][0]["usd_per_tonne"] == pytest.approx(50 / 50)
    capacity = cli("capacity", path, "--shipment", "f", "--max-utilisation", "0.5", "--json",
                   "--quiet", "-r", "1", "--set", "nodes.B.facility.servers=2")
    assert capacity.exit_code == 0, capacity.output
    assert json.loads(capacity.stdout)["binding"]["element"] == "B"


# --------------------------------------------------------------------------------------------
# network_changes.add


def added(**link_props: Any) -> dict[str, Any]:
    """network_changes.add: a station D beyond C and a 60 km link C - D."""
    props = {"id": "C-D", "from": "C", "to": "D", "mode": "rail", "gauge_mm": 1520,
             "length_km": 60, "speed_kmh": 60, "tariff": {"usd_per_wagon": 100}, **link_props}
    return {"add": {
        "nodes": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [43.0, 40.0]},
                   "properties": {"id": "D", "name": "Dee", "country": "XC", "kind": "station"}}],
        "links": [{"type": "Feature",
                   "geometry": {"type": "LineString", "coordinates": [[42.0, 40.0], [43.0, 40.0]]},
                   "properties": props}]}}


def test_a_scenario_adds_a_station_and_a_link_that_routes_use(tmp_path: Path) -> None:
    import json

    path = write_scenario(tmp_path, line_network(), network_changes=added(),
                          shipments=[{"id": "s", "cargo": "box", "origin": "A",
                                      "destination": "D", "wagons": 2}])
    doc = json.loads(cli("routes", path, "--from", "A", "--to", "Dee", "--json").stdout)
    (route,) = doc["routes"]
    assert route["links"] == ["A-B", "B-C", "C-D"]
    # 2 h + 2 h (B) + 2 h + 1 h, and 200 + 50 + 100 USD a wagon of 50 t.
    assert route["hours"] == pytest.approx(7.0)
    assert route["usd_per_tonne"] == pytest.approx(350 / 50)
    run = json.loads(cli("run", path, "--json", "--quiet").stdout)
    assert run["shipments"]["s"]["transit_days"]["mean"] == pytest.approx(7.0 / 24, abs=1e-6)
    # The network file is as it was.
    assert "C-D" not in (tmp_path / "net.geojson").read_text()


def test_added_features_are_checked_as_the_network_files_are(tmp_path: Path) -> None:
    changes = added(speedkmh=60, to="NOWHERE")
    path = write_scenario(tmp_path, line_network(), network_changes=changes,
                          shipments=[{"id": "s", "cargo": "box", "origin": "A",
                                      "destination": "C", "wagons": 2}])
    result = cli("run", path, "--quiet")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert any("network_changes.add.links[0]" in x and "speedkmh" in x
               and "did you mean 'speed_kmh'" in x for x in lines), lines
    changes = added(to="NOWHERE")
    path = write_scenario(tmp_path, line_network(), network_changes=changes,
                          shipments=[{"id": "s", "cargo": "box", "origin": "A",
                                      "destination": "C", "wagons": 2}])
    line = one_line(cli("run", path, "--quiet"), 2)
    assert "network_changes.add" in line and "NOWHERE" in line
    changes = added()
    changes["add"]["nodes"][0]["geometry"] = {"type": "LineString", "coordinates": [[0, 0]]}
    path = write_scenario(tmp_path, line_network(), network_changes=changes,
                          shipments=[{"id": "s", "cargo": "box", "origin": "A",
                                      "destination": "C", "wagons": 2}])
    line = one_line(cli("run", path, "--quiet"), 2)
    assert "network_changes.add.nodes[0]: geometry: must be a node: a Point" in line


def test_validate_warns_of_a_link_without_a_tariff(tmp_path: Path) -> None:
    changes = added()
    del changes["add"]["links"][0]["properties"]["tariff"]
    path = write_scenario(tmp_path, line_network(), network_changes=changes,
                          shipments=[{"id": "s", "cargo": "box", "origin": "A",
                                      "destination": "D", "wagons": 2}])
    result = cli("network", "validate", path, tmp_path / "net.geojson")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"warning: {path}: link C-D has no tariff: it carries for free (give its tariff, or "
        "one of 0 with a note saying why it is free)"]
    assert result.stdout.count(": ok (") == 2


# --------------------------------------------------------------------------------------------
# Errors: all at once, best suggestion first, no misleading hint


def test_every_problem_of_a_file_comes_in_one_pass(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, line_network(), horizon_days="thirty", shipments=[
        {"id": "a", "cargo": "box", "origin": "Aa", "destination": "C", "wagons": 1},
        {"id": "b", "cargo": "box", "origin": "A", "destination": "Cee", "wagons": 1}])
    lines = cli("run", path, "--quiet").stderr.splitlines()
    assert any("horizon_days" in x for x in lines)
    assert any("shipments[0].origin: no origin 'Aa'" in x for x in lines)
    assert any("shipments[1].destination: no destination 'Cee'" in x for x in lines)
    # With the type fixed: both bad routes, not only the first.
    rail = {"mode": "rail", "gauge_mm": 1520, "speed_kmh": 50}
    lonely = [node("X", 45.0, 45.0), node("Y", 45.5, 45.0)]
    features = [*line_network(), *lonely, link("X-Y", lonely[0], lonely[1], length_km=10,
                                                tariff={"usd_per_wagon": 1}, **rail)]
    path = write_scenario(tmp_path, features, shipments=[
        {"id": "a", "cargo": "box", "origin": "A", "destination": "X", "wagons": 1},
        {"id": "b", "cargo": "box", "origin": "Y", "destination": "C", "wagons": 1}])
    lines = cli("run", path, "--quiet").stderr.splitlines()
    assert [x.split(": ")[1] for x in lines] == ["shipments[0].route", "shipments[1].route"]


def test_name_suggestions_come_most_similar_first(tmp_path: Path) -> None:
    line = one_line(cli("routes", Path("networks/caucasus-caspian.geojson"),
                        "--from", "Kostanai", "--to", "Ayrum"), 2)
    assert "(closest: KZ-KOSTANAY (Kostanay)" in line and "GE-POTI" not in line
    line = one_line(cli("routes", Path("networks/caucasus-caspian.geojson"),
                        "--from", "baku port", "--to", "Ayrum"), 2)
    assert "(closest: AZ-ALAT (Alat)" in line


def test_a_key_named_by_one_of_its_words_is_suggested(tmp_path: Path) -> None:
    features = line_network()
    features[1]["properties"]["facility"]["fee"] = 50
    path = write_scenario(tmp_path, features, shipments=[
        {"id": "a", "cargo": "box", "origin": "A", "destination": "C", "wagons": 1}])
    line = one_line(cli("run", path, "--quiet"), 2)
    assert ("properties.facility.fee: unknown key (did you mean 'fee_usd_per_tonne' or "
            "'fee_usd_per_wagon'?)") in line


def test_a_bad_fixed_route_names_only_the_link_it_misses(tmp_path: Path) -> None:
    rail = {"mode": "rail", "gauge_mm": 1520, "speed_kmh": 50}
    features = line_network()
    a, c = features[0], features[2]
    elsewhere = node("E", 41.0, 41.0)
    features += [elsewhere,
                 link("A-C", a, c, length_km=150, status="planned",
                      tariff={"usd_per_wagon": 1}, **rail),
                 link("A-E", a, elsewhere, length_km=150, status="planned",
                      tariff={"usd_per_wagon": 1}, **rail)]
    path = write_scenario(tmp_path, features, shipments=[
        {"id": "a", "cargo": "box", "origin": "A", "destination": "C", "wagons": 1,
         "route": {"fixed": ["A", "C"]}}])
    line = one_line(cli("run", path, "--quiet"), 2)
    assert "route.fixed[1]: no open link from A to C; A-C between them is planned" in line
    assert "A-E" not in line


# --------------------------------------------------------------------------------------------
# results.xlsx


def sheets(path: Path) -> dict[str, list[list[Any]]]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in book}


def test_a_run_writes_its_tables_as_typed_sheets_with_units(tmp_path: Path) -> None:
    import json

    path = scenario(tmp_path)
    out = tmp_path / "out"
    assert cli("run", path, "-r", "2", "-o", out, "--xlsx", "--quiet").exit_code == 0
    book = sheets(out / "results.xlsx")
    assert list(book) == ["summary", "shipments", "legs", "facilities"]
    summary = json.loads((out / "summary.json").read_text())
    head, row = book["summary"][0], book["summary"][1]
    assert row[0] == "g"
    mean = row[head.index("transit mean (days)")]
    assert isinstance(mean, float)
    assert mean == pytest.approx(summary["shipments"]["g"]["transit_days"]["mean"], abs=1e-6)
    assert "cost mean (USD per tonne)" in head
    legs_csv = (out / "legs.csv").read_text().splitlines()
    assert len(book["legs"]) == len(legs_csv)  # the same rows, a header each
    assert book["legs"][0][:7] == ["shipment", "replication", "consignment", "seq", "kind", "id",
                                   "arrive (h)"]
    assert all(isinstance(r[book["legs"][0].index("end (h)")], int | float)
               for r in book["legs"][1:])
    assert "utilisation (share)" in book["facilities"][0]
    assert "--xlsx: needs -o DIR" in one_line(cli("run", path, "--xlsx", "--quiet"), 2)


def test_compare_assign_and_capacity_write_their_sheets(tmp_path: Path) -> None:
    path = scenario(tmp_path / "a")
    other = tmp_path / "a" / "other.yaml"
    other.write_text(path.read_text())
    assert cli("compare", path, other, "-r", "2", "-o", tmp_path / "cmp", "--xlsx",
               "--quiet").exit_code == 0
    book = sheets(tmp_path / "cmp" / "results.xlsx")
    assert list(book) == ["scenarios", "differences"]
    assert [r[1] for r in book["scenarios"][1:]] == ["scenario", "other"]
    flows = write_scenario(
        tmp_path / "f", line_network(), horizon_days=20,
        demand=[{"id": "f", "cargo": "box", "origin": "A", "destination": "C", "wagons": 2,
                 "tonnes_per_year": 50_000, "routes": 1}],
        assignment={"replications": 1, "iterations": 1})
    assert cli("assign", flows, "-o", tmp_path / "asg", "--xlsx", "--quiet").exit_code == 0
    book = sheets(tmp_path / "asg" / "results.xlsx")
    assert list(book) == ["routes", "elements", "iterations"]
    head, row = book["routes"][0], book["routes"][1]
    assert row[head.index("share (0-1)")] == 1.0 and row[head.index("via")] == "A - B - C"
    assert cli("capacity", flows, "--shipment", "f", "--max-utilisation", "0.5", "-r", "1",
               "-o", tmp_path / "cap", "--xlsx", "--quiet").exit_code == 0
    book = sheets(tmp_path / "cap" / "results.xlsx")
    assert list(book) == ["points", "capacity"]
    assert isinstance(book["capacity"][1][book["capacity"][0].index(
        "capacity (t per year)")], float)


# --------------------------------------------------------------------------------------------
# GMNS on the command line


def test_gmns_export_then_import_on_the_command_line(tmp_path: Path) -> None:
    from corridorsim.network.io import load_network

    shipped = Path("networks/caucasus-caspian.geojson")
    result = cli("network", "export", shipped, "--gmns", tmp_path / "gmns")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "gmns").iterdir()) == [
        "config.csv", "link.csv", "node.csv", "use_definition.csv"]
    back = tmp_path / "back.geojson"
    result = cli("network", "import", tmp_path / "gmns", "-o", back)
    assert result.exit_code == 0, result.output
    assert "wrote" in result.stdout and "(81 nodes, 100 links)" in result.stdout
    assert load_network(back) == load_network(shipped)
    assert cli("network", "validate", back).exit_code == 0


def test_gmns_import_of_a_folder_that_is_not_one_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = cli("network", "import", tmp_path / "empty", "-o", tmp_path / "x.geojson")
    assert result.exit_code == 2 and "node.csv" in result.stderr
    assert "Traceback" not in result.output and not (tmp_path / "x.geojson").exists()


def test_report_on_the_command_line(tmp_path: Path) -> None:
    path = scenario(tmp_path)
    out = tmp_path / "out"
    assert cli("run", path, "-r", "2", "-o", out, "--quiet").exit_code == 0
    result = cli("report", out)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"wrote {out / 'report.html'}"
    assert "<html" in (out / "report.html").read_text()
    # A rerun into the folder keeps it a run folder (the report is one of its outputs).
    assert cli("run", path, "-r", "2", "-o", out, "--quiet").exit_code == 0
    line = one_line(cli("report", tmp_path), 2)
    assert "not a corridorsim output folder" in line
