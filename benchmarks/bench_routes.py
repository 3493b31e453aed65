"""``routes``: Router build time and k=5 route queries per second, against plain networkx: a
DiGraph of the open links weighted by hours, and Yen's k shortest paths on it."""

from __future__ import annotations

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
    build = settings.timed({"nx": lambda: physical_graph(net), "ours": lambda: Router(net)})
    router, graph = Router(net), physical_graph(net)
    rows = Rows(GROUP, f"routes {source.label}")
    rows.add("build nx.DiGraph of open links (reference)", ms(build["nx"]), "ms", ref=True)
    ratio = paired_ratio(build["ours"], build["nx"])
    rows.add("build Router (expanded graph)", ms(build["ours"]), "ms", ratio=ratio)
    pairs = _usable_pairs(router, graph, pairs, f"{GROUP}: {source.label}", settings)
    if not pairs:
        settings.note(f"{GROUP}: {source.label}: no pair with a route; queries not measured")
        return rows.results
    # No warm-up round: one query is long next to anything a first call would set up, and
    # _usable_pairs has just run every query once.
    calls = {
        "nx": lambda: [_yen(graph, o, d) for o, d in pairs],
        "ours": lambda: [router.routes(o, d, by=POLICY, k=K) for o, d in pairs],
    }
    seconds = settings.timed(calls, warmup=0)
    what = f"nx.shortest_simple_paths, first {K}, {len(pairs)} pairs (reference)"
    rows.add(what, per_second(len(pairs), seconds["nx"]), "queries/s", ref=True)
    what = f"Router.routes(by={POLICY!r}, k={K}), {len(pairs)} pairs"
    ratio = paired_ratio(seconds["ours"], seconds["nx"])
    rows.add(what, per_second(len(pairs), seconds["ours"]), "queries/s", ratio=ratio)
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
