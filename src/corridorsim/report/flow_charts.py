"""Charts of where freight goes and how a search for it settled (matplotlib, Agg), each a PNG
written atomically.

- :func:`flow_map`: the network with each link as wide as the tonnes it carries (on a square
  root scale, so that small flows stay visible), and circles where consignments wait
  (facility queues, ferry sailings), as large as the wait.
- :func:`convergence_chart`: how an assignment's route split settled, iteration by iteration.
- :func:`capacity_chart`: transit days (and the criterion's measure) against tonnes per year,
  from the evaluations of a capacity search, with the capacity found.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from corridorsim.network.model import Link, Network
from corridorsim.report.basemap import credit, draw_scale_bar, obstacles
from corridorsim.report.maps import (
    WIDE_DEG,
    Box,
    _colour,
    _pad,
    network_points,
    save_figure,
)

if TYPE_CHECKING:
    from corridorsim.experiment.flows import ElementFlow

# The assignment's other charts live in modules of their own; their names stay here too.
from corridorsim.report.capacity_chart import CRITERIA, capacity_chart
from corridorsim.report.chart_common import (
    BACKGROUND_LINK,
    _draw_background,
    _message_chart,
    _nice_floor,
    _pyplot,
    _set_map_axes,
    _tonnes,
    _wrap,
)
from corridorsim.report.convergence_chart import convergence_chart

__all__ = [
    "BACKGROUND_LINK",
    "CRITERIA",
    "capacity_chart",
    "convergence_chart",
    "flow_map",
    "waiting_map",
]

#: Line width (points) of the link carrying the most tonnes.
MAX_WIDTH_PT = 10.0
#: Line width (points) a link with any flow at all is drawn at least: the widths run from it
#: to :data:`MAX_WIDTH_PT` as the square root of the tonnes, so that a flow of a hundredth
#: of the largest is still a line a planner sees.
MIN_WIDTH_PT = 1.5
#: Circle diameter (points) of the longest wait; the others of an area in proportion to their
#: hours, so that a wait of thousands of hours does not swamp the map.
MAX_CIRCLE_PT = 26.0
#: The smallest circle drawn (points): a short wait beside a very long one stays visible.
MIN_CIRCLE_PT = 4.0
#: Waits that read shorter than this (hours, at one decimal: "0.0 h" to "0.4 h") get neither
#: circle nor label.
MIN_WAIT_H = 0.5
#: How many of the waits are named on the map: more crowd the Caucasus knot.
LABELLED_WAITS = 6
FACILITY_WAIT_COLOUR = "#d62728"
FERRY_WAIT_COLOUR = "#0f9d8a"
#: Reference waits for the legend, in hours a planner counts in (a shift, a day, a week).
WAIT_STEPS_H = (0.25, 0.5, 1, 2, 6, 12, 24, 48, 72, 168, 336, 720, 1440)


class _Wait(NamedTuple):
    """A circle on the flow map: where consignments waited, how long, and its label."""

    lon: float
    lat: float
    wait_h: float
    label: str
    colour: str


#: A circle on a map of waits (the flow map, a run's waiting map).
Wait = _Wait


def _positive(value: float) -> float:
    """``value`` where it is a finite positive number, else 0 (nan: nothing measured)."""
    return value if math.isfinite(value) and value > 0 else 0.0


def _link_tonnes(network: Network, flows: Sequence[ElementFlow]) -> dict[str, float]:
    """Tonnes per year by link id, for the links of ``network`` that carry any."""
    tonnes: dict[str, float] = {}
    for flow in flows:
        if flow.kind == "link" and flow.element in network.links:
            t = _positive(flow.tonnes_per_year)
            if t > 0:
                tonnes[flow.element] = tonnes.get(flow.element, 0.0) + t
    return tonnes


def _waits(network: Network, flows: Sequence[ElementFlow]) -> list[_Wait]:
    """The waits to draw, longest first: a node's facility queues at the node, a ferry's wait
    for a sailing at its from-node (the port where the time is lost); those shorter than
    :data:`MIN_WAIT_H` are left out."""
    out = []
    for flow in flows:
        wait_h = _positive(flow.mean_wait_h)
        if round(wait_h, 1) < MIN_WAIT_H:
            continue
        if flow.kind == "facility" and flow.element in network.nodes:
            node = network.nodes[flow.element]
            label = f"{node.name}  {wait_h:.1f} h"
            out.append(_Wait(*node.coords, wait_h, label, FACILITY_WAIT_COLOUR))
        elif flow.kind == "link" and flow.element in network.links:
            link = network.links[flow.element]
            if link.mode == "ferry":
                port = network.nodes[link.from_]
                label = f"{port.name} ferry  {wait_h:.1f} h"
                out.append(_Wait(*port.coords, wait_h, label, FERRY_WAIT_COLOUR))
    return sorted(out, key=lambda w: -w.wait_h)


def _circle_pt(wait_h: float, longest_h: float) -> float:
    """The diameter (points) of a wait's circle: :data:`MAX_CIRCLE_PT` for the longest, an
    area in proportion to the hours below it, never under :data:`MIN_CIRCLE_PT`."""
    return max(MAX_CIRCLE_PT * math.sqrt(wait_h / longest_h), MIN_CIRCLE_PT)


def _flow_points(network: Network, tonnes: Mapping[str, float]) -> list[tuple[float, float]]:
    """Where the flow is: the geometry of the links that carry it."""
    return [xy for link_id in tonnes for xy in network.links[link_id].coords]


def _box(points: Sequence[tuple[float, float]]) -> Box:
    lons, lats = zip(*points, strict=True)
    return _pad((min(lons), min(lats), max(lons), max(lats)), 0.08, 0.5)


def _inside(lon: float, lat: float, box: Box) -> bool:
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def _crowd(points: Sequence[tuple[float, float]], whole: Box) -> list[tuple[float, float]]:
    """The points in the window (a quarter of ``whole``'s width, two fifths of its height)
    where most of them crowd; none when that is fewer than three or all of them."""
    width, height = whole[2] - whole[0], whole[3] - whole[1]
    half_w, half_h = max(width / 8, 2.5), max(height / 5, 1.5)

    def near(centre: tuple[float, float]) -> list[tuple[float, float]]:
        return [
            p for p in points if abs(p[0] - centre[0]) <= half_w and abs(p[1] - centre[1]) <= half_h
        ]

    crowd = near(max(points, key=lambda c: (len(near(c)), c)))
    return [] if len(crowd) < 3 or len(crowd) == len(points) else crowd


def _detail_box(
    points: Sequence[tuple[float, float]], named: Sequence[_Wait], whole: Box
) -> Box | None:
    """For flow wider than :data:`WIDE_DEG`, the detail window: around the ``named`` waits
    (where the most time is lost) and the densest part of the flow. When they spread over
    more than half the map's width (or most of a tall map's height), the longest waits win:
    they are taken longest first while the window stays that small, then the flow nearest
    them. None when the flow is narrow enough for one panel, or there is neither a wait nor
    a crowd to show."""
    width, height = whole[2] - whole[0], whole[3] - whole[1]
    if width <= WIDE_DEG:
        return None

    def useful(chosen: Sequence[tuple[float, float]]) -> bool:
        box = _box(chosen)
        return box[2] - box[0] <= width / 2 and box[3] - box[1] <= max(0.75 * height, 6.0)

    crowd = _crowd(points, whole)
    waits = [(w.lon, w.lat) for w in named]
    if not waits:
        return _least_size(_box(crowd), whole) if crowd else None
    if useful(crowd + waits):
        return _least_size(_box(crowd + waits), whole)
    chosen: list[tuple[float, float]] = []
    for place in waits:
        if useful([*chosen, place]):
            chosen.append(place)
    lon0 = sum(p[0] for p in chosen) / len(chosen)
    lat0 = sum(p[1] for p in chosen) / len(chosen)
    for place in sorted(crowd or points, key=lambda p: math.hypot(p[0] - lon0, p[1] - lat0)):
        if useful([*chosen, place]):
            chosen.append(place)
    return _least_size(_box(chosen), whole)


def _least_size(box: Box, whole: Box, least_w: float = 5.0, least_h: float = 3.0) -> Box:
    """``box`` grown about its centre to at least ``least_w`` by ``least_h`` degrees (no more
    than ``whole``), shifted inside ``whole`` where it can be."""
    out = list(box)
    for lo, least in ((0, least_w), (1, least_h)):
        hi = lo + 2
        span = min(max(box[hi] - box[lo], least), whole[hi] - whole[lo])
        mid = (box[lo] + box[hi]) / 2
        start = min(max(mid - span / 2, whole[lo]), whole[hi] - span)
        out[lo], out[hi] = start, start + span
    return out[0], out[1], out[2], out[3]


def _width_pt(tonnes_per_year: float, top: float) -> float:
    """A flow's line width: :data:`MIN_WIDTH_PT` plus the rest of the way to
    :data:`MAX_WIDTH_PT` as the square root of its share of the largest flow ``top``."""
    share = min(max(tonnes_per_year / top, 0.0), 1.0)
    return MIN_WIDTH_PT + (MAX_WIDTH_PT - MIN_WIDTH_PT) * math.sqrt(share)


def _draw_flows(ax: Any, network: Network, tonnes: Mapping[str, float]) -> list[Any]:
    """Draw the links that carry flow; return their lines (for the labels to avoid)."""
    top = max(tonnes.values())
    drawn = []
    # The widest first, so that a thin flow meeting it at a node stays visible on top.
    for link_id, t in sorted(tonnes.items(), key=lambda item: -item[1]):
        link = network.links[link_id]
        xs, ys = zip(*link.coords, strict=True)
        (line,) = ax.plot(
            xs,
            ys,
            color=_colour(link),
            linewidth=_width_pt(t, top),
            alpha=0.9,
            zorder=3,
            solid_capstyle="round",
        )
        drawn.append(line)
    ends = {end for link_id in tonnes for end in network.links[link_id].endpoints()}
    ax.scatter(
        [network.nodes[n].coords[0] for n in sorted(ends)],
        [network.nodes[n].coords[1] for n in sorted(ends)],
        s=9,
        color="white",
        edgecolors="#555555",
        linewidths=0.6,
        zorder=4,
    )
    return drawn


def _draw_waits(ax: Any, waits: Sequence[_Wait]) -> None:
    if not waits:
        return
    longest = waits[0].wait_h
    # Longest first, so that a small circle on a large one stays visible.
    ax.scatter(
        [w.lon for w in waits],
        [w.lat for w in waits],
        s=[_circle_pt(w.wait_h, longest) ** 2 for w in waits],
        color=[w.colour for w in waits],
        alpha=0.45,
        edgecolors="#333333",
        linewidths=0.7,
        zorder=5,
        gid="waits",
    )
    # The centre of each, so that two circles on top of each other both show where they are.
    ax.scatter([w.lon for w in waits], [w.lat for w in waits], s=6, color="#333333",
               linewidths=0, zorder=5.5)


#: Directions a wait's label may take from its circle: right, left, up, down, diagonals.
_DIRECTIONS = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1))
#: Gaps (points) between a circle's edge and its label tried, nearest first; from the third on
#: a leader line joins the label to its circle.
_GAPS_PT = (3.0, 10.0, 22.0, 36.0, 54.0, 76.0)
_LEADER_FROM = 2


def _point_box(ax: Any, lon: float, lat: float, half_pt: float) -> Any:
    """The display box ``half_pt`` points either side of a place."""
    from matplotlib.transforms import Bbox

    x, y = ax.transData.transform((lon, lat))
    half = half_pt * ax.figure.dpi / 72
    return Bbox.from_extents(x - half, y - half, x + half, y + half)


def _label_waits(ax: Any, waits: Sequence[_Wait], drawn: Sequence[_Wait], lines: Sequence[Any]
                 ) -> list[Any]:
    """Name ``waits`` (of the ``drawn`` circles), each beside its circle where its label
    overlaps no other label nor the centre of another named wait and stays inside the axes;
    of those places, the nearest that crosses the fewest flow ``lines`` and other circles
    (further ones with a leader line). A wait whose label fits nowhere stays unnamed. Return
    the labels' display boxes."""
    if not waits:
        return []
    ax.apply_aspect()
    renderer = ax.figure.canvas.get_renderer()
    inside = ax.get_window_extent(renderer)
    paths = [line.get_transform().transform_path(line.get_path()) for line in lines]
    longest = drawn[0].wait_h
    circles = [(w, _point_box(ax, w.lon, w.lat, _circle_pt(w.wait_h, longest) / 2 * 0.85))
               for w in drawn]
    centres = [(w, _point_box(ax, w.lon, w.lat, 2.5)) for w in waits]
    blocked = obstacles(ax, renderer)
    taken: list[Any] = []
    for wait in waits:
        radius_pt = _circle_pt(wait.wait_h, longest) / 2
        best: tuple[tuple[int, int, int], Any, Any] | None = None
        for tier, gap_pt in enumerate(_GAPS_PT):
            for k, (dx, dy) in enumerate(_DIRECTIONS):
                offset = _offset(dx, dy, radius_pt + gap_pt)
                text = _wait_label(ax, wait, offset, radius_pt, leader=False)
                extent = text.get_window_extent(renderer).expanded(1.04, 1.15)
                text.remove()
                fits = inside.contains(extent.x0, extent.y0) and inside.contains(
                    extent.x1, extent.y1
                )
                if (not fits or any(extent.overlaps(other) for other in taken)
                        or any(extent.overlaps(other) for other in blocked)
                        or any(extent.overlaps(box) for w, box in centres if w is not wait)):
                    continue
                crossings = sum(path.intersects_bbox(extent, filled=False) for path in paths)
                covered = sum(extent.overlaps(box) for w, box in circles if w is not wait)
                score = (2 * (crossings + 2 * covered) + tier, tier, k)
                if best is None or score < best[0]:
                    best = (score, offset, extent)
            if best is not None and best[0][0] <= tier:
                break  # nothing crossed: no further place can do better
        if best is not None:
            _wait_label(ax, wait, best[1], radius_pt, leader=best[0][1] >= _LEADER_FROM)
            taken.append(best[2])
    return taken


