"""Reading and writing network files (GeoJSON), and what validation tells a planner.

``load_network(path)`` gives a frozen :class:`Network` or raises :class:`InputError` listing
*every* problem of the file, one line each: ``FILE: feature ID: what is wrong``.
"""

from __future__ import annotations

import copy
import json
import math
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridorsim.errors import InputError
from corridorsim.network.distributions import (
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    NormalTrunc,
    Triangular,
    Uniform,
)
from corridorsim.network.io import load_network, network_to_geojson, parse_network, write_network
from corridorsim.network.model import Network
from netgen import collection, feature, link, network_docs, node, props

# --------------------------------------------------------------------------------------------
# Reading tiny.geojson


def test_tiny_loads_with_six_nodes_and_seven_links(tiny: Network) -> None:
    assert list(tiny.nodes) == [
        "XA-ORIGIN", "XA-PORT", "XB-PORT", "XB-BORDER", "XC-BORDER", "XC-DEST"]
    assert list(tiny.links) == [
        "XA-ORIGIN--XA-PORT", "XA-PORT--XB-PORT", "XB-PORT--XB-BORDER", "XB-BORDER--XC-BORDER",
        "XC-BORDER--XC-DEST", "XB-PORT--XC-DEST-ROAD", "XB-PORT--XC-DEST-NEWLINE"]
    assert tiny.name == "Tiny example network"
    assert tiny.sources == ("estimate: invented figures that show every field",)
    assert tiny.path is not None and tiny.path.endswith("tiny.geojson")


def test_node_fields_are_read(tiny: Network) -> None:
    origin = tiny.node("XA-ORIGIN")
    assert (origin.name, origin.country, origin.kind) == ("Origin Yard", "XA", "station")
    assert origin.coords == (50.0, 45.0)
    assert origin.facility == ()

    # One facility written as an object...
    (port,) = tiny.node("XA-PORT").facility
    assert port.type == "port"
    assert port.servers == 2
    assert port.dwell_h == Lognormal(dist="lognormal", mean=24, sd=12)
    assert port.fee_usd_per_wagon == 120
    assert port.fee_usd_per_tonne == 0
    assert port.source == "estimate: example"
    assert port.modes is None and port.serves("rail") and port.serves("ferry")

    # ... or several as a list, in file order.
    east = tiny.node("XB-PORT")
    assert [f.type for f in east.facility] == ["port", "terminal"]
    assert east.facility[0].dwell_h == Triangular(dist="triangular", min=6, mode=10, max=24)
    assert east.facility[1].dwell_h == Fixed(value=4)
    assert east.facility[1].fee_usd_per_wagon == 60
    assert east.facilities_of("terminal") == (east.facility[1],)

    gate = tiny.node("XC-BORDER")
    assert gate.facility[0].dwell_h == Exponential(dist="exponential", mean=6)
    assert gate.facility[1].type == "gauge_change"
    assert gate.facility[1].dwell_h == Uniform(dist="uniform", min=4, max=8)
    assert gate.facility[1].fee_usd_per_wagon == 300
    # Every consignment passes the border; only transfers use the gauge change.
    assert gate.facility[0].is_passing and not gate.facility[1].is_passing
    assert tiny.node("XB-BORDER").facility[0].dwell_h == Gamma(dist="gamma", mean=18, sd=9)


