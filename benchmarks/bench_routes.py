"""``routes``: Router build time and k=5 route queries per second, against two references in
the same loop: plain networkx (a DiGraph of the open links weighted by hours, and Yen's k
shortest paths on it) and corridorsim's reference search (networkx's Yen on the expanded
graph, keeping one of each physical route: the search the router used before its compact
graph). On the 2,000-node network the reference search takes seconds a query, so it runs on
the first two pairs, in fewer repetitions."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from itertools import islice

import networkx as nx

from . import inputs, subjects
from .report import Result, Rows
from .subjects import Router
from .timing import Settings, ms, paired_ratio, per_second

GROUP = "routes"
K = 5
POLICY = "fastest"
#: Targets: queries per second on the shipped network, and the speed-up over the reference
#: search on the synthetic one.
GOAL_SHIPPED_QPS = 1000
GOAL_SPEED_UP = 20
#: The reference search on a large network: this many pairs, this many repetitions at most.
SLOW_PAIRS, SLOW_REPETITIONS = 2, 3
#: Pairs asked for on the shipped network, where both ends exist; far pairs fill up the rest.
SHIPPED_PAIRS = (("KZ-KOSTANAY", "AM-AYRUM"), ("KZ-DOSTYK", "TR-KARS"), ("KZ-ASTANA", "GE-POTI"))
Pair = tuple[str, str]


def physical_graph(network: subjects.Network) -> nx.DiGraph:
    """The open links as a DiGraph of node ids, weight ``hours``; the quicker of parallel links."""
    graph = nx.DiGraph()
    for link in subjects.open_links(network):
        back = [(link.end, link.start)] if link.both_ways else []
        for a, b in [(link.start, link.end), *back]:
            if not graph.has_edge(a, b) or graph.edges[a, b]["hours"] > link.hours:
                graph.add_edge(a, b, hours=link.hours)
    return graph


def candidate_pairs(network: subjects.Network, count: int) -> list[Pair]:
    """The named pairs whose ends exist, then pairs far apart among nodes with open links."""
    coords = subjects.node_coords(network)
    pairs = [(o, d) for o, d in SHIPPED_PAIRS if o in coords and d in coords][:count]
    pairs += [p for p in inputs.far_pairs(coords, count) if p not in pairs]
    return pairs[:count]


def run(settings: Settings) -> list[Result]:
    results: list[Result] = []
    for source in (inputs.shipped_network(), inputs.synthetic(settings.pick(2000, smoke=100))):
        if source.note:
            settings.note(source.note)
        pairs = candidate_pairs(source.network, settings.pick(4, smoke=2))
        results += _measure(source, pairs, settings)
    return results


def _yen(graph: nx.DiGraph, origin: str, destination: str) -> list[list[str]]:
    return list(islice(nx.shortest_simple_paths(graph, origin, destination, weight="hours"), K))


def _measure(
    source: inputs.NetworkInput, pairs: Sequence[Pair], settings: Settings
) -> list[Result]:
    net = source.network
    build = settings.timed(
        {"nx": lambda: physical_graph(net), "ours": lambda: Router(net).compact(POLICY)}
    )
    router, graph = Router(net), physical_graph(net)
    rows = Rows(GROUP, f"routes {source.label}")
    rows.add("build nx.DiGraph of open links (reference)", ms(build["nx"]), "ms", ref=True)
    ratio = paired_ratio(build["ours"], build["nx"])
    what = f"build Router: expanded graph and its compact form for {POLICY!r}"
    rows.add(what, ms(build["ours"]), "ms", ratio=ratio)
    pairs = _usable_pairs(router, graph, pairs, f"{GROUP}: {source.label}", settings)
    if not pairs:
        settings.note(f"{GROUP}: {source.label}: no pair with a route; queries not measured")
        return rows.results
    large = len(net.nodes) > 500
    slow_pairs = pairs[:SLOW_PAIRS] if large else pairs
    # No warm-up round: _usable_pairs has just run every query once.
    calls = {
        "nx": lambda: [_yen(graph, o, d) for o, d in pairs],
        "ours": lambda: [router.routes(o, d, by=POLICY, k=K) for o, d in pairs],
        "reference": lambda: [
            subjects.reference_routes(router, o, d, by=POLICY, k=K) for o, d in slow_pairs
        ],
        "ours on those": lambda: [
            router.routes(o, d, by=POLICY, k=K) for o, d in slow_pairs
        ],
    }
    at_most = {"reference": SLOW_REPETITIONS} if large else None
    seconds = settings.timed(calls, warmup=0, at_most=at_most)
    what = f"nx.shortest_simple_paths, first {K}, {len(pairs)} pairs (reference)"
    rows.add(what, per_second(len(pairs), seconds["nx"]), "queries/s", ref=True)
    what = f"Router.routes(by={POLICY!r}, k={K}), {len(pairs)} pairs"
    ratio = paired_ratio(seconds["ours"], seconds["nx"])
    goal: dict[str, object] = {}
    if not large:
        rate = statistics.median(per_second(len(pairs), seconds["ours"]))
        goal = {"goal": f">= {GOAL_SHIPPED_QPS:,} queries/s", "goal_met": rate >= GOAL_SHIPPED_QPS}
    rows.add(what, per_second(len(pairs), seconds["ours"]), "queries/s", ratio=ratio, **goal)
    slow = seconds["reference"]
    what = f"reference search (networkx Yen, expanded graph), {len(slow_pairs)} pairs (reference)"
    rows.add(what, [s / len(slow_pairs) * 1000 for s in slow], "ms/query", ref=True)
    mine = seconds["ours on those"][: len(slow)]
    ratio = paired_ratio(mine, slow)
    speed_up = 1 / ratio
    what = f"Router.routes on the same {len(slow_pairs)} pairs: {speed_up:,.0f}x faster"
    goal = {"goal": f">= {GOAL_SPEED_UP}x faster", "goal_met": speed_up >= GOAL_SPEED_UP}
    rows.add(what, [s / len(slow_pairs) * 1000 for s in mine], "ms/query", ratio=ratio, **goal)
    return rows.results


def _usable_pairs(
    router: Router, graph: nx.DiGraph, pairs: Sequence[Pair], label: str, settings: Settings
) -> list[Pair]:
    """The pairs both searches connect; what differs is noted for the reader."""
    usable = []
    for origin, destination in pairs:
        found = len(router.routes(origin, destination, by=POLICY, k=K))
        try:
            paths = len(_yen(graph, origin, destination))
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            paths = 0
        where = f"{label}: {origin} -> {destination}"
        if not found:
            why = "physically connected" if paths else "not connected on open links either"
            settings.note(f"{where}: no route ({why}); pair left out")
            continue
        if found < min(K, paths):
            settings.note(f"{where}: {found} routes, fewer than the reference's {paths}")
        usable.append((origin, destination))
    return usable
