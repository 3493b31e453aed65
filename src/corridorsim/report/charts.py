"""Charts of a run (matplotlib, Agg): transit-time distribution, waiting breakdown,
time-distance diagram and route map, each a PNG written atomically."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from corridorsim.report.maps import plot_network, save_figure

if TYPE_CHECKING:
    from corridorsim.experiment.compare import Comparison
    from corridorsim.experiment.results import ShipmentResult, SimulationResult

CAUSE_COLOURS = {
    "facility": "#4c72b0",
    "ferry": "#0f9d8a",
    "headway": "#dd8452",
    "disruption": "#c44e52",
    "formation": "#8172b3",
    "fleet": "#937860",
    "running": "#d9d9d9",
    "processing": "#a6a6a6",
}
CAUSE_LABELS = {
    "facility": "facility queue",
    "ferry": "waiting for a ferry",
    "headway": "line headway",
    "disruption": "disruption",
    "formation": "train formation",
    "fleet": "waiting for wagons (fleet)",
    "running": "running (on links, at sea)",
    "processing": "processing (borders, ports, yards)",
}
#: The parts of a door-to-door time that are not waiting, drawn before the waits by cause.
MOVING_PARTS = ("running", "processing")


def _time_parts(shipments: Sequence[ShipmentResult]) -> dict[str, np.ndarray]:
    """Mean hours per consignment of each part of the door-to-door time (moving, then
    waiting by cause), one value per shipment, in the order they are drawn."""
    parts = {part: np.array([s.time_h[part] for s in shipments]) for part in MOVING_PARTS}
    causes = list(shipments[0].wait_h_by_cause) if shipments else []
    for cause in causes:
        parts[cause] = np.array([s.wait_h_by_cause[cause] for s in shipments])
    return parts


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    return plt


def transit_chart(result: SimulationResult, path: str | os.PathLike[str]) -> None:
    """ECDF (left) and histogram (right) of door-to-door days, one colour per shipment."""
    plt = _pyplot()
    fig, (ecdf, hist) = plt.subplots(1, 2, figsize=(13, 5))
    colours = plt.get_cmap("tab10")
    for i, plan in enumerate(result.scenario.shipments):
        days = np.sort(result.shipment(plan.id).transit_days.pooled)
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
    save_figure(fig, path)


def _time_bars(ax: Any, labels: Sequence[str], shipments: Sequence[ShipmentResult]) -> None:
    """Stacked bars, one per label: mean hours per consignment running, processing and
    waiting by cause, each part wide enough labelled with its hours."""
    left = np.zeros(len(labels))
    parts = _time_parts(shipments)
    total = np.sum(list(parts.values()), axis=0) if parts else np.zeros(len(labels))
    for cause, values in parts.items():
        ax.barh(labels, values, left=left, color=CAUSE_COLOURS[cause], label=CAUSE_LABELS[cause])
        for y, (x0, w) in enumerate(zip(left, values, strict=True)):
            if w > 0.06 * max(total.max(), 1):
                ax.text(
                    x0 + w / 2,
                    y,
                    f"{w:,.0f} h",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="#222222" if cause in MOVING_PARTS else "white",
                )
        left += values
    ax.invert_yaxis()
    ax.set_xlabel("mean hours per consignment (door to door)")
    ax.set_title("Where the time goes", loc="left")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)


def waiting_chart(result: SimulationResult, path: str | os.PathLike[str]) -> None:
    """Mean hours per consignment: running, processing, and waiting by cause."""
    plt = _pyplot()
    ids = list(result.shipments)
    fig, ax = plt.subplots(figsize=(11, 1.2 + 0.7 * len(ids)))
    _time_bars(ax, ids, list(result.shipments.values()))
    save_figure(fig, path)


def time_distance_chart(
    result: SimulationResult, path: str | os.PathLike[str], *, most: int = 60
) -> None:
    """Kilometres covered against time for the first replication's consignments (flat
    stretches are waits and processing, steep ones are running) and, when the scenario runs
    trains (services, split consignments), a panel of the trains along their sections."""
    plt = _pyplot()
    network = result.scenario.network
    rep = result.replications[0] if result.replications else None
    trains = list(rep.train_records()) if rep is not None else []
    if trains:
        fig, (ax, train_ax) = plt.subplots(
            2, 1, figsize=(12, 9), sharex=True, gridspec_kw={"height_ratios": [3, 2]}
        )
    else:
        fig, ax = plt.subplots(figsize=(12, 6))
    colours = plt.get_cmap("tab10")
    shipment_ids = list(result.shipments)
    drawn: set[str] = set()
    total = 0
    for number, (consignment, legs) in enumerate(result.journeys(0) if rep else ()):
        total += 1
        if number >= most or not legs:
            continue
        t, d, covered = [consignment.depart_h], [0.0], 0.0
        for leg in legs:
            km = network.links[leg.id].km if leg.kind == "link" else 0.0
            t.extend([leg.arrive_h, leg.start_h, leg.end_h])
            d.extend([covered, covered, covered + km])
            covered += km
        shipment = consignment.shipment
        ax.plot(
            np.array(t) / 24,
            d,
            color=colours(shipment_ids.index(shipment) % 10),
            linewidth=1,
            alpha=0.8,
            label=shipment if shipment not in drawn else None,
        )
        drawn.add(shipment)
    sample = f"the first {most} of {total:,} consignments" if total > most else "consignments"
    ax.set_ylabel("distance covered (km)")
    ax.set_title(
        f"Time-distance diagram, replication 0, {sample} (flat = waiting or processing)",
        loc="left",
    )
    ax.grid(color="#e5e5e5", linewidth=0.6)
    if drawn:
        ax.legend(fontsize=8)
    if trains:
        _train_panel(train_ax, trains, network, most)
        train_ax.set_xlabel("time since start (days)")
    else:
        ax.set_xlabel("time since start (days)")
    save_figure(fig, path)


def _train_panel(ax: Any, trains: Sequence[Any], network: Any, most: int) -> None:
    """The trains along their sections: distance from where each was formed (or split)."""
    names = list(dict.fromkeys(train.name for train in trains))
    colours = _pyplot().get_cmap("Dark2")
    drawn: set[str] = set()
    for train in trains[:most]:
        t, d, covered = [train.depart_h], [0.0], 0.0
        for kind, place, arrive_h, start_h, end_h in train.legs:
            km = network.links[place].km if kind == "link" else 0.0
            t.extend([arrive_h, start_h, end_h])
            d.extend([covered, covered, covered + km])
            covered += km
        ax.plot(
            np.array(t) / 24,
            d,
            color=colours(names.index(train.name) % 8),
            linewidth=1.6,
            alpha=0.85,
            label=train.name if train.name not in drawn else None,
        )
        drawn.add(train.name)
    sample = f", the first {most} of {len(trains):,}" if len(trains) > most else ""
    ax.set_title(f"Trains{sample} (distance from where each was formed)", loc="left")
    ax.set_ylabel("distance on the section (km)")
    ax.grid(color="#e5e5e5", linewidth=0.6)
    ax.legend(fontsize=8)


def write_run_charts(result: SimulationResult, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write a run's four charts into ``out_dir``; return their paths."""
    out = Path(out_dir)
    transit_chart(result, out / "transit.png")
    waiting_chart(result, out / "waiting.png")
    time_distance_chart(result, out / "time_distance.png")
    highlight = {link for plan in result.scenario.shipments for link in plan.route.links}
    plot_network(
        result.scenario.network,
        out / "route_map.png",
        highlight=highlight,
        title=f"{result.scenario.name}: planned routes",
    )
    return [out / n for n in ("transit.png", "waiting.png", "time_distance.png", "route_map.png")]


def write_compare_charts(comparison: Comparison, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Per shipment: transit-time ECDFs of every scenario overlaid (left) and the waiting
    breakdown side by side (right)."""
    plt = _pyplot()
    written = []
    colours = plt.get_cmap("tab10")
    for shipment_id, entry in comparison.shipments.items():
        fig, (ecdf, waits) = plt.subplots(1, 2, figsize=(14, 5))
        labels = list(entry.per_scenario)
        for i, label in enumerate(comparison.labels):
            if label not in entry.per_scenario:
                continue
            days = np.sort(entry.per_scenario[label].transit_days.pooled)
            if days.size:
                diff = entry.diff_vs_first.get(label)
                note = "" if diff is None else f", Δ {diff['transit_days'].mean:+.2f} d"
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
        _time_bars(waits, labels, [entry.per_scenario[lab] for lab in labels])
        path = Path(out_dir) / f"compare_{shipment_id}.png"
        save_figure(fig, path)
        written.append(path)
    return written