def _offset(dx: int, dy: int, distance_pt: float) -> tuple[float, float, str, str]:
    norm = math.hypot(dx, dy)
    ha = {1: "left", 0: "center", -1: "right"}[dx]
    va = {1: "bottom", 0: "center", -1: "top"}[dy]
    return dx / norm * distance_pt, dy / norm * distance_pt, ha, va


def _wait_label(ax: Any, wait: _Wait, offset: tuple[float, float, str, str], radius_pt: float,
                *, leader: bool) -> Any:
    x_pt, y_pt, ha, va = offset
    arrow = (
        {"arrowstyle": "-", "color": "#555555", "linewidth": 0.7, "shrinkA": 1.0,
         "shrinkB": radius_pt}
        if leader
        else None
    )
    return ax.annotate(
        wait.label,
        (wait.lon, wait.lat),
        xytext=(x_pt, y_pt),
        textcoords="offset points",
        ha=ha,
        va=va,
        fontsize=8,
        color="#222222",
        zorder=8,
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
        arrowprops=arrow,
    )


def _wait_references(longest_h: float) -> list[float]:
    """Up to three round waits for the legend: about the longest, a quarter and a sixteenth
    of it."""
    refs = set()
    for share in (1, 4, 16):
        fitting = [step for step in WAIT_STEPS_H if step <= longest_h / share]
        if fitting:
            refs.add(float(fitting[-1]))
    return sorted(refs) or [longest_h]


