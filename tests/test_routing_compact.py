"""The compact search finds the routes the reference search finds, at the same costs.

:class:`~corridorsim.routing.Router` answers with SciPy's Yen on the reshaped graph of
:mod:`corridorsim.routing.compact`; :func:`~corridorsim.routing.reference.reference_routes`
is networkx's Yen on the expanded graph as built, keeping the first of each physical route.
On the shipped network, a grid with every kind of carrier change, and small random networks
with parallel ferries, the two agree route by route: the same scores in the same order, and
the same links wherever a score is not tied.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridorsim.network.io import load_network, parse_network
from corridorsim.network.model import Network
from corridorsim.routing import Route, Router
from corridorsim.routing.compact import CompactGraph
from corridorsim.routing.graph import ARRIVE
from corridorsim.routing.reference import reference_routes
from netgen import collection, link, node, routing_docs
from routegen import Query, grid_doc, queries

SHIPPED = Path(__file__).resolve().parent.parent / "networks" / "caucasus-caspian.geojson"


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def assert_same_routes(router: Router, query: Query) -> None:
    """The compact search's routes are the reference's: same scores, same links untied."""
    found = router.routes(
        query.origin,
        query.destination,
        by=query.by,
        k=query.k,
        start_carrier=query.start_carrier,
        origin_facilities=query.origin_facilities,
    )
    # One more than asked, to see which scores are tied with the next route.
    more = reference_routes(
        router,
        query.origin,
        query.destination,
        by=query.by,
        k=query.k + 1,
        start_carrier=query.start_carrier,
        origin_facilities=query.origin_facilities,
    )
    expected = more[: query.k]
    # The reference gives up after 40 candidates in a row with nothing new; the compact
    # search never meets those candidates, so it may find more, never fewer.
    assert len(found) >= len(expected), query
    if len(expected) < query.k:
        found = found[: len(expected)]
    assert len(found) == len(expected), query
    scores = [r.score for r in more]
    for mine, theirs in zip(found, expected, strict=True):
        assert close(mine.score, theirs.score), (query, mine.links, theirs.links)
        if sum(close(theirs.score, s) for s in scores) == 1:
            assert mine.links == theirs.links, query
    assert_physically_distinct(found)


def assert_physically_distinct(found: list[Route]) -> None:
    assert len({r.links for r in found}) == len(found)
    for route in found:
        assert len(set(route.nodes)) == len(route.nodes), route.nodes
    assert [r.score for r in found] == sorted(r.score for r in found)


@pytest.fixture(scope="module")
def shipped() -> Network:
    return load_network(SHIPPED)


def test_the_shipped_network_gives_the_reference_routes(shipped: Network) -> None:
    router = Router(shipped)
    for query in queries(router, 120, seed=11):
        if query.max_overlap is None:
            assert_same_routes(router, query)


def test_the_shipped_network_with_every_planned_link_open_gives_the_reference_routes(
    shipped: Network,
) -> None:
    planned = [x.id for x in shipped.links.values() if x.status != "open"]
    router = Router(shipped, open_links=planned)
    for query in queries(router, 60, seed=12):
        if query.max_overlap is None:
            assert_same_routes(router, query)


def test_a_grid_with_every_carrier_change_gives_the_reference_routes() -> None:
    router = Router(parse_network(grid_doc()))
    for query in queries(router, 80, seed=13):
        if query.max_overlap is None:
            assert_same_routes(router, query)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=routing_docs(ferries=True), seed=st.integers(0, 2**16))
def test_small_random_networks_give_the_reference_routes(doc: dict[str, Any], seed: int) -> None:
    router = Router(parse_network(doc))
    if sum(1 for n in router.network.nodes if router.expanded.vertices_of(n, ARRIVE)) < 2:
        return
    for query in queries(router, 12, seed=seed):
        if query.max_overlap is None:
            assert_same_routes(router, query)


# --------------------------------------------------------------------------------------------
# The reshaped graph


def ferry_doc() -> dict[str, Any]:
    """Rail to a port, a ferry that takes wagons and trucks, rail and road on the far side,
    terminals at both ports: four carrier labellings of each physical route."""
    a = node("A", 40.0, 40.0)
    p = node("P", 41.0, 40.0, facility=[{"type": "port", "dwell_h": 4},
                                        {"type": "terminal", "dwell_h": 3}])
    q = node("Q", 42.0, 40.0, facility=[{"type": "port", "dwell_h": 4},
                                        {"type": "terminal", "dwell_h": 3}])
    b = node("B", 43.0, 40.0)
    ferry = {"capacity_wagons": 20, "sailing_h": 10, "every_h": 24, "carries": ["rail", "road"]}
    return collection([
        a, p, q, b,
        link("A-P", a, p, mode="rail", gauge_mm=1520, length_km=100),
        link("A-P-ROAD", a, p, mode="road", length_km=110),
        link("P-Q", p, q, mode="ferry", length_km=200, ferry=ferry),
        link("Q-B", q, b, mode="rail", gauge_mm=1520, length_km=100),
        link("Q-B-ROAD", q, b, mode="road", length_km=90),
    ])


@pytest.mark.parametrize("policy", ["fastest", "cheapest", "generalized"])
def test_carrier_label_variants_are_one_path_in_the_compact_graph(policy: str) -> None:
    router = Router(parse_network(ferry_doc()))
    compact = router.compact(policy)
    assert not any("ferry" in str(v[1]) for v in compact._ids if len(v) == 3)
    # Four physical routes (two ways to the port, two from it), each found once: no path
    # is a relabelling of another (the others come back to a node, which the router skips).
    starts = router.start_states("A", None, True)
    paths = compact.paths(starts, "A", "B", 12)
    links = [tuple(leg.id for leg in legs if leg.kind == "link") for legs in paths]
    assert len(links) == len(set(links))
    simple = [x for x in links if len(set(x)) == len(x)]
    assert len(simple) == 4
    found = router.routes("A", "B", by=policy, k=8)
    assert {r.links for r in found} == set(simple)
    for query in queries(router, 30, seed=5):
        if query.max_overlap is None:
            assert_same_routes(router, query)


def test_a_plain_line_keeps_no_vertex_between_its_ends() -> None:
    """Stations on a line are passed in one arc; a route can still start or end at each."""
    nodes = [node(f"S{i}", 40.0 + i, 40.0) for i in range(8)]
    links = [link(f"S{i}-S{i + 1}", nodes[i], nodes[i + 1], mode="rail", gauge_mm=1520,
                  length_km=50 + i) for i in range(7)]
    router = Router(parse_network(collection(nodes + links)))
    compact: CompactGraph = router.compact("fastest")
    assert compact.size < 8
    for i in range(8):
        for j in range(8):
            if i != j:
                (route,) = router.routes(f"S{i}", f"S{j}")
                assert len(route.links) == abs(i - j)
                assert route.legs == reference_routes(router, f"S{i}", f"S{j}")[0].legs
