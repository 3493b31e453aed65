"""Charts of a run (matplotlib, Agg): transit-time distribution, waiting breakdown,
time-distance diagram and route map, each a PNG written atomically."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from corridorsim.report.maps import plot_network, save_figure
from corridorsim.sim.records import CAUSES

CAUSE_COLOURS = {
    "facility": "#4c72b0",
    "ferry": "#0f9d8a",
    "headway": "#dd8452",
    "disruption": "#c44e52",
    "running": "#d9d9d9",
    "processing": "#a6a6a6",
}
CAUSE_LABELS = {
    "facility": "facility queue",
    "ferry": "waiting for a ferry",
    "headway": "line headway",
    "disruption": "disruption",
    "running": "running (on links, at sea)",
    "processing": "processing (borders, ports, yards)",
}
#: The parts of a door-to-door time, in the order they are drawn.
TIME_PARTS = ("running", "processing", *CAUSES)


def _time_parts(shipments: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Mean hours per consignment of each part of the door-to-door time, per shipment."""
    parts = {
        part: np.array([s["time_h"][part] or 0.0 for s in shipments])
        for part in ("running", "processing")
    }
    for cause in CAUSES:
        parts[cause] = np.array([s["wait_h_by_cause"][cause] or 0.0 for s in shipments])
    return parts


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    return plt


def _transit_days(result: Any, index: int) -> np.ndarray:
    parts = []
    for rep in result.replications:
        c = rep.consignments
        rows = np.flatnonzero((c["shipment"] == index) & ~np.isnan(c["arrive"]))
        parts.append((c["arrive"][rows] - c["depart"][rows]) / 24)
    return np.concatenate(parts) if parts else np.zeros(0)