def _width_references(tonnes: Mapping[str, float]) -> list[float]:
    """Round tonnages for the legend, largest first: about the largest flow, a quarter and a
    sixteenth of it, and about the smallest."""
    top = max(tonnes.values())
    least = min(tonnes.values())
    refs = {_nice_floor(top), _nice_floor(top / 4), _nice_floor(top / 16), _nice_floor(least)}
    return sorted((t for t in refs if t >= _nice_floor(least)), reverse=True)


def _carrier_label(link: Link) -> str:
    name = link.carrier if link.mode == "rail" else link.mode
    return name.replace("rail-", "rail ") + (" mm" if name.startswith("rail-") else "")


def _flow_legend(
    ax: Any,
    network: Network,
    tonnes: Mapping[str, float],
    waits: Sequence[_Wait],
) -> None:
    """Right of ``ax``: the line widths and carriers, and below them the circle sizes (a
    legend of their own, spaced for the largest circle)."""
    from matplotlib.lines import Line2D

    top = max(tonnes.values())
    handles = [_header("Flow (width ~ √tonnes)")]
    for t in _width_references(tonnes):
        handles.append(
            Line2D([], [], color="#555555", linewidth=_width_pt(t, top),
                   solid_capstyle="butt", label=f"{_tonnes(t)}/yr")
        )
    handles.append(_header("Carrier"))
    present = {(_colour(network.links[i]), _carrier_label(network.links[i])) for i in tonnes}
    for colour, label in sorted(present, key=lambda p: p[1]):
        handles.append(Line2D([], [], color=colour, linewidth=3, label=label))
    # The second legend goes below the first, measured: the axes must have its final shape.
    ax.apply_aspect()
    lines = _side_legend(ax, handles, 1.0, labelspacing=0.7)
    if not waits:
        return
    longest = waits[0].wait_h
    refs_h = _wait_references(longest)
    circles = [_header("Mean wait (circle area)")]
    circles += [
        _circle_handle(_circle_pt(h, longest), "#999999", f"{_hours(h)} wait") for h in refs_h
    ]
    kinds = {w.colour for w in waits}
    if FACILITY_WAIT_COLOUR in kinds:
        circles.append(_circle_handle(9.0, FACILITY_WAIT_COLOUR, "facility queue"))
    if FERRY_WAIT_COLOUR in kinds:
        circles.append(_circle_handle(9.0, FERRY_WAIT_COLOUR, "waiting for a sailing"))
    # Rows are a font size (8 pt) and the spacing apart: room for the two largest circles.
    diameters_pt = sorted(_circle_pt(h, longest) for h in refs_h)
    spacing = max(0.7, (sum(diameters_pt[-2:]) / 2 + 3) / 8 - 1)
    renderer = ax.figure.canvas.get_renderer()
    below = ax.transAxes.inverted().transform(lines.get_window_extent(renderer))[0][1]
    ax.add_artist(lines)
    _side_legend(ax, circles, below - 0.04, labelspacing=spacing)


