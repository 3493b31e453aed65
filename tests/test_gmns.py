"""GMNS export and import (``corridorsim.network.gmns``).

Exported tables are checked against the GMNS 0.96 table schemas vendored in
``tests/fixtures/gmns/schema/`` by a small Frictionless Table Schema validator written here (the
features those schemas use: fieldsMatch, missingValues, field types, required, enum,
categories, minimum/maximum, primary and foreign keys, numRows), independent of the rules the
importer carries. Import is checked on small GMNS networks written by the tests and on the
Arlington example of the GMNS repository (UTM coordinates, miles, use groups).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from corridorsim.errors import InputError
from corridorsim.network import gmns
from corridorsim.network.geometry import line_length_km
from corridorsim.network.gmns import export_gmns, import_gmns, parse_line_geometry, utm_to_lonlat
from corridorsim.network.io import load_network, parse_network
from corridorsim.network.model import Network
from corridorsim.routing import Router
from netgen import network_docs

FIXTURES = Path(__file__).parent / "fixtures" / "gmns"
SCHEMAS = FIXTURES / "schema"
ARLINGTON = FIXTURES / "arlington"
SHIPPED = Path(__file__).resolve().parents[1] / "networks" / "caucasus-caspian.geojson"
TABLES = ("node", "link", "config", "use_definition")


# --------------------------------------------------------------------------------------------
# A small Frictionless Table Schema validator (the features the GMNS schemas use)


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], [r for r in rows[1:] if r]
    return header, [dict(zip(header, r, strict=True)) for r in body]


def _keys(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def cast(spec: dict[str, Any], text: str) -> tuple[Any, str | None]:
    kind = spec.get("type", "any")
    if kind in ("any", "string"):
        return text, None
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d+", text):
            return None, "not an integer"
        return int(text), None
    if kind == "number":
        if re.fullmatch(r"[+-]?(nan|inf)", text, re.IGNORECASE):
            return float(text), None
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text):
            return None, "not a number"
        return float(text), None
    if kind == "boolean":
        true = spec.get("trueValues", ["true", "True", "TRUE", "1"])
        false = spec.get("falseValues", ["false", "False", "FALSE", "0"])
        if text in true:
            return True, None
        if text in false:
            return False, None
        return None, "not a boolean"
    raise AssertionError(f"type {kind} is not used by the GMNS schemas checked here")


def check_value(spec: dict[str, Any], value: Any) -> str | None:
    constraints = spec.get("constraints", {})
    if "enum" in constraints and value not in constraints["enum"]:
        return "not in enum"
    categories = spec.get("categories")
    if categories is not None:
        allowed = [c["value"] if isinstance(c, dict) else c for c in categories]
        if value not in allowed:
            return "not one of the categories"
    if "minimum" in constraints and value < constraints["minimum"]:
        return "below minimum"
    if "maximum" in constraints and value > constraints["maximum"]:
        return "above maximum"
    if "pattern" in constraints and not re.fullmatch(constraints["pattern"], str(value)):
        return "does not match pattern"
    return None


def validate_table(
    schema: dict[str, Any], header: list[str], rows: list[dict[str, str]], name: str
) -> tuple[list[str], list[dict[str, Any]]]:
    """Problems of one table, and its rows as logical values (None: missing)."""
    problems: list[str] = []
    fields = {f["name"]: f for f in schema["fields"]}
    match = schema.get("fieldsMatch", "exact")
    names = [f["name"] for f in schema["fields"]]
    if match == "exact" and header != names:
        problems.append(f"{name}: header is not exactly the schema's fields")
    if match in ("equal", "subset") and set(names) - set(header):
        problems.append(f"{name}: missing fields {sorted(set(names) - set(header))}")
    if match in ("equal", "superset") and set(header) - set(names):
        problems.append(f"{name}: extra fields {sorted(set(header) - set(names))}")
    missing = set(schema.get("missingValues", [""]))
    if "numRows" in schema and len(rows) != schema["numRows"]:
        problems.append(f"{name}: {len(rows)} rows, schema says {schema['numRows']}")
    primary = _keys(schema.get("primaryKey", []))
    logical: list[dict[str, Any]] = []
    seen_keys: set[tuple[Any, ...]] = set()
    for index, row in enumerate(rows, start=2):
        values: dict[str, Any] = {}
        for column, text in row.items():
            spec = fields.get(column)
            if text in missing:
                values[column] = None
                continue
            if spec is None:
                values[column] = text
                continue
            value, error = cast(spec, text)
            error = error or check_value(spec, value)
            if error:
                problems.append(f"{name}:{index}: {column}: {error} ({text!r})")
            values[column] = value
        for spec in schema["fields"]:
            required = spec.get("constraints", {}).get("required") or spec["name"] in primary
            if required and values.get(spec["name"]) is None:
                problems.append(f"{name}:{index}: {spec['name']}: required")
        if primary:
            key = tuple(values.get(k) for k in primary)
            if key in seen_keys:
                problems.append(f"{name}:{index}: primary key {key} repeated")
            seen_keys.add(key)
        logical.append(values)
    return problems, logical


def validate_folder(folder: Path, tables: tuple[str, ...] = TABLES) -> list[str]:
    """Every problem of the GMNS tables in ``folder`` against the vendored schemas, foreign
    keys included (a reference to a table that is not there must be empty)."""
    problems: list[str] = []
    schemas = {t: json.loads((SCHEMAS / f"{t}.schema.json").read_text()) for t in tables}
    values: dict[str, list[dict[str, Any]]] = {}
    for table in tables:
        header, rows = read_csv(folder / f"{table}.csv")
        found, values[table] = validate_table(schemas[table], header, rows, f"{table}.csv")
        problems.extend(found)
    for table in tables:
        for key in schemas[table].get("foreignKeys", []):
            source = _keys(key["fields"])
            target = key["reference"].get("resource") or table
            target_fields = _keys(key["reference"]["fields"])
            known = {tuple(r.get(f) for f in target_fields) for r in values.get(target, [])}
            for index, row in enumerate(values[table], start=2):
                ref = tuple(row.get(f) for f in source)
                if all(v is None for v in ref):
                    continue
                if ref not in known:
                    problems.append(f"{table}.csv:{index}: {source} {ref} not in {target}")
    return problems


# --------------------------------------------------------------------------------------------
# Fixtures and helpers


@pytest.fixture(scope="module")
def shipped() -> Network:
    return load_network(SHIPPED)


@pytest.fixture(scope="module")
def exported(shipped: Network, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("gmns") / "caucasus"
    export_gmns(shipped, folder)
    return folder


@pytest.fixture
def exported_copy(exported: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "copy"
    shutil.copytree(exported, folder)
    return folder


def write_tables(folder: Path, **tables: str) -> Path:
    """Write CSV tables given as text (``node="node_id,x_coord,...\\n..."``) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text.lstrip("\n"), encoding="utf-8")
    return folder