def transit_chart(result: Any, path: str | os.PathLike[str]) -> None:
    """ECDF (left) and histogram (right) of door-to-door days, one colour per shipment."""
    plt = _pyplot()
    fig, (ecdf, hist) = plt.subplots(1, 2, figsize=(13, 5))
    colours = plt.get_cmap("tab10")
    for i, plan in enumerate(result.scenario.shipments):
        days = np.sort(_transit_days(result, i))
        if days.size == 0:
            continue
        colour = colours(i % 10)
        y = np.arange(1, days.size + 1) / days.size
        ecdf.step(
            days,
            y,
            where="post",
            color=colour,
            label=f"{plan.id} (n={days.size}, mean {days.mean():.1f} d)",
        )
        hist.hist(
            days,
            bins=min(40, max(8, days.size // 5)),
            histtype="stepfilled",
            alpha=0.35,
            color=colour,
            edgecolor=colour,
            label=plan.id,
        )
        target = result.scenario.target_days(plan.id)
        if target:
            ecdf.axvline(target, color=colour, linestyle=":", linewidth=1)
            ecdf.annotate(
                f"target {target:g} d",
                (target, 0.02),
                rotation=90,
                fontsize=7,
                color=colour,
                xytext=(3, 0),
                textcoords="offset points",
            )
    for p in (0.5, 0.9):
        ecdf.axhline(p, color="#999999", linewidth=0.6, linestyle="--")
    ecdf.set_xlabel("door-to-door transit (days)")
    ecdf.set_ylabel("share of consignments arrived")
    ecdf.set_title("Transit time, cumulative", loc="left")
    ecdf.set_ylim(0, 1.02)
    ecdf.legend(fontsize=8, loc="lower right")
    hist.set_xlabel("door-to-door transit (days)")
    hist.set_ylabel("consignments (all replications)")
    hist.set_title("Transit time, histogram", loc="left")
    hist.legend(fontsize=8)
    for ax in (ecdf, hist):
        ax.grid(color="#e5e5e5", linewidth=0.6)
    fig.suptitle(
        f"{result.scenario.name} - {len(result.replications)} replications, seed {result.seed}",
        fontsize=11,
        x=0.01,
        ha="left",
    )
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


def waiting_chart(result: Any, path: str | os.PathLike[str], summary: dict[str, Any]) -> None:
    """Mean hours per consignment: running, processing, and waiting by cause."""
    plt = _pyplot()
    ids = list(summary["shipments"])
    fig, ax = plt.subplots(figsize=(11, 1.2 + 0.7 * len(ids)))
    left = np.zeros(len(ids))
    parts = _time_parts([summary["shipments"][s] for s in ids])
    total = sum(parts.values())
    for cause in TIME_PARTS:
        values = parts[cause]
        ax.barh(ids, values, left=left, color=CAUSE_COLOURS[cause], label=CAUSE_LABELS[cause])
        for y, (x0, w) in enumerate(zip(left, values, strict=True)):
            if w > 0.06 * max(total.max(), 1):
                ax.text(
                    x0 + w / 2,
                    y,
                    f"{w:,.0f} h",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="#222222" if cause in ("running", "processing") else "white",
                )
        left += values
    ax.invert_yaxis()
    ax.set_xlabel("mean hours per consignment (door to door)")
    ax.set_title("Where the time goes", loc="left")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


def time_distance_chart(result: Any, path: str | os.PathLike[str], *, most: int = 60) -> None:
    """Kilometres covered against time for the first replication's consignments: flat
    stretches are waits and processing, steep ones are running."""
    plt = _pyplot()
    rep = result.replications[0]
    network = result.scenario.network
    km_of = np.array(
        [
            network.links[label.split(":", 1)[1]].km if label.startswith("link:") else 0.0
            for label in rep.labels
        ]
    )
    legs, c = rep.legs, rep.consignments
    fig, ax = plt.subplots(figsize=(12, 6))
    colours = plt.get_cmap("tab10")
    drawn: set[int] = set()
    for row in range(min(c["shipment"].size, most)):
        mask = legs["consignment"] == row
        if not mask.any():
            continue
        order = np.argsort(legs["seq"][mask])
        start, end = legs["start"][mask][order], legs["end"][mask][order]
        arrive = legs["arrive"][mask][order]
        km = km_of[legs["label"][mask][order]]
        t, d, covered = [float(c["depart"][row])], [0.0], 0.0
        for a, s, e, k in zip(arrive, start, end, km, strict=True):
            t.extend([a, s, e])
            d.extend([covered, covered, covered + k])
            covered += k
        shipment = int(c["shipment"][row])
        ax.plot(
            np.array(t) / 24,
            d,
            color=colours(shipment % 10),
            linewidth=1,
            alpha=0.8,
            label=result.scenario.shipments[shipment].id if shipment not in drawn else None,
        )
        drawn.add(shipment)
    ax.set_xlabel("time since start (days)")
    ax.set_ylabel("distance covered (km)")
    ax.set_title("Time-distance diagram (replication 0; flat = waiting or processing)", loc="left")
    ax.grid(color="#e5e5e5", linewidth=0.6)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


def write_run_charts(result: Any, out_dir: str | os.PathLike[str]) -> list[Path]:
    out = Path(out_dir)
    summary = result.summary()
    transit_chart(result, out / "transit.png")
    waiting_chart(result, out / "waiting.png", summary)
    time_distance_chart(result, out / "time_distance.png")
    highlight = {link for plan in result.scenario.shipments for link in plan.route.links}
    plot_network(
        result.scenario.network,
        out / "route_map.png",
        highlight=highlight,
        title=f"{result.scenario.name}: planned routes",
    )
    return [out / n for n in ("transit.png", "waiting.png", "time_distance.png", "route_map.png")]


def write_compare_charts(
    comparison: Any, document: dict[str, Any], out_dir: str | os.PathLike[str]
) -> list[Path]:
    """Per shipment: transit-time ECDFs of every scenario overlaid (left) and the waiting
    breakdown side by side (right)."""
    plt = _pyplot()
    written = []
    colours = plt.get_cmap("tab10")
    for shipment_id, entry in document["shipments"].items():
        fig, (ecdf, waits) = plt.subplots(1, 2, figsize=(14, 5))
        labels = [s for s in comparison.labels if s in entry["per_scenario"]]
        for i, (label, result) in enumerate(
            zip(comparison.labels, comparison.results, strict=True)
        ):
            ids = [p.id for p in result.scenario.shipments]
            if shipment_id not in ids:
                continue
            days = np.sort(_transit_days(result, ids.index(shipment_id)))
            if days.size:
                diff = entry["diff_vs_first"].get(label)
                note = "" if diff is None else f", Δ {diff['mean']:+.2f} d"
                ecdf.step(
                    days,
                    np.arange(1, days.size + 1) / days.size,
                    where="post",
                    color=colours(i % 10),
                    label=f"{label} (mean {days.mean():.2f} d{note})",
                )
        ecdf.set_xlabel("door-to-door transit (days)")
        ecdf.set_ylabel("share of consignments arrived")
        ecdf.set_title(f"{shipment_id}: transit time by scenario", loc="left")
        ecdf.legend(fontsize=8, loc="lower right")
        ecdf.grid(color="#e5e5e5", linewidth=0.6)
        left = np.zeros(len(labels))
        summaries = {
            label: r.summary()["shipments"].get(shipment_id)
            for label, r in zip(comparison.labels, comparison.results, strict=True)
        }
        parts = _time_parts([summaries[lab] for lab in labels])
        for cause in TIME_PARTS:
            waits.barh(
                labels,
                parts[cause],
                left=left,
                color=CAUSE_COLOURS[cause],
                label=CAUSE_LABELS[cause],
            )
            left += parts[cause]
        waits.invert_yaxis()
        waits.set_xlabel("mean hours per consignment, door to door")
        waits.set_title("Where the time goes", loc="left")
        waits.legend(fontsize=8)
        waits.grid(axis="x", color="#e5e5e5", linewidth=0.6)
        fig.tight_layout()
        path = Path(out_dir) / f"compare_{shipment_id}.png"
        save_figure(fig, path)
        plt.close(fig)
        written.append(path)
    return written
