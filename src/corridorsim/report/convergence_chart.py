"""How an assignment's route split settled (matplotlib, Agg), a PNG written atomically: the
largest share change per iteration against the tolerance, and every flow's route shares."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

from corridorsim.report.chart_common import (
    _message_chart,
    _number,
    _pyplot,
    _wrap,
)
from corridorsim.report.maps import (
    save_figure,
)

#: Below this a max share change is drawn at it: 0 has no place on a log axis.
SHARE_CHANGE_FLOOR = 1e-6
#: The most route-share lines named in the convergence legend.
LEGEND_LINES = 12


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
    count = f"{len(changes)} iteration{'s' if len(changes) != 1 else ''}"
    ax.set_title(f"{status} after {count}", loc="left", fontsize=9, color="#444444")
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
    final shares. The iteration axis has whole-number ticks only, half an iteration either
    side of the first and last. No iterations give a chart that says so.
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
    # A tick per iteration while they fit; min_n_ticks=1: with one or two iterations the
    # locator would otherwise fall back to fractional ticks.
    bottom.xaxis.set_major_locator(
        MaxNLocator(nbins=min(max(xs) - min(xs) + 1, 20), integer=True, min_n_ticks=1)
    )
    bottom.set_xlim(min(xs) - 0.5, max(xs) + 0.5)
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
    fig.suptitle(_wrap(fig, title, 12, fig.get_figwidth() - 0.4), x=0.01, ha="left",
                 fontsize=12)
    save_figure(fig, path, dpi=dpi, tight=False)
