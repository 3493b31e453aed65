"""The reference search: networkx's Yen on the expanded graph, slow and simple.

Candidates come from ``networkx.shortest_simple_paths`` on the expanded graph as it is built
(:attr:`ExpandedGraph.graph`), in order of the policy's weight. Two candidates that run the
same links and differ only in carrier labels are one physical route, so only the first is kept;
candidates that pass a node twice are dropped; after :data:`CANDIDATES_PER_ROUTE` candidates in
a row with nothing new, the search gives up.

:class:`~corridorsim.routing.search.Router` answers with the compact search
(:mod:`corridorsim.routing.compact`); this one is the yardstick the tests check it against and
the benchmarks measure it against.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice, pairwise
from typing import TYPE_CHECKING

import networkx as nx

from corridorsim.routing.graph import DEPART, SINK, SOURCE
from corridorsim.routing.route import Route

if TYPE_CHECKING:
    from corridorsim.routing.search import Router

#: Candidates to look at without finding a new physical route before giving up.
CANDIDATES_PER_ROUTE = 40


def reference_routes(
    router: Router,
    origin: str,
    destination: str,
    *,
    by: str = "fastest",
    k: int = 1,
    start_carrier: str | None = None,
    origin_facilities: bool = True,
) -> list[Route]:
    """Up to ``k`` physically distinct routes, best first, as :meth:`Router.routes` finds them
    (without its checks of the arguments, and without ``max_overlap``)."""
    expanded = router.expanded
    graph = expanded.with_ends(
        router.start_states(origin, start_carrier, origin_facilities),
        expanded.end_vertices(destination, DEPART),
        passed=None if origin_facilities else origin,
    )
    return list(islice(_distinct(router, graph, origin, destination, by), k))


def _distinct(
    router: Router, graph: nx.DiGraph, origin: str, destination: str, by: str
) -> Iterator[Route]:
    if SOURCE not in graph or SINK not in graph:
        return
    seen: set[tuple[str, ...]] = set()
    budget = CANDIDATES_PER_ROUTE
    try:
        for path in nx.shortest_simple_paths(graph, SOURCE, SINK, weight=f"w_{by}"):
            budget -= 1
            legs = tuple(leg for u, v in pairwise(path) for leg in graph.edges[u, v]["legs"])
            route = router.route_of(origin, destination, by, legs)
            if route.links in seen or len(set(route.nodes)) != len(route.nodes):
                if budget <= 0:
                    return
                continue
            seen.add(route.links)
            budget = CANDIDATES_PER_ROUTE
            yield route
    except nx.NetworkXNoPath:
        return