def test_link_fields_are_read(tiny: Network) -> None:
    rail = tiny.link("XA-ORIGIN--XA-PORT")
    assert (rail.from_, rail.to, rail.mode, rail.gauge_mm) == (
        "XA-ORIGIN", "XA-PORT", "rail", 1520)
    assert rail.speed_kmh == 45 and rail.speed == 45
    assert rail.capacity_per_day == 24 and rail.headway_h() == 1.0
    assert rail.tariff.usd_per_wagon_km == 0.9
    assert rail.status == "open"
    assert rail.bidirectional is True
    assert rail.length_km is None  # not given: the geometry's length is used (below)
    assert rail.carrier == "rail-1520"
    assert rail.coords == ((50.0, 45.0), (51.0, 44.0))

    ferry = tiny.link("XA-PORT--XB-PORT")
    assert ferry.mode == "ferry" and ferry.km == 450
    assert ferry.speed is None
    assert ferry.tariff.usd_per_wagon == 1800
    block = ferry.ferry
    assert block is not None
    assert block.capacity_wagons == 52
    assert block.sailing_h == NormalTrunc(dist="normal_trunc", mean=21, sd=2, min=16)
    assert block.every_h == 48
    assert block.depart_when_full is True
    assert block.cancel_prob == 0.1
    assert block.carries == ("rail", "road")
    assert ferry.run_h() == pytest.approx(block.sailing_h.mean())

    road = tiny.link("XB-PORT--XC-DEST-ROAD")
    assert (road.mode, road.km, road.speed) == ("road", 760, 55)
    assert road.tariff.usd_per_tonne_km == 0.06
    assert road.gauge_mm is None
    assert road.co2_g_per_tonne_km == 80  # the documented default for road

    planned = tiny.link("XB-PORT--XC-DEST-NEWLINE")
    assert (planned.status, planned.opens_year, planned.speed_kmh) == ("planned", 2028, 70)
    assert [x.id for x in tiny.links_by_status("planned")] == ["XB-PORT--XC-DEST-NEWLINE"]


def test_the_optional_fields_tiny_does_not_use_are_read_too(tiny_doc: dict[str, Any]) -> None:
    tiny_doc["corridorsim"]["description"] = "for the test"
    props(tiny_doc, "XA-ORIGIN").update(aliases=["Start"], note="free text",
                                        source="estimate: where it is")
    props(tiny_doc, "XB-BORDER")["facility"].update(
        fee_usd_per_tonne=1.5, capacity_per_day=12, modes=["rail"], note="inspection")
    props(tiny_doc, "XA-ORIGIN--XA-PORT").update(
        name="Origin line", bidirectional=False, emissions_g_per_tonne_km=18, note="single track")
    props(tiny_doc, "XA-PORT--XB-PORT")["ferry"].update(
        carries=["rail"], cancel_prob=[0.2] * 3 + [0.0] * 6 + [0.1] * 3, source="estimate: x")
    net = parse_network(tiny_doc)
    assert net.description == "for the test"
    origin = net.node("XA-ORIGIN")
    assert origin.aliases == ("Start",) and origin.note == "free text"
    border = net.node("XB-BORDER").facility[0]
    assert (border.fee_usd_per_tonne, border.capacity_per_day, border.modes) == (
        1.5, 12, ("rail",))
    assert border.fee_usd(wagons=10, tonnes=680) == 10 * 40 + 680 * 1.5
    assert not border.serves("road")
    line = net.link("XA-ORIGIN--XA-PORT")
    assert (line.name, line.bidirectional, line.co2_g_per_tonne_km) == (
        "Origin line", False, 18)
    block = net.link("XA-PORT--XB-PORT").ferry
    assert block is not None
    assert block.carries == ("rail",)
    assert block.cancel_prob_in_month(1) == 0.2 and block.cancel_prob_in_month(12) == 0.1
    assert block.mean_cancel_prob == pytest.approx((0.6 + 0.3) / 12)


def test_mode_defaults_for_speed_and_emissions(tiny_doc: dict[str, Any]) -> None:
    del props(tiny_doc, "XA-ORIGIN--XA-PORT")["speed_kmh"]
    del props(tiny_doc, "XB-PORT--XC-DEST-ROAD")["speed_kmh"]
    net = parse_network(tiny_doc)
    assert net.link("XA-ORIGIN--XA-PORT").speed == 50  # rail
    assert net.link("XB-PORT--XC-DEST-ROAD").speed == 60  # road
    assert net.link("XA-ORIGIN--XA-PORT").co2_g_per_tonne_km == 25
    assert net.link("XA-PORT--XB-PORT").co2_g_per_tonne_km == 50