def edit_csv(path: Path, change: Callable[[list[dict[str, str]]], None]) -> None:
    header, rows = read_csv(path)
    change(rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header)
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def problems_of(folder: Path) -> tuple[str, ...]:
    with pytest.raises(InputError) as caught:
        import_gmns(folder)
    return caught.value.problems


# Four towns on a line, one degree of longitude (about 111 km at the equator) apart.
ROAD_NODES = """
node_id,x_coord,y_coord
1,10.0,0.0
2,11.0,0.0
3,12.0,0.0
4,13.0,0.0
"""


# --------------------------------------------------------------------------------------------
# Export: the tables follow the GMNS schemas


def test_export_writes_the_four_tables(shipped: Network, tmp_path: Path) -> None:
    written = export_gmns(shipped, tmp_path / "out")
    assert [p.name for p in written] == [f"{t}.csv" for t in TABLES]
    assert all(p.parent == tmp_path / "out" and p.is_file() for p in written)
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_exported_tables_validate_against_the_gmns_schemas(exported: Path) -> None:
    assert validate_folder(exported) == []
    _, links = read_csv(exported / "link.csv")
    _, nodes = read_csv(exported / "node.csv")
    assert len(nodes) == 81 and len(links) == 100  # one row per node, one per link


def test_export_writes_units_crs_and_version(exported: Path) -> None:
    _, (config,) = read_csv(exported / "config.csv")
    assert config["long_length"] == "km" and config["speed"] == "km/h"
    assert config["crs"] == "EPSG:4326" and config["version_number"] == "0.96"
    assert config["dataset_name"] == "Caucasus-Caspian reference network"


