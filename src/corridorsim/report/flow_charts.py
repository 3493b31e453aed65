"""Charts of where freight goes and how a search for it settled (matplotlib, Agg), each a PNG
written atomically.

- :func:`flow_map`: the network with each link as wide as the tonnes it carries, and circles
  where consignments wait (facility queues, ferry sailings), as large as the wait.
- :func:`convergence_chart`: how an assignment's route split settled, iteration by iteration.
- :func:`capacity_chart`: transit days (and the criterion's measure) against tonnes per year,
  from the evaluations of a capacity search, with the capacity found.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from corridorsim.network.model import Link, Network
from corridorsim.report.maps import WIDE_DEG, Box, _colour, _extent, _pad, save_figure

if TYPE_CHECKING:
    from corridorsim.experiment.flows import ElementFlow

#: Line width (points) of the link carrying the most tonnes; the others in proportion.
MAX_WIDTH_PT = 9.0
#: The thinnest a link with any flow is drawn, so that a small flow stays visible.
MIN_WIDTH_PT = 0.8
#: Marker area (points squared) of the longest wait; the others in proportion to their hours.
MAX_CIRCLE_PT2 = 1400.0
#: How many of the waits are named on the map: more crowd the Caucasus knot.
LABELLED_WAITS = 6
FACILITY_WAIT_COLOUR = "#d62728"
FERRY_WAIT_COLOUR = "#0f9d8a"
BACKGROUND_LINK = "#c9c9c4"
#: Reference waits for the legend, in hours a planner counts in (a shift, a day, a week).
WAIT_STEPS_H = (0.25, 0.5, 1, 2, 6, 12, 24, 48, 72, 168, 336, 720, 1440)
#: Below this a max share change is drawn at it: 0 has no place on a log axis.
SHARE_CHANGE_FLOOR = 1e-6
#: The most route-share lines named in the convergence legend.
LEGEND_LINES = 12


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    return plt


def _tonnes(tonnes: float, mt_digits: int = 1) -> str:
    """Tonnes as a planner says them: ``1.2 Mt``, ``250 kt``, ``800 t``."""
    if tonnes >= 1e6:
        return f"{tonnes / 1e6:.{mt_digits}f} Mt"
    if tonnes >= 1e3:
        return f"{tonnes / 1e3:.3g} kt"
    return f"{tonnes:.0f} t"


def _nice_floor(value: float) -> float:
    """The largest of 1, 2, 2.5, 5 times a power of ten not above ``value`` (> 0)."""
    power = 10.0 ** math.floor(math.log10(value))
    return max(m * power for m in (1, 2, 2.5, 5, 10) if m * power <= value * (1 + 1e-9))


def _message_chart(
    path: str | os.PathLike[str],
    title: str,
    message: str,
    network: Network | None = None,
    dpi: int = 150,
) -> None:
    """A chart that says why there is nothing to draw (over the grey network, if given), so
    that a report folder always holds the file its index names."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 6) if network is None else (12, 7))
    if network is not None:
        box = _pad(_extent(network))
        _set_map_axes(ax, box)
        _draw_background(ax, network, width_pt=1.0)
    else:
        ax.set_axis_off()
    ax.text(
        0.5,
        0.5,
        message,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=13,
        color="#333333",
        zorder=10,
        bbox={"boxstyle": "round,pad=0.6", "fc": "white", "ec": "#999999"},
    )
    ax.set_title(title, loc="left", fontsize=12)
    save_figure(fig, path, dpi=dpi, tight=False)


# --------------------------------------------------------------------------------------------
# Flow map


