"""The results of a scenario's replications, and the summaries every output is built from.

Replication results stay columnar (numpy) until a writer turns them into rows. Every figure a
summary reports is documented in the README under "Stable output keys".
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from corridorsim.experiment.stats import clean, describe
from corridorsim.scenario.load import Scenario
from corridorsim.sim.engine import ReplicationResult
from corridorsim.sim.records import CAUSES, NO_CAUSE

#: How many places where time is lost a shipment's summary names.
TOP_WAITS = 5


@dataclass
class SimulationResult:
    scenario: Scenario
    seed: int
    replications: list[ReplicationResult]
    #: The summary, computed once: the table, summary.json and the charts all read it.
    _summary: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def events(self) -> int:
        return sum(r.events for r in self.replications)

    # -- per shipment -----------------------------------------------------------------------

    def _shipment_rows(self, index: int) -> Iterator[tuple[ReplicationResult, np.ndarray]]:
        for rep in self.replications:
            yield rep, np.flatnonzero(rep.consignments["shipment"] == index)

    def shipment_summary(self, index: int) -> dict[str, Any]:
        plan = self.scenario.shipments[index]
        target_days = self.scenario.target_days(plan.id)
        rep_transit, rep_usd, rep_co2 = [], [], []
        pooled_transit, pooled_usd, pooled_co2 = [], [], []
        waits_by_cause = np.zeros(len(CAUSES))
        wait_by_place: dict[str, float] = defaultdict(float)
        processing_h = running_h = 0.0
        consignments = arrived = within = judged = 0
        wagons_departed = wagons_arrived = 0
        for rep, rows in self._shipment_rows(index):
            c = rep.consignments
            done = rows[~np.isnan(c["arrive"][rows])]
            consignments += rows.size
            arrived += done.size
            wagons_departed += int(c["wagons"][rows].sum())
            wagons_arrived += int(c["wagons"][done].sum())
            if done.size:
                transit_days = (c["arrive"][done] - c["depart"][done]) / 24
                usd_t = c["cost_usd"][done] / c["tonnes"][done]
                co2_t = c["co2_kg"][done] / c["tonnes"][done]
                rep_transit.append(transit_days.mean())
                rep_usd.append(usd_t.mean())
                rep_co2.append(co2_t.mean())
                pooled_transit.append(transit_days)
                pooled_usd.append(usd_t)
                pooled_co2.append(co2_t)
                waits_by_cause += c["waits"][done].sum(axis=0)
                legs = rep.legs
                mine = np.isin(legs["consignment"], done)
                mask = mine & (legs["wait"] > 0)
                by_label = np.bincount(
                    legs["label"][mask], weights=legs["wait"][mask], minlength=len(rep.labels)
                )
                for label in np.flatnonzero(by_label):
                    wait_by_place[rep.labels[label]] += float(by_label[label])
                # Time being moved or processed (start to end of each leg), by kind of leg.
                busy = legs["end"][mine] - legs["start"][mine]
                at_facility = np.isin(legs["label"][mine], rep.facility_labels())
                processing_h += float(busy[at_facility].sum())
                running_h += float(busy[~at_facility].sum())
            if target_days is not None:
                late_in_transit = rows[
                    np.isnan(c["arrive"][rows])
                    & ((rep.horizon_h - c["depart"][rows]) / 24 > target_days)
                ]
                on_time = int(((c["arrive"][done] - c["depart"][done]) / 24 <= target_days).sum())
                within += on_time
                judged += done.size + late_in_transit.size

        def pool(parts):
            return np.concatenate(parts) if parts else np.zeros(0)

        per_consignment = max(arrived, 1)
        top = sorted(wait_by_place.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_WAITS]
        return {
            "transit_days": describe(np.asarray(rep_transit), pool(pooled_transit)),
            "usd_per_tonne": describe(np.asarray(rep_usd), pool(pooled_usd)),
            "co2_kg_per_tonne": describe(np.asarray(rep_co2), pool(pooled_co2)),
            "target_days": target_days,
            "p_within_target": (within / judged if judged else math.nan)
            if target_days is not None
            else None,
            "time_h": {
                "running": running_h / per_consignment,
                "processing": processing_h / per_consignment,
                "waiting": float(waits_by_cause.sum()) / per_consignment,
            },
            "wait_h_by_cause": {
                cause: waits_by_cause[i] / per_consignment for i, cause in enumerate(CAUSES)
            },
            "top_waits": [
                {
                    "place": label.split(":", 1)[1],
                    "kind": label.split(":", 1)[0],
                    "wait_h": total / per_consignment,
                }
                for label, total in top
            ],
            "route": list(plan.route.nodes),
            "static_days": plan.route.days,
            "consignments": consignments,
            "arrived": arrived,
            "in_transit": consignments - arrived,
            "wagons_departed": wagons_departed,
            "wagons_arrived": wagons_arrived,
        }

    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` / ``run --json`` document (stable keys, rounded floats)."""
        if self._summary is None:
            self._summary = self._build_summary()
        return self._summary

    def _build_summary(self) -> dict[str, Any]:
        spec = self.scenario.spec
        return clean(
            {
                "scenario": spec.name,
                "file": self.scenario.path,
                "seed": self.seed,
                "replications": len(self.replications),
                "horizon_days": spec.horizon_days,
                "start": spec.start.isoformat() if spec.start else None,
                "shipments": {
                    plan.id: self.shipment_summary(i)
                    for i, plan in enumerate(self.scenario.shipments)
                },
            }
        )

    # -- rows for the CSV files --------------------------------------------------------------

    def shipment_rows(self) -> Iterator[dict[str, Any]]:
        plans = self.scenario.shipments
        for rep in self.replications:
            c = rep.consignments
            for row in range(c["shipment"].size):
                plan = plans[int(c["shipment"][row])]
                arrive = float(c["arrive"][row])
                done = not math.isnan(arrive)
                out = {
                    "shipment": plan.id,
                    "replication": rep.replication,
                    "consignment": int(c["number"][row]),
                    "wagons": int(c["wagons"][row]),
                    "tonnes": float(c["tonnes"][row]),
                    "origin": plan.origin,
                    "destination": plan.destination,
                    "depart_h": float(c["depart"][row]),
                    "arrive_h": arrive if done else "",
                    "transit_h": arrive - float(c["depart"][row]) if done else "",
                    "cost_usd": float(c["cost_usd"][row]) if done else "",
                    "co2_kg": float(c["co2_kg"][row]) if done else "",
                    "km": float(c["km"][row]) if done else "",
                    "reroutes": int(c["reroutes"][row]),
                }
                for i, cause in enumerate(CAUSES):
                    out[f"wait_h_{cause}"] = float(c["waits"][row, i])
                yield out

    def leg_rows(self) -> Iterator[dict[str, Any]]:
        plans = self.scenario.shipments
        for rep in self.replications:
            c, legs = rep.consignments, rep.legs
            for j in range(legs["seq"].size):
                row = int(legs["consignment"][j])
                kind, _, place = rep.labels[int(legs["label"][j])].partition(":")
                cause = int(legs["cause"][j])
                yield {
                    "shipment": plans[int(c["shipment"][row])].id,
                    "replication": rep.replication,
                    "consignment": int(c["number"][row]),
                    "seq": int(legs["seq"][j]),
                    "kind": kind,
                    "id": place,
                    "arrive_h": float(legs["arrive"][j]),
                    "start_h": float(legs["start"][j]),
                    "end_h": float(legs["end"][j]),
                    "wait_h": float(legs["wait"][j]),
                    "cause": CAUSES[cause] if cause != NO_CAUSE else "",
                    "cost_usd": float(legs["cost_usd"][j]),
                    "co2_kg": float(legs["co2_kg"][j]),
                }

    def facility_rows(self) -> list[dict[str, Any]]:
        """Per facility, averaged over replications: utilisation, mean queue, mean wait."""
        totals: dict[str, dict[str, Any]] = {}
        horizon = self.scenario.horizon_h
        for rep in self.replications:
            for f in rep.facilities:
                t = totals.setdefault(
                    f["label"],
                    {
                        "node": f["node"],
                        "servers": f["servers"],
                        "served": 0,
                        "busy_h": 0.0,
                        "wait_h": 0.0,
                    },
                )
                t["served"] += f["served"]
                t["busy_h"] += f["busy_h"]
                t["wait_h"] += f["wait_h"]
        n = max(len(self.replications), 1)
        rows = []
        for label, t in sorted(totals.items()):
            rows.append(
                {
                    "facility": label,
                    "node": t["node"],
                    "type": label.rsplit(":", 1)[1],
                    "servers": t["servers"],
                    "served_per_replication": t["served"] / n,
                    # Little's law: mean number waiting = total waiting time / time observed.
                    "utilisation": t["busy_h"] / (t["servers"] * horizon * n),
                    "mean_queue": t["wait_h"] / (horizon * n),
                    "mean_wait_h": t["wait_h"] / t["served"] if t["served"] else 0.0,
                }
            )
        return rows
