"""A finished sweep's output folder: points.csv / points.parquet (one row per design point),
indices.csv / indices.json (sensitivity), study.json (what ran), and charts with ``plots``.

The study's method names the kind of chart its indices want; :data:`CHARTS` maps each kind
to the function that draws it.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corridorsim._files import (
    naming,
    remove_stale_temp_files,
    write_bytes_atomic,
    write_error,
    write_text_atomic,
)
from corridorsim.errors import InputError
from corridorsim.report.outputs import csv_text, json_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from corridorsim.experiment.sweep import SweepOutcome

#: The columns every indices row starts with.
INDEX_KEYS = ("shipment", "kpi", "parameter")


def point_table(outcome: SweepOutcome) -> list[dict[str, Any]]:
    """Flat rows: point, parameters, then per shipment and KPI its value and CI."""
    study = outcome.study
    rows = []
    for row in outcome.rows:
        flat: dict[str, Any] = {"point": row.id}
        # Levels that are lists (a set of links to open) are written as JSON text.
        flat.update(
            {k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in row.params.items()}
        )
        for shipment in study.shipments:
            for kpi in study.spec.kpis:
                value = lo = hi = None
                if row.kpis is not None:
                    value, lo, hi = row.kpis[shipment][kpi]
                prefix = f"{shipment}.{kpi}"
                flat[prefix] = value
                if kpi.endswith(".mean"):
                    flat[f"{prefix}.ci95_lo"] = lo
                    flat[f"{prefix}.ci95_hi"] = hi
        flat["replications"] = row.replications
        flat["seed"] = row.seed
        flat["error"] = row.error or ""
        rows.append(flat)
    return rows


def write_parquet(rows: list[dict[str, Any]], path: str | os.PathLike[str]) -> None:
    """Write ``rows`` (as :func:`point_table` gives them) as a Parquet file."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(
            "points.parquet needs pyarrow: pip install 'corridorsim[sensitivity]'"
        ) from None
    columns = list(rows[0]) if rows else []
    table = pa.table({c: [r.get(c) for r in rows] for c in columns})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    write_bytes_atomic(path, buffer.getvalue())


def index_columns(outcome: SweepOutcome) -> list[str]:
    """The columns of indices.csv: the keys, the method's indices if any KPI is complete,
    and ``note`` if any is not."""
    columns = list(INDEX_KEYS)
    if any("note" not in r for r in outcome.indices):
        columns.extend(outcome.study.method.index_columns)
    if any("note" in r for r in outcome.indices):
        columns.append("note")
    return columns


def study_document(outcome: SweepOutcome) -> dict[str, Any]:
    """The study.json document: what ran, with which seed, and how many points failed."""
    study = outcome.study
    return {
        "study": study.spec.name,
        "file": study.path,
        "method": study.spec.method,
        "points": len(outcome.rows),
        "replications_per_point": study.spec.replications,
        "seed": study.spec.seed,
        "parameters": [p.path for p in study.parameters],
        "kpis": list(study.spec.kpis),
        "shipments": study.shipments,
        "fingerprint": study.fingerprint,
        "failed_points": outcome.failed,
    }


def write_sweep_folder(
    outcome: SweepOutcome, out_dir: str | os.PathLike[str], *, plots: bool = False
) -> list[Path]:
    """Write a sweep's files into ``out_dir`` (beside its results.sqlite), and with
    ``plots`` its charts; return the paths written.

    Each file is replaced in one step, and temporary files an interrupted write left are
    removed first. A write the disk refuses is a one-line CorridorsimError naming the file;
    the files not yet rewritten stay as they were.
    """
    out = Path(out_dir)
    remove_stale_temp_files(out)
    try:
        # A report of the previous results would now describe other numbers than the files.
        (out / "report.html").unlink(missing_ok=True)
        return _write_sweep_files(outcome, out, plots=plots)
    except OSError as exc:
        raise write_error(exc, exc.filename or out) from None


def _write_sweep_files(outcome: SweepOutcome, out: Path, *, plots: bool) -> list[Path]:
    study = outcome.study
    rows = point_table(outcome)
    with naming(out / "points.csv"):
        write_text_atomic(out / "points.csv", csv_text(rows))
    with naming(out / "points.parquet"):
        write_parquet(rows, out / "points.parquet")
    flat_indices = [
        {k: (v if not isinstance(v, list) else " ".join(map(str, v))) for k, v in r.items()}
        for r in outcome.indices
    ]
    with naming(out / "indices.csv"):
        write_text_atomic(out / "indices.csv", csv_text(flat_indices, index_columns(outcome)))
    with naming(out / "indices.json"):
        write_text_atomic(
            out / "indices.json",
            json_text(
                {"study": study.spec.name, "method": study.spec.method, "indices": outcome.indices}
            ),
        )
    with naming(out / "study.json"):
        write_text_atomic(out / "study.json", json_text(study_document(outcome)))
    written = [
        out / n
        for n in ("points.csv", "points.parquet", "indices.csv", "indices.json", "study.json")
    ]
    if plots:
        written.extend(write_sweep_charts(outcome, out))
    return written