class _Wait(NamedTuple):
    """A circle on the flow map: where consignments waited, how long, and its label."""

    lon: float
    lat: float
    wait_h: float
    label: str
    colour: str


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
    for a sailing at its from-node (the port where the time is lost)."""
    out = []
    for flow in flows:
        wait_h = _positive(flow.mean_wait_h)
        if wait_h == 0:
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


def _flow_points(
    network: Network, tonnes: Mapping[str, float], waits: Sequence[_Wait]
) -> list[tuple[float, float]]:
    """Where the flow is: the geometry of the links that carry it, and the waits."""
    points = [xy for link_id in tonnes for xy in network.links[link_id].coords]
    return points + [(w.lon, w.lat) for w in waits]


def _box(points: Sequence[tuple[float, float]]) -> Box:
    lons, lats = zip(*points, strict=True)
    return _pad((min(lons), min(lats), max(lons), max(lats)), 0.08, 0.5)


def _inside(lon: float, lat: float, box: Box) -> bool:
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def _detail_box(points: Sequence[tuple[float, float]], whole: Box) -> Box | None:
    """For flow wider than :data:`WIDE_DEG`, the window where most of its points crowd (as
    :func:`~corridorsim.report.maps.densest_window` finds for a network); None when the flow
    is narrow enough for one panel or spreads evenly."""
    width, height = whole[2] - whole[0], whole[3] - whole[1]
    if width <= WIDE_DEG:
        return None
    half_w, half_h = max(width / 8, 2.5), max(height / 5, 1.5)

    def near(centre: tuple[float, float]) -> list[tuple[float, float]]:
        return [
            p for p in points if abs(p[0] - centre[0]) <= half_w and abs(p[1] - centre[1]) <= half_h
        ]

    crowd = near(max(points, key=lambda c: (len(near(c)), c)))
    if len(crowd) < 3 or len(crowd) == len(points):
        return None
    return _box(crowd)


def _set_map_axes(ax: Any, box: Box) -> None:
    mid_lat = (box[1] + box[3]) / 2
    # One degree of longitude is cos(latitude) of a degree of latitude: keep distances honest.
    ax.set_aspect(1 / math.cos(math.radians(mid_lat)))
    ax.set_facecolor("#f7f7f4")
    ax.grid(color="#e2e2de", linewidth=0.5, zorder=0)
    ax.set_xlim(box[0], box[2])
    ax.set_ylim(box[1], box[3])
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")


def _draw_background(ax: Any, network: Network, width_pt: float = 0.8) -> None:
    for link in network.links.values():
        xs, ys = zip(*link.coords, strict=True)
        ax.plot(
            xs,
            ys,
            color=BACKGROUND_LINK,
            linewidth=width_pt,
            linestyle="-" if link.status == "open" else (0, (3, 2)),
            zorder=1,
            solid_capstyle="round",
        )


def _width_pt(tonnes_per_year: float, top: float) -> float:
    return max(MAX_WIDTH_PT * tonnes_per_year / top, MIN_WIDTH_PT)


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


def _draw_waits(ax: Any, waits: Sequence[_Wait], pt2_per_h: float) -> None:
    if not waits:
        return
    # Longest first, so that a small circle on a large one stays visible.
    ax.scatter(
        [w.lon for w in waits],
        [w.lat for w in waits],
        s=[w.wait_h * pt2_per_h for w in waits],
        color=[w.colour for w in waits],
        alpha=0.45,
        edgecolors="#333333",
        linewidths=0.7,
        zorder=5,
    )


#: Directions a wait's label may take from its circle: right, left, up, down, diagonals.
_DIRECTIONS = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1))


def _label_waits(
    ax: Any, waits: Sequence[_Wait], pt2_per_h: float, lines: Sequence[Any]
) -> None:
    """Name ``waits``, each beside its circle where it overlaps no other label and stays
    inside the axes, off the flow ``lines`` where it can be; one that fits nowhere stays
    unnamed."""
    ax.apply_aspect()
    renderer = ax.figure.canvas.get_renderer()
    inside = ax.get_window_extent(renderer)
    paths = [line.get_transform().transform_path(line.get_path()) for line in lines]
    taken: list[Any] = []
    for wait in waits:
        radius_pt = math.sqrt(wait.wait_h * pt2_per_h) / 2
        fallback = None
        for gap_pt in (3.0, 14.0):
            for dx, dy in _DIRECTIONS:
                offset = _offset(dx, dy, radius_pt + gap_pt)
                text = _wait_label(ax, wait, offset)
                extent = text.get_window_extent(renderer).expanded(1.04, 1.15)
                text.remove()
                fits = inside.contains(extent.x0, extent.y0) and inside.contains(
                    extent.x1, extent.y1
                )
                if not fits or any(extent.overlaps(other) for other in taken):
                    continue
                if not any(path.intersects_bbox(extent, filled=False) for path in paths):
                    fallback = (offset, extent)
                    break
                fallback = fallback or (offset, extent)
            else:
                continue
            break
        if fallback is not None:
            _wait_label(ax, wait, fallback[0])
            taken.append(fallback[1])


def _offset(dx: int, dy: int, distance_pt: float) -> tuple[float, float, str, str]:
    norm = math.hypot(dx, dy)
    ha = {1: "left", 0: "center", -1: "right"}[dx]
    va = {1: "bottom", 0: "center", -1: "top"}[dy]
    return dx / norm * distance_pt, dy / norm * distance_pt, ha, va


def _wait_label(ax: Any, wait: _Wait, offset: tuple[float, float, str, str]) -> Any:
    x_pt, y_pt, ha, va = offset
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
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
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


def _carrier_label(link: Link) -> str:
    name = link.carrier if link.mode == "rail" else link.mode
    return name.replace("rail-", "rail ") + (" mm" if name.startswith("rail-") else "")


def _flow_legend(
    ax: Any,
    network: Network,
    tonnes: Mapping[str, float],
    waits: Sequence[_Wait],
    pt2_per_h: float,
) -> None:
    """Right of ``ax``: the line widths and carriers, and below them the circle sizes (a
    legend of their own, spaced for the largest circle)."""
    from matplotlib.lines import Line2D

    top = max(tonnes.values())
    handles = [_header("Flow (line width)")]
    refs = sorted({_nice_floor(top), _nice_floor(top / 2), _nice_floor(top / 4)}, reverse=True)
    for t in refs:
        handles.append(
            Line2D([], [], color="#555555", linewidth=_width_pt(t, top),
                   solid_capstyle="butt", label=f"{_tonnes(t)}/yr")
        )
    handles.append(_header("Carrier"))
    present = {(_colour(network.links[i]), _carrier_label(network.links[i])) for i in tonnes}
    for colour, label in sorted(present, key=lambda p: p[1]):
        handles.append(Line2D([], [], color=colour, linewidth=3, label=label))
    lines = _side_legend(ax, handles, 1.0, labelspacing=0.7)
    if not waits:
        return
    refs_h = _wait_references(waits[0].wait_h)
    circles = [_header("Mean wait (circle area)")]
    circles += [_circle_handle(h, pt2_per_h, "#999999", f"{h:g} h wait") for h in refs_h]
    kinds = {w.colour for w in waits}
    if FACILITY_WAIT_COLOUR in kinds:
        circles.append(_circle_handle(1, 80, FACILITY_WAIT_COLOUR, "facility queue"))
    if FERRY_WAIT_COLOUR in kinds:
        circles.append(_circle_handle(1, 80, FERRY_WAIT_COLOUR, "waiting for a sailing"))
    # Rows are a font size (8 pt) and the spacing apart: room for the two largest circles.
    diameters_pt = sorted(math.sqrt(h * pt2_per_h) for h in refs_h)
    spacing = max(0.7, (sum(diameters_pt[-2:]) / 2 + 3) / 8 - 1)
    renderer = ax.figure.canvas.get_renderer()
    below = ax.transAxes.inverted().transform(lines.get_window_extent(renderer))[0][1]
    ax.add_artist(lines)
    _side_legend(ax, circles, below - 0.04, labelspacing=spacing)


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


def _circle_handle(hours: float, pt2_per_h: float, colour: str, label: str) -> Any:
    from matplotlib.lines import Line2D

    # A Line2D marker size is the diameter in points; a scatter size is the area in points².
    return Line2D(
        [],
        [],
        linestyle="none",
        marker="o",
        markersize=math.sqrt(hours * pt2_per_h),
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
    return 12.0, max(12.0 * ratio, 4.0)


def _footnote(ax: Any, network: Network, tonnes: Mapping[str, float], waits: Sequence[_Wait]
              ) -> None:
    busiest = max(tonnes, key=lambda link_id: tonnes[link_id])
    link = network.links[busiest]
    text = (
        f"{len(tonnes)} links carry flow; the most, {_tonnes(tonnes[busiest], 2)}/yr, on "
        f"{network.nodes[link.from_].name} - {network.nodes[link.to].name}. "
        "Grey: links without flow. Straight or simplified geometry."
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
        text += "\nCircles: " + "; ".join(circles) + "."
    ax.annotate(
        text,
        (0, 0),
        xycoords="axes fraction",
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
    carrier's colour (rail gauge, road, ferry, sea), as wide as its ``tonnes_per_year``
    (:data:`MAX_WIDTH_PT` for the largest flow, at least :data:`MIN_WIDTH_PT`). A facility
    row's ``mean_wait_h`` is a red circle at its node, a ferry link's a teal one at its
    from-node, both of an area in proportion to the hours; the :data:`LABELLED_WAITS` longest
    are named. The window is the links with flow, padded; flow wider than :data:`WIDE_DEG`
    gets a second panel, the detail of its densest part. Rows naming an element that is not
    in ``network`` are left out. With no flow at all the chart says so. Raises OSError
    (naming the file) when it cannot be written.
    """
    tonnes = _link_tonnes(network, flows)
    if not tonnes:
        _message_chart(path, title, "no flow in the measured window", network, dpi)
        return
    plt = _pyplot()
    waits = _waits(network, flows)
    points = _flow_points(network, tonnes, waits)
    whole = _box(points)
    detail = _detail_box(points, whole)
    boxes = [whole] if detail is None else [whole, detail]
    sizes = [_map_size(box, 9.0 if detail is None else 6.5) for box in boxes]
    width_in = max(w for w, _ in sizes)
    heights_in = [h for _, h in sizes]
    # Fixed margins (in inches) rather than a layout engine: the labels and the second
    # legend are placed from measured positions, which must not move afterwards.
    fig_w, fig_h = width_in + 4.0, sum(heights_in) + 0.9 * len(boxes) + 0.9
    fig, axes = plt.subplots(len(boxes), 1, squeeze=False, figsize=(fig_w, fig_h),
                             gridspec_kw={"height_ratios": heights_in})
    fig.subplots_adjust(
        left=0.8 / fig_w,
        right=(0.8 + width_in) / fig_w,
        top=1 - 0.55 / fig_h,
        bottom=0.95 / fig_h,
        hspace=0.9 / (sum(heights_in) / len(boxes)),
    )
    panels = list(axes[:, 0])
    pt2_per_h = MAX_CIRCLE_PT2 / waits[0].wait_h if waits else 0.0
    lines = []
    for ax, box in zip(panels, boxes, strict=True):
        _set_map_axes(ax, box)
        _draw_background(ax, network)
        lines.append(_draw_flows(ax, network, tonnes))
        _draw_waits(ax, waits, pt2_per_h)
    named = waits[:LABELLED_WAITS]
    if detail is not None:
        _outline(panels[0], detail)
        panels[0].set_title("all flow", loc="right", fontsize=9, color="#555555")
        panels[1].set_title("detail (dashed box above)", loc="right", fontsize=9,
                            color="#555555")
        in_detail = [w for w in named if _inside(w.lon, w.lat, detail)]
        _label_waits(panels[1], in_detail, pt2_per_h, lines[1])
        named = [w for w in named if not _inside(w.lon, w.lat, detail)]
    _label_waits(panels[0], named, pt2_per_h, lines[0])
    _flow_legend(panels[0], network, tonnes, waits, pt2_per_h)
    _footnote(panels[-1], network, tonnes, waits)
    fig.suptitle(title, x=0.8 / fig_w, y=1 - 0.12 / fig_h, ha="left", va="top", fontsize=13)
    save_figure(fig, path, dpi=dpi, tight=False)


