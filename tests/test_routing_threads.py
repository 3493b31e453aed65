"""One router, many threads: a route query only reads the router.

A :class:`~corridorsim.routing.Router` builds its expanded graph once; every query searches a
graph of its own over it and leaves the router's as it found it. So queries from several
threads at once give exactly the answers they give one after another, on the shipped network
and on a synthetic grid with every kind of carrier change.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridorsim.errors import ParameterError
from corridorsim.network.io import load_network, parse_network
from corridorsim.network.model import Network
from corridorsim.routing import POLICIES, Router
from corridorsim.routing.graph import ARRIVE
from netgen import routing_docs
from routegen import Query, grid_doc, queries

SHIPPED = Path(__file__).resolve().parent.parent / "networks" / "caucasus-caspian.geojson"
THREADS = 8


def graph_shape(router: Router) -> list[Any]:
    """The router's arcs and every compact graph built so far, as plain values."""
    shape: list[Any] = list(router.expanded.arcs.items())
    for policy in POLICIES:
        compact = router.compact(policy)
        shape += [policy, compact.size, compact.fingerprint()]
    return shape


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