def write_sweep_charts(outcome: SweepOutcome, out_dir: str | os.PathLike[str]) -> list[Path]:
    """One chart per (shipment, KPI) with complete indices, of the kind the method wants."""
    import matplotlib

    matplotlib.use("Agg")

    from corridorsim.report.maps import save_figure

    study = outcome.study
    draw = CHARTS[study.method.chart]
    written = []
    for shipment in study.shipments:
        for kpi in study.spec.kpis:
            rows = [
                r
                for r in outcome.indices
                if r["shipment"] == shipment and r["kpi"] == kpi and "note" not in r
            ]
            if not rows:
                continue
            fig = draw(rows, [_short(r["parameter"]) for r in rows], kpi)
            fig.suptitle(f"{study.spec.name} - {shipment}", x=0.01, ha="left", fontsize=11)
            path = Path(out_dir) / f"sensitivity_{shipment}_{kpi.replace('.', '_')}.png"
            save_figure(fig, path)
            written.append(path)
    return written


#: ``draw(index rows, short parameter names, KPI)`` -> a figure of the indices.
Chart = Callable[[Sequence[dict[str, Any]], Sequence[str], str], "Figure"]

#: The unit of each KPI group (the part of a KPI before its first dot).
KPI_UNITS = {
    "transit_days": "days",
    "static_days": "days",
    "target_days": "days",
    "suggested_warmup_days": "days",
    "usd_per_tonne": "USD per tonne",
    "usd_per_tonne_by_category": "USD per tonne",
    "usd_per_tonne_by_country": "USD per tonne",
    "usd_per_unit": "USD per unit",
    "co2_kg_per_tonne": "kg CO2 per tonne",
    "time_h": "hours per consignment",
    "wait_h_by_cause": "hours per consignment",
    "p_within_target": "share of consignments",
    "consignments": "consignments",
    "arrived": "consignments",
    "in_transit": "consignments",
    "wagons_departed": "wagons",
    "wagons_arrived": "wagons",
}


def kpi_unit(kpi: str) -> str:
    """The unit a KPI is measured in (``transit_days.p90`` -> ``days``); empty if unknown."""
    return KPI_UNITS.get(kpi.split(".", 1)[0], "")


def _with_unit(text: str, kpi: str) -> str:
    unit = kpi_unit(kpi)
    return f"{text} ({unit})" if unit else text


def _elementary_effects_chart(
    rows: Sequence[dict[str, Any]], names: Sequence[str], kpi: str
) -> Figure:
    """mu* against sigma (screening), every point named where its label fits beside it or,
    with a leader line, further off; and the parameters ranked by mu* with its CI."""
    from matplotlib import pyplot as plt

    from corridorsim.report.maps import LabelItem, place_labels

    fig, (scatter, bars) = plt.subplots(1, 2, figsize=(14, 5.5),
                                        gridspec_kw={"width_ratios": [1.1, 1]})
    xs = [r["mu_star"] or 0.0 for r in rows]
    ys = [r["sigma"] or 0.0 for r in rows]
    scatter.scatter(xs, ys, s=36, color="#1f5fa8", zorder=3)
    # Each axis to its own points (sigma is often far below mu*), with room right and above
    # for the labels; the dashed line is sigma = mu*.
    x_top, y_top = max([*xs, 1e-9]), max([*ys, 1e-9])
    both = max(x_top * 1.4, y_top * 1.35)
    scatter.plot([0, both], [0, both], color="#999999", linestyle="--", linewidth=0.8,
                 label="sigma = mu*")
    scatter.set_xlim(-0.05 * x_top, x_top * 1.4)
    scatter.set_ylim(-0.08 * y_top, y_top * 1.35)
    scatter.set_xlabel(_with_unit("mu* (mean absolute elementary effect)", kpi))
    scatter.set_ylabel(_with_unit("sigma (interactions or non-linearity)", kpi))
    scatter.set_title(f"Morris screening of {kpi}", loc="left")
    scatter.grid(color="#e5e5e5", linewidth=0.6)
    bars_order = sorted(range(len(rows)), key=lambda i: rows[i]["mu_star"] or 0)
    bars.barh(
        [names[i] for i in bars_order],
        [rows[i]["mu_star"] or 0.0 for i in bars_order],
        xerr=[rows[i]["mu_star_conf"] or 0 for i in bars_order],
        color="#1f5fa8",
    )
    bars.tick_params(axis="y", labelsize=8)
    bars.set_xlabel(_with_unit(f"mu* of {kpi}", kpi))
    bars.set_title("Ranking (with 95% bootstrap CI)", loc="left")
    bars.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    fig.tight_layout()
    # The largest effects are named first: they get the places nearest their points.
    ranked = sorted(range(len(rows)), key=lambda i: -xs[i])
    items = [LabelItem(_tiny(rows[i]["parameter"]), (xs[i], ys[i]), 3.5) for i in ranked]
    placed = place_labels(scatter, items, fontsize=7, gaps_pt=(2.0, 8.0, 18.0, 30.0, 46.0),
                          leader_from=2)
    if len(placed) < len(items):
        scatter.annotate(
            f"{len(items) - len(placed)} point(s) too crowded to name: see the ranking",
            (0, 0), xycoords="axes fraction", xytext=(4, -30), textcoords="offset points",
            fontsize=7, color="#555555", va="top")
    return fig


