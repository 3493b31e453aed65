"""Comparing scenarios under common random numbers.

Every scenario runs with the same seed and replication numbers, so replication r of each
draws the same numbers wherever the scenarios share a component (a border post, a ferry, a
flow's departures). The difference of a KPI between a scenario and the first one is taken
replication by replication (paired), which cancels the shared noise: its t interval is
narrower than that of two independent runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from corridorsim.errors import InputError
from corridorsim.experiment.replications import simulate
from corridorsim.experiment.results import ShipmentResult, SimulationResult
from corridorsim.experiment.stats import PairedDifference, clean
from corridorsim.scenario.load import Scenario

#: Per-replication KPIs that are paired across scenarios, the first being the headline.
PAIRED_KPIS = ("transit_days", "usd_per_tonne", "co2_kg_per_tonne")


def labels_for(scenarios: Sequence[Scenario]) -> list[str]:
    """Short unique names: the file stems (numbered when two files share a stem)."""
    stems = [Path(s.path).stem for s in scenarios]
    return [f"{stem}#{i + 1}" if stems.count(stem) > 1 else stem for i, stem in enumerate(stems)]


@dataclass(frozen=True, eq=False)
class ShipmentComparison:
    """One shipment across the scenarios: each one's results and the paired differences."""

    shipment: str
    #: Per scenario label (only the scenarios that have the shipment): its results.
    per_scenario: Mapping[str, ShipmentResult]
    #: Per scenario label after the first: per KPI of :data:`PAIRED_KPIS`, the difference to
    #: the first scenario (empty when the first scenario lacks the shipment).
    diff_vs_first: Mapping[str, Mapping[str, PairedDifference]]
    #: Labels of the scenarios without this shipment.
    missing_from: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The shipment's block of ``compare.json`` (not yet rounded)."""
        diffs: dict[str, Any] = {}
        for label, by_kpi in self.diff_vs_first.items():
            headline, *others = PAIRED_KPIS
            entry = by_kpi[headline].to_dict()
            entry["kpi"] = f"{headline}.mean"
            entry.update({kpi: by_kpi[kpi].to_dict() for kpi in others})
            diffs[label] = entry
        return {
            "per_scenario": {
                label: _headline_kpis(result) for label, result in self.per_scenario.items()
            },
            "diff_vs_first": diffs,
        }


@dataclass(frozen=True, eq=False)
class Comparison:
    """Scenarios run under common random numbers, and their shipments compared."""

    labels: list[str]
    results: list[SimulationResult]
    seed: int

    @property
    def replications(self) -> int:
        """Replications per scenario (the same for all)."""
        return len(self.results[0].replications)

    def result(self, label: str) -> SimulationResult:
        """The run of the scenario with this label."""
        return self.results[self.labels.index(label)]

    @cached_property
    def shipments(self) -> Mapping[str, ShipmentComparison]:
        """Per shipment id (in order of first appearance): the comparison (computed once)."""
        ids = list(dict.fromkeys(i for r in self.results for i in r.shipments))
        first_label, first = self.labels[0], self.results[0]
        out = {}
        for shipment_id in ids:
            per_scenario = {
                label: r.shipment(shipment_id)
                for label, r in zip(self.labels, self.results, strict=True)
                if shipment_id in r.shipments
            }
            diffs: dict[str, dict[str, PairedDifference]] = {}
            if first_label in per_scenario:
                base = first.shipment(shipment_id)
                for label, other in per_scenario.items():
                    if label == first_label:
                        continue
                    diffs[label] = {
                        kpi: PairedDifference.of(
                            getattr(base, kpi).per_replication,
                            getattr(other, kpi).per_replication,
                        )
                        for kpi in PAIRED_KPIS
                    }
            out[shipment_id] = ShipmentComparison(
                shipment=shipment_id,
                per_scenario=per_scenario,
                diff_vs_first=diffs,
                missing_from=tuple(lab for lab in self.labels if lab not in per_scenario),
            )
        return out

    @cached_property
    def _document(self) -> dict[str, Any]:
        return clean(
            {
                "scenarios": [
                    {"label": label, "name": r.scenario.name, "file": r.scenario.path}
                    for label, r in zip(self.labels, self.results, strict=True)
                ],
                "seed": self.seed,
                "replications": self.replications,
                "precision": self.results[0].precision,
                "precision_met": self.results[0].precision_met,
                "warmup_days": {
                    label: r.scenario.spec.warmup_days
                    for label, r in zip(self.labels, self.results, strict=True)
                },
                "shipments": {sid: s.to_dict() for sid, s in self.shipments.items()},
                "missing": {
                    sid: list(s.missing_from) for sid, s in self.shipments.items() if s.missing_from
                },
                "warnings": self.warnings,
            }
        )

    @property
    def warnings(self) -> list[str]:
        """Every scenario's warnings, each led by its label."""
        return [
            f"{label}: {text}"
            for label, r in zip(self.labels, self.results, strict=True)
            for text in r.warnings
        ]

    def document(self) -> dict[str, Any]:
        """The ``compare --json`` / ``compare.json`` document (stable keys, see the README)."""
        return self._document


def _headline_kpis(result: ShipmentResult) -> dict[str, Any]:
    t = result.transit_days
    return {
        "transit_days": {
            "mean": t.mean,
            "ci95": list(t.ci95),
            "p50": t.p50,
            "p90": t.p90,
            "p95": t.p95,
        },
        "usd_per_tonne": result.usd_per_tonne.mean,
        "co2_kg_per_tonne": result.co2_kg_per_tonne.mean,
        "p_within_target": result.p_within_target,
        "arrived": result.arrived,
        "in_transit": result.in_transit,
    }


def compare(
    scenarios: Sequence[Scenario],
    *,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int | None = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Run every scenario with the same seed and replications (the first scenario's unless
    given) and pair them replication by replication.

    ``progress(done, total)`` is called as replications finish, counted over all scenarios.
    """
    if len(scenarios) < 2:
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
