"""Maps of a network on lon/lat axes (matplotlib, Agg backend: no screen needed)."""

from __future__ import annotations

import math
import os
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


def _colour(link: Link) -> str:
    return CARRIER_COLOURS.get(link.carrier, CARRIER_COLOURS.get(link.mode, "#444444"))


def _marker(node: Node) -> tuple[str, str]:
    types = {f.type for f in node.facility}
    for facility_type, marker, label in FACILITY_MARKERS:
        if facility_type in types:
            return marker, label
    return "o", "station"


def _style(link: Link) -> dict[str, Any]:
    if link.status == "planned":
        return {"linestyle": (0, (5, 3)), "linewidth": 1.8, "alpha": 0.95}
    if link.status == "closed":
        return {"linestyle": (0, (1, 2)), "linewidth": 1.2, "alpha": 0.35}
    return {"linestyle": "-", "linewidth": 2.0 if link.mode == "rail" else 1.5, "alpha": 0.9}


def plot_network(
    network: Network,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    labels: bool = True,
    highlight: Iterable[str] = (),
    dpi: int = 150,
) -> None:
    """Draw ``network`` to a PNG at ``path`` (written atomically).

    Links are coloured by carrier (rail gauge, road, ferry, sea), planned links dashed and
    closed links faint; nodes are marked by their main facility and labelled by name.
    ``highlight`` takes link ids to draw thick on top (a route).
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.lines import Line2D

    lons = [n.coords[0] for n in network.nodes.values()]
    lats = [n.coords[1] for n in network.nodes.values()]
    mid_lat = (min(lats) + max(lats)) / 2
    width_deg = max(lons) - min(lons) or 1.0
    height_deg = max(lats) - min(lats) or 1.0
    # One degree of longitude is cos(latitude) of a degree of latitude: keep distances honest.
    aspect = 1 / math.cos(math.radians(mid_lat))
    fig_w = 14.0
    fig_h = max(5.0, min(12.0, fig_w * height_deg * aspect / width_deg + 1.5))
    fig, ax = plt.subplots(figsize=(fig_w, fig_h))
    ax.set_aspect(aspect)
    ax.set_facecolor("#f7f7f4")
    ax.grid(color="#dddddd", linewidth=0.5, zorder=0)

    order = {"closed": 1, "open": 2, "planned": 3}
    for link in sorted(network.links.values(), key=lambda x: order[x.status]):
        xs, ys = zip(*link.coords, strict=True)
        ax.plot(xs, ys, color=_colour(link), zorder=order[link.status] + 1,
                solid_capstyle="round", **_style(link))
    chosen = set(highlight)
    for link_id in chosen:
        xs, ys = zip(*network.links[link_id].coords, strict=True)
        ax.plot(xs, ys, color="#d62728", linewidth=4.5, alpha=0.55, zorder=6)

    seen_markers: dict[str, str] = {}
    for node in network.nodes.values():
        marker, label = _marker(node)
        seen_markers[label] = marker
        size = 70 if marker != "o" else 22
        ax.scatter([node.coords[0]], [node.coords[1]], marker=marker, s=size, zorder=7,
                   color="white" if marker == "o" else "#333333", edgecolors="#222222",
                   linewidths=0.8)
        if labels:
            ax.annotate(node.name, node.coords, xytext=(4, 3), textcoords="offset points",
                        fontsize=6.5, color="#222222", zorder=8,
                        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                              "alpha": 0.6})

    handles = []
    present = {(_colour(x), x.carrier if x.mode == "rail" else x.mode) for x in network.links.values()}
    for colour, name in sorted(present, key=lambda p: p[1]):
        label = name.replace("rail-", "rail ") + (" mm" if name.startswith("rail-") else "")
        handles.append(Line2D([], [], color=colour, linewidth=2, label=label))
    statuses = {x.status for x in network.links.values()}
    if "planned" in statuses:
        handles.append(Line2D([], [], color="#555555", label="planned", **_style_for("planned")))
    if "closed" in statuses:
        handles.append(Line2D([], [], color="#555555", label="closed", **_style_for("closed")))
    for label, marker in seen_markers.items():
        handles.append(Line2D([], [], marker=marker, linestyle="none", markersize=7,
                              markerfacecolor="white" if marker == "o" else "#333333",
                              markeredgecolor="#222222", label=label))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              framealpha=0.9, borderaxespad=0)
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    pad_x, pad_y = width_deg * 0.03, height_deg * 0.05
    ax.set_xlim(min(lons) - pad_x, max(lons) + pad_x)
    ax.set_ylim(min(lats) - pad_y, max(lats) + pad_y)
    n_open = sum(1 for x in network.links.values() if x.status == "open")
    ax.set_title(title or network.name or str(network.path or "network"), fontsize=13,
                 loc="left")
    ax.annotate(f"{len(network.nodes)} nodes, {len(network.links)} links ({n_open} open). "
                "Straight or simplified geometry; not a survey map.",
                (0, 0), xycoords="axes fraction", xytext=(0, -32), textcoords="offset points",
                fontsize=7, color="#555555", va="top")
    save_figure(fig, path, dpi=dpi)
    plt.close(fig)


def _style_for(status: str) -> dict[str, Any]:
    style = {"planned": {"linestyle": (0, (5, 3)), "linewidth": 1.8},
             "closed": {"linestyle": (0, (1, 2)), "linewidth": 1.2, "alpha": 0.5}}
    return style[status]


def save_figure(fig: Any, path: str | os.PathLike[str], *, dpi: int = 150) -> None:
    """Save a matplotlib figure as PNG via a temporary file, so no half-written image remains."""
    import io

    from corridorsim.atomic import write_bytes_atomic

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.15)
    write_bytes_atomic(path, buffer.getvalue())