def test_export_maps_directed_uses_and_lengths(exported: Path, shipped: Network) -> None:
    _, rows = read_csv(exported / "link.csv")
    by_id = {r["link_id"]: r for r in rows}
    for link in shipped.links.values():
        row = by_id[link.id]
        assert row["directed"] == ("false" if link.bidirectional else "true")
        assert row["u_mode"] == link.mode
        assert row["allowed_uses"] == {"rail": "rail", "road": "truck", "ferry": "ferry",
                                       "sea": "ship"}[link.mode]
        assert float(row["length"]) == pytest.approx(link.km)
        assert (row["u_length_from_geometry"] == "true") == (link.length_km is None)
    ferry = by_id["KZ-AKTAU--AZ-ALAT-FERRY"]
    assert json.loads(ferry["u_ferry"])["capacity_wagons"] == 52
    assert ferry["free_speed"] == ""


def test_the_validator_catches_broken_tables(exported_copy: Path) -> None:
    """The schema check above is not vacuous: each break is found."""

    def break_links(rows: list[dict[str, str]]) -> None:
        rows[0]["directed"] = "yes"
        rows[1]["to_node_id"] = "NOWHERE"
        rows[2]["dir_flag"] = "2"
        rows[3]["free_speed"] = "300"
        rows[4]["link_id"] = rows[5]["link_id"]

    edit_csv(exported_copy / "link.csv", break_links)
    found = "\n".join(validate_folder(exported_copy))
    for expected in ("directed: not a boolean", "not in node", "dir_flag: not one of",
                     "free_speed: above maximum", "primary key"):
        assert expected in found


def test_the_importers_field_rules_are_the_vendored_schemas() -> None:
    for table, fields in gmns.TABLES.items():
        schema = json.loads((SCHEMAS / f"{table}.schema.json").read_text())
        assert [f.name for f in fields] == [f["name"] for f in schema["fields"]], table
        for ours, theirs in zip(fields, schema["fields"], strict=True):
            constraints = theirs.get("constraints", {})
            allowed = constraints.get("enum") or theirs.get("categories")
            if allowed is not None:
                allowed = tuple(a["value"] if isinstance(a, dict) else a for a in allowed)
            assert ours.type == theirs.get("type", "any"), ours.name
            assert ours.required == bool(constraints.get("required")), ours.name
            assert ours.allowed == allowed, ours.name
            assert ours.minimum == constraints.get("minimum"), ours.name
            assert ours.maximum == constraints.get("maximum"), ours.name
        assert gmns.PRIMARY_KEYS.get(table) == schema.get("primaryKey")
        assert set(schema.get("missingValues", [])) == gmns.MISSING_VALUES


def test_the_vendored_schemas_are_gmns_0_96() -> None:
    package = json.loads((SCHEMAS / "datapackage.json").read_text())
    assert package["version"] == gmns.GMNS_VERSION == "0.96"
    readme = (SCHEMAS / "README.md").read_text()
    assert "zephyr-data-specs/GMNS" in readme and "Apache" in readme


# --------------------------------------------------------------------------------------------
# Round trip


def test_round_trip_of_the_shipped_network_gives_the_same_network(
    exported: Path, shipped: Network, tmp_path: Path
) -> None:
    out = tmp_path / "back.geojson"
    back = import_gmns(exported, out)
    assert back == shipped
    assert list(back.nodes) == list(shipped.nodes) and list(back.links) == list(shipped.links)
    assert all(back.links[i].km == link.km for i, link in shipped.links.items())
    assert load_network(out) == shipped  # the GeoJSON written validates and is the same


PAIRS = [
    ("KZ-KOSTANAY", "GE-POTI"),
    ("CN-URUMQI", "TR-KARS"),
    ("KZ-ASTANA", "AM-YEREVAN"),
    ("KZ-AKTAU", "AZ-ALAT"),
    ("RU-NOVOROSSIYSK", "GE-BATUMI"),
]


@pytest.mark.parametrize("by", ["fastest", "cheapest"])
def test_round_trip_routes_the_same(exported: Path, shipped: Network, by: str) -> None:
    before, after = Router(shipped), Router(import_gmns(exported))
    for origin, destination in PAIRS:
        expected = before.routes(origin, destination, by=by, k=3)
        assert expected, (origin, destination)
        got = after.routes(origin, destination, by=by, k=3)
        assert got == expected
        assert [r.hours for r in got] == [r.hours for r in expected]
        assert [r.usd_per_wagon for r in got] == [r.usd_per_wagon for r in expected]