# --------------------------------------------------------------------------------------------
# Convergence of an assignment


def _share_lines(
    iterations: Sequence[Mapping[str, Any]],
) -> dict[tuple[str, int], list[float]]:
    """Each (flow, route index)'s share per iteration, nan where an iteration lacks it."""
    keys: dict[tuple[str, int], None] = {}
    for it in iterations:
        for flow_id, shares in it["split"].items():
            for route in range(len(shares)):
                keys[(str(flow_id), route)] = None
    lines: dict[tuple[str, int], list[float]] = {}
    for flow_id, route in keys:
        values = []
        for it in iterations:
            shares = it["split"].get(flow_id, ())
            values.append(_number(shares[route]) if route < len(shares) else math.nan)
        lines[(flow_id, route)] = values
    return lines


def _last_finite(values: Sequence[float]) -> float:
    return next((v for v in reversed(values) if math.isfinite(v)), -math.inf)


def _change_panel(ax: Any, xs: Sequence[int], changes: Sequence[float], tolerance: float) -> None:
    drawn = [max(c, SHARE_CHANGE_FLOOR) if math.isfinite(c) else math.nan for c in changes]
    floor_tol = max(tolerance, SHARE_CHANGE_FLOOR)
    ax.plot(xs, drawn, marker="o", color="#1f5fa8", linewidth=1.6, label="max share change")
    ax.set_yscale("log")
    ax.axhline(floor_tol, color="#c44e52", linestyle="--", linewidth=1.2)
    ax.annotate(
        f"tolerance {tolerance:g}",
        (1.0, floor_tol),
        xycoords=("axes fraction", "data"),
        xytext=(-4, 3),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=8,
        color="#c44e52",
    )
    finite = [d for d in drawn if math.isfinite(d)] + [floor_tol]
    ax.set_ylim(min(finite) / 3, max(finite) * 3)
    clipped = any(math.isfinite(c) and c < SHARE_CHANGE_FLOOR for c in changes)
    floor_note = f"\n(0 drawn at {SHARE_CHANGE_FLOOR:g})" if clipped else ""
    ax.set_ylabel("max share change" + floor_note)
    last = changes[-1]
    if math.isfinite(last) and last <= tolerance:
        status = f"converged: max share change {last:.3g} ≤ tolerance {tolerance:g}"
    else:
        status = f"not converged: last max share change {last:.3g} > tolerance {tolerance:g}"
    ax.set_title(f"{status} after {len(changes)} iterations", loc="left", fontsize=9,
                 color="#444444")
    ax.grid(color="#e5e5e5", linewidth=0.6)


