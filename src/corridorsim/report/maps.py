"""Maps of a network on lon/lat axes (matplotlib, Agg backend: no screen needed).

A corridor network is long and thin with dense knots (the Caucasus is a crowd of borders next
to thousands of km of steppe), so a wide network gets two panels: the whole network, and a
detail. The detail of a route map is the routes' own window (every node of every route is in
it); that of a network map is the network's densest part. Every panel has the base layer
(land, sea, coastlines and borders: :mod:`corridorsim.report.basemap`) under the network and a
scale bar. Labels are placed by :func:`place_labels`, where they overlap no other label, no
other node and no scale bar; a label that fits nowhere is left out.
"""

from __future__ import annotations

import itertools
import math
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from corridorsim.network.model import Link, Network, Node
from corridorsim.report.basemap import credit, draw_base_layer, draw_scale_bar, obstacles

#: Colours by carrier: the two rail gauges apart, because where they meet is where time is lost.
CARRIER_COLOURS = {
    "rail-1520": "#1f5fa8",
    "rail-1435": "#8e3fa0",
    "rail": "#4a7fc0",
    "road": "#e07b00",
    "ferry": "#0f9d8a",
    "sea": "#5b6f86",
}
FACILITY_MARKERS = (  # first match wins: the facility that matters most for a planner
    ("gauge_change", "*", "gauge change"),
    ("port", "s", "port"),
    ("border", "D", "border"),
    ("terminal", "^", "rail-road terminal"),
    ("yard", "h", "yard"),
)
#: The colours of highlighted routes, in the order they are given: light tints, none of them
#: a carrier's, drawn as a band under the links (the carrier's line stays in the middle).
ROUTE_COLOURS = ("#f07470", "#f5c342", "#86cf7e", "#e88fc8", "#c49a6c", "#c9ca4f", "#b0b0b0")
#: Width (points) of the first highlighted route's band; each further one is narrower and on
#: top, so that a link several routes share shows a band of each.
ROUTE_WIDTH_PT = 9.0
ROUTE_WIDTH_STEP_PT = 2.2
ROUTE_ALPHA = 0.9
#: Under the links (2 and up), over the base layer and the graticule.
ROUTE_Z = 1.6
Box = tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max
#: A network wider than this (degrees of longitude) gets an overview and a detail panel.
WIDE_DEG = 15.0
#: A route map gets a route detail panel when the routes' window is at most this share of
#: the whole network's area: larger, the overview shows them as well.
ROUTE_DETAIL_SHARE = 0.6
#: The width (inches) of a map panel.
PAGE_WIDTH_IN = 14.0
#: The gid of every label :func:`place_labels` placed (tests and callers find them by it).
LABEL_GID = "label"
NODE_LABEL_PT = 6.5


def _colour(link: Link) -> str:
    return CARRIER_COLOURS.get(link.carrier, CARRIER_COLOURS.get(link.mode, "#444444"))


def _marker(node: Node) -> tuple[str, str]:
    types = {f.type for f in node.facility}
    for facility_type, marker, label in FACILITY_MARKERS:
        if facility_type in types:
            return marker, label
    return "o", "station"


def _style(status: str, mode: str = "rail") -> dict[str, Any]:
    if status == "planned":
        return {"linestyle": (0, (5, 3)), "linewidth": 1.8, "alpha": 0.95}
    if status == "closed":
        return {"linestyle": (0, (1, 2)), "linewidth": 1.2, "alpha": 0.4}
    return {"linestyle": "-", "linewidth": 2.0 if mode == "rail" else 1.5, "alpha": 0.9}


def _extent(network: Network, nodes: Iterable[Node] | None = None) -> Box:
    chosen = list(nodes if nodes is not None else network.nodes.values())
    lons = [n.coords[0] for n in chosen]
    lats = [n.coords[1] for n in chosen]
    return min(lons), min(lats), max(lons), max(lats)


def _pad(box: Box, share: float = 0.06, least_deg: float = 0.3) -> Box:
    x0, y0, x1, y1 = box
    dx = max((x1 - x0) * share, least_deg)
    dy = max((y1 - y0) * share, least_deg)
    return x0 - dx, y0 - dy, x1 + dx, y1 + dy


