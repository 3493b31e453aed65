"""One router, many threads: a route query only reads the router.

A :class:`~corridorsim.routing.Router` builds its expanded graph once; every query searches a
graph of its own over it and leaves the router's as it found it. So queries from several
threads at once give exactly the answers they give one after another, on the shipped network
and on a synthetic grid with every kind of carrier change.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridorsim.errors import ParameterError
from corridorsim.network.io import load_network, parse_network
from corridorsim.network.model import Network
from corridorsim.routing import POLICIES, Route, Router
from corridorsim.routing.graph import ARRIVE
from netgen import collection, link, node, routing_docs

SHIPPED = Path(__file__).resolve().parent.parent / "networks" / "caucasus-caspian.geojson"
THREADS = 8


@dataclass(frozen=True)
class Query:
    """The arguments of one ``Router.routes`` call."""

    origin: str
    destination: str
    by: str
    k: int
    max_overlap: float | None
    start_carrier: str | None
    origin_facilities: bool

    def ask(self, router: Router) -> list[Route]:
        return router.routes(
            self.origin,
            self.destination,
            by=self.by,
            k=self.k,
            max_overlap=self.max_overlap,
            start_carrier=self.start_carrier,
            origin_facilities=self.origin_facilities,
        )


def queries(router: Router, count: int, seed: int) -> list[Query]:
    """``count`` queries between nodes that have states in the graph, every option mixed."""
    rng = random.Random(seed)
    expanded = router.expanded
    ids = sorted(n for n in router.network.nodes if expanded.vertices_of(n, ARRIVE))
    out = []
    for _ in range(count):
        origin, destination = rng.sample(ids, 2)
        carriers = sorted(expanded.carriers_at[origin])
        k = rng.choice([1, 2, 3, 5])
        # A tight overlap limit with a larger k sifts hundreds of candidates: kept for small k.
        overlaps = [None, None, 0.6, 1.0, *([0.3] if k <= 2 else [])]
        out.append(Query(
            origin,
            destination,
            by=rng.choice(POLICIES),
            k=k,
            max_overlap=rng.choice(overlaps),
            start_carrier=rng.choice([None, None, *carriers]),
            origin_facilities=rng.random() < 0.7,
        ))
    return out


def graph_shape(router: Router) -> tuple[int, int, list[Any]]:
    graph = router.expanded.graph
    return graph.number_of_nodes(), graph.number_of_edges(), list(graph.edges)


def assert_threads_agree(router: Router, asked: list[Query]) -> None:
    """Concurrent answers equal sequential ones, and the router's graph is unchanged."""
    before = graph_shape(router)
    one_by_one = [q.ask(router) for q in asked]
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        together = list(pool.map(lambda q: q.ask(router), asked))
    assert graph_shape(router) == before
    for query, alone, shared in zip(asked, one_by_one, together, strict=True):
        assert shared == alone, query
    assert sum(1 for found in one_by_one if found) > len(asked) // 2, "too few routes to test"


# --------------------------------------------------------------------------------------------
# Networks


@pytest.fixture(scope="module")
def shipped() -> Network:
    return load_network(SHIPPED)