def _tiny(path: str) -> str:
    """A short name for a point's label: ``nodes.AZ-YALAMA.facility.border.dwell_h.mean``
    -> ``AZ-YALAMA dwell_h``; ``shipments.pilot.wagons`` -> ``pilot wagons``."""
    parts = path.split(".")
    keys = [p for p in parts[2:] if p not in ("mean", "facility") and not p.startswith("[")]
    if parts[0] in ("links", "nodes", "shipments") and len(parts) > 2:
        return f"{parts[1]} {keys[-1] if keys else parts[-1]}"
    return path


def _variance_shares_chart(
    rows: Sequence[dict[str, Any]], names: Sequence[str], kpi: str
) -> Figure:
    """First-order and total Sobol indices side by side, ranked by the total (the legend
    right of the bars, where it covers none)."""
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(12, 1.5 + 0.5 * len(rows)))
    order = sorted(range(len(rows)), key=lambda i: rows[i]["ST"] or 0)
    y = list(range(len(order)))
    ax.barh(
        [v - 0.2 for v in y],
        [rows[i]["S1"] or 0.0 for i in order],
        height=0.4,
        xerr=[rows[i]["S1_conf"] or 0 for i in order],
        label="S1 (first order)",
        color="#4c72b0",
    )
    ax.barh(
        [v + 0.2 for v in y],
        [rows[i]["ST"] or 0.0 for i in order],
        height=0.4,
        xerr=[rows[i]["ST_conf"] or 0 for i in order],
        label="ST (total)",
        color="#dd8452",
    )
    ax.set_yticks(y, [names[i] for i in order], fontsize=8)
    ax.set_xlabel(f"share of the variance of {kpi} (0 to 1)")
    ax.axvline(0, color="#444444", linewidth=0.6)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    ax.set_title("Sobol indices (95% bootstrap CI)", loc="left")
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    return fig