def densest_window(network: Network) -> Box:
    """The part of a wide network where most nodes crowd: a window about a fifth of the
    network's width, centred on the node with the most neighbours inside it."""
    x0, y0, x1, y1 = _extent(network)
    half_w = max((x1 - x0) / 10, 2.0)
    half_h = max((y1 - y0) / 5, 1.5)
    nodes = list(network.nodes.values())

    def inside(centre: Node, n: Node) -> bool:
        return (
            abs(n.coords[0] - centre.coords[0]) <= half_w
            and abs(n.coords[1] - centre.coords[1]) <= half_h
        )

    best = max(nodes, key=lambda c: (sum(inside(c, n) for n in nodes), c.id))
    return _pad(_extent(network, [n for n in nodes if inside(best, n)]), 0.08)


def route_nodes(network: Network, links: Iterable[str]) -> list[str]:
    """The nodes at either end of ``links``, each once, in the order met."""
    return list(dict.fromkeys(end for link in links for end in network.links[link].endpoints()))


def route_window(network: Network, links: Iterable[str]) -> Box:
    """The window of a route map's detail: every node and every bend of ``links``, padded,
    at least 3 degrees by 2 (a short route still shows where it is)."""
    chosen = list(links)
    points = [xy for link in chosen for xy in network.links[link].coords]
    points += [network.nodes[n].coords for n in route_nodes(network, chosen)]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    x0, y0, x1, y1 = _pad((min(lons), min(lats), max(lons), max(lats)), 0.07, 0.4)
    grow_x, grow_y = max(3.0 - (x1 - x0), 0.0) / 2, max(2.0 - (y1 - y0), 0.0) / 2
    return x0 - grow_x, y0 - grow_y, x1 + grow_x, y1 + grow_y


def _important(network: Network) -> set[str]:
    """Nodes worth a label on the overview: facilities, junctions and line ends."""
    degree = Counter(end for link in network.links.values() for end in link.endpoints())
    return {n.id for n in network.nodes.values() if n.facility or degree[n.id] != 2}


class Route(NamedTuple):
    """A highlighted route: its legend label and its links."""

    label: str
    links: tuple[str, ...]


def _draw(ax: Any, network: Network, box: Box, routes: Sequence[Route]) -> list[Any]:
    """The base layer, the links, the routes and the nodes in ``box``; return the routes'
    lines (for the labels to keep off)."""
    mid_lat = (box[1] + box[3]) / 2
    # One degree of longitude is cos(latitude) of a degree of latitude: keep distances honest.
    ax.set_aspect(1 / math.cos(math.radians(mid_lat)))
    draw_base_layer(ax, box)
    ax.grid(color="#c9c9c9", linewidth=0.4, alpha=0.6)
    order = {"closed": 1, "open": 2, "planned": 3}
    for link in sorted(network.links.values(), key=lambda x: order[x.status]):
        xs, ys = zip(*link.coords, strict=True)
        ax.plot(
            xs,
            ys,
            color=_colour(link),
            zorder=order[link.status] + 1,
            solid_capstyle="round",
            **_style(link.status, link.mode),
        )
    route_lines = []
    for i, route in enumerate(routes):
        for link_id in route.links:
            xs, ys = zip(*network.links[link_id].coords, strict=True)
            (line,) = ax.plot(xs, ys, color=ROUTE_COLOURS[i % len(ROUTE_COLOURS)],
                              linewidth=_route_width(i), alpha=ROUTE_ALPHA,
                              zorder=ROUTE_Z + i * 0.01, solid_capstyle="round", gid="route")
            route_lines.append(line)
    for node in network.nodes.values():
        marker, _ = _marker(node)
        ax.scatter(
            [node.coords[0]],
            [node.coords[1]],
            marker=marker,
            s=60 if marker != "o" else 20,
            zorder=7,
            color="white" if marker == "o" else "#333333",
            edgecolors="#222222",
            linewidths=0.8,
        )
    ax.set_xlim(box[0], box[2])
    ax.set_ylim(box[1], box[3])
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    draw_scale_bar(ax, box, points=network_points(network))
    return route_lines