def test_length_defaults_to_the_haversine_length_of_the_geometry(tiny: Network) -> None:
    # XA-ORIGIN (50 E, 45 N) to XA-PORT (51 E, 44 N), worked out with the haversine formula.
    r = 6371.0088  # mean Earth radius, km
    lat1, lat2, dlon = math.radians(45), math.radians(44), math.radians(1)
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    by_hand = 2 * r * math.asin(math.sqrt(h))
    assert 136 < by_hand < 137
    assert tiny.link("XA-ORIGIN--XA-PORT").km == pytest.approx(by_hand, rel=1e-12)


def test_a_polyline_length_is_the_sum_of_its_segments() -> None:
    """One degree of latitude along a meridian is R·π/180 ≈ 111.195 km; two of them, twice."""
    a, b = node("XA-S", 10.0, 0.0), node("XA-N", 10.0, 2.0)
    line = link("S-N", a, b, mode="road")
    line["geometry"]["coordinates"].insert(1, [10.0, 1.0])
    net = parse_network(collection([a, b, line]))
    assert net.link("S-N").km == pytest.approx(2 * 6371.0088 * math.pi / 180, rel=1e-12)


def test_links_run_in_the_time_their_length_and_speed_give(tiny: Network) -> None:
    assert tiny.link("XB-PORT--XB-BORDER").run_h() == 420 / 50
    assert tiny.link("XB-PORT--XB-BORDER").headway_h() == 0.0  # no capacity given: no limit


# --------------------------------------------------------------------------------------------
# Writing


def test_write_then_read_gives_an_equal_network(tiny_path: Path, tmp_path: Path) -> None:
    # A fresh load: see test_reading_a_length_does_not_change_what_a_link_equals.
    tiny = load_network(tiny_path)
    path = tmp_path / "copy.geojson"
    write_network(tiny, path)
    again = load_network(path)
    assert again == tiny
    assert again.path == str(path)
    # and writing is stable: the second file is the first one
    write_network(again, tmp_path / "again.geojson")
    assert (tmp_path / "again.geojson").read_text() == path.read_text()


def test_reading_a_length_does_not_change_what_a_link_equals(tiny_path: Path) -> None:
    first, second = load_network(tiny_path), load_network(tiny_path)
    assert first == second
    assert first.link("XA-ORIGIN--XA-PORT").km > 0  # no length_km: measured from the geometry
    assert first.link("XA-ORIGIN--XA-PORT") == second.link("XA-ORIGIN--XA-PORT")
    assert first == second


def test_the_written_file_is_plain_geojson(tiny: Network, tmp_path: Path) -> None:
    path = tmp_path / "copy.geojson"
    write_network(tiny, path)
    doc = json.loads(path.read_text())
    assert doc["type"] == "FeatureCollection"
    assert doc["corridorsim"]["format"] == 1
    assert {f["geometry"]["type"] for f in doc["features"]} == {"Point", "LineString"}
    for item in doc["features"]:
        assert "coords" not in item["properties"]
    # a fixed duration is written as the number it was read from
    assert props(doc, "XB-PORT")["facility"][1]["dwell_h"] == 4
    assert props(doc, "XA-ORIGIN--XA-PORT")["from"] == "XA-ORIGIN"
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_the_hand_network_round_trips(hand_network: Network) -> None:
    assert parse_network(network_to_geojson(hand_network)) == hand_network


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(network_docs())
def test_random_valid_networks_load_and_round_trip(doc: dict[str, Any]) -> None:
    net = parse_network(doc)
    assert len(net.nodes) + len(net.links) == len(doc["features"])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.geojson"
        write_network(net, path)
        again = load_network(path)
    assert again == net
    assert network_to_geojson(again) == network_to_geojson(net)


# --------------------------------------------------------------------------------------------
# Errors: one line per problem, ``FILE: feature ID: ...``

Mutation = Callable[[dict[str, Any]], Any]