def _tornado(
    rows: Sequence[dict[str, Any]], names: Sequence[str], kpi: str, key: str, xlabel: str
) -> Figure:
    """Bars of one signed index per parameter, the largest on top (red: the KPI rises with
    the parameter, blue: it falls)."""
    from matplotlib import pyplot as plt
    from matplotlib.patches import Patch

    fig, ax = plt.subplots(figsize=(12, 1.5 + 0.5 * len(rows)))
    order = sorted(range(len(rows)), key=lambda i: abs(rows[i][key] or 0))
    values = [rows[i][key] or 0 for i in order]
    ax.barh(
        [names[i] for i in order],
        values,
        color=["#c44e52" if v > 0 else "#4c72b0" for v in values],
    )
    ax.tick_params(axis="y", labelsize=8)
    ax.axvline(0, color="#444444", linewidth=0.6)
    ax.set_xlabel(xlabel)
    ax.set_title("Tornado: what moves " + kpi, loc="left")
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    ax.legend(handles=[Patch(color="#c44e52", label=f"{kpi} rises with the parameter"),
                       Patch(color="#4c72b0", label=f"{kpi} falls as the parameter rises")],
              fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return fig


def _rank_tornado(rows: Sequence[dict[str, Any]], names: Sequence[str], kpi: str) -> Figure:
    """A tornado of Spearman rank correlations (Latin hypercubes)."""
    return _tornado(rows, names, kpi, "spearman_rho",
                    f"Spearman rank correlation with {kpi} (-1 to 1)")


def _level_text(level: Any) -> str:
    """A grid level as a bar end's label: a number as it is, a list by its size."""
    if isinstance(level, list):
        return "none" if not level else f"{len(level)} item{'s' if len(level) != 1 else ''}"
    if isinstance(level, float):
        return f"{level:g}"
    return str(level)


def _effect_tornado(rows: Sequence[dict[str, Any]], names: Sequence[str], kpi: str) -> Figure:
    """A tornado of main effects (grids): per parameter, a bar over the range of the mean
    KPI at its levels and an arrow from the mean at its first (lowest) level to that at its
    last (highest), red where the KPI rises, blue where it falls, each end named with its
    level; the other levels are dots. The largest range on top."""
    from matplotlib import pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrow, Patch

    rises, falls = "#c44e52", "#4c72b0"
    fig, ax = plt.subplots(figsize=(12, 1.8 + 0.6 * len(rows)))
    order = sorted(range(len(rows)), key=lambda i: rows[i]["effect_range"] or 0)
    means = [[m for m in (rows[i]["level_means"] or []) if m is not None] for i in order]
    every = [m for ms in means for m in ms]
    centre = sum(every) / len(every) if every else 0.0
    span = (max(every) - min(every)) if every else 0.0
    span = span or abs(centre) * 0.1 or 1.0
    for y, (i, ms) in enumerate(zip(order, means, strict=True)):
        levels = rows[i]["levels"] or []
        if not ms or len(levels) != len(rows[i]["level_means"] or []):
            continue
        low, high = ms[0], ms[-1]
        colour = rises if high > low else falls
        ax.barh(y, max(ms) - min(ms), left=min(ms), color="#e3e3e3", height=0.6, zorder=2)
        ax.plot(ms[1:-1], [y] * len(ms[1:-1]), "o", color="#555555", markersize=3.5,
                zorder=4)
        ax.annotate("", (high, y), xytext=(low, y), zorder=5,
                    arrowprops={"arrowstyle": "-|>,head_width=0.35,head_length=0.7",
                                "color": colour, "linewidth": 2.2, "shrinkA": 0,
                                "shrinkB": 0})
        ax.plot([low], [y], "o", markerfacecolor="white", markeredgecolor=colour,
                markersize=6, zorder=6)
        # Each end's level on its outer side: the first level's away from the last's.
        for value, level, outward in ((low, levels[0], low <= high),
                                      (high, levels[-1], high > low)):
            left_side = outward if value is low else not outward
            ax.annotate(f"{_level_text(level)}: {value:.3g}", (value, y),
                        xytext=(-6 if left_side else 6, 0), textcoords="offset points",
                        ha="right" if left_side else "left", va="center", fontsize=7.5,
                        color="#333333", zorder=7)
    ax.set_yticks(range(len(order)), [names[i] for i in order], fontsize=8)
    ax.set_ylim(-0.7, len(order) - 0.3)
    ax.set_xlim(min([*every, centre]) - 0.4 * span, max([*every, centre]) + 0.4 * span)
    ax.axvline(centre, color="#444444", linewidth=0.8, linestyle="--", zorder=3)
    ax.set_xlabel(_with_unit(f"mean {kpi} at a level of the parameter (dashed: the mean over "
                             f"the grid, {centre:.3g})", kpi))
    ax.set_title(f"Tornado: what moves {kpi}, and which way", loc="left")
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    ax.legend(handles=[
        Patch(color="#e3e3e3", label="range over the levels"),
        FancyArrow(0, 0, 1, 0, color=rises, width=0.1, label=f"first -> last level: {kpi} rises"),
        FancyArrow(0, 0, 1, 0, color=falls, width=0.1, label=f"first -> last level: {kpi} falls"),
        Line2D([], [], marker="o", linestyle="none", markerfacecolor="white",
               markeredgecolor="#555555", markersize=6, label="first (lowest) level"),
        Line2D([], [], marker="o", linestyle="none", color="#555555", markersize=3.5,
               label="levels between"),
    ], fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return fig


#: Chart kind (a method's ``chart``) -> the function that draws it.
CHARTS: dict[str, Chart] = {
    "elementary_effects": _elementary_effects_chart,
    "variance_shares": _variance_shares_chart,
    "rank_tornado": _rank_tornado,
    "effect_tornado": _effect_tornado,
}


def _short(path: str) -> str:
    """``links.KZ-AKTAU--AZ-ALAT-FERRY.ferry.every_h`` -> ``KZ-AKTAU--AZ-ALAT-FERRY every_h``."""
    parts = path.split(".")
    return f"{parts[1]} {'.'.join(parts[2:])}" if parts[0] in ("links", "nodes") else path