def test_round_trip_from_a_network_file(tmp_path: Path) -> None:
    tiny = Path(__file__).parent / "fixtures" / "tiny.geojson"
    export_gmns(tiny, tmp_path / "tiny")
    assert import_gmns(tmp_path / "tiny", tmp_path / "tiny.geojson") == load_network(tiny)
    assert validate_folder(tmp_path / "tiny") == []


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(doc=network_docs())
def test_round_trip_of_any_network(doc: dict[str, Any], tmp_path: Path) -> None:
    network = parse_network(doc)
    folder = tmp_path / "any"
    export_gmns(network, folder)
    assert validate_folder(folder) == []
    assert import_gmns(folder) == network


def test_export_overwrites_and_leaves_other_files(shipped: Network, tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "out", node="stale\n", zone="zone_id\n1\n")
    export_gmns(shipped, folder)
    assert read_csv(folder / "node.csv")[0][0] == "node_id"
    assert (folder / "zone.csv").read_text() == "zone_id\n1\n"


# --------------------------------------------------------------------------------------------
# Import of networks written by others


def test_a_plain_road_network_with_only_the_required_columns(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path / "plain",
        node=ROAD_NODES,
        link="""
link_id,from_node_id,to_node_id,directed
a,1,2,false
b,2,3,false
c,3,4,false
""",
    )
    network = import_gmns(folder, tmp_path / "plain.geojson")
    assert list(network.nodes) == ["1", "2", "3", "4"]
    node = network.node("2")
    assert (node.name, node.country, node.kind, node.coords) == ("2", "XX", "junction", (11.0, 0.0))
    link = network.link("b")
    assert (link.mode, link.bidirectional, link.length_km, link.speed_kmh) == (
        "road", True, None, None)
    assert link.coords == ((11.0, 0.0), (12.0, 0.0))  # the straight line between the nodes
    assert link.km == pytest.approx(111.19, abs=0.01)
    (route,) = Router(network).routes("1", "4")
    assert route.links == ("a", "b", "c")
    assert route.hours == pytest.approx(3 * 111.195 / 60, rel=1e-4)  # road default 60 km/h
    assert load_network(tmp_path / "plain.geojson") == network


def test_geometry_gives_the_length_when_none_is_given(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path / "wkt",
        node=ROAD_NODES,
        config="crs,long_length,speed\nEPSG:4326,mile,mph\n",
        link="""
link_id,from_node_id,to_node_id,directed,geometry,free_speed
a,1,2,false,"LINESTRING (10 0, 10.5 0.5, 11 0)",50
b,2,3,false,"LINESTRING Z (11 0 5, 12 0 7)",
""",
    )
    network = import_gmns(folder)
    bent = network.link("a")
    assert bent.coords == ((10.0, 0.0), (10.5, 0.5), (11.0, 0.0))
    assert bent.length_km is None
    assert bent.km == pytest.approx(line_length_km(bent.coords))
    assert bent.km > network.link("b").km  # the bend is longer than the straight line
    assert bent.speed_kmh == pytest.approx(50 * 1.609344)
    assert network.link("b").coords == ((11.0, 0.0), (12.0, 0.0))  # Z values dropped


def test_geometry_csv_and_dir_flag(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path / "geom",
        node=ROAD_NODES,
        geometry="""
geometry_id,geometry
g1,"LINESTRING (11 0, 10.5 0.2, 10 0)"
g2,"MULTILINESTRING ((12 0, 12.5 0.1), (12.5 0.1, 13 0))"
""",
        link="""
link_id,from_node_id,to_node_id,directed,geometry_id,dir_flag
back,1,2,true,g1,-1
undirected,4,3,false,g2,0
""",
    )
    network = import_gmns(folder)
    # dir_flag -1: the shape points run from to_node to from_node; they are turned round.
    assert network.link("back").coords == ((10.0, 0.0), (10.5, 0.2), (11.0, 0.0))
    # dir_flag 0 says nothing: the ends of the shape tell which way it runs.
    assert network.link("undirected").coords == ((13.0, 0.0), (12.5, 0.1), (12.0, 0.0))


def test_directed_rows_are_one_way_links(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path / "oneway",
        node=ROAD_NODES,
        link="""
link_id,from_node_id,to_node_id,directed,length
east,1,2,1,100
west,2,1,TRUE,150
both,2,3,0,100
""",
        config="long_length\nkm\n",
    )
    network = import_gmns(folder)
    assert not network.link("east").bidirectional and network.link("both").bidirectional
    router = Router(network)
    (out,) = router.routes("1", "3")
    (back,) = router.routes("3", "1")
    assert out.links == ("east", "both") and back.links == ("both", "west")
    assert back.km == pytest.approx(250.0)
    assert router.routes("4", "1") == []