def _unknown_key(doc: dict[str, Any]) -> None:
    props(doc, "XA-ORIGIN--XA-PORT")["lenght_km"] = 140


def _duplicate(doc: dict[str, Any]) -> None:
    doc["features"].append(copy.deepcopy(feature(doc, "XA-PORT")))


def _missing_node(doc: dict[str, Any]) -> None:
    props(doc, "XA-ORIGIN--XA-PORT")["to"] = "XA-NOWHERE"


def _far_geometry(doc: dict[str, Any]) -> None:
    feature(doc, "XA-ORIGIN--XA-PORT")["geometry"]["coordinates"].reverse()


def _keyed_sources(doc: dict[str, Any]) -> None:
    doc["corridorsim"]["sources"] = ["RAYH: Railway yearbook 2024, p. 12"]
    props(doc, "XA-PORT")["source"] = "RAYH; CPMM22"


ERRORS = [
    pytest.param(_unknown_key, "XA-ORIGIN--XA-PORT",
                 "properties.lenght_km: unknown key (did you mean 'length_km'?)", id="unknown-key"),
    pytest.param(_duplicate, "XA-PORT", "duplicate id", id="duplicate-id"),
    pytest.param(_missing_node, "XA-ORIGIN--XA-PORT", "properties.to: no node 'XA-NOWHERE'",
                 id="missing-node"),
    pytest.param(lambda d: props(d, "XA-ORIGIN--XA-PORT").update(length_km=-5),
                 "XA-ORIGIN--XA-PORT", "properties.length_km: must be greater than 0",
                 id="negative-length"),
    pytest.param(lambda d: props(d, "XA-ORIGIN--XA-PORT").update(length_km=0),
                 "XA-ORIGIN--XA-PORT", "properties.length_km", id="zero-length"),
    pytest.param(lambda d: props(d, "XA-ORIGIN--XA-PORT").update(speed_kmh=0),
                 "XA-ORIGIN--XA-PORT", "properties.speed_kmh: must be greater than 0",
                 id="zero-speed"),
    pytest.param(lambda d: props(d, "XA-ORIGIN--XA-PORT").update(capacity_per_day=-1),
                 "XA-ORIGIN--XA-PORT", "properties.capacity_per_day", id="negative-capacity"),
    pytest.param(lambda d: props(d, "XA-PORT--XB-PORT")["ferry"].update(capacity_wagons=0),
                 "XA-PORT--XB-PORT", "properties.ferry.capacity_wagons", id="ferry-capacity"),
    pytest.param(lambda d: props(d, "XA-PORT--XB-PORT")["ferry"].update(every_h=-48),
                 "XA-PORT--XB-PORT", "properties.ferry.every_h", id="ferry-every"),
    pytest.param(lambda d: props(d, "XA-PORT")["facility"].update(servers=0),
                 "XA-PORT", "properties.facility.servers", id="facility-servers"),
    pytest.param(lambda d: props(d, "XA-ORIGIN--XA-PORT").pop("gauge_mm"),
                 "XA-ORIGIN--XA-PORT", "a rail link needs gauge_mm", id="rail-without-gauge"),
    pytest.param(lambda d: props(d, "XA-PORT--XB-PORT").pop("ferry"),
                 "XA-PORT--XB-PORT", "a ferry link needs a ferry block", id="ferry-without-block"),
    pytest.param(lambda d: props(d, "XA-PORT")["facility"].update(
                     dwell_h={"dist": "lognormal", "mean": 24, "sd": -12}),
                 "XA-PORT", "properties.facility.dwell_h.sd", id="impossible-distribution"),
    pytest.param(lambda d: props(d, "XB-PORT")["facility"][0].update(
                     dwell_h={"dist": "triangular", "min": 6, "mode": 2, "max": 24}),
                 "XB-PORT", "properties.facility[0].dwell_h: needs min <= mode <= max",
                 id="triangular-min>mode"),
    pytest.param(lambda d: props(d, "XA-PORT--XB-PORT")["ferry"].update(
                     sailing_h={"dist": "normal_trunc", "mean": -500, "sd": 10}),
                 "XA-PORT--XB-PORT", "properties.ferry.sailing_h: almost no probability",
                 id="normal_trunc-no-mass"),
    pytest.param(lambda d: props(d, "XA-PORT")["facility"].update(
                     dwell_h={"dist": "lognormel", "mean": 24, "sd": 12}),
                 "XA-PORT", "unknown 'dist' 'lognormel'", id="unknown-distribution"),
    pytest.param(lambda d: props(d, "XA-PORT").update(country="xa"),
                 "XA-PORT", "properties.country: must be an ISO 3166-1 alpha-2", id="country"),
    pytest.param(lambda d: props(d, "XA-PORT").update(kind="harbour"),
                 "XA-PORT", "properties.kind: must be", id="kind"),
    pytest.param(lambda d: props(d, "XC-DEST").pop("name"),
                 "XC-DEST", "properties.name: missing (required)", id="missing-name"),
    pytest.param(lambda d: props(d, "XA-ORIGIN--XA-PORT").update(to="XA-ORIGIN"),
                 "XA-ORIGIN--XA-PORT", "a link must join two different nodes", id="self-loop"),
    pytest.param(_far_geometry, "XA-ORIGIN--XA-PORT",
                 "geometry starts 136.6 km from node 'XA-ORIGIN'", id="geometry-far-from-nodes"),
    pytest.param(_keyed_sources, "XA-PORT",
                 "source 'CPMM22' is not listed in corridorsim.sources", id="unknown-source-key"),
]