def _hours(hours: float) -> str:
    """A reference wait as a planner says it: ``6 h``, ``2 days``, ``1 week``."""
    if hours >= 168 and hours % 168 == 0:
        weeks = int(hours // 168)
        return f"{weeks} week{'s' if weeks > 1 else ''}"
    if hours >= 48 and hours % 24 == 0:
        return f"{int(hours // 24)} days"
    return f"{hours:g} h"


def _header(text: str) -> Any:
    from matplotlib.lines import Line2D

    return Line2D([], [], linestyle="none", label=text)


def _side_legend(ax: Any, handles: Sequence[Any], top: float, *, labelspacing: float) -> Any:
    legend = ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.02, top),
        fontsize=8,
        framealpha=0.95,
        borderaxespad=0,
        labelspacing=labelspacing,
        handlelength=3.2,
        borderpad=0.8,
    )
    headers = {h.get_label() for h in handles if h.get_linestyle() == "None"
               and h.get_marker() in (None, "None", "")}
    for text in legend.get_texts():
        if text.get_text() in headers:
            text.set_fontweight("bold")
    return legend


def _circle_handle(diameter_pt: float, colour: str, label: str) -> Any:
    from matplotlib.lines import Line2D

    # A Line2D marker size is the diameter in points, as :func:`_circle_pt` gives it.
    return Line2D(
        [],
        [],
        linestyle="none",
        marker="o",
        markersize=diameter_pt,
        markerfacecolor=colour,
        markeredgecolor="#333333",
        markeredgewidth=0.7,
        alpha=0.6,
        label=label,
    )