def _shares_panel(ax: Any, xs: Sequence[int], lines: Mapping[tuple[str, int], list[float]]
                  ) -> tuple[list[Any], int]:
    """Draw every route's share; return the handles for the legend (the largest final shares
    first when there are too many to name) and how many lines there are."""
    plt = _pyplot()
    flow_ids = list(dict.fromkeys(flow_id for flow_id, _ in lines))
    palette = plt.get_cmap("tab10" if len(flow_ids) <= 10 else "tab20")
    styles = ("-", "--", ":", "-.")
    markers = ("o", "s", "^", "D", "v")
    drawn = {}
    for (flow_id, route), values in lines.items():
        (handle,) = ax.plot(
            xs,
            values,
            color=palette(flow_ids.index(flow_id) % palette.N),
            linestyle=styles[route % len(styles)],
            marker=markers[route % len(markers)],
            markersize=4,
            linewidth=1.5,
            label=f"{flow_id} route {route + 1}",
        )
        drawn[(flow_id, route)] = handle
    ax.set_ylim(0, 1)
    ax.set_ylabel("route share")
    ax.set_xlabel("iteration")
    ax.grid(color="#e5e5e5", linewidth=0.6)
    if len(drawn) <= LEGEND_LINES:
        return list(drawn.values()), len(drawn)
    named = sorted(drawn, key=lambda key: -_last_finite(lines[key]))[:LEGEND_LINES]
    return [drawn[key] for key in named], len(drawn)