@pytest.mark.parametrize(("mutate", "feature_id", "message"), ERRORS)
def test_each_kind_of_problem_is_one_line_naming_file_feature_and_place(
    mutate: Mutation, feature_id: str, message: str, tiny_doc: dict[str, Any],
    write_doc: Callable[..., Path],
) -> None:
    mutate(tiny_doc)
    path = write_doc(tiny_doc)
    with pytest.raises(InputError) as caught:
        load_network(path)
    problems = caught.value.problems
    assert problems, "an InputError always carries at least one problem"
    for line in problems:
        assert "\n" not in line
        assert line.startswith(f"{path}: feature "), line
    assert any(line.startswith(f"{path}: feature {feature_id}: ") and message in line
               for line in problems), problems
    assert str(caught.value) == "\n".join(problems)


def test_estimates_and_listed_keys_are_accepted_sources(tiny_doc: dict[str, Any]) -> None:
    tiny_doc["corridorsim"]["sources"] = ["RAYH: Railway yearbook 2024", "CPMM22: CAREC 2022"]
    props(tiny_doc, "XA-PORT")["source"] = "RAYH; CPMM22"
    props(tiny_doc, "XA-ORIGIN--XA-PORT")["source"] = {
        "length_km": "RAYH", "speed_kmh": "estimate: timetable"}
    props(tiny_doc, "XB-BORDER")["facility"]["source"] = "CPMM22"
    net = parse_network(tiny_doc)
    assert net.source_keys() == {"RAYH": "Railway yearbook 2024", "CPMM22": "CAREC 2022"}


def test_a_facility_citing_an_unlisted_source_names_the_facility(
    tiny_doc: dict[str, Any]
) -> None:
    tiny_doc["corridorsim"]["sources"] = ["RAYH: Railway yearbook 2024"]
    props(tiny_doc, "XB-PORT")["facility"][1]["source"] = "RAYH; NOPE"
    with pytest.raises(InputError) as caught:
        parse_network(tiny_doc, filename="tiny.geojson")
    assert caught.value.problems == (
        "tiny.geojson: feature XB-PORT: properties.facility[1]: "
        "source 'NOPE' is not listed in corridorsim.sources",
    )