def test_a_link_whose_id_is_a_node_id_is_renamed(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path / "same-ids",
        node=ROAD_NODES + "L2,14.0,0.0\n",
        link="""
link_id,from_node_id,to_node_id,directed
1,1,2,false
2,2,3,false
7,3,4,false
""",
    )
    network = import_gmns(folder, tmp_path / "same-ids.geojson")
    assert list(network.nodes) == ["1", "2", "3", "4", "L2"]  # node ids are kept
    assert list(network.links) == ["L1", "L2-2", "7"]  # L2 is a node's id: the link takes L2-2
    assert network.link("L1").note == "GMNS link_id 1"
    assert network.link("7").note is None
    (route,) = Router(network).routes("1", "4")
    assert route.links == ("L1", "L2-2", "7")


def test_ids_corridorsim_does_not_accept_are_made_into_ids(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path / "odd-ids",
        node="node_id,x_coord,y_coord\nnode.1,10,0\n-2,11,0\n",
        link="link_id,from_node_id,to_node_id,directed\nx y,node.1,-2,false\n",
    )
    network = import_gmns(folder)
    assert list(network.nodes) == ["node_1", "N-2"]
    assert network.node("node_1").aliases == ("node.1",)  # still usable by its GMNS id
    assert list(network.links) == ["x_y"]


def test_allowed_uses_rail_makes_rail_links(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path / "rail",
        node=ROAD_NODES,
        link="""
link_id,from_node_id,to_node_id,directed,allowed_uses,u_gauge_mm
a,1,2,false,rail,
b,2,3,false,"Freight, Train",1520
c,3,4,false,"rail, truck",
d,1,4,false,ferry,
""",
        use_definition="""
use,persons_per_vehicle,pce,u_mode
freight,0,0,rail
""",
    )
    network = import_gmns(folder)
    a, b = network.link("a"), network.link("b")
    assert (a.mode, a.gauge_mm) == ("rail", gmns.DEFAULT_GAUGE_MM) == ("rail", 1435)
    assert (b.mode, b.gauge_mm) == ("rail", 1520)  # use_definition's u_mode, any case
    # A link open to rail and road is one link per mode; the first keeps the id.
    assert (network.link("c").mode, network.link("c-road").mode) == ("rail", "road")
    assert network.link("c-road").gauge_mm is None
    # A ferry use without a timetable (u_ferry) is a sea link.
    assert network.link("d").mode == "sea"
    (route,) = Router(network).routes("1", "2")
    assert route.links == ("a",) and route.modes == ("rail",)


def test_use_groups_expand_to_their_uses(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path / "groups",
        node=ROAD_NODES,
        link="link_id,from_node_id,to_node_id,directed,allowed_uses\na,1,2,false,trains\n"
             "b,2,3,false,loop\n",
        use_group='use_group,uses\ntrains,"freight_train, loop"\nloop,"loop, trains"\n',
    )
    network = import_gmns(folder)
    assert network.link("a").mode == "rail"
    assert network.link("b").mode == "rail"  # groups naming each other end


def test_u_mode_overrides_allowed_uses(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path / "mode",
        node=ROAD_NODES,
        link='link_id,from_node_id,to_node_id,directed,allowed_uses,u_mode,u_ferry\n'
             'a,1,2,false,truck,rail,\n'
             'f,2,3,false,,ferry,"{""capacity_wagons"": 40, ""sailing_h"": 10, ""every_h"": 24}"\n',
    )
    network = import_gmns(folder)
    assert network.link("a").mode == "rail"
    ferry = network.link("f")
    assert ferry.mode == "ferry" and ferry.ferry is not None and ferry.ferry.every_h == 24


def test_toll_becomes_a_charge_per_vehicle(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path / "toll",
        node=ROAD_NODES,
        config="currency\nUS cents\n",
        link="link_id,from_node_id,to_node_id,directed,toll\na,1,2,false,250\n",
    )
    assert import_gmns(folder).link("a").tariff.usd_per_wagon == pytest.approx(2.5)


