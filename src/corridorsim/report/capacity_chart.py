"""A capacity search's chart (matplotlib, Agg), a PNG written atomically: transit days (and the
criterion's measure) against tonnes per year from every evaluation, the criterion and the
capacity found, with a panel near the capacity."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from corridorsim.report.chart_common import (
    _message_chart,
    _number,
    _pyplot,
    _tonnes,
    _wrap,
)
from corridorsim.report.maps import (
    save_figure,
)

#: The measure each criterion bounds: the point's key, its axis label, how to name the limit.
_CRITERION_MEASURES = {
    "max_p90_days": ("p90_days", "transit days", "p90 ≤ {:g} days"),
    "max_mean_wait_h": ("mean_wait_h", "mean wait (h)", "mean wait ≤ {:g} h"),
    "max_utilisation": ("utilisation", "utilisation", "utilisation ≤ {:g}"),
}
#: The criteria of a capacity search (those of :mod:`corridorsim.experiment.capacity`, named
#: here so that drawing a chart does not import the engine).
CRITERIA = tuple(_CRITERION_MEASURES)
#: The zoom panel shows the evaluations within this factor of the capacity (either side)...
ZOOM_FACTOR = 1.1
#: ... when there are at least this many of them, and the search spans three times its width.
ZOOM_LEAST_POINTS = 3
P50_COLOUR = "#1f5fa8"
P90_COLOUR = "#8e3fa0"
MEASURE_COLOUR = "#e07b00"
CAPACITY_COLOUR = "#2a9d3a"


def _tonnes_axis(ax: Any, largest: float) -> None:
    from matplotlib.ticker import FuncFormatter

    if largest >= 1e6:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x / 1e6:g} Mt"))
    else:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x / 1e3:g} kt"))
    ax.set_xlabel("tonnes per year")


def _measure(points: Sequence[Mapping[str, float]], key: str) -> list[float]:
    return [_number(p.get(key)) for p in points]


def _at(xs: Sequence[float], ys: Sequence[float], x: float) -> float:
    """``ys`` at ``x``, interpolated between the nearest finite points (the nearest one beyond
    the ends); nan with no finite point."""
    known = [(a, b) for a, b in zip(xs, ys, strict=True) if math.isfinite(b)]
    if not known:
        return math.nan
    below = [p for p in known if p[0] <= x]
    above = [p for p in known if p[0] >= x]
    if not below or not above:
        return min(known, key=lambda p: abs(p[0] - x))[1]
    (x0, y0), (x1, y1) = below[-1], above[0]
    return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def _axis_top(values: Sequence[float], reference: float, limit: float | None) -> float | None:
    """Where to cut an axis so that a far evaluation does not squeeze the rest: 3 x the
    ``limit`` or 1.5 x the ``reference`` value at the capacity, whichever is higher (2 x the
    reference without a limit); None when every value fits below it anyway."""
    finite = [v for v in values if math.isfinite(v)]
    candidates = [3 * limit] if limit is not None else []
    if math.isfinite(reference):
        candidates.append((1.5 if limit is not None else 2.0) * reference)
    if not finite or not candidates or max(finite) <= max(candidates) * 1.05:
        return None
    return max(candidates)


class _Series(NamedTuple):
    """A measure drawn against tonnes per year on one axis of the capacity chart."""

    ax: Any
    key: str
    short: str
    unit: str
    colour: str
    marker: str
    label: str


def _draw_series(xs: Sequence[float], series: _Series,
                 ordered: Sequence[Mapping[str, float]]) -> None:
    series.ax.plot(xs, _measure(ordered, series.key), marker=series.marker, markersize=5,
                   color=series.colour, alpha=0.85, markeredgecolor="white",
                   markeredgewidth=0.6, label=series.label)


def _mark_beyond(xs: Sequence[float], values: Sequence[float], top: float, series: _Series,
                 stacked: dict[float, int]) -> None:
    """Draw the points of ``series`` above ``top`` as up-pointing triangles on the axes' top
    edge, each with its value written below it (stacked where several share a tonnage)."""
    for x, v in zip(xs, values, strict=True):
        if not (math.isfinite(v) and v > top):
            continue
        row = stacked.get(x, 0)
        stacked[x] = row + 1
        series.ax.plot([x], [top], marker="^", markersize=8, color=series.colour,
                       markeredgecolor="white", markeredgewidth=0.6, clip_on=False, zorder=6)
        series.ax.annotate(
            f"{series.short} {v:.0f}{series.unit} ↑" if v >= 100
            else f"{series.short} {v:.3g}{series.unit} ↑",
            (x, top),
            xytext=(-7, -6 - 11 * row),
            textcoords="offset points",
            ha="right",
            va="top",
            fontsize=8,
            color=series.colour,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
        )


def _capacity_line(ax: Any, capacity: float, *, name: bool) -> None:
    label = f"capacity {_tonnes(capacity, 2)}/yr"
    ax.axvline(capacity, color=CAPACITY_COLOUR, linewidth=1.6, label=label if name else None)
    ax.annotate(
        label,
        (capacity, 1.0),
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


def _zoom_points(ordered: Sequence[Mapping[str, float]], capacity: float | None
                 ) -> list[Mapping[str, float]]:
    """The evaluations near ``capacity`` worth a panel of their own (none when there are few,
    or the search spans little more than them)."""
    if capacity is None or capacity <= 0:
        return []
    near = [p for p in ordered
            if capacity / ZOOM_FACTOR <= _number(p["tonnes_per_year"]) <= capacity * ZOOM_FACTOR]
    xs = _measure(ordered, "tonnes_per_year")
    span = capacity * (ZOOM_FACTOR - 1 / ZOOM_FACTOR)
    if len(near) < ZOOM_LEAST_POINTS or max(xs) - min(xs) < 3 * span:
        return []
    return near


def _zoom_panel(ax: Any, near: Sequence[Mapping[str, float]], key: str, axis_label: str,
                limit: float, capacity: float) -> None:
    """The criterion's measure of the evaluations ``near`` the capacity: filled where it meets
    the ``limit``, open where it does not."""
    xs = _measure(near, "tonnes_per_year")
    ys = _measure(near, key)
    colour = P90_COLOUR if key == "p90_days" else MEASURE_COLOUR
    ax.plot(xs, ys, color=colour, linewidth=1.2, alpha=0.7)
    meets = [(x, y) for x, y in zip(xs, ys, strict=True) if math.isfinite(y) and y <= limit]
    fails = [(x, y) for x, y in zip(xs, ys, strict=True) if math.isfinite(y) and y > limit]
    for chosen, face, label in ((meets, colour, "meets the criterion"),
                                (fails, "white", "fails the criterion")):
        if chosen:
            ax.plot(*zip(*chosen, strict=True), linestyle="none", marker="o", markersize=6,
                    markerfacecolor=face, markeredgecolor=colour, markeredgewidth=1.3,
                    label=label, zorder=4)
    ax.axhline(limit, color=colour, linestyle="--", linewidth=1.3)
    _capacity_line(ax, capacity, name=False)
    finite = [y for y in ys if math.isfinite(y)] + [limit]
    pad = (max(finite) - min(finite)) * 0.15 or abs(limit) * 0.05 or 1.0
    ax.set_ylim(min(finite) - pad, max(finite) + pad)
    x_pad = (max(xs) - min(xs)) * 0.08 or capacity * 0.02
    ax.set_xlim(min(xs) - x_pad, max(xs) + x_pad)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(5))
    _tonnes_axis(ax, max(xs))
    ax.set_ylabel("p90 transit days" if key == "p90_days" else axis_label)
    ax.grid(color="#e5e5e5", linewidth=0.6)
    ax.set_title(f"near the capacity: {len(near)} evaluations", loc="left", fontsize=9,
                 color="#444444")


def _criterion_axis(ax: Any, criterion: str, xs: Sequence[float],
                    ordered: Sequence[Mapping[str, float]], limit: float,
                    capacity: float | None, stacked: dict[float, int]) -> None:
    """The right-hand axis of a criterion other than the p90 days: its measure, cut like the
    days axis (utilisation always 0 to 1.05)."""
    key, axis_label, _ = _CRITERION_MEASURES[criterion]
    measure = _Series(ax, key, axis_label.split(" (")[0], " h" if key == "mean_wait_h" else "",
                      MEASURE_COLOUR, "^", axis_label)
    _draw_series(xs, measure, ordered)
    ax.set_ylabel(axis_label, color="#b05f00")
    if criterion == "max_utilisation":
        ax.set_ylim(0, 1.05)
        return
    values = _measure(ordered, key)
    top = _axis_top(values, _at(xs, values, capacity) if capacity is not None else math.nan,
                    limit)
    ax.set_ylim(0, top)
    if top is not None:
        _mark_beyond(xs, values, top, measure, stacked)


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
    ``capacity_tonnes_per_year`` (none when None). An axis is cut at about three times the
    limit (or 1.5 times the measure at the capacity, if higher) when a far evaluation would
    squeeze the rest: points beyond are triangles on the top edge with their value written.
    With at least :data:`ZOOM_LEAST_POINTS` evaluations within :data:`ZOOM_FACTOR` of the
    capacity, a second panel shows them against the limit. No points give a chart that says
    so.
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
    key, axis_label, limit_text = _CRITERION_MEASURES[criterion]
    capacity = capacity_tonnes_per_year
    near = _zoom_points(ordered, capacity)
    if near:
        fig, (ax, zoom) = plt.subplots(1, 2, figsize=(14, 6.5), layout="constrained",
                                       gridspec_kw={"width_ratios": [3, 2]})
    else:
        fig, ax = plt.subplots(figsize=(10, 6), layout="constrained")
    xs = _measure(ordered, "tonnes_per_year")
    days = [
        _Series(ax, "p50_days", "p50", " d", P50_COLOUR, "o", "p50 transit"),
        _Series(ax, "p90_days", "p90", " d", P90_COLOUR, "s", "p90 transit"),
    ]
    for series in days:
        _draw_series(xs, series, ordered)
    ax.set_ylabel("transit days")
    criterion_ax = ax if criterion == "max_p90_days" else ax.twinx()
    stacked: dict[float, int] = {}
    days_top = _axis_top(
        _measure(ordered, "p50_days") + _measure(ordered, "p90_days"),
        _at(xs, _measure(ordered, "p90_days"), capacity) if capacity is not None else math.nan,
        limit if criterion_ax is ax else None,
    )
    ax.set_ylim(0, days_top)
    if days_top is not None:
        for series in days:
            _mark_beyond(xs, _measure(ordered, series.key), days_top, series, stacked)
    if criterion_ax is not ax:
        _criterion_axis(criterion_ax, criterion, xs, ordered, limit, capacity, stacked)
    criterion_ax.axhline(
        limit,
        color=MEASURE_COLOUR if criterion_ax is not ax else P90_COLOUR,
        linestyle="--",
        linewidth=1.3,
        label=f"criterion: {limit_text.format(limit)}",
    )
    if capacity is not None:
        _capacity_line(ax, capacity, name=True)
    _tonnes_axis(ax, max([*xs, capacity or 0.0]))
    ax.grid(color="#e5e5e5", linewidth=0.6)
    if near and capacity is not None:
        ax.axvspan(_number(near[0]["tonnes_per_year"]), _number(near[-1]["tonnes_per_year"]),
                   color="#e3e3e3", alpha=0.7, zorder=0, label="zoomed in at right")
        _zoom_panel(zoom, near, key, axis_label, limit, capacity)
    handles = ax.get_legend_handles_labels()[0]
    if criterion_ax is not ax:
        handles += criterion_ax.get_legend_handles_labels()[0]
    if near:
        handles += zoom.get_legend_handles_labels()[0]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=8, frameon=False)
    fig.suptitle(_wrap(fig, title, 11, fig.get_figwidth() - 0.4), x=0.01, ha="left",
                 fontsize=11)
    ax.set_title(f"{len(ordered)} evaluations", loc="left", fontsize=9, color="#444444")
    save_figure(fig, path, dpi=dpi, tight=False)
