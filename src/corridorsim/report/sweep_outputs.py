"""A finished study's files: points.csv / points.parquet (one row per design point),
indices.csv / indices.json (sensitivity), study.json (what ran), and charts with --plots."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

from corridorsim._files import write_bytes_atomic, write_text_atomic
from corridorsim.errors import InputError
from corridorsim.report.outputs import csv_text, json_text


def point_table(outcome: Any) -> list[dict[str, Any]]:
    """Flat rows: point, parameters, then per shipment and KPI its value and CI."""
    study = outcome.study
    rows = []
    for row in outcome.rows:
        flat: dict[str, Any] = {"point": row["id"]}
        # Levels that are lists (a set of links to open) are written as JSON text.
        flat.update(
            {
                k: json.dumps(v) if isinstance(v, list | dict) else v
                for k, v in row["params"].items()
            }
        )
        for shipment in study.shipments:
            for kpi in study.spec.kpis:
                value = lo = hi = None
                if row["kpis"] is not None:
                    value, lo, hi = row["kpis"][shipment][kpi]
                prefix = f"{shipment}.{kpi}"
                flat[prefix] = value
                if kpi.endswith(".mean"):
                    flat[f"{prefix}.ci95_lo"] = lo
                    flat[f"{prefix}.ci95_hi"] = hi
        flat["replications"] = row["replications"]
        flat["seed"] = row["seed"]
        flat["error"] = row["error"] or ""
        rows.append(flat)
    return rows


def write_parquet(rows: list[dict[str, Any]], path: str | os.PathLike[str]) -> None:
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


def write_sweep_outputs(
    outcome: Any, indices: list[dict[str, Any]], out_dir: str | Path
) -> list[Path]:
    out = Path(out_dir)
    study = outcome.study
    rows = point_table(outcome)
    write_text_atomic(out / "points.csv", csv_text(rows))
    write_parquet(rows, out / "points.parquet")
    write_text_atomic(
        out / "indices.csv",
        csv_text(
            [
                {k: (v if not isinstance(v, list) else " ".join(map(str, v))) for k, v in r.items()}
                for r in indices
            ]
        ),
    )
    write_text_atomic(
        out / "indices.json",
        json_text({"study": study.spec.name, "method": study.spec.method, "indices": indices}),
    )
    write_text_atomic(
        out / "study.json",
        json_text(
            {
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
                "failed_points": sum(1 for r in outcome.rows if r["error"]),
            }
        ),
    )
    return [
        out / n
        for n in ("points.csv", "points.parquet", "indices.csv", "indices.json", "study.json")
    ]


def write_sweep_charts(
    outcome: Any, indices: list[dict[str, Any]], out_dir: str | Path
) -> list[Path]:
    """One chart per (shipment, KPI): mu*-sigma (morris), S1/ST bars (sobol), tornado of
    rank correlations (lhs) or of main-effect ranges (grid)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from corridorsim.report.maps import save_figure

    study = outcome.study
    method = study.spec.method
    written = []
    for shipment in study.shipments:
        for kpi in study.spec.kpis:
            rows = [
                r
                for r in indices
                if r["shipment"] == shipment and r["kpi"] == kpi and "note" not in r
            ]
            if not rows:
                continue
            short = [_short(r["parameter"]) for r in rows]
            if method == "morris":
                fig, (scatter, bars) = plt.subplots(1, 2, figsize=(13, 5))
                ranked = sorted(rows, key=lambda r: -(r["mu_star"] or 0))
                named = {id(r) for r in ranked[:6]}  # the rest stay unlabelled: see the bars
                for r, name in zip(rows, short, strict=True):
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
                    [short[i] for i in order],
                    [rows[i]["mu_star"] for i in order],
                    xerr=[rows[i]["mu_star_conf"] or 0 for i in order],
                    color="#1f5fa8",
                )
                bars.set_xlabel(f"mu* of {kpi}")
                bars.set_title("Ranking (with 95% bootstrap CI)", loc="left")
            elif method == "sobol":
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
                ax.set_yticks(y, [short[i] for i in order])
                ax.set_xlabel(f"share of the variance of {kpi}")
                ax.axvline(0, color="#444444", linewidth=0.6)
                ax.legend(fontsize=8)
                ax.set_title("Sobol indices (95% bootstrap CI)", loc="left")
            else:
                key = "spearman_rho" if method == "lhs" else "effect_range"
                fig, ax = plt.subplots(figsize=(11, 1.5 + 0.5 * len(rows)))
                order = sorted(range(len(rows)), key=lambda i: abs(rows[i][key] or 0))
                values = [rows[i][key] or 0 for i in order]
                ax.barh(
                    [short[i] for i in order],
                    values,
                    color=["#c44e52" if v > 0 else "#4c72b0" for v in values],
                )
                ax.axvline(0, color="#444444", linewidth=0.6)
                ax.set_xlabel(
                    "Spearman rank correlation with " + kpi
                    if method == "lhs"
                    else f"range of the mean {kpi} across a parameter's levels"
                )
                ax.set_title("Tornado: what moves " + kpi, loc="left")
            fig.suptitle(f"{study.spec.name} - {shipment}", x=0.01, ha="left", fontsize=11)
            fig.tight_layout()
            path = Path(out_dir) / f"sensitivity_{shipment}_{kpi.replace('.', '_')}.png"
            save_figure(fig, path)
            plt.close(fig)
            written.append(path)
    return written


def _short(path: str) -> str:
    """``links.KZ-AKTAU--AZ-ALAT-FERRY.ferry.every_h`` -> ``KZ-AKTAU--AZ-ALAT-FERRY every_h``."""
    parts = path.split(".")
    return f"{parts[1]} {'.'.join(parts[2:])}" if parts[0] in ("links", "nodes") else path