def _map_size(box: Box, most_height: float) -> tuple[float, float]:
    """Width and height (inches) of a map axes of ``box``'s true shape, within a page."""
    mid_lat = (box[1] + box[3]) / 2
    ratio = (box[3] - box[1]) / ((box[2] - box[0]) * math.cos(math.radians(mid_lat)))
    if ratio * 12.0 > most_height:
        return max(most_height / ratio, 6.0), most_height
    return 12.0, max(12.0 * ratio, 2.5)


def _footnote(ax: Any, network: Network, tonnes: Mapping[str, float], waits: Sequence[_Wait],
              width_in: float) -> None:
    busiest = max(tonnes, key=lambda link_id: tonnes[link_id])
    link = network.links[busiest]
    text = (
        f"{len(tonnes)} links carry flow; the most, {_tonnes(tonnes[busiest], 2)}/yr, on "
        f"{network.nodes[link.from_].name} - {network.nodes[link.to].name}. Line width: "
        f"{MIN_WIDTH_PT:g} pt plus up to {MAX_WIDTH_PT - MIN_WIDTH_PT:g} pt with the square root "
        "of the tonnes, so that small flows stay visible. Grey: links without flow. Straight "
        f"or simplified geometry. {credit()}"
    )
    kinds = {w.colour for w in waits}
    circles = [
        meaning
        for colour, meaning in (
            (FACILITY_WAIT_COLOUR, "mean queue wait per visit at a node's facilities (red)"),
            (FERRY_WAIT_COLOUR, "mean wait for a sailing, at the ferry's port of departure (teal)"),
        )
        if colour in kinds
    ]
    if circles:
        text += (
            " Circles: " + "; ".join(circles) + f"; waits under {MIN_WAIT_H:g} h not drawn."
        )
    _note_below(ax, text, width_in)


