"""Pieces the flow, convergence and capacity charts share: matplotlib on Agg, tonnes and
titles that fit, the network drawn faint behind, and a chart that says there is nothing to
draw."""

from __future__ import annotations

import math
import os
import textwrap
from typing import Any

from corridorsim.network.model import Network
from corridorsim.report.basemap import draw_base_layer, draw_scale_bar
from corridorsim.report.maps import (
    Box,
    _extent,
    _pad,
    network_points,
    save_figure,
)

BACKGROUND_LINK = "#c9c9c4"


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


def _wrap(fig: Any, text: str, fontsize: float, width_in: float) -> str:
    """``text`` broken into lines (at spaces, its own line breaks kept) that each fit
    ``width_in`` inches of ``fig`` at ``fontsize``, as measured by its renderer."""
    renderer = fig.canvas.get_renderer()
    chars = max(24, int(width_in * 72 / (0.5 * fontsize)))
    while True:
        wrapped = "\n".join(
            "\n".join(textwrap.wrap(line, chars, break_long_words=False)) or line
            for line in text.split("\n")
        )
        probe = fig.text(0, 0, wrapped, fontsize=fontsize)
        width = probe.get_window_extent(renderer).width / fig.dpi
        probe.remove()
        if width <= width_in or chars <= 24:
            return wrapped
        chars = max(24, int(chars * 0.9))


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
        draw_scale_bar(ax, box, points=network_points(network))
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
    ax.set_title(_wrap(fig, title, 12, fig.get_figwidth() - 0.6), loc="left", fontsize=12)
    save_figure(fig, path, dpi=dpi, tight=False)


def _set_map_axes(ax: Any, box: Box) -> None:
    mid_lat = (box[1] + box[3]) / 2
    # One degree of longitude is cos(latitude) of a degree of latitude: keep distances honest.
    ax.set_aspect(1 / math.cos(math.radians(mid_lat)))
    draw_base_layer(ax, box)
    ax.grid(color="#c9c9c9", linewidth=0.4, alpha=0.6)
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


def _number(value: Any) -> float:
    """A measure as a float: nan where it is missing (a document written as JSON has None
    where the run had nan)."""
    return math.nan if value is None else float(value)
