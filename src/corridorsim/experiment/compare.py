"""Comparing scenarios under common random numbers.

Every scenario runs with the same seed and replication numbers, so replication r of each
draws the same numbers wherever the scenarios share a component (a border post, a ferry, a
flow's departures). The difference of a KPI between a scenario and the first one is taken
replication by replication (paired), which cancels the shared noise: its t interval is
narrower than that of two independent runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from corridorsim.experiment.replications import simulate
from corridorsim.experiment.results import SimulationResult
from corridorsim.experiment.stats import clean, mean_ci
from corridorsim.scenario.load import Scenario

#: Per-replication KPIs that can be paired across scenarios.
PAIRED_KPIS = ("transit_days", "usd_per_tonne", "co2_kg_per_tonne")


def replication_kpis(result: SimulationResult, shipment_id: str) -> dict[str, np.ndarray]:
    """Per replication: mean transit days, USD and CO2 per tonne of the arrived consignments
    (nan where none arrived)."""
    index = [p.id for p in result.scenario.shipments].index(shipment_id)
    out = {k: np.full(len(result.replications), np.nan) for k in PAIRED_KPIS}
    for j, rep in enumerate(result.replications):
        c = rep.consignments
        rows = np.flatnonzero((c["shipment"] == index) & ~np.isnan(c["arrive"]))
        if rows.size:
            out["transit_days"][j] = ((c["arrive"][rows] - c["depart"][rows]) / 24).mean()
            out["usd_per_tonne"][j] = (c["cost_usd"][rows] / c["tonnes"][rows]).mean()
            out["co2_kg_per_tonne"][j] = (c["co2_kg"][rows] / c["tonnes"][rows]).mean()
    return out


def paired_difference(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """Mean of b - a over the replications where both have a value, with its 95% t CI."""
    both = ~np.isnan(a) & ~np.isnan(b)
    mean, lo, hi = mean_ci(b[both] - a[both])
    significant = None if math.isnan(lo) else bool(lo > 0 or hi < 0)
    return {"mean": mean, "ci95": [lo, hi], "significant": significant, "n": int(both.sum())}


def labels_for(scenarios: Sequence[Scenario]) -> list[str]:
    """Short unique names: the file stems (numbered when two files share a stem)."""
    stems = [Path(s.path).stem for s in scenarios]
    return [f"{stem}#{i + 1}" if stems.count(stem) > 1 else stem for i, stem in enumerate(stems)]


@dataclass
class Comparison:
    labels: list[str]
    results: list[SimulationResult]
    seed: int

    def document(self) -> dict[str, Any]:
        """The ``compare --json`` document (stable keys, see the README)."""
        ids_by_label = {
            label: [p.id for p in r.scenario.shipments]
            for label, r in zip(self.labels, self.results, strict=True)
        }
        all_ids = list(dict.fromkeys(i for ids in ids_by_label.values() for i in ids))
        summaries = [r.summary() for r in self.results]
        shipments: dict[str, Any] = {}
        missing: dict[str, list[str]] = {}
        for shipment_id in all_ids:
            absent = [lab for lab in self.labels if shipment_id not in ids_by_label[lab]]
            if absent:
                missing[shipment_id] = absent
            per_scenario = {
                label: _kpis(summary["shipments"][shipment_id])
                for label, summary in zip(self.labels, summaries, strict=True)
                if shipment_id in summary["shipments"]
            }
            entry: dict[str, Any] = {"per_scenario": per_scenario, "diff_vs_first": {}}
            first, first_label = self.results[0], self.labels[0]
            if shipment_id in ids_by_label[first_label]:
                base = replication_kpis(first, shipment_id)
                for label, result in zip(self.labels[1:], self.results[1:], strict=True):
                    if shipment_id not in ids_by_label[label]:
                        continue
                    other = replication_kpis(result, shipment_id)
                    diff = paired_difference(base["transit_days"], other["transit_days"])
                    diff["kpi"] = "transit_days.mean"
                    for kpi in PAIRED_KPIS[1:]:
                        diff[kpi] = paired_difference(base[kpi], other[kpi])
                    entry["diff_vs_first"][label] = diff
            shipments[shipment_id] = entry
        return clean(
            {
                "scenarios": [
                    {"label": label, "name": r.scenario.name, "file": r.scenario.path}
                    for label, r in zip(self.labels, self.results, strict=True)
                ],
                "seed": self.seed,
                "replications": len(self.results[0].replications),
                "shipments": shipments,
                "missing": missing,
            }
        )


def _kpis(summary: dict[str, Any]) -> dict[str, Any]:
    t = summary["transit_days"]
    return {
        "transit_days": {k: t[k] for k in ("mean", "ci95", "p50", "p90", "p95")},
        "usd_per_tonne": summary["usd_per_tonne"]["mean"],
        "co2_kg_per_tonne": summary["co2_kg_per_tonne"]["mean"],
        "p_within_target": summary["p_within_target"],
        "arrived": summary["arrived"],
        "in_transit": summary["in_transit"],
    }


def compare(
    scenarios: Sequence[Scenario],
    *,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Run every scenario with the same seed and replications (the first scenario's unless
    given) and pair them replication by replication."""
    if len(scenarios) < 2:
        from corridorsim.errors import InputError

        raise InputError("compare: give at least two scenarios")
    seed = scenarios[0].seed if seed is None else seed
    count = scenarios[0].replications if replications is None else replications
    results = []
    for i, scenario in enumerate(scenarios):
        step = (
            (lambda done, total, i=i: progress(i * total + done, total * len(scenarios)))
            if progress
            else None
        )
        results.append(simulate(scenario, replications=count, seed=seed, jobs=jobs, progress=step))
    return Comparison(labels=labels_for(scenarios), results=results, seed=seed)