def _note_below(ax: Any, text: str, width_in: float) -> None:
    """``text`` in small grey print under ``ax``, from the figure's left margin (a narrow
    detail panel is centred), wrapped to ``width_in``."""
    ax.annotate(
        _wrap(ax.figure, text, 7.5, width_in),
        (ax.figure.subplotpars.left, 0),
        xycoords=("figure fraction", "axes fraction"),
        xytext=(0, -34),
        textcoords="offset points",
        fontsize=7.5,
        color="#555555",
        va="top",
    )


def _outline(ax: Any, box: Box) -> None:
    from matplotlib.patches import Rectangle

    ax.add_patch(
        Rectangle(
            (box[0], box[1]),
            box[2] - box[0],
            box[3] - box[1],
            fill=False,
            edgecolor="#555555",
            linewidth=1.0,
            linestyle="--",
            zorder=6,
        )
    )


def flow_map(
    network: Network,
    flows: Sequence[ElementFlow],
    path: str | os.PathLike[str],
    *,
    title: str,
    dpi: int = 150,
) -> None:
    """Map an assignment's flows to a PNG at ``path`` (written atomically).

    Every link of ``network`` is drawn thin and grey; a link carrying freight on top in its
    carrier's colour (rail gauge, road, ferry, sea), as wide as its ``tonnes_per_year`` on a
    square-root scale (:data:`MAX_WIDTH_PT` for the largest flow, at least
    :data:`MIN_WIDTH_PT`). A facility row's ``mean_wait_h`` is a red circle at its node, a
    ferry link's a teal one at its from-node, both of an area in proportion to the hours (at
    most :data:`MAX_CIRCLE_PT` across); waits under :data:`MIN_WAIT_H` are not drawn. The
    :data:`LABELLED_WAITS` longest are named, where a label fits without covering another.
    The window is the links with flow, padded; flow wider than :data:`WIDE_DEG` gets a second
    panel, the detail of where the longest waits and the densest flow are. Rows naming an
    element that is not in ``network`` are left out. With no flow at all the chart says so.
    Raises OSError (naming the file) when it cannot be written.
    """
    tonnes = _link_tonnes(network, flows)
    if not tonnes:
        _message_chart(path, title, "no flow in the measured window", network, dpi)
        return
    waits = _waits(network, flows)
    fig, panels, width_in, wrapped = _wait_panels(
        network,
        _flow_points(network, tonnes),
        waits,
        title,
        draw=lambda ax: _draw_flows(ax, network, tonnes),
        drawn_links=tonnes,
        whole_label="all flow",
    )
    _flow_legend(panels[0], network, tonnes, waits)
    _footnote(panels[-1], network, tonnes, waits, width_in + 2.2)
    fig.suptitle(wrapped, x=panels[0].figure.subplotpars.left, y=1 - 0.12 / fig.get_figheight(),
                 ha="left", va="top", fontsize=13)
    save_figure(fig, path, dpi=dpi, tight=False)


