"""Borders process only consignments crossing a country boundary at their node (``applies``).

A three-country line A | B | C with border posts on each side of each boundary: entry, exit
and both borders meet the right consignments, domestic traffic through a border station is
not processed, a ``both`` border processes a consignment entering and leaving at its node once,
arriving by ferry counts as entering, direction-specific dwell gives different times each way,
and the compact search agrees with the reference search on random networks with ``applies``.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import corridorsim
from corridorsim.errors import InputError
from corridorsim.network.io import network_to_geojson, parse_network
from corridorsim.network.model import Network
from corridorsim.routing import Router
from corridorsim.routing.graph import ARRIVE, ARRIVE_ENTERED, DEPART_ENTERED
from corridorsim.routing.reference import reference_routes
from netgen import collection, link, node, routing_docs
from routegen import queries
from scenariogen import write_scenario
from test_routing_compact import assert_same_routes

RAIL = {"mode": "rail", "gauge_mm": 1520}


def borders(route: Any) -> list[tuple[str, int]]:
    """The border legs of a route, as (node, facility index), in route order."""
    return [(leg.id, leg.facility_index) for leg in route.legs if leg.type == "border"]


def line_doc(**applies: Any) -> dict[str, Any]:
    """A1 - A2 | B1 - B2 - B3 | C1 - C2 by rail, countries XA | XB | XC.

    Border stations A2, B1, B3 and C1 hold one border each, ``applies`` as given by node id
    (default both); B2 is a domestic station with a border facility (inland customs). B1
    has a link of its own to a domestic station B9.
    """
    def post(node_id: str, lon: float, country: str) -> dict[str, Any]:
        facility: dict[str, Any] = {"type": "border", "dwell_h": 10.0}
        if node_id in applies:
            facility["applies"] = applies[node_id]
        return node(node_id, lon, 40.0, country=country, kind="border", facility=facility)

    a1 = node("A1", 40.0, 40.0, country="XA")
    a2 = post("A2", 40.5, "XA")
    b1 = post("B1", 41.0, "XB")
    b2 = post("B2", 41.5, "XB")
    b3 = post("B3", 42.0, "XB")
    b9 = node("B9", 41.0, 41.0, country="XB")
    c1 = post("C1", 42.5, "XC")
    c2 = node("C2", 43.0, 40.0, country="XC")
    chain = [a1, a2, b1, b2, b3, c1, c2]
    links = [
        link(f"{x['properties']['id']}-{y['properties']['id']}", x, y, length_km=50, **RAIL)
        for x, y in itertools.pairwise(chain)
    ]
    links.append(link("B1-B9", b1, b9, length_km=50, **RAIL))
    return collection([*chain, b9, *links])


def fastest(network: Network, origin: str, destination: str, **kw: Any) -> Any:
    (route,) = Router(network).routes(origin, destination, **kw)
    return route


def test_both_borders_process_each_crossing_once_on_each_side() -> None:
    network = parse_network(line_doc())
    route = fastest(network, "A1", "C2")
    # A2 on the way out of XA, B1 on the way in, B3 out, C1 in; B2 is domestic: never.
    assert borders(route) == [("A2", 0), ("B1", 0), ("B3", 0), ("C1", 0)]
    # The exit border is walked before the run out of its node, the entry one after the run in.
    kinds = [(leg.kind, leg.id) for leg in route.legs]
    assert kinds.index(("facility", "A2")) < kinds.index(("link", "A2-B1"))
    assert kinds.index(("link", "A2-B1")) < kinds.index(("facility", "B1"))


def test_entry_and_exit_borders_meet_only_their_direction() -> None:
    network = parse_network(line_doc(A2="entry", B1="exit", B3="entry", C1="exit"))
    assert borders(fastest(network, "A1", "C2")) == []
    assert borders(fastest(network, "C2", "A1")) == [("C1", 0), ("B3", 0), ("B1", 0), ("A2", 0)]
    network = parse_network(line_doc(A2="exit", B1="entry", B3="exit", C1="entry"))
    assert borders(fastest(network, "A1", "C2")) == [("A2", 0), ("B1", 0), ("B3", 0), ("C1", 0)]
    assert borders(fastest(network, "C2", "A1")) == []


def test_domestic_traffic_through_a_border_station_is_not_processed() -> None:
    network = parse_network(line_doc())
    assert borders(fastest(network, "B9", "B3")) == []  # through B1 and B2, inside XB
    assert borders(fastest(network, "B2", "B9")) == []
    # Ending at a border station on a domestic run: no processing either.
    assert borders(fastest(network, "B9", "B1")) == []


def test_a_both_border_processes_a_consignment_entering_and_leaving_there_once() -> None:
    """B is one node between XA and XC: into XB and out of it at the same border post."""
    a = node("A", 40.0, 40.0, country="XA")
    b = node("B", 40.5, 40.0, country="XB", kind="border",
             facility={"type": "border", "dwell_h": 10.0})
    c = node("C", 41.0, 40.0, country="XC")
    network = parse_network(collection([
        a, b, c, link("A-B", a, b, length_km=50, **RAIL), link("B-C", b, c, length_km=50, **RAIL)
    ]))
    route = fastest(network, "A", "C")
    assert borders(route) == [("B", 0)]
    router = Router(network)
    assert "B" in router.expanded.entered_nodes
    # The processing is on entry: the route reaches B in the state of consignments entered.
    assert (("A", "rail-1520", "out"), ("B", "rail-1520", ARRIVE_ENTERED)) in router.expanded.arcs
    assert not any(leg.type == "border" for leg in router.expanded.arcs[
        (("B", "rail-1520", DEPART_ENTERED), ("C", "rail-1520", ARRIVE))])
    # From B or to B: once, on the way out or on the way in.
    assert borders(fastest(network, "B", "C")) == [("B", 0)]
    assert borders(fastest(network, "A", "B")) == [("B", 0)]
    # Already passed at the origin: not met on the way out either.
    assert borders(fastest(network, "B", "C", origin_facilities=False)) == []
    # An entry and an exit border at one node: both met, in that order.
    b["properties"]["facility"] = [
        {"type": "border", "dwell_h": 78.0, "applies": "entry"},
        {"type": "border", "dwell_h": 6.8, "applies": "exit"},
    ]
    network = parse_network(collection([
        a, b, c, link("A-B", a, b, length_km=50, **RAIL), link("B-C", b, c, length_km=50, **RAIL)
    ]))
    assert borders(fastest(network, "A", "C")) == [("B", 0), ("B", 1)]
    assert "B" not in Router(network).expanded.entered_nodes


def ferry_doc(applies: str | None = None) -> dict[str, Any]:
    """P - Q by ferry, both ports in XA; Q has a border (customs for ships from abroad)."""
    border: dict[str, Any] = {"type": "border", "dwell_h": 9.0}
    if applies is not None:
        border["applies"] = applies
    p = node("P", 40.0, 40.0, kind="port", facility={"type": "port", "dwell_h": 1.0})
    q = node("Q", 41.0, 40.0, kind="port",
             facility=[{"type": "port", "dwell_h": 1.0}, border])
    r = node("R", 42.0, 40.0)
    q2 = node("Q2", 41.0, 41.0)
    ferry = {"capacity_wagons": 20, "sailing_h": 10, "every_h": 24}
    x = node("X", 39.0, 40.0)
    return collection([
        p, q, r, q2, x,
        link("P-Q", p, q, mode="ferry", length_km=200, ferry=ferry),
        link("Q-R", q, r, length_km=50, **RAIL),
        link("Q-Q2", q, q2, length_km=50, **RAIL),
        link("P-X", p, x, length_km=50, **RAIL),
    ])


def test_arriving_by_ferry_counts_as_entering() -> None:
    network = parse_network(ferry_doc())
    assert [b[0] for b in borders(fastest(network, "X", "R"))] == ["Q"]
    # The rail run between Q's neighbours through Q is domestic.
    assert borders(fastest(network, "Q2", "R")) == []
    network = parse_network(ferry_doc("exit"))
    assert borders(fastest(network, "X", "R")) == []
    assert [b[0] for b in borders(fastest(network, "R", "X"))] == ["Q"]  # leaving by ferry


def test_direction_specific_dwell_gives_different_times_each_way() -> None:
    """CPMM 2022, Kazakhstan rail border crossing: inbound 78.0 h, outbound 6.8 h."""
    cn = node("CN", 40.0, 40.0, country="CN")
    kz = node("KZ", 40.5, 40.0, country="KZ", kind="border", facility=[
        {"type": "border", "dwell_h": 78.0, "applies": "entry"},
        {"type": "border", "dwell_h": 6.8, "applies": "exit"},
    ])
    inland = node("IN", 41.0, 40.0, country="KZ")
    network = parse_network(collection([
        cn, kz, inland,
        link("CN-KZ", cn, kz, length_km=10, **RAIL),
        link("KZ-IN", kz, inland, length_km=100, **RAIL),
    ]))
    inbound = fastest(network, "CN", "IN")
    outbound = fastest(network, "IN", "CN")
    runs = sum(leg.hours for leg in inbound.legs if leg.kind == "link")
    assert inbound.hours == pytest.approx(runs + 78.0)
    assert outbound.hours == pytest.approx(runs + 6.8)
    # Starting at the border post: inbound cargo has entered already; outbound meets exit.
    assert fastest(network, "KZ", "IN").hours == pytest.approx(fastest(network, "KZ", "IN").km / 50)
    assert fastest(network, "KZ", "CN").hours == pytest.approx(6.8 + 10 / 50)


def test_the_engine_walks_exit_borders_before_the_run_and_matches_the_static_time(
    tmp_path: Path,
) -> None:
    import corridorsim
    from corridorsim.api import load_scenario, simulate

    features = line_doc(A2="exit", B1="entry", B3="exit", C1="entry")["features"]
    path = write_scenario(tmp_path, features, horizon_days=30, shipments=[
        {"id": "one", "cargo": "box", "origin": "A1", "destination": "C2", "wagons": 2},
    ])
    scenario = load_scenario(path)
    static = corridorsim.routes(scenario.network, "A1", "C2", by="fastest", k=1)[0]
    result = simulate(scenario, replications=1, seed=3)
    (record,) = list(result.replications[0].consignment_records())
    assert record.transit_h == pytest.approx(static.hours, abs=1e-9)


def test_applies_is_refused_on_other_facilities_and_round_trips_on_borders() -> None:
    doc = line_doc(B1="entry")
    network = parse_network(doc)
    assert network.nodes["B1"].facility[0].applies == "entry"
    assert network.nodes["A2"].facility[0].applies == "both"
    again = parse_network(network_to_geojson(network))
    assert again.nodes["B1"].facility[0].applies == "entry"
    assert "applies" not in network_to_geojson(network)["features"][1]["properties"]["facility"]
    doc["features"][0]["properties"]["facility"] = {
        "type": "yard", "dwell_h": 1, "applies": "entry"
    }
    with pytest.raises(InputError, match="applies is only for border facilities"):
        parse_network(doc)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=routing_docs(ferries=True, borders=True), seed=st.integers(0, 2**16))
def test_random_networks_with_applies_give_the_reference_routes(
    doc: dict[str, Any], seed: int
) -> None:
    router = Router(parse_network(doc))
    if sum(1 for n in router.network.nodes if router.expanded.vertices_of(n, ARRIVE)) < 2:
        return
    for query in queries(router, 12, seed=seed):
        if query.max_overlap is None:
            assert_same_routes(router, query)


def test_reference_search_meets_the_same_borders() -> None:
    network = parse_network(line_doc(A2="exit", C1="entry"))
    router = Router(network)
    for origin, destination in [("A1", "C2"), ("C2", "A1"), ("B9", "C2"), ("B1", "A1")]:
        for passed in (True, False):
            (mine,) = router.routes(origin, destination, origin_facilities=passed)
            (theirs,) = reference_routes(router, origin, destination, origin_facilities=passed)
            assert mine.legs == theirs.legs


def test_a_consignment_re_planning_at_a_border_it_entered_by_meets_it_once(
    tmp_path: Path,
) -> None:
    """A (country QA) - B (QB: entry border 5 h, yard 1 h) - C - D, and B - E - D around.
    C is closed with re-planning from 1.5 h, while the consignment runs A-B: re-planned as it
    arrives at B, with B's entry border next, it still meets that border and B's yard exactly
    once each, then takes B-E-D."""
    rail = {"mode": "rail", "gauge_mm": 1520, "speed_kmh": 50}
    a = node("A", 40.0, 40.0, country="QA")
    b = node("B", 40.5, 40.0, country="QB", facility=[
        {"type": "border", "applies": "entry", "dwell_h": 5},
        {"type": "yard", "dwell_h": 1},
    ])
    c = node("C", 41.0, 40.0, country="QB")
    d = node("D", 41.5, 40.0, country="QB")
    e = node("E", 41.0, 40.5, country="QB")
    features = [
        a, b, c, d, e,
        link("A-B", a, b, length_km=100, **rail),
        link("B-C", b, c, length_km=50, **rail),
        link("C-D", c, d, length_km=50, **rail),
        link("B-E", b, e, length_km=100, **rail),
        link("E-D", e, d, length_km=100, **rail),
    ]
    path = write_scenario(
        tmp_path, features, horizon_days=5,
        shipments=[{"id": "one", "cargo": "box", "origin": "A", "destination": "D",
                    "wagons": 1, "depart_h": 0}],
        disruptions=[{"target": "C", "from_h": 1.5, "to_h": 100, "effect": "closed",
                      "reroute": True}],
    )
    result = corridorsim.simulate(path)
    (consignment,) = result.consignment_rows()
    assert consignment.reroutes == 1
    legs = [(leg.kind, leg.id) for leg in result.leg_rows()]
    assert legs.count(("facility", "B")) == 2  # the entry border and the yard, once each
    assert [i for k, i in legs if k == "link"] == ["A-B", "B-E", "E-D"]


def test_a_consignment_re_planned_onto_a_crossing_meets_the_exit_border(
    tmp_path: Path,
) -> None:
    """W - X (QA, exit border 5 h, a border station with no yard) - Y - D in QA, and X - Z
    (QB) - D around. Y is closed with re-planning from 0.5 h, while the consignment runs W-X
    on a domestic route: re-planned at X with the link next, it now leaves the country at X
    and meets X's exit border first (4 + 5 + 2 + 2 h)."""
    rail = {"mode": "rail", "gauge_mm": 1520, "speed_kmh": 50}
    w = node("W", 40.0, 40.0, country="QA")
    x = node("X", 40.5, 40.0, country="QA", kind="border",
             facility={"type": "border", "applies": "exit", "dwell_h": 5})
    y = node("Y", 41.0, 40.0, country="QA")
    d = node("D", 41.5, 40.0, country="QA")
    z = node("Z", 41.0, 40.5, country="QB")
    features = [
        w, x, y, d, z,
        link("W-X", w, x, length_km=200, **rail),
        link("X-Y", x, y, length_km=50, **rail),
        link("Y-D", y, d, length_km=50, **rail),
        link("X-Z", x, z, length_km=100, **rail),
        link("Z-D", z, d, length_km=100, **rail),
    ]
    path = write_scenario(
        tmp_path, features, horizon_days=5,
        shipments=[{"id": "one", "cargo": "box", "origin": "W", "destination": "D",
                    "wagons": 1, "depart_h": 0}],
        disruptions=[{"target": "Y", "from_h": 0.5, "to_h": 100, "effect": "closed",
                      "reroute": True}],
    )
    result = corridorsim.simulate(path)
    (consignment,) = result.consignment_rows()
    assert consignment.reroutes == 1
    legs = [(leg.kind, leg.id) for leg in result.leg_rows()]
    assert legs == [("link", "W-X"), ("facility", "X"), ("link", "X-Z"), ("link", "Z-D")]
    assert consignment.transit_h == pytest.approx(4 + 5 + 2 + 2)