def network_points(network: Network, links: Iterable[str] | None = None) -> list[Any]:
    """Where ``network`` (or only its ``links``) has something drawn: its nodes and points
    along its links, for the scale bar to keep off."""
    import numpy as np

    chosen = network.links.values() if links is None else [network.links[i] for i in links]
    points = [np.asarray([n.coords for n in network.nodes.values()], dtype=float)]
    for link in chosen:
        xy = np.asarray(link.coords, dtype=float)
        # Ten points a segment: a long straight line crossing a corner counts there too.
        t = np.linspace(0, 1, 10)[:, None]
        points.extend(a + (b - a) * t for a, b in itertools.pairwise(xy))
    return points


def _route_width(index: int) -> float:
    """The band width (points) of the ``index``-th route: wider than a link's line."""
    return max(ROUTE_WIDTH_PT - ROUTE_WIDTH_STEP_PT * index, 3.5)


def _within(node: Node, box: Box) -> bool:
    return box[0] <= node.coords[0] <= box[2] and box[1] <= node.coords[1] <= box[3]


# --------------------------------------------------------------------------------------------
# Labels


class LabelItem(NamedTuple):
    """A label to place beside a point: its text, the point (data coordinates) and the
    radius (points) of the point's marker, which its label must clear."""

    text: str
    xy: tuple[float, float]
    radius_pt: float = 3.0


#: Directions a label may take from its point, in the order tried: right, left, the
#: diagonals, above, below.
DIRECTIONS = ((1, 0), (1, 1), (1, -1), (-1, 0), (-1, 1), (-1, -1), (0, 1), (0, -1))
#: Gaps (points) between a marker's edge and its label tried for map labels, nearest first.
MAP_GAPS_PT = (2.0, 6.0)


def _candidate_box(anchor: tuple[float, float], size: tuple[float, float],
                   offset: tuple[float, float], direction: tuple[int, int]) -> Any:
    """The display box of a label ``size`` (width, height, pixels) ``offset`` pixels from
    ``anchor``, on the side of ``direction``."""
    from matplotlib.transforms import Bbox

    (x, y), (w, h), (dx, dy) = anchor, size, offset
    x0 = {1: x + dx, 0: x + dx - w / 2, -1: x + dx - w}[direction[0]]
    y0 = {1: y + dy, 0: y + dy - h / 2, -1: y + dy - h}[direction[1]]
    return Bbox.from_bounds(x0, y0, w, h)


def _alignment(direction: tuple[int, int]) -> tuple[str, str]:
    return ({1: "left", 0: "center", -1: "right"}[direction[0]],
            {1: "bottom", 0: "center", -1: "top"}[direction[1]])


def _crossings(box: Any, paths: Sequence[tuple[Any, Any]]) -> int:
    """How many of ``paths`` (display path, its extent) pass through ``box``."""
    return sum(
        1 for path, extent in paths if extent.overlaps(box) and path.intersects_bbox(box, False)
    )