def test_missing_config_assumes_lon_lat_and_needs_units_only_when_used(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path / "units",
        node=ROAD_NODES,
        link="link_id,from_node_id,to_node_id,directed,length,free_speed\na,1,2,false,80,50\n",
    )
    (first, second) = problems_of(folder)
    assert first.endswith("config.csv: long_length: missing: link.csv gives lengths, and "
                          "config.csv's long_length says their unit (km, m, mi, ft ...)")
    assert "speed: missing" in second
    write_tables(folder, config="long_length\nmi\n")
    link = import_gmns(folder).link("a")
    # No speed unit: GMNS says it is usually long_length units per hour.
    assert link.length_km == pytest.approx(80 * 1.609344)
    assert link.speed_kmh == pytest.approx(50 * 1.609344)
    write_tables(folder, config="long_length\nfurlong\n")
    (problem,) = problems_of(folder)
    assert problem == (f"{folder / 'config.csv'}:2: long_length 'furlong': unknown unit "
                       "(known: km, m, mi, ft, nmi, or their names)")


# --------------------------------------------------------------------------------------------
# Coordinate systems


def test_utm_to_lonlat_known_points() -> None:
    zone31 = utm_to_lonlat(31)
    # On the equator, 3 degrees east of the central meridian (3 E): easting 833,978.556 m.
    assert zone31(833_978.556, 0.0) == pytest.approx((6.0, 0.0), abs=1e-7)
    # Latitude 45: the WGS 84 meridian arc of 4,984,944.378 m, scaled by 0.9996.
    assert zone31(500_000.0, 4_982_950.400) == pytest.approx((3.0, 45.0), abs=1e-7)
    south = utm_to_lonlat(31, south=True)
    assert south(500_000.0, 10_000_000 - 4_982_950.400) == pytest.approx((3.0, -45.0), abs=1e-7)


# Tbilisi (44.8 E, 41.7 N) in each system; the projected coordinates from the forward
# formulas (Web Mercator; the Krueger series for UTM zone 38N, which gives 833,978.557 and
# 4,982,950.400 for the points of the test above).
@pytest.mark.parametrize(
    ("crs", "x", "y", "lon", "lat"),
    [
        ("4326", 44.8, 41.7, 44.8, 41.7),
        ("EPSG:4326", 44.8, 41.7, 44.8, 41.7),
        ("urn:ogc:def:crs:OGC:1.3:CRS84", 44.8, 41.7, 44.8, 41.7),
        ("+proj=longlat +datum=WGS84 +no_defs", 44.8, 41.7, 44.8, 41.7),
        ("EPSG:3857", 4_987_113.188, 5_116_146.295, 44.8, 41.7),
        ("EPSG:32638", 483_358.901, 4_616_487.763, 44.8, 41.7),
        ("+proj=utm +zone=38 +datum=WGS84 +units=m", 483_358.901, 4_616_487.763, 44.8, 41.7),
    ],
)
def test_coordinate_systems_converted(
    tmp_path: Path, crs: str, x: float, y: float, lon: float, lat: float
) -> None:
    folder = write_tables(
        tmp_path / "crs",
        node=f"node_id,x_coord,y_coord\na,{x},{y}\n",
        link="link_id,from_node_id,to_node_id,directed\n",
        config=f'crs\n"{crs}"\n',
    )
    assert import_gmns(folder).node("a").coords == pytest.approx((lon, lat), abs=1e-5)


def test_a_projected_crs_that_cannot_be_converted_is_refused_in_one_line(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path / "ohio",
        node="node_id,x_coord,y_coord\na,1500000,600000\n",
        link="link_id,from_node_id,to_node_id,directed\n",
        config="crs\n3735\n",
    )
    (problem,) = problems_of(folder)
    assert problem.startswith(f"{folder / 'config.csv'}:2: crs '3735': not a coordinate system "
                              "corridorsim converts")
    assert "EPSG:4326" in problem


def test_coordinates_that_are_not_lon_lat_without_a_crs(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path / "nocrs",
        node="node_id,x_coord,y_coord\na,322754,4698346\nb,10,0\n",
        link="link_id,from_node_id,to_node_id,directed\nl,a,b,false\n",
    )
    (problem,) = problems_of(folder)  # the link to the broken node is not reported again
    assert problem == (f"{folder / 'node.csv'}:2: x_coord, y_coord: (322754, 4.69835e+06) is not "
                       "a longitude and latitude (config.csv gives no crs, so longitude/latitude "
                       "is assumed)")