def _wait_panels(
    network: Network,
    points: list[tuple[float, float]],
    waits: Sequence[_Wait],
    title: str,
    *,
    draw: Callable[[Any], list[Any]],
    drawn_links: Any,
    whole_label: str,
) -> tuple[Any, list[Any], float, str]:
    """The panels of a map of lines (``draw`` draws them on an axes and returns them) and of
    ``waits`` (longest first): the whole, and a detail where the longest waits and the
    densest lines are when the whole is wide; each with the base layer, the waits' circles
    and a scale bar, the longest waits named. The figure, its panels, the map width and the
    title wrapped to it."""
    whole = _box(points + [(w.lon, w.lat) for w in waits])
    named = waits[:LABELLED_WAITS]
    detail = _detail_box(points, named, whole)
    fig, panels, width_in, wrapped = _map_layout(whole, detail, title)
    boxes = [whole] if detail is None else [whole, detail]
    lines = []
    for ax, box in zip(panels, boxes, strict=True):
        _set_map_axes(ax, box)
        _draw_background(ax, network)
        lines.append(draw(ax))
        _draw_waits(ax, waits)
        draw_scale_bar(ax, box, points=[*network_points(network, drawn_links),
                                        [(w.lon, w.lat) for w in waits]])
    _name_waits(panels, detail, named, waits, lines, whole_label)
    return fig, panels, width_in, wrapped


def _map_layout(whole: Box, detail: Box | None, title: str) -> tuple[Any, list[Any], float, str]:
    """A figure for a map of ``whole`` (and its ``detail`` below): the figure, its panels,
    the map width (inches) and the title wrapped to the map and its legend."""
    plt = _pyplot()
    boxes = [whole] if detail is None else [whole, detail]
    sizes = [_map_size(box, 9.0 if detail is None else 6.5) for box in boxes]
    width_in = max(w for w, _ in sizes)
    heights_in = [h for _, h in sizes]
    fig_w = width_in + 4.0
    # Fixed margins (in inches) rather than a layout engine: the labels and the second
    # legend are placed from measured positions, which must not move afterwards.
    fig = plt.figure(figsize=(fig_w, 1.0))
    # The title spans the map and its legend, no further.
    wrapped = _wrap(fig, title, 13, width_in + 2.2)
    title_in = 0.24 * wrapped.count("\n")
    fig_h = sum(heights_in) + 0.9 * len(boxes) + 0.9 + title_in
    fig.set_size_inches(fig_w, fig_h)
    axes = fig.subplots(len(boxes), 1, squeeze=False,
                        gridspec_kw={"height_ratios": heights_in})
    fig.subplots_adjust(
        left=0.8 / fig_w,
        right=(0.8 + width_in) / fig_w,
        top=1 - (0.55 + title_in) / fig_h,
        bottom=0.95 / fig_h,
        hspace=0.9 / (sum(heights_in) / len(boxes)),
    )
    return fig, list(axes[:, 0]), width_in, wrapped


def _name_waits(panels: Sequence[Any], detail: Box | None, named: Sequence[_Wait],
                waits: Sequence[_Wait], lines: Sequence[Sequence[Any]], whole_title: str) -> None:
    """Label the ``named`` waits: those in the ``detail`` on its panel, the rest on the
    whole map's (which outlines the detail)."""
    if detail is not None:
        _outline(panels[0], detail)
        panels[0].set_title(whole_title, loc="right", fontsize=9, color="#555555")
        panels[1].set_title("detail (dashed box above)", loc="right", fontsize=9,
                            color="#555555")
        in_detail = [w for w in named if _inside(w.lon, w.lat, detail)]
        _label_waits(panels[1], in_detail, waits, lines[1])
        named = [w for w in named if not _inside(w.lon, w.lat, detail)]
    _label_waits(panels[0], named, waits, lines[0])