def place_labels(
    ax: Any,
    items: Sequence[LabelItem],
    *,
    fontsize: float = NODE_LABEL_PT,
    gaps_pt: Sequence[float] = MAP_GAPS_PT,
    leader_from: int | None = None,
    lines: Sequence[Any] = (),
    avoid: Sequence[Any] = (),
    text_style: Mapping[str, Any] | None = None,
) -> list[Any]:
    """Label ``items`` on ``ax`` in their order (the most important first), each beside its
    point where its label lies inside the axes and overlaps no placed label, no other item's
    marker and nothing in ``avoid`` (display boxes; the axes' scale bar is always avoided).
    Of those places the nearest that crosses the fewest ``lines`` wins; from the
    ``leader_from``-th gap on a thin leader line joins label and point. An item whose label
    fits nowhere stays unlabelled. Return the labels placed (their gid is :data:`LABEL_GID`).
    """
    from matplotlib.lines import Line2D

    if not items:
        return []
    fig = ax.figure
    # Positions are final only once the aspect ratio has been applied to the axes.
    ax.apply_aspect()
    renderer = fig.canvas.get_renderer()
    px = fig.dpi / 72
    inside = ax.get_window_extent(renderer)
    style = {"fontsize": fontsize, "color": "#222222", "zorder": 8,
             "bbox": {"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.7},
             **(text_style or {})}
    # The label's white box reaches pad x font size beyond the text on every side.
    pad = 0.12 * fontsize * px + 1.0
    paths = []
    for line in lines:
        path = line.get_transform().transform_path(line.get_path())
        paths.append((path, path.get_extents()))
    anchors = [tuple(ax.transData.transform(item.xy)) for item in items]
    markers = [
        _square(anchor, item.radius_pt * px) for anchor, item in zip(anchors, items, strict=True)
    ]
    blocked = [*avoid, *obstacles(ax, renderer)]
    taken: list[Any] = []
    placed = []
    for k, (item, anchor) in enumerate(zip(items, anchors, strict=True)):
        if not inside.contains(*anchor):
            continue
        probe = ax.text(0, 0, item.text, **style)
        extent = probe.get_window_extent(renderer)
        probe.remove()
        size = (extent.width + 2 * pad, extent.height + 2 * pad)
        blocking = [*taken, *blocked, *(m for i, m in enumerate(markers) if i != k)]
        best = _best_place(anchor, size, item.radius_pt * px, [g * px for g in gaps_pt],
                           inside, blocking, paths)
        if best is None:
            continue
        _, offset, direction, tier = best
        ha, va = _alignment(direction)
        # The offset is to the white box's edge; the text starts ``pad`` further in.
        shift = (offset[0] + direction[0] * pad, offset[1] + direction[1] * pad)
        text = ax.annotate(item.text, item.xy, xytext=(shift[0] / px, shift[1] / px),
                           textcoords="offset points", ha=ha, va=va, gid=LABEL_GID, **style)
        actual = _grown(text.get_window_extent(renderer), pad)
        # The measured box decides: a label that came out where another is goes.
        if any(actual.overlaps(other) for other in taken):
            text.remove()
            continue
        taken.append(actual)
        placed.append(text)
        if leader_from is not None and tier >= leader_from:
            end = ax.transData.inverted().transform(_nearest_point(actual, anchor))
            ax.add_line(Line2D([item.xy[0], end[0]], [item.xy[1], end[1]], color="#777777",
                               linewidth=0.6, zorder=7.5))
    return placed


def _best_place(
    anchor: tuple[float, float],
    size: tuple[float, float],
    radius: float,
    gaps: Sequence[float],
    inside: Any,
    blocking: Sequence[Any],
    paths: Sequence[tuple[Any, Any]],
) -> tuple[tuple[int, int, int], tuple[float, float], tuple[int, int], int] | None:
    """Where a label ``size`` (pixels) goes beside a point at ``anchor`` with a marker of
    ``radius`` (pixels): of the places ``gaps`` beyond the marker in each of
    :data:`DIRECTIONS` that lie inside ``inside`` and overlap nothing ``blocking``, the one
    crossing the fewest ``paths``, nearer first. Returns (score, offset, direction, gap
    index), or None where no place is free."""
    best = None
    for tier, gap in enumerate(gaps):
        for j, direction in enumerate(DIRECTIONS):
            norm = math.hypot(*direction)
            distance = radius + gap
            offset = (direction[0] / norm * distance, direction[1] / norm * distance)
            box = _candidate_box(anchor, size, offset, direction)
            if not (inside.contains(box.x0, box.y0) and inside.contains(box.x1, box.y1)):
                continue
            if any(box.overlaps(other) for other in blocking):
                continue
            score = (2 * _crossings(box, paths) + tier, tier, j)
            if best is None or score < best[0]:
                best = (score, offset, direction, tier)
        if best is not None and best[0][0] <= tier:
            break  # nothing crossed: no further place can do better
    return best


def _square(centre: tuple[float, float], half: float) -> Any:
    from matplotlib.transforms import Bbox

    return Bbox.from_extents(centre[0] - half, centre[1] - half, centre[0] + half,
                             centre[1] + half)


def _grown(box: Any, by: float) -> Any:
    from matplotlib.transforms import Bbox

    return Bbox.from_extents(box.x0 - by, box.y0 - by, box.x1 + by, box.y1 + by)


def _nearest_point(box: Any, point: tuple[float, float]) -> tuple[float, float]:
    return (min(max(point[0], box.x0), box.x1), min(max(point[1], box.y0), box.y1))


def _node_radius_pt(node: Node) -> float:
    # A scatter marker of area s (points squared) is about sqrt(s) points across.
    return (math.sqrt(60) if _marker(node)[0] != "o" else math.sqrt(20)) / 2 + 0.5


def _label_order(network: Network, ids: Iterable[str], first: Sequence[str]) -> list[Node]:
    """The nodes to label, most wanted first: the routes' facilities and ends, the rest of
    the routes, other facilities, then the rest (west to east within each)."""
    on_route = {node_id: i for i, node_id in enumerate(first)}
    ends = {first[0], first[-1]} if first else set()

    def rank(node: Node) -> tuple[int, float]:
        if node.id in on_route:
            group = 0 if node.facility or node.id in ends else 1
        else:
            group = 2 if node.facility else 3
        return group, node.coords[0]

    return sorted((network.nodes[i] for i in ids), key=rank)


def _label_panel(ax: Any, network: Network, ids: set[str], box: Box, first: Sequence[str],
                 lines: Sequence[Any]) -> list[Any]:
    nodes = [n for n in _label_order(network, ids, first) if _within(n, box)]
    items = [LabelItem(n.name, n.coords, _node_radius_pt(n)) for n in nodes]
    # The markers of the nodes left unlabelled must stay visible too.
    ax.apply_aspect()
    px = ax.figure.dpi / 72
    others = [
        _square(tuple(ax.transData.transform(n.coords)), _node_radius_pt(n) * px)
        for n in network.nodes.values()
        if n.id not in ids and _within(n, box)
    ]
    return place_labels(ax, items, lines=lines, avoid=others)


def _legend(ax: Any, network: Network, routes: Sequence[Route]) -> None:
    from matplotlib.lines import Line2D

    handles = []
    for i, route in enumerate(routes):
        handles.append(
            Line2D([], [], color=ROUTE_COLOURS[i % len(ROUTE_COLOURS)], alpha=ROUTE_ALPHA,
                   linewidth=_route_width(i), solid_capstyle="butt", label=route.label)
        )
    present = {
        (_colour(x), x.carrier if x.mode == "rail" else x.mode) for x in network.links.values()
    }
    for colour, name in sorted(present, key=lambda p: p[1]):
        label = name.replace("rail-", "rail ") + (" mm" if name.startswith("rail-") else "")
        handles.append(Line2D([], [], color=colour, linewidth=2, label=label))
    for status in ("planned", "closed"):
        if any(x.status == status for x in network.links.values()):
            handles.append(Line2D([], [], color="#555555", label=status, **_style(status)))
    seen = dict(_marker(n)[::-1] for n in network.nodes.values())
    for label, marker in seen.items():
        handles.append(
            Line2D(
                [],
                [],
                marker=marker,
                linestyle="none",
                markersize=7,
                markerfacecolor="white" if marker == "o" else "#333333",
                markeredgecolor="#222222",
                label=label,
            )
        )
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
        framealpha=0.9,
        borderaxespad=0,
    )


