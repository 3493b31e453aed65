"""What a network holds: counts, kilometres, components and facilities (``network info``)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from corridorsim.network.model import Network


def network_summary(network: Network) -> dict[str, Any]:
    """A JSON-ready description of ``network``; keys are stable (see the README)."""
    import networkx as nx

    km_by_mode: dict[str, float] = defaultdict(float)
    km_by_status: dict[str, float] = defaultdict(float)
    for link in network.links.values():
        km_by_mode[link.mode] += link.km
        km_by_status[link.status] += link.km

    def components(statuses: tuple[str, ...]) -> list[list[str]]:
        graph = nx.Graph()
        graph.add_nodes_from(network.nodes)
        graph.add_edges_from(link.endpoints() for link in network.links_by_status(*statuses))
        parts = [sorted(c) for c in nx.connected_components(graph)]
        return sorted(parts, key=lambda c: (-len(c), c[0]))

    open_parts = components(("open",))
    all_parts = components(("open", "planned", "closed"))
    facilities: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for node in network.nodes.values():
        for facility in node.facility:
            facilities[facility.type].append(
                {
                    "node": node.id,
                    "servers": facility.servers,
                    "dwell_h_mean": round(facility.dwell_h.mean(), 3),
                    "fee_usd_per_wagon": facility.fee_usd_per_wagon,
                    "fee_usd_per_tonne": facility.fee_usd_per_tonne,
                    "modes": list(facility.modes) if facility.modes else None,
                }
            )
    from shapely.geometry import LineString, MultiPoint

    lines = {x.id: LineString(x.coords) for x in network.links.values()}
    bounds = MultiPoint([n.coords for n in network.nodes.values()]).bounds
    return {
        "name": network.name,
        "file": network.path,
        "nodes": len(network.nodes),
        "links": len(network.links),
        "nodes_by_country": dict(
            sorted(Counter(n.country for n in network.nodes.values()).items())
        ),
        "nodes_by_kind": dict(sorted(Counter(n.kind for n in network.nodes.values()).items())),
        "links_by_mode": dict(sorted(Counter(x.mode for x in network.links.values()).items())),
        "links_by_status": dict(sorted(Counter(x.status for x in network.links.values()).items())),
        "km_by_mode": {m: round(km, 1) for m, km in sorted(km_by_mode.items())},
        "km_by_status": {s: round(km, 1) for s, km in sorted(km_by_status.items())},
        "rail_links_by_gauge_mm": {
            str(g): n
            for g, n in sorted(
                Counter(
                    x.gauge_mm for x in network.links.values() if x.gauge_mm is not None
                ).items()
            )
        },
        "components_open": len(open_parts),
        "components_all": len(all_parts),
        "isolated_when_open_only": [c for c in open_parts[1:]],
        "planned": [
            {"id": x.id, "opens_year": x.opens_year, "km": round(x.km, 1)}
            for x in network.links_by_status("planned")
        ],
        "closed": [{"id": x.id, "km": round(x.km, 1)} for x in network.links_by_status("closed")],
        "facilities": dict(sorted(facilities.items())),
        "sources": list(network.sources),
        "bounds_lon_lat": [round(b, 4) for b in bounds],
        # A link drawn across itself is almost always a digitising slip in an editor.
        "self_crossing_links": sorted(i for i, line in lines.items() if not line.is_simple),
    }