def _draw_routes(ax: Any, network: Network, links: Sequence[str]) -> list[Any]:
    """The links consignments travel, in their carriers' colours; return their lines."""
    drawn = []
    for link_id in dict.fromkeys(links):
        link = network.links[link_id]
        xs, ys = zip(*link.coords, strict=True)
        (line,) = ax.plot(xs, ys, color=_colour(link), linewidth=2.4, alpha=0.9, zorder=3,
                          solid_capstyle="round")
        drawn.append(line)
    ends = {end for link_id in links for end in network.links[link_id].endpoints()}
    ax.scatter([network.nodes[n].coords[0] for n in sorted(ends)],
               [network.nodes[n].coords[1] for n in sorted(ends)], s=9, color="white",
               edgecolors="#555555", linewidths=0.6, zorder=4)
    return drawn


def waiting_map(
    network: Network,
    waits: Sequence[_Wait],
    path: str | os.PathLike[str],
    *,
    title: str,
    links: Sequence[str],
    kinds: Sequence[tuple[str, str]],
    note: str,
    message: str | None = None,
    dpi: int = 150,
) -> None:
    """Map where consignments lose time to a PNG at ``path`` (written atomically).

    ``links`` (the routes travelled) are drawn in their carriers' colours over the grey
    network and the base layer; each of ``waits`` is a circle at its place, of an area in
    proportion to its hours (at most :data:`MAX_CIRCLE_PT` across), in its colour; the
    :data:`LABELLED_WAITS` longest are named where a label fits. ``kinds`` are the (colour,
    meaning) pairs of the legend, ``note`` the footnote. Routes wider than :data:`WIDE_DEG`
    get a detail panel where the longest waits are. With a ``message`` (nothing arrived) or
    no waits, the map says so instead.
    """
    if message is not None or not links:
        _message_chart(path, title, message or "no route travelled", network, dpi)
        return
    drawn = sorted(waits, key=lambda w: -w.wait_h)
    fig, panels, width_in, wrapped = _wait_panels(
        network,
        [xy for link_id in links for xy in network.links[link_id].coords],
        drawn,
        title,
        draw=lambda ax: _draw_routes(ax, network, links),
        drawn_links=links,
        whole_label="all routes",
    )
    if not drawn:
        for ax in panels:
            ax.text(0.5, 0.5, "no time lost waiting in the measured window",
                    transform=ax.transAxes, ha="center", va="center", fontsize=12,
                    color="#333333", zorder=10,
                    bbox={"boxstyle": "round,pad=0.6", "fc": "white", "ec": "#999999"})
    _waiting_legend(panels[0], drawn, kinds)
    _note_below(panels[-1], f"{note} {credit()}", width_in + 2.2)
    fig.suptitle(wrapped, x=fig.subplotpars.left, y=1 - 0.12 / fig.get_figheight(),
                 ha="left", va="top", fontsize=13)
    save_figure(fig, path, dpi=dpi, tight=False)


def _waiting_legend(ax: Any, waits: Sequence[_Wait], kinds: Sequence[tuple[str, str]]) -> None:
    """Right of ``ax``: the circle sizes and what each colour means."""
    handles = []
    if waits:
        longest = waits[0].wait_h
        handles.append(_header("Hours lost per consignment"))
        handles += [
            _circle_handle(_circle_pt(h, longest), "#999999", _hours(h))
            for h in _wait_references(longest)
        ]
    shown = {w.colour for w in waits}
    handles.append(_header("Why"))
    handles += [_circle_handle(9.0, colour, label) for colour, label in kinds
                if colour in shown or not waits]
    ax.apply_aspect()
    diameters = sorted(_circle_pt(h, waits[0].wait_h) for h in _wait_references(
        waits[0].wait_h)) if waits else [9.0]
    spacing = max(0.7, (sum(diameters[-2:]) / 2 + 3) / 8 - 1)
    _side_legend(ax, handles, 1.0, labelspacing=spacing)