class Panel(NamedTuple):
    """A panel of a map: its window, the nodes to label in it, its subtitle, the windows of
    the panels below it (drawn dashed on it) and the most height (inches) it may take."""

    box: Box
    label_ids: set[str]
    subtitle: str | None
    outlines: tuple[Box, ...] = ()
    most_height: float = 11.0


def _area(box: Box) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


def route_crowd(network: Network, links: Sequence[str]) -> Box | None:
    """Where the stops of a wide route crowd (the Caucasus of a Middle Corridor route): the
    window around the route node with the most route nodes near it (a fifth of the route's
    width, two fifths of its height), grown to take in the far end of every route link
    leaving it, so that no crossing (a ferry, a border) is cut in two. None for a route of
    fewer than four nodes there."""
    ids = route_nodes(network, links)
    points = {i: network.nodes[i].coords for i in ids}
    x0, y0, x1, y1 = _extent(network, [network.nodes[i] for i in ids])
    half_w, half_h = max((x1 - x0) / 10, 2.0), max((y1 - y0) / 5, 1.5)

    def near(centre: tuple[float, float]) -> set[str]:
        return {i for i, p in points.items()
                if abs(p[0] - centre[0]) <= half_w and abs(p[1] - centre[1]) <= half_h}

    crowd = near(points[max(ids, key=lambda i: (len(near(points[i])), i))])
    if len(crowd) < 4:
        return None
    for link_id in links:
        ends = network.links[link_id].endpoints()
        if (ends[0] in crowd) != (ends[1] in crowd):
            crowd |= set(ends)
    box = _pad(_extent(network, [network.nodes[i] for i in crowd]), 0.1, 0.5)
    # At least 5 by 3 degrees: a knot of stations still shows the country around it.
    grow_x, grow_y = max(5.0 - (box[2] - box[0]), 0.0) / 2, max(3.0 - (box[3] - box[1]), 0.0) / 2
    return box[0] - grow_x, box[1] - grow_y, box[2] + grow_x, box[3] + grow_y


