"""Maps of a network on lon/lat axes (matplotlib, Agg backend: no screen needed).

A corridor network is long and thin with dense knots (the Caucasus is a crowd of borders next
to thousands of km of steppe), so a wide network gets two panels: the whole network, and a
detail of its densest part. Labels are placed greedily where they do not overlap.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable
from typing import Any

from corridorsim.network.model import Link, Network, Node

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
Box = tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max
#: A network wider than this (degrees of longitude) gets an overview and a detail panel.
WIDE_DEG = 15.0


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


def _important(network: Network) -> set[str]:
    """Nodes worth a label on the overview: facilities, junctions and line ends."""
    degree = Counter(end for link in network.links.values() for end in link.endpoints())
    return {n.id for n in network.nodes.values() if n.facility or degree[n.id] != 2}


def _draw(ax: Any, network: Network, box: Box, highlight: set[str]) -> None:
    mid_lat = (box[1] + box[3]) / 2
    # One degree of longitude is cos(latitude) of a degree of latitude: keep distances honest.
    ax.set_aspect(1 / math.cos(math.radians(mid_lat)))
    ax.set_facecolor("#f7f7f4")
    ax.grid(color="#dddddd", linewidth=0.5, zorder=0)
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
    for link_id in sorted(highlight):
        xs, ys = zip(*network.links[link_id].coords, strict=True)
        ax.plot(xs, ys, color="#d62728", linewidth=5, alpha=0.45, zorder=6)
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


def _label_panel(ax: Any, nodes: list[Node], box: Box) -> None:
    # Positions are final only once the aspect ratio has been applied to the axes.
    ax.apply_aspect()
    _place_labels(ax, [n for n in nodes if _within(n, box)])


def _within(node: Node, box: Box) -> bool:
    return box[0] <= node.coords[0] <= box[2] and box[1] <= node.coords[1] <= box[3]


#: Where a label may go around its point, in points: right, left, above, below, diagonals.
_OFFSETS = (
    (5, 3, "left", "bottom"),
    (-5, 3, "right", "bottom"),
    (5, -4, "left", "top"),
    (-5, -4, "right", "top"),
    (0, 7, "center", "bottom"),
    (0, -8, "center", "top"),
)


def _place_labels(ax: Any, nodes: list[Node]) -> None:
    """Label nodes where the label overlaps no earlier one; the rest stay unlabelled."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    taken: list[Any] = []
    # Nodes with facilities first: they are what a planner looks for.
    for node in sorted(nodes, key=lambda n: (not n.facility, n.coords[0])):
        for dx, dy, ha, va in _OFFSETS:
            text = ax.annotate(
                node.name,
                node.coords,
                xytext=(dx, dy),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=6.5,
                color="#222222",
                zorder=8,
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.65},
            )
            extent = text.get_window_extent(renderer).expanded(1.05, 1.1)
            if not any(extent.overlaps(other) for other in taken):
                taken.append(extent)
                break
            text.remove()


def _legend(ax: Any, network: Network) -> None:
    from matplotlib.lines import Line2D

    handles = []
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


def plot_network(
    network: Network,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    labels: bool = True,
    highlight: Iterable[str] = (),
    bbox: Box | None = None,
    dpi: int = 150,
) -> None:
    """Draw ``network`` to a PNG at ``path`` (written atomically).

    Links are coloured by carrier (rail gauge, road, ferry, sea), planned links dashed and
    closed links faint; nodes are marked by their main facility and labelled by name.
    ``highlight`` takes link ids to draw thick on top (a route). ``bbox`` (lon_min, lat_min,
    lon_max, lat_max) draws only that window; otherwise a wide network gets an overview and a
    detail of its densest part.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.patches import Rectangle

    chosen = set(highlight)
    everything = _pad(_extent(network))
    all_ids = set(network.nodes) if labels else set()
    if bbox is not None:
        panels: list[tuple[Box, set[str], str | None]] = [(bbox, all_ids, None)]
    elif everything[2] - everything[0] > WIDE_DEG:
        detail = densest_window(network)
        # The overview labels what the detail does not show.
        outside = {n.id for n in network.nodes.values() if not _within(n, detail)}
        panels = [
            (everything, _important(network) & all_ids & outside, "whole network"),
            (detail, all_ids, "detail"),
        ]
    else:
        panels = [(everything, all_ids, None)]
    # Panels one above the other, as wide as the page, as tall as their true shape asks.
    width = 14.0
    heights = [
        min(
            width * (b[3] - b[1]) / ((b[2] - b[0]) * math.cos(math.radians((b[1] + b[3]) / 2))),
            11.0,
        )
        for b, _, _ in panels
    ]
    fig, axes = plt.subplots(
        len(panels),
        1,
        squeeze=False,
        figsize=(width + 2.5, sum(heights) + 1.0),
        gridspec_kw={"height_ratios": heights},
    )
    axes = axes.T
    for ax, (box, _, subtitle) in zip(axes[0], panels, strict=True):
        _draw(ax, network, box, chosen)
        if subtitle:
            ax.set_title(subtitle, fontsize=9, loc="right", color="#555555")
    if len(panels) == 2:
        x0, y0, x1, y1 = panels[1][0]
        axes[0][0].add_patch(
            Rectangle(
                (x0, y0),
                x1 - x0,
                y1 - y0,
                fill=False,
                edgecolor="#d62728",
                linewidth=1.2,
                linestyle="--",
                zorder=9,
            )
        )
    _legend(axes[0][-1], network)
    for ax, (box, label_ids, _) in zip(axes[0], panels, strict=True):
        _label_panel(ax, [network.nodes[i] for i in label_ids], box)
    n_open = sum(1 for x in network.links.values() if x.status == "open")
    fig.suptitle(
        title or network.name or str(network.path or "network"), fontsize=13, x=0.01, ha="left"
    )
    axes[0][0].annotate(
        f"{len(network.nodes)} nodes, {len(network.links)} links ({n_open} open). "
        "Straight or simplified geometry; not a survey map.",
        (0, 0),
        xycoords="axes fraction",
        xytext=(0, -32),
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
