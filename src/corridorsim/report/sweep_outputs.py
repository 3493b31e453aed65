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


def _elementary_effects_chart(
    rows: Sequence[dict[str, Any]], names: Sequence[str], kpi: str
) -> Figure:
    """mu* against sigma (screening), and the parameters ranked by mu* with its CI."""
    from matplotlib import pyplot as plt

    fig, (scatter, bars) = plt.subplots(1, 2, figsize=(13, 5))
    ranked = sorted(rows, key=lambda r: -(r["mu_star"] or 0))
    named = {id(r) for r in ranked[:6]}  # the rest stay unlabelled: see the bars
    for r, name in zip(rows, names, strict=True):
        scatter.scatter(r["mu_star"], r["sigma"], s=40, color="#1f5fa8")
        if id(r) in named:
            scatter.annotate(
                name,
                (r["mu_star"], r["sigma"]),
                fontsize=7,
                xytext=(4, 3),
                textcoords="offset points",
            )
    top = max([r["mu_star"] or 0 for r in rows] + [r["sigma"] or 0 for r in rows])
    scatter.plot([0, top], [0, top], color="#999999", linestyle="--", linewidth=0.8)
    scatter.set_xlabel("mu* (mean absolute elementary effect)")
    scatter.set_ylabel("sigma (interactions or non-linearity)")
    scatter.set_title("Morris screening", loc="left")
    order = sorted(range(len(rows)), key=lambda i: rows[i]["mu_star"] or 0)
    bars.barh(
        [names[i] for i in order],
        [rows[i]["mu_star"] for i in order],
        xerr=[rows[i]["mu_star_conf"] or 0 for i in order],
        color="#1f5fa8",
    )
    bars.set_xlabel(f"mu* of {kpi}")
    bars.set_title("Ranking (with 95% bootstrap CI)", loc="left")
    return fig


def _variance_shares_chart(
    rows: Sequence[dict[str, Any]], names: Sequence[str], kpi: str
) -> Figure:
    """First-order and total Sobol indices side by side, ranked by the total."""
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 1.5 + 0.5 * len(rows)))
    order = sorted(range(len(rows)), key=lambda i: rows[i]["ST"] or 0)
    y = list(range(len(order)))
    ax.barh(
        [v - 0.2 for v in y],
        [rows[i]["S1"] for i in order],
        height=0.4,
        xerr=[rows[i]["S1_conf"] or 0 for i in order],
        label="S1 (first order)",
        color="#4c72b0",
    )
    ax.barh(
        [v + 0.2 for v in y],
        [rows[i]["ST"] for i in order],
        height=0.4,
        xerr=[rows[i]["ST_conf"] or 0 for i in order],
        label="ST (total)",
        color="#dd8452",
    )
    ax.set_yticks(y, [names[i] for i in order])
    ax.set_xlabel(f"share of the variance of {kpi}")
    ax.axvline(0, color="#444444", linewidth=0.6)
    ax.legend(fontsize=8)
    ax.set_title("Sobol indices (95% bootstrap CI)", loc="left")
    return fig


def _tornado(
    rows: Sequence[dict[str, Any]], names: Sequence[str], kpi: str, key: str, xlabel: str
) -> Figure:
    """Bars of one signed index per parameter, the largest on top (red: positive)."""
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 1.5 + 0.5 * len(rows)))
    order = sorted(range(len(rows)), key=lambda i: abs(rows[i][key] or 0))
    values = [rows[i][key] or 0 for i in order]
    ax.barh(
        [names[i] for i in order],
        values,
        color=["#c44e52" if v > 0 else "#4c72b0" for v in values],
    )
    ax.axvline(0, color="#444444", linewidth=0.6)
    ax.set_xlabel(xlabel)
    ax.set_title("Tornado: what moves " + kpi, loc="left")
    return fig


def _rank_tornado(rows: Sequence[dict[str, Any]], names: Sequence[str], kpi: str) -> Figure:
    """A tornado of Spearman rank correlations (Latin hypercubes)."""
    return _tornado(rows, names, kpi, "spearman_rho", "Spearman rank correlation with " + kpi)


def _effect_tornado(rows: Sequence[dict[str, Any]], names: Sequence[str], kpi: str) -> Figure:
    """A tornado of main-effect ranges (grids)."""
    label = f"range of the mean {kpi} across a parameter's levels"
    return _tornado(rows, names, kpi, "effect_range", label)


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