def grid_doc(rows: int = 6, cols: int = 7, seed: int = 3) -> dict[str, Any]:
    """A grid: 1520 rail in the west, 1435 in the east, roads, two ferries, parallel links.

    Each node may hold a gauge change, a rail-road terminal, a port, a border or a yard;
    some links are one-way and some planned, so every kind of arc of the graph appears.
    """
    rng = random.Random(seed)
    nodes: dict[tuple[int, int], dict[str, Any]] = {}
    for r in range(rows):
        for c in range(cols):
            facilities = [
                {"type": kind, "dwell_h": rng.randint(1, 20),
                 "fee_usd_per_wagon": rng.randint(0, 200)}
                for kind in ("gauge_change", "terminal", "port", "border", "yard")
                if rng.random() < 0.3
            ]
            if r in (0, rows - 1) and c in (0, cols - 1) and not any(
                f["type"] == "port" for f in facilities
            ):
                facilities.append({"type": "port", "dwell_h": 6})  # the ferries call here
            nodes[r, c] = node(f"G{r}-{c}", 40.0 + c, 40.0 + r, country=f"X{'ABC'[c * 3 // cols]}",
                               facility=facilities)
    features = list(nodes.values())
    number = 0

    def add(a: dict[str, Any], b: dict[str, Any], **props: Any) -> None:
        nonlocal number
        number += 1
        if rng.random() < 0.1:
            props["bidirectional"] = False
        if rng.random() < 0.05:
            props["status"] = "planned"
        features.append(link(f"L{number}", a, b, length_km=rng.randint(40, 400), **props))

    for (r, c), here in nodes.items():
        for there in (nodes.get((r, c + 1)), nodes.get((r + 1, c))):
            if there is None:
                continue
            gauge = 1520 if c < cols // 2 else 1435
            add(here, there, mode="rail", gauge_mm=gauge,
                tariff={"usd_per_wagon_km": rng.choice([0.5, 1.0, 1.5])})
            if rng.random() < 0.15:  # a second line between the same two nodes
                add(here, there, mode="rail", gauge_mm=gauge, speed_kmh=rng.randint(30, 90))
            if rng.random() < 0.4:
                add(here, there, mode="road", tariff={"usd_per_tonne_km": 0.05})
    ferry = {"capacity_wagons": 40, "sailing_h": 20, "every_h": 48, "cancel_prob": 0.1}
    add(nodes[0, 0], nodes[rows - 1, cols - 1], mode="ferry", ferry=ferry)
    add(nodes[0, cols - 1], nodes[rows - 1, 0], mode="ferry", ferry={**ferry, "every_h": 24})
    return collection(features)


@pytest.fixture(scope="module")
def grid() -> Network:
    return parse_network(grid_doc())


# --------------------------------------------------------------------------------------------
# Concurrent queries


def test_threads_agree_on_the_shipped_network(shipped: Network) -> None:
    router = Router(shipped)
    assert_threads_agree(router, queries(router, 200, seed=1))


def test_threads_agree_on_the_shipped_network_with_every_planned_link_open(
    shipped: Network,
) -> None:
    planned = [x.id for x in shipped.links.values() if x.status != "open"]
    assert planned
    router = Router(shipped, open_links=planned)
    assert_threads_agree(router, queries(router, 100, seed=2))


def test_threads_agree_on_a_synthetic_grid(grid: Network) -> None:
    router = Router(grid)
    assert len(grid.nodes) == 42
    assert_threads_agree(router, queries(router, 200, seed=3))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=routing_docs(ferries=True), seed=st.integers(0, 2**16))
def test_threads_agree_on_small_random_networks(doc: dict[str, Any], seed: int) -> None:
    network = parse_network(doc)
    router = Router(network)
    if sum(1 for n in network.nodes if router.expanded.vertices_of(n, ARRIVE)) < 2:
        return
    before = graph_shape(router)
    asked = queries(router, 40, seed=seed)
    one_by_one = [q.ask(router) for q in asked]
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        assert list(pool.map(lambda q: q.ask(router), asked)) == one_by_one
    assert graph_shape(router) == before


# --------------------------------------------------------------------------------------------
# A query leaves the router's graph as it was, however it ends


def test_a_query_leaves_the_graph_as_it_was(grid: Network) -> None:
    router = Router(grid)
    before = graph_shape(router)
    assert router.routes("G0-0", "G5-6", k=1)  # the search stops with candidates left
    assert graph_shape(router) == before
    assert router.routes("G0-0", "G5-6", start_carrier="no-such-carrier") == []
    assert graph_shape(router) == before
    for bad in ({"by": "quickest"}, {"k": 0}, {"max_overlap": 2.0}):
        with pytest.raises(ParameterError, match=rf"^{next(iter(bad))}: "):
            router.routes("G0-0", "G5-6", **bad)
        assert graph_shape(router) == before