def convergence_chart(
    iterations: Sequence[Mapping[str, Any]],
    tolerance: float,
    path: str | os.PathLike[str],
    *,
    title: str,
    dpi: int = 150,
) -> None:
    """Chart how an assignment's split settled to a PNG at ``path`` (written atomically).

    Each of ``iterations`` is ``{"iteration": 1, "max_share_change": 0.08, "split":
    {flow_id: [share of route 1, share of route 2, ...]}}``, the split simulated in that
    iteration. Top: the max share change per iteration on a log axis (0 drawn at
    :data:`SHARE_CHANGE_FLOOR`) against the dashed ``tolerance``. Bottom: every flow's route
    shares; the legend below names at most :data:`LEGEND_LINES` lines, those with the largest
    final shares. No iterations give a chart that says so.
    """
    if not iterations:
        _message_chart(
            path, title, "no iterations: the split is the first one (iterations: 0)", dpi=dpi
        )
        return
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
    xs = [int(it["iteration"]) for it in iterations]
    changes = [_number(it["max_share_change"]) for it in iterations]
    lines = _share_lines(iterations)
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(10, 8), sharex=True, layout="constrained",
        gridspec_kw={"height_ratios": [2, 3]},
    )
    _change_panel(top, xs, changes, tolerance)
    handles, total = _shares_panel(bottom, xs, lines)
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.set_xlim(min(xs) - 0.3, max(xs) + 0.3)
    if handles:
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncols=min(3, len(handles)),
            fontsize=8,
            title=f"({len(handles)} of {total} shown in the legend)" if total > len(handles)
            else None,
            title_fontsize=8,
            frameon=False,
        )
    fig.suptitle(title, x=0.01, ha="left", fontsize=12)
    save_figure(fig, path, dpi=dpi, tight=False)


# --------------------------------------------------------------------------------------------
# Capacity search

#: The measure each criterion bounds: the point's key, its axis label, how to name the limit.
_CRITERION_MEASURES = {
    "max_p90_days": ("p90_days", "transit days", "p90 ≤ {:g} days"),
    "max_mean_wait_h": ("mean_wait_h", "mean wait (h)", "mean wait ≤ {:g} h"),
    "max_utilisation": ("utilisation", "utilisation", "utilisation ≤ {:g}"),
}
#: The criteria of a capacity search (those of :mod:`corridorsim.experiment.capacity`, named
#: here so that drawing a chart does not import the engine).
CRITERIA = tuple(_CRITERION_MEASURES)