def _panels(network: Network, routes: Sequence[Route], bbox: Box | None, labels: bool
            ) -> list[Panel]:
    """The panels of a map, top to bottom.

    With ``bbox``: that window. With routes: the whole network (unless the routes take most
    of it), then the routes' window (every node of every route: the route detail), then, for
    a wide route, where its stops crowd. Without: the whole network, and for a wide one its
    densest part. Each panel labels the nodes that no panel below it shows (the last one
    all of its nodes); the first labels only the important ones (:func:`_important`).
    """
    everything = _pad(_extent(network))
    all_ids = set(network.nodes) if labels else set()
    if bbox is not None:
        return [Panel(bbox, all_ids, None)]
    links = [link for route in routes for link in route.links]
    boxes: list[tuple[Box, str | None, float]] = []
    if links:
        detail = route_window(network, links)
        crowd = route_crowd(network, links) if detail[2] - detail[0] > WIDE_DEG else None
        if crowd is not None and _area(crowd) > 0.4 * _area(detail):
            crowd = None
        if _area(detail) <= ROUTE_DETAIL_SHARE * _area(everything):
            boxes.append((everything, "whole network", 5.5))
            boxes.append((detail, "route detail: every stop of the route", 8.0))
        else:
            boxes.append((everything, "whole network, with the route", 9.0))
        if crowd is not None:
            boxes.append((crowd, "where the route's stops crowd", 6.5))
    elif everything[2] - everything[0] > WIDE_DEG:
        boxes = [(everything, "whole network", 11.0), (densest_window(network), "detail", 11.0)]
    else:
        return [Panel(everything, all_ids, None)]
    if len(boxes) == 1:
        return [Panel(_widened(boxes[0][0], PAGE_WIDTH_IN, boxes[0][2]), all_ids, None)]
    boxes = [(_widened(box, PAGE_WIDTH_IN, most), subtitle, most) for box, subtitle, most in boxes]
    panels = []
    for i, (box, subtitle, most) in enumerate(boxes):
        below = [b for b, _, _ in boxes[i + 1:]]
        ids = {n.id for n in network.nodes.values()
               if not any(_within(n, b) for b in below)} & all_ids
        if i == 0:
            ids &= _important(network) | set(route_nodes(network, links))
        if below:
            subtitle = f"{subtitle} (dashed: the panel below)"
        panels.append(Panel(box, ids, subtitle, tuple(below[:1]), most))
    return panels


def _height_in(box: Box, width_in: float) -> float:
    """The height (inches) of a map of ``box`` ``width_in`` wide, distances true at its
    middle latitude."""
    mid_lat = math.radians((box[1] + box[3]) / 2)
    return width_in * (box[3] - box[1]) / ((box[2] - box[0]) * math.cos(mid_lat))


def _widened(box: Box, width_in: float, most_height_in: float) -> Box:
    """``box`` widened about its centre (east and west) until a map of it ``width_in`` wide
    is at most ``most_height_in`` tall: the same scale as the box shrunk to that height, with
    more of the country either side instead of blank page."""
    height = _height_in(box, width_in)
    if height <= most_height_in:
        return box
    grow = (box[2] - box[0]) * (height / most_height_in - 1) / 2
    return box[0] - grow, box[1], box[2] + grow, box[3]


def _outline(ax: Any, box: Box) -> None:
    from matplotlib.patches import Rectangle

    ax.add_patch(
        Rectangle((box[0], box[1]), box[2] - box[0], box[3] - box[1], fill=False,
                  edgecolor="#d62728", linewidth=1.2, linestyle="--", zorder=9)
    )