def test_the_gmns_arlington_example(tmp_path: Path) -> None:
    """A network from the GMNS repository: UTM zone 19N, miles and mph, use groups, node
    ids equal to link ids, walk and bike links (road), undirected sidewalks."""
    network = import_gmns(ARLINGTON, tmp_path / "arlington.geojson")
    assert (len(network.nodes), len(network.links)) == (20, 27)
    # Node 6 is where the Minuteman Bikeway crosses Massachusetts Avenue (the example's
    # README points there: 42.41526 N, 71.15248 W); within 100 m.
    lon, lat = network.node("6").coords
    assert math.dist((lon, lat), (-71.15248, 42.41526)) < 0.001
    assert network.node("3").kind == "junction"
    # Links 21, 22, 41, 42, 51, 52, 71, 72 share their ids with nodes.
    assert {i for i in network.links if i.startswith("L")} == {
        "L21", "L22", "L41", "L42", "L51", "L52", "L71", "L72"}
    bikeway = network.link("10")
    assert bikeway.length_km == pytest.approx(0.142045455 * 1.609344)
    assert bikeway.speed_kmh == pytest.approx(12 * 1.609344)
    assert (bikeway.mode, bikeway.bidirectional) == ("road", False)
    assert network.link("2122").bidirectional  # a crosswalk, directed 0
    assert all(link.mode == "road" for link in network.links.values())
    (route,) = Router(network).routes("1", "3")
    assert route.links == ("10", "32", "L72")
    assert load_network(tmp_path / "arlington.geojson") == network


# --------------------------------------------------------------------------------------------
# Bad input


def test_missing_tables_are_named(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "empty", config="crs\n4326\n")
    assert problems_of(folder) == (
        f"{folder / 'node.csv'}: missing (a GMNS network needs node.csv and link.csv)",
        f"{folder / 'link.csv'}: missing (a GMNS network needs node.csv and link.csv)",
    )
    with pytest.raises(InputError, match="not a folder"):
        import_gmns(folder / "config.csv")


def test_a_link_to_an_unknown_node(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path / "dangling",
        node=ROAD_NODES,
        link="link_id,from_node_id,to_node_id,directed\n" + "".join(
            f"l{i},1,2,false\n" for i in range(10)) + "bad,99,2,false\nworse,1,98,false\n",
    )
    assert problems_of(folder) == (
        f"{folder / 'link.csv'}:12: from_node_id 99: no such node",
        f"{folder / 'link.csv'}:13: to_node_id 98: no such node",
    )


def test_every_schema_problem_of_a_file_at_once(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path / "broken",
        node="""
node_id,name,x_coord,y_coord,ctrl_type
1,One,10,0,signal
2,Two,east,0,
3,Three,12,,traffic light
1,Again,13,0,
""",
        link="""
link_id,from_node_id,to_node_id,directed,length,free_speed,lanes
a,1,3,yes,-5,250,2.5
,1,2,false,,,
""",
        config="long_length,id_type\nkm,text\n",
    )
    where = {name: folder / f"{name}.csv" for name in ("node", "link", "config")}
    assert set(problems_of(folder)) == {
        f"{where['config']}:2: id_type: must be one of string, integer (got 'text')",
        f"{where['node']}:3: x_coord: must be a number (got 'east')",
        f"{where['node']}:4: ctrl_type: must be one of none, yield, stop, 4_stop, signal "
        "(got 'traffic light')",
        f"{where['node']}:4: y_coord: missing (required)",
        f"{where['node']}:5: node_id 1: used twice (first on line 2)",
        f"{where['link']}:2: directed: must be true or false (true, 1, false, 0; got 'yes')",
        f"{where['link']}:2: length: must be at least 0 (got '-5')",
        f"{where['link']}:2: free_speed: must be at most 200 (got '250')",
        f"{where['link']}:2: lanes: must be a whole number (got '2.5')",
        f"{where['link']}:3: link_id: missing (required)",
    }


def test_a_missing_required_column(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path / "nodirected",
        node=ROAD_NODES,
        link="link_id,from_node_id,to_node_id\na,1,2\nb,2,3\n",
    )
    assert problems_of(folder) == (f"{folder / 'link.csv'}:1: no column directed (required)",)