@pytest.mark.parametrize("block", ["tariff", "ferry"])
def test_tariff_and_ferry_sources_must_be_listed_too(
    tiny_doc: dict[str, Any], block: str
) -> None:
    tiny_doc["corridorsim"]["sources"] = ["RAYH: Railway yearbook 2024"]
    props(tiny_doc, "XA-PORT--XB-PORT")[block]["source"] = "NOPE"
    with pytest.raises(InputError, match="source 'NOPE' is not listed"):
        parse_network(tiny_doc)


def test_all_problems_of_a_file_are_reported_together(
    tiny_doc: dict[str, Any], write_doc: Callable[..., Path]
) -> None:
    props(tiny_doc, "XA-PORT")["country"] = "xa"
    props(tiny_doc, "XC-DEST").pop("kind")
    props(tiny_doc, "XA-ORIGIN--XA-PORT").update(length_km=-1, speed_kmh=0)
    props(tiny_doc, "XB-PORT--XB-BORDER").pop("gauge_mm")
    props(tiny_doc, "XB-BORDER--XC-BORDER")["to"] = "XC-NOWHERE"
    tiny_doc["features"].append(copy.deepcopy(feature(tiny_doc, "XB-BORDER")))
    path = write_doc(tiny_doc)
    with pytest.raises(InputError) as caught:
        load_network(path)
    problems = caught.value.problems
    assert len(problems) == 7, problems
    expected = [
        ("XA-PORT", "properties.country"),
        ("XC-DEST", "properties.kind"),
        ("XA-ORIGIN--XA-PORT", "properties.length_km"),
        ("XA-ORIGIN--XA-PORT", "properties.speed_kmh"),
        ("XB-PORT--XB-BORDER", "gauge_mm"),
        ("XB-BORDER--XC-BORDER", "properties.to: no node 'XC-NOWHERE'"),
        ("XB-BORDER", "duplicate id"),
    ]
    for feature_id, what in expected:
        assert sum(line.startswith(f"{path}: feature {feature_id}: ") and what in line
                   for line in problems) == 1, (feature_id, what, problems)


def test_a_node_that_fails_is_not_reported_again_at_every_link(tiny_doc: dict[str, Any]) -> None:
    props(tiny_doc, "XB-PORT")["kind"] = "harbour"  # XB-PORT is used by four links
    with pytest.raises(InputError) as caught:
        parse_network(tiny_doc, filename="tiny.geojson")
    assert len(caught.value.problems) == 1


def test_bad_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection",\n "features": [\n  {"type": "Feature",,}\n]}\n')
    with pytest.raises(InputError) as caught:
        load_network(path)
    (line,) = caught.value.problems
    assert line.startswith(f"{path}: line 3 column ")
    assert "not valid JSON" in line


@pytest.mark.parametrize("doc", [
    pytest.param({"type": "Feature", "geometry": None, "properties": {}}, id="a-feature"),
    pytest.param([], id="a-list"),
    pytest.param({"features": []}, id="no-type"),
])
def test_not_a_feature_collection(doc: Any, write_doc: Callable[..., Path]) -> None:
    path = write_doc(doc)
    with pytest.raises(InputError) as caught:
        load_network(path)
    assert caught.value.problems == (f"{path}: not a GeoJSON FeatureCollection",)


@pytest.mark.parametrize(("mutate", "message"), [
    pytest.param(lambda d: d["corridorsim"].update(nmae="x"), "corridorsim.nmae: unknown key",
                 id="unknown-collection-key"),
    pytest.param(lambda d: d["corridorsim"].update(format=2), "corridorsim.format: only format 1",
                 id="format"),
    pytest.param(lambda d: d["corridorsim"].update(sources="RAYH"), "corridorsim.sources: must be",
                 id="sources"),
    pytest.param(lambda d: d.update(features={}), "features: must be a list", id="features"),
    pytest.param(lambda d: d["features"].append(5), "features[13]: must be a GeoJSON Feature",
                 id="not-a-feature"),
])
def test_collection_level_problems(
    mutate: Mutation, message: str, tiny_doc: dict[str, Any]
) -> None:
    mutate(tiny_doc)
    with pytest.raises(InputError) as caught:
        parse_network(tiny_doc, filename="tiny.geojson")
    assert any(line.startswith(f"tiny.geojson: {message}") for line in caught.value.problems)