def _tonnes_axis(ax: Any, largest: float) -> None:
    from matplotlib.ticker import FuncFormatter

    if largest >= 1e6:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x / 1e6:g} Mt"))
    else:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x / 1e3:g} kt"))
    ax.set_xlabel("tonnes per year")


def _number(value: Any) -> float:
    """A measure as a float: nan where it is missing (a document written as JSON has None
    where the run had nan)."""
    return math.nan if value is None else float(value)


def _measure(points: Sequence[Mapping[str, float]], key: str) -> list[float]:
    return [_number(p.get(key)) for p in points]


def capacity_chart(
    points: Sequence[Mapping[str, float]],
    *,
    criterion: str,
    limit: float,
    capacity_tonnes_per_year: float | None,
    path: str | os.PathLike[str],
    title: str,
    dpi: int = 150,
) -> None:
    """Chart a capacity search to a PNG at ``path`` (written atomically).

    ``points`` are its evaluations, in any order, each with ``tonnes_per_year``,
    ``p50_days``, ``p90_days``, ``mean_wait_h`` and ``utilisation`` (nan where not measured).
    The p50 and p90 transit days are drawn against tonnes per year; ``criterion`` (one of
    :data:`CRITERIA`) and its ``limit`` are a dashed line, on the days axis for
    ``max_p90_days`` and on a right-hand axis with its measure otherwise. A vertical line marks
    ``capacity_tonnes_per_year`` (none when None). No points give a chart that says so.
    """
    if criterion not in _CRITERION_MEASURES:
        raise ValueError(f"criterion must be one of {', '.join(CRITERIA)}, not {criterion!r}")
    ordered = sorted(
        (p for p in points if math.isfinite(_number(p.get("tonnes_per_year")))),
        key=lambda p: _number(p["tonnes_per_year"]),
    )
    if not ordered:
        _message_chart(path, title, "no points: the capacity search evaluated nothing", dpi=dpi)
        return
    plt = _pyplot()
    xs = _measure(ordered, "tonnes_per_year")
    fig, ax = plt.subplots(figsize=(10, 6), layout="constrained")
    ax.plot(xs, _measure(ordered, "p50_days"), marker="o", color="#1f5fa8", label="p50 transit")
    ax.plot(xs, _measure(ordered, "p90_days"), marker="s", color="#8e3fa0", label="p90 transit")
    ax.set_ylabel("transit days")
    ax.set_ylim(bottom=0)
    key, axis_label, limit_text = _CRITERION_MEASURES[criterion]
    criterion_ax = ax
    if criterion != "max_p90_days":
        criterion_ax = ax.twinx()
        criterion_ax.plot(
            xs, _measure(ordered, key), marker="^", color="#e07b00", label=axis_label
        )
        criterion_ax.set_ylabel(axis_label, color="#b05f00")
        if criterion == "max_utilisation":
            criterion_ax.set_ylim(0, 1.05)
        else:
            criterion_ax.set_ylim(bottom=0)
    criterion_ax.axhline(
        limit,
        color="#e07b00" if criterion_ax is not ax else "#8e3fa0",
        linestyle="--",
        linewidth=1.3,
        label=f"criterion: {limit_text.format(limit)}",
    )
    if capacity_tonnes_per_year is not None:
        label = f"capacity {_tonnes(capacity_tonnes_per_year, 2)}/yr"
        ax.axvline(capacity_tonnes_per_year, color="#2a9d3a", linewidth=1.6, label=label)
        ax.annotate(
            label,
            (capacity_tonnes_per_year, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(-3, -4),
            textcoords="offset points",
            rotation=90,
            ha="right",
            va="top",
            fontsize=8,
            color="#1f7a2c",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
        )
    _tonnes_axis(ax, max([*xs, capacity_tonnes_per_year or 0.0]))
    ax.grid(color="#e5e5e5", linewidth=0.6)
    handles = ax.get_legend_handles_labels()[0]
    if criterion_ax is not ax:
        handles += criterion_ax.get_legend_handles_labels()[0]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    ax.set_title(f"{title}\n{len(ordered)} evaluations", loc="left", fontsize=11)
    save_figure(fig, path, dpi=dpi, tight=False)