def plot_network(
    network: Network,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    labels: bool = True,
    highlight: Iterable[str] = (),
    routes: Mapping[str, Sequence[str]] | None = None,
    bbox: Box | None = None,
    dpi: int = 150,
) -> None:
    """Draw ``network`` to a PNG at ``path`` (written atomically).

    Links are coloured by carrier (rail gauge, road, ferry, sea), planned links dashed and
    closed links faint; nodes are marked by their main facility and labelled by name; the
    base layer (land, sea, coastlines, borders) is under them and a scale bar in a corner of
    each panel. ``routes`` maps a legend label to the link ids of a route, each drawn thick on
    top in a colour of its own and named in the legend; ``highlight`` takes the links of one
    more route (legend: "highlighted route"). ``bbox`` (lon_min, lat_min, lon_max, lat_max)
    draws only that window. Otherwise the panels are those of :func:`_panels`: with routes, a
    route detail with every node of every route in it.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    chosen = [Route(label, tuple(links)) for label, links in (routes or {}).items()]
    extra = tuple(dict.fromkeys(highlight))
    if extra:
        chosen.append(Route("highlighted route", extra))
    panels = _panels(network, chosen, bbox, labels)
    # Route nodes are labelled first, in the order of the routes.
    first = route_nodes(network, [link for route in chosen for link in route.links])
    # Panels one above the other, as wide as the page, as tall as their true shape asks
    # (up to their most height: a window taller than that is widened to the page instead).
    width = PAGE_WIDTH_IN
    heights = [min(_height_in(p.box, width), p.most_height) for p in panels]
    gap_in = 1.0  # for the axis labels and the next panel's title
    fig_h = sum(heights) + gap_in * len(panels) + 0.4
    fig = plt.figure(figsize=(width + 2.8, fig_h))
    axes = fig.subplots(len(panels), 1, squeeze=False,
                        gridspec_kw={"height_ratios": heights})[:, 0]
    fig.subplots_adjust(left=0.6 / (width + 2.8), right=(0.6 + width) / (width + 2.8),
                        top=1 - 0.55 / fig_h, bottom=0.75 / fig_h,
                        hspace=gap_in / (sum(heights) / len(panels)))
    lines = []
    for ax, panel in zip(axes, panels, strict=True):
        lines.append(_draw(ax, network, panel.box, chosen))
        if panel.subtitle:
            ax.set_title(panel.subtitle, fontsize=9, loc="right", color="#555555")
        for box in panel.outlines:
            _outline(ax, box)
    _legend(axes[0], network, chosen)
    for ax, panel, route_lines in zip(axes, panels, lines, strict=True):
        _label_panel(ax, network, panel.label_ids, panel.box, first, route_lines)
    n_open = sum(1 for x in network.links.values() if x.status == "open")
    fig.suptitle(
        title or network.name or str(network.path or "network"), fontsize=13, x=0.01,
        y=1 - 0.12 / fig_h, ha="left", va="top",
    )
    axes[-1].annotate(
        f"{len(network.nodes)} nodes, {len(network.links)} links ({n_open} open). "
        f"Straight or simplified geometry; not a survey map. {credit()}",
        (0, 0),
        xycoords="axes fraction",
        xytext=(0, -30),
        textcoords="offset points",
        fontsize=7,
        color="#555555",
        va="top",
    )
    try:
        save_figure(fig, path, dpi=dpi, tight=False)
    except OSError as exc:
        from corridorsim.errors import CorridorsimError

        raise CorridorsimError(f"cannot write {path}: {exc.strerror or exc}") from None


def save_figure(
    fig: Any, path: str | os.PathLike[str], *, dpi: int = 150, tight: bool = True
) -> None:
    """Lay out (``tight``), save as PNG via a temporary file (so no half-written image
    remains) and close a matplotlib figure (also when the save fails: the OSError, which
    names the file, is the caller's to report)."""
    import io

    from matplotlib import pyplot as plt

    from corridorsim._files import write_bytes_atomic

    try:
        if tight:
            fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.15)
    finally:
        plt.close(fig)
    try:
        write_bytes_atomic(path, buffer.getvalue())
    except OSError as exc:
        exc.filename = str(path)
        raise