def test_corridorsim_columns_are_checked_as_the_network_file_is(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path / "ucols",
        node="node_id,x_coord,y_coord,u_country,u_facilities\n"
             '1,10,0,kz,\n2,11,0,KZ,"[{""type"": ""port""}]"\n3,12,0,KZ,"[{"\n'
             "4,10,1,,\n5,11,1,,\n6,12,1,,\n",
        link="link_id,from_node_id,to_node_id,directed,u_mode,u_gauge_mm,u_tariff\n"
             "a,4,5,false,road,1520,\nb,5,6,false,boat,,\nc,4,6,false,rail,1520.0,\n"
             'd,4,6,false,rail,1520,"{""usd_per_wagon_kms"": 1}"\n'
             "e,1,4,false,road,,\n",  # node 1 is broken: not reported again here
    )
    node, link = folder / "node.csv", folder / "link.csv"
    problems = problems_of(folder)
    assert problems[:3] == (
        f"{node}:2: u_country: must be an ISO 3166-1 alpha-2 country code in capitals, like "
        "'KZ' (got 'kz')",
        f"{node}:3: u_facilities[0].dwell_h: missing (required)",
        f"{node}:4: u_facilities: line 1 column 3: not valid JSON: Expecting property name "
        "enclosed in double quotes",
    )
    assert set(problems[3:]) == {
        f"{link}:2: gauge_mm is only for rail links, this one is road",
        f"{link}:3: u_mode 'boat': must be one of rail, road, ferry, sea",
        f"{link}:4: u_gauge_mm: must be a valid integer (got 1520.0)",
        f"{link}:5: u_tariff.usd_per_wagon_kms: unknown key (did you mean 'usd_per_wagon_km'?)",
    }


def test_a_geometry_far_from_its_nodes(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path / "far",
        node=ROAD_NODES,
        link='link_id,from_node_id,to_node_id,directed,geometry,geometry_id\n'
             'a,1,2,false,"LINESTRING (10 0, 11 1)",\nb,2,3,false,"POINT (1 2)",\n'
             "c,3,4,false,,nowhere\n",
    )
    assert problems_of(folder) == (
        f"{folder / 'link.csv'}:2: geometry ends 111.2 km from its to_node_id node (a wrong "
        "node, or dir_flag?)",
        f"{folder / 'link.csv'}:3: geometry: must be a WKT LINESTRING (x y, x y, ...)",
        f"{folder / 'link.csv'}:4: geometry_id nowhere: no such geometry",
    )


def test_a_config_with_two_rows_and_bad_csv(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path / "config",
        node=ROAD_NODES,
        link="link_id,from_node_id,to_node_id,directed\na,1,2,false,extra\n",
        config="crs\n4326\n4326\n",
    )
    assert problems_of(folder) == (
        f"{folder / 'config.csv'}: must hold exactly one row (holds 2)",
        f"{folder / 'link.csv'}:2: 5 values for 4 columns",
    )


def test_no_nodes(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "none", node="node_id,x_coord,y_coord\n",
                          link="link_id,from_node_id,to_node_id,directed\n")
    assert problems_of(folder) == (
        f"{folder / 'node.csv'}: no nodes (a network needs at least one)",)


# --------------------------------------------------------------------------------------------
# Geometry text


@pytest.mark.parametrize(
    ("text", "points"),
    [
        ("LINESTRING(1 2,3 4)", [(1.0, 2.0), (3.0, 4.0)]),
        ("linestring zm (1 2 3 4, 5 6 7 8)", [(1.0, 2.0), (5.0, 6.0)]),
        ("SRID=4326;LINESTRING (1 2, 3 4)", [(1.0, 2.0), (3.0, 4.0)]),
        ("MULTILINESTRING ((1 2, 3 4), (3 4, 5 6))", [(1.0, 2.0), (3.0, 4.0), (5.0, 6.0)]),
        ('{"type": "LineString", "coordinates": [[1, 2], [3, 4, 9]]}', [(1.0, 2.0), (3.0, 4.0)]),
    ],
)
def test_line_geometries_read(text: str, points: list[tuple[float, float]]) -> None:
    assert parse_line_geometry(text) == points


@pytest.mark.parametrize(
    "text", ["LINESTRING EMPTY", "LINESTRING (1 2, 3)", "LINESTRING ((1 2, 3 4))",
             "POLYGON ((1 2, 3 4, 1 2))", "LINESTRING (1 nan, 2 3)", '{"type": "Point"}'])
def test_bad_line_geometries(text: str) -> None:
    with pytest.raises(ValueError):
        parse_line_geometry(text)