def test_an_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read") as caught:
        load_network(tmp_path / "missing.geojson")
    (line,) = caught.value.problems
    assert line.startswith(f"{tmp_path / 'missing.geojson'}: cannot read: ")


def test_a_file_that_is_not_utf8_is_an_input_error(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.geojson"
    latin1.write_bytes('{"name": "Bak\u00fc"}'.encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_network(latin1)


def test_a_broken_feature_does_not_take_the_id_of_a_valid_node(tiny_doc: dict[str, Any]) -> None:
    props(tiny_doc, "XA-PORT")["id"] = "0"
    props(tiny_doc, "XA-ORIGIN--XA-PORT")["to"] = "0"
    props(tiny_doc, "XA-PORT--XB-PORT")["from"] = "0"
    tiny_doc["features"].insert(0, None)  # features[0] is not an object
    with pytest.raises(InputError) as caught:
        parse_network(tiny_doc, filename="tiny.geojson")
    assert caught.value.problems == ("tiny.geojson: features[0]: must be a GeoJSON Feature object",)


@pytest.mark.parametrize("written", ["1e400", "Infinity"])
def test_a_non_finite_link_coordinate_is_an_input_error(
    tiny_doc: dict[str, Any], tmp_path: Path, written: str
) -> None:
    feature(tiny_doc, "XA-ORIGIN--XA-PORT")["geometry"]["coordinates"][1][0] = 12345.678
    path = tmp_path / "network.geojson"
    path.write_text(json.dumps(tiny_doc).replace("12345.678", written))
    assert json.loads(path.read_text())["features"][6]["geometry"]["coordinates"][1][0] == math.inf
    with pytest.raises(
        InputError,
        match=r"feature XA-ORIGIN--XA-PORT: geometry\.coordinates\[1\]\[0\]: "
        r"must be a finite number \(got inf\)$",
    ):
        load_network(path)


def test_link_vertices_must_be_lon_lat(tiny_doc: dict[str, Any]) -> None:
    feature(tiny_doc, "XA-ORIGIN--XA-PORT")["geometry"]["coordinates"].insert(1, [500.0, 95.0])
    with pytest.raises(InputError, match=r"geometry\.coordinates"):
        parse_network(tiny_doc)


@pytest.mark.parametrize("where", ["speed", "dwell"])
def test_infinite_figures_are_rejected(tiny_doc: dict[str, Any], where: str) -> None:
    if where == "speed":
        props(tiny_doc, "XA-ORIGIN--XA-PORT")["speed_kmh"] = math.inf
    else:
        props(tiny_doc, "XB-PORT")["facility"][1]["dwell_h"] = math.inf
    place = "XA-ORIGIN--XA-PORT: properties.speed_kmh" if where == "speed" else (
        "XB-PORT: properties.facility[1].dwell_h")
    with pytest.raises(InputError, match=rf"{re.escape(place)}: must be a finite number"):
        parse_network(tiny_doc)


@pytest.mark.parametrize("mutate", [
    pytest.param(lambda d: props(d, "XA-PORT").update(source=5), id="source"),
    pytest.param(lambda d: props(d, "XA-PORT--XB-PORT")["ferry"].update(cancel_prob=1),
                 id="cancel_prob"),
])
def test_a_wrong_value_of_a_union_field_is_one_line_at_its_place(
    tiny_doc: dict[str, Any], mutate: Mutation
) -> None:
    mutate(tiny_doc)
    with pytest.raises(InputError) as caught:
        parse_network(tiny_doc, filename="tiny.geojson")
    problems = caught.value.problems
    assert len(problems) == 1, problems
    line = problems[0]
    assert re.match(r"tiny\.geojson: feature [^:]+: properties\.[a-z_.]+: ", line), line
    assert "constrained-float" not in line and ".str:" not in line


# --------------------------------------------------------------------------------------------
# Random corruptions never escape as anything but an InputError

REQUIRED = {"Point": ["id", "name", "country", "kind"], "LineString": ["id", "from", "to", "mode"]}
BAD_VALUES = [-1, -0.5, 0, "abc", "", None, [], {}, True]


def _numeric_places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every number inside a feature's properties."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _numeric_places(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _numeric_places(v, (*path, i))]
    return []


def _objects(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every object (dict) inside a feature's properties, the properties included."""
    found = [path] if isinstance(value, dict) else []
    children = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ())
    for key, child in children:
        found.extend(_objects(child, (*path, key)))
    return found


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


@st.composite
def corruptions(draw: st.DrawFn, doc: dict[str, Any]) -> list[str]:
    """Apply 1-3 random corruptions to ``doc`` in place; return what was done."""
    done = []
    for _ in range(draw(st.integers(1, 3))):
        features = doc["features"]
        index = draw(st.integers(0, len(features) - 1))
        item = features[index]
        properties = item["properties"]
        geometry = (item.get("geometry") or {}).get("type")
        kind = draw(st.sampled_from(
            ["delete", "number", "unknown", "duplicate", "dangling", "geometry"]))
        if kind == "delete":
            key = draw(st.sampled_from(REQUIRED.get(geometry, ["id"])))
            properties.pop(key, None)
        elif kind == "number":
            places = _numeric_places(properties)
            if not places:
                continue
            place = draw(st.sampled_from(places))
            # A copy: a later corruption may add keys to it ({}), and BAD_VALUES must stay.
            bad = copy.deepcopy(draw(st.sampled_from(BAD_VALUES)))
            _get(properties, place[:-1])[place[-1]] = bad
        elif kind == "unknown":
            place = draw(st.sampled_from(_objects(properties)))
            _get(properties, place)[draw(st.sampled_from(["lenght_km", "sped", "x", "coords"]))] = 1
        elif kind == "duplicate":
            features.append(copy.deepcopy(item))
        elif kind == "dangling":
            if geometry != "LineString":
                continue
            properties[draw(st.sampled_from(["from", "to"]))] = "ZZ-MISSING"
        else:
            item["geometry"] = draw(st.sampled_from(
                [None, {"type": "Polygon"}, {"type": "Point", "coordinates": [0.0, 0.0]},
                 {"type": "LineString", "coordinates": [[0.0, 0.0]]}]))
        done.append(f"{kind} features[{index}]")
    return done


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_random_corruptions_load_or_raise_input_error_only(
    data: st.DataObject, _tiny_doc_pristine: dict[str, Any]
) -> None:
    doc = copy.deepcopy(_tiny_doc_pristine)
    data.draw(corruptions(doc))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "corrupt.geojson"
        path.write_text(json.dumps(doc))
        try:
            load_network(path)
        except InputError as exc:
            assert exc.problems
            assert all(line.startswith(f"{path}: ") for line in exc.problems), exc.problems
            assert all("\n" not in line for line in exc.problems)


# --------------------------------------------------------------------------------------------
# Through the command line


def test_network_validate_on_a_corrupted_file_exits_2_without_traceback(
    tiny_doc: dict[str, Any], write_doc: Callable[..., Path]
) -> None:
    props(tiny_doc, "XA-ORIGIN--XA-PORT")["speed_kmh"] = -45
    props(tiny_doc, "XA-PORT")["facility"]["dwell_h"] = {"dist": "gamma", "mean": 24}
    path = write_doc(tiny_doc, "corrupt.geojson")
    run = subprocess.run(
        [sys.executable, "-c", "from corridorsim.cli import main; main()",
         "network", "validate", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert run.returncode == 2
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == 2
    assert all(line.startswith(f"{path}: feature ") for line in lines)
    assert "Traceback" not in run.stderr
