"""``routes``: k=5 route queries per second and Router build time, against plain networkx.

corridorsim searches the expanded ``(node, carrier)`` graph (facility dwells, transfers, ferry
waits, carrier-label variants folded into one physical route). The reference is what a planner
would write without it: an ``nx.DiGraph`` of the open links, weight = hours (km / speed; a
ferry's mean sailing time), and the first five paths of ``nx.shortest_simple_paths`` (Yen) on
it, for the same origin-destination pairs, timed in the same loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import islice

import networkx as nx

from corridorsim.network.model import Network
from corridorsim.routing import Router

from .inputs import NetworkInput, shipped, synthetic, synthetic_doc
from .synthetic import far_pairs, far_pairs_from_coords
from .timing import (
    Result,
    Settings,
    interleaved,
    ms,
    paired_ratio,
    per_second,
)

GROUP = "routes"
K = 5
POLICY = "fastest"
#: Pairs asked for on the shipped network, where both ends exist; far pairs fill up the rest.
SHIPPED_PAIRS = (
    ("KZ-KOSTANAY", "AM-AYRUM"),
    ("KZ-DOSTYK", "TR-KARS"),
    ("KZ-ASTANA", "GE-POTI"),
)
PAIRS_PER_NETWORK = 4


def physical_graph(network: Network) -> nx.DiGraph:
    """The open links as a DiGraph of node ids, weight ``hours``; the quicker of parallel links."""
    graph = nx.DiGraph()
    for link in network.links_by_status("open"):
        hours = link.run_h()
        ends = [(link.from_, link.to)]
        if link.bidirectional:
            ends.append((link.to, link.from_))
        for a, b in ends:
            if not graph.has_edge(a, b) or graph.edges[a, b]["hours"] > hours:
                graph.add_edge(a, b, hours=hours)
    return graph


def run(settings: Settings) -> list[Result]:
    results: list[Result] = []
    for source, candidates in (
        (shipped(), _shipped_candidates),
        (synthetic(), lambda _net: far_pairs(synthetic_doc(), PAIRS_PER_NETWORK)),
    ):
        if source.note:
            settings.note(source.note)
        results.extend(_measure(source, candidates(source.network), settings))
    return results


def _shipped_candidates(network: Network) -> list[tuple[str, str]]:
    pairs = [(o, d) for o, d in SHIPPED_PAIRS if o in network.nodes and d in network.nodes]
    connected = {n for link in network.links_by_status("open") for n in (link.from_, link.to)}
    coords = {i: n.coords for i, n in network.nodes.items() if i in connected}
    for pair in far_pairs_from_coords(coords, PAIRS_PER_NETWORK * 3):
        if len(pairs) >= PAIRS_PER_NETWORK:
            break
        if pair not in pairs:
            pairs.append(pair)
    return pairs


def _measure(
    source: NetworkInput, candidates: Sequence[tuple[str, str]], settings: Settings
) -> list[Result]:
    net = source.network
    reps = settings.repetitions
    build = interleaved({"nx": lambda: physical_graph(net), "router": lambda: Router(net)}, reps)
    router = Router(net)
    graph = physical_graph(net)
    pairs = _usable_pairs(router, graph, candidates, source.label, settings)
    benchmark = f"routes {source.label}"
    results = [
        Result(
            GROUP,
            benchmark,
            "build nx.DiGraph of open links (reference)",
            ms(build["nx"]),
            "ms",
            is_reference=True,
        ),
        Result(
            GROUP,
            benchmark,
            "build Router (expanded graph)",
            ms(build["router"]),
            "ms",
            ratio=paired_ratio(build["router"], build["nx"]),
        ),
    ]
    if not pairs:
        settings.note(f"{GROUP}: {source.label}: no pair with a route; queries not measured")
        return results

    def ours() -> None:
        for origin, destination in pairs:
            router.routes(origin, destination, by=POLICY, k=K)

    def reference() -> None:
        for origin, destination in pairs:
            list(islice(nx.shortest_simple_paths(graph, origin, destination, weight="hours"), K))

    # No warm-up round: one query is long next to anything a first call would set up, and
    # _usable_pairs has just run every query once.
    seconds = interleaved({"nx": reference, "ours": ours}, reps, warmup=0)
    extra = {"pairs": [list(p) for p in pairs], "k": K, "policy": POLICY}
    label = f"{len(pairs)} pairs"
    return [
        *results,
        Result(
            GROUP,
            benchmark,
            f"nx.shortest_simple_paths, first {K}, {label} (reference)",
            per_second(len(pairs), seconds["nx"]),
            "queries/s",
            is_reference=True,
            extra=extra,
        ),
        Result(
            GROUP,
            benchmark,
            f"Router.routes(by={POLICY!r}, k={K}), {label}",
            per_second(len(pairs), seconds["ours"]),
            "queries/s",
            ratio=paired_ratio(seconds["ours"], seconds["nx"]),
            extra=extra,
        ),
    ]


def _usable_pairs(
    router: Router,
    graph: nx.DiGraph,
    candidates: Sequence[tuple[str, str]],
    label: str,
    settings: Settings,
) -> list[tuple[str, str]]:
    """The pairs both searches connect; what differs is noted for the reader."""
    usable = []
    for origin, destination in candidates:
        found = router.routes(origin, destination, by=POLICY, k=K)
        try:
            paths = list(
                islice(nx.shortest_simple_paths(graph, origin, destination, weight="hours"), K)
            )
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            paths = []
        if not found:
            why = "physically connected" if paths else "not connected on open links either"
            settings.note(
                f"{GROUP}: {label}: no route {origin} -> {destination} ({why}); pair left out"
            )
            continue
        if len(found) < min(K, len(paths)):
            settings.note(
                f"{GROUP}: {label}: {origin} -> {destination}: {len(found)} routes, "
                f"fewer than the reference's {len(paths)} paths"
            )
        usable.append((origin, destination))
    return usable
