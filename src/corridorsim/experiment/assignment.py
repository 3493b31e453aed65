"""Assigning demand flows to their routes with congestion feedback (``corridorsim assign``).

Each iteration simulates the current split of every flow over its routes (the scenario's
replications, the same seed every iteration: common random numbers, and each train draws its
route from a stream of its own, see :mod:`corridorsim.sim.dealing`), measures each route's
mean simulated cost, computes the choice model's target split on those costs and moves the
split toward it by the method of successive averages, a step of 1/n at iteration n. It stops
when no share moved by ``tolerance`` or more, or after ``iterations``. The split it ends with
is simulated once more, and that run gives the reported days, costs and flows.

A route's cost is the mean over its consignments departing in the measured window: days
door to door (those still in transit at the horizon count with their days so far, a lower
bound, so that a route whose queue grows without end does not look fast) and USD per tonne
(of those that arrived). A route no train took in an iteration is priced by its static cost
plus the simulated queue waits at its facilities: what a train would have met there.

With an output folder the iterations are kept in its results store (``results.sqlite``, as
sweeps keep their points): ``resume`` continues from the last iteration stored, with exactly
the numbers an uninterrupted run gives.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from corridorsim.errors import ParameterError
from corridorsim.experiment.executors import Executor, LocalExecutor, run_replications
from corridorsim.experiment.flows import (
    ElementFlow,
    ReplicationFlows,
    element_flows,
    replication_flows,
)
from corridorsim.experiment.stats import clean, mean_ci
from corridorsim.experiment.store import FILE_NAME, PointResult, ResultsStore
from corridorsim.routing.choice import path_sizes, successive_average, target_shares
from corridorsim.scenario.load import Scenario, ShipmentPlan
from corridorsim.scenario.schema import MAX_REPLICATIONS
from corridorsim.sim.engine import run_replication
from corridorsim.sim.records import ReplicationResult

#: A split: for each shipment that is a demand flow (by its index in the scenario), the
#: share of each of its routes.
Split = dict[int, tuple[float, ...]]
#: ``progress(iterations done, at most)``: called as iterations finish.
Progress = Callable[[int, int], None]
#: How many elements the bottleneck list names.
BOTTLENECKS = 5
#: A last gap beyond this many tolerances is worth a warning.
GAP_WARNING = 5.0


@dataclass(frozen=True)
class RouteSample:
    """One route of one flow in one replication: its consignments that departed in the
    measured window."""

    #: Days door to door of those that arrived, then days so far of those in transit.
    transit_days: np.ndarray
    arrived: int
    #: USD per tonne of those that arrived.
    usd_per_tonne: np.ndarray


@dataclass(frozen=True)
class SplitRun:
    """What one replication of a split gives back from the worker: route samples by
    ``(shipment index, route index)`` and the flows by element."""

    replication: int
    routes: dict[tuple[int, int], RouteSample]
    flows: ReplicationFlows


@dataclass(frozen=True)
class RouteMeasure:
    """One route of one flow over an iteration's replications."""

    #: What the model compares (``assignment.cost``).
    cost: float
    transit_days: float
    p50_days: float
    p90_days: float
    usd_per_tonne: float
    generalized_usd_per_tonne: float
    #: Consignments measured (departed in the window), and those of them still in transit.
    consignments: int
    in_transit: int
    #: False when no train took the route: the cost is the static one plus the simulated
    #: queue waits at its facilities.
    simulated: bool


@dataclass(frozen=True)
class Iteration:
    """One iteration: the split simulated, what each route cost, the model's target and the
    largest share change toward it."""

    number: int
    split: Split
    costs: dict[int, tuple[float, ...]]
    target: Split
    max_share_change: float
    #: The largest distance between the split simulated and the model's split on its costs:
    #: how far from consistent the split is (the share change is this gap over n).
    max_gap: float = 0.0


@dataclass(frozen=True)
class AssignmentOutcome:
    """An assignment's result: its iterations, the final split and what it gives."""

    scenario: Scenario
    seed: int
    replications: int
    iterations: tuple[Iteration, ...]
    converged: bool
    split: Split
    #: The final split's measures, by shipment index and route.
    measures: dict[int, tuple[RouteMeasure, ...]]
    flows: tuple[ElementFlow, ...]
    #: The 95% CI of each route's share: of the model's split on each replication's costs
    #: (nan with one replication).
    share_ci95: dict[int, tuple[tuple[float, float], ...]] = dataclasses.field(
        default_factory=dict
    )

    @property
    def demand(self) -> list[tuple[int, ShipmentPlan]]:
        """The shipments that are demand flows, with their index."""
        return demand_plans(self.scenario)

    def warnings(self) -> Iterator[str]:
        """What a reader should know about the split: not converged, or converged by small
        steps while still far from the model's split on its costs."""
        spec = self.scenario.spec.assignment
        if not self.iterations:
            return
        last = self.iterations[-1]
        if not self.converged:
            yield (
                f"not converged after {last.number} iterations: the largest share change was "
                f"{last.max_share_change:.4f} (tolerance {spec.tolerance:g}); raise iterations"
            )
        # The gap holds the noise of the costs too: only a gap beyond what the replications
        # can tell apart (the widest share interval) says that the split is not consistent.
        noise = max(
            ((hi - lo) / 2 for intervals in self.share_ci95.values() for lo, hi in intervals
             if not math.isnan(lo)),
            default=0.0,
        )
        if last.max_gap > max(GAP_WARNING * spec.tolerance, noise):
            yield (
                f"the split simulated last is still {last.max_gap:.3f} from the model's split on "
                f"its costs, more than {GAP_WARNING:g} x the tolerance and more than the "
                f"replications' noise ({noise:.3f}): the steps of 1/n became small before the "
                "split was consistent; raise iterations"
            )

    def bottlenecks(self) -> list[ElementFlow]:
        """The elements with the highest utilisation (those with a capacity limit and a
        flow), most used first."""
        limited = [
            f for f in self.flows if not math.isnan(f.utilisation) and f.tonnes_per_year > 0
        ]
        limited.sort(key=lambda f: (-f.utilisation, -f.mean_wait_h, f.element))
        return limited[:BOTTLENECKS]

    def flow_iterations(self, index: int) -> list[dict[str, Any]]:
        """Flow ``index``'s iterations: the shares simulated, the route costs measured, the
        model's target on them, and the flow's own share change (to the next split) and gap."""
        splits = [it.split[index] for it in self.iterations] + [self.split[index]]
        out = []
        for it, now, after in zip(self.iterations, splits, splits[1:], strict=False):
            out.append(
                {
                    "iteration": it.number,
                    "shares": list(now),
                    "costs": list(it.costs[index]),
                    "target": list(it.target[index]),
                    "max_share_change": float(np.abs(np.subtract(after, now)).max()),
                    "max_gap": float(np.abs(np.subtract(it.target[index], now)).max()),
                }
            )
        return out

    def iteration_rows(self) -> list[dict[str, Any]]:
        """Every iteration with the split of every flow (by id) and the largest change and
        gap over them: what the convergence chart draws."""
        ids = {index: plan.id for index, plan in self.demand}
        return [
            {
                "iteration": it.number,
                "split": {ids[i]: list(s) for i, s in it.split.items()},
                "max_share_change": it.max_share_change,
                "max_gap": it.max_gap,
            }
            for it in self.iterations
        ]

    def document(self) -> dict[str, Any]:
        """``assignment.json`` (and ``assign --json``): per flow its routes and iterations
        (the shares simulated and the flow's largest change), and the bottlenecks."""
        spec = self.scenario.spec.assignment
        flows: dict[str, Any] = {}
        for index, plan in self.demand:
            tonnes = plan.tonnes_per_year
            routes = []
            for rank, (route, share, m) in enumerate(
                zip(plan.choices, self.split[index], self.measures[index], strict=True), 1
            ):
                routes.append(
                    {
                        "rank": rank,
                        "nodes": list(route.nodes),
                        "links": list(route.links),
                        "share": share,
                        "share_ci95": list(self.share_ci95.get(index, ())[rank - 1])
                        if index in self.share_ci95
                        else None,
                        "tonnes_per_year": share * tonnes,
                        "transit_days": {
                            "mean": m.transit_days,
                            "p50": m.p50_days,
                            "p90": m.p90_days,
                        },
                        "usd_per_tonne": m.usd_per_tonne,
                        "generalized_usd_per_tonne": m.generalized_usd_per_tonne,
                        "static_days": route.days,
                        "static_usd_per_tonne": route.usd_per_tonne,
                        "consignments": m.consignments,
                        "in_transit": m.in_transit,
                        "simulated": m.simulated,
                    }
                )
            flows[plan.id] = {
                "flow": plan.flow,
                "cargo": plan.spec.cargo,
                "origin": plan.origin,
                "destination": plan.destination,
                "tonnes_per_year": tonnes,
                "routes": routes,
                "iterations": self.flow_iterations(index),
            }
        return clean(
            {
                "scenario": self.scenario.name,
                "seed": self.seed,
                "replications": self.replications,
                "model": spec.model,
                "theta": spec.theta,
                "cost": spec.cost,
                "tolerance": spec.tolerance,
                "converged": self.converged,
                "warnings": list(self.warnings()),
                "iterations": len(self.iterations),
                "flows": flows,
                "bottlenecks": [
                    {
                        "element": f.element,
                        "kind": f.kind,
                        "utilisation": f.utilisation,
                        "mean_wait_h": f.mean_wait_h,
                        "tonnes_per_year": f.tonnes_per_year,
                    }
                    for f in self.bottlenecks()
                ],
            }
        )


def demand_plans(scenario: Scenario) -> list[tuple[int, ShipmentPlan]]:
    """The scenario's shipments that are demand flows (split over a choice set), by index."""
    return [(i, plan) for i, plan in enumerate(scenario.shipments) if plan.choices]


def with_split(scenario: Scenario, split: Split) -> Scenario:
    """``scenario`` with its demand flows split as ``split`` says."""
    shipments = tuple(
        dataclasses.replace(plan, shares=split[i]) if i in split else plan
        for i, plan in enumerate(scenario.shipments)
    )
    return dataclasses.replace(scenario, shipments=shipments)


def first_split(scenario: Scenario) -> Split:
    """The split the scenario starts from: the model on the routes' static costs."""
    return {i: plan.shares for i, plan in demand_plans(scenario)}


# -- one replication ------------------------------------------------------------------------


def measure_replication(scenario: Scenario, rep: ReplicationResult) -> SplitRun:
    """A replication reduced to what the assignment needs of it."""
    c = rep.consignments
    warmup_h, horizon_h = scenario.warmup_h, rep.horizon_h
    routes: dict[tuple[int, int], RouteSample] = {}
    for index, plan in demand_plans(scenario):
        mine = (c["shipment"] == index) & (c["depart"] >= warmup_h)
        for r in range(len(plan.choices)):
            rows = np.flatnonzero(mine & (c["route"] == r))
            arrive = c["arrive"][rows]
            done = ~np.isnan(arrive)
            days = np.concatenate(
                [
                    (arrive[done] - c["depart"][rows][done]) / 24,
                    (horizon_h - c["depart"][rows][~done]) / 24,
                ]
            )
            usd = c["cost_usd"][rows][done] / c["tonnes"][rows][done]
            routes[(index, r)] = RouteSample(days, int(done.sum()), usd)
    return SplitRun(rep.replication, routes, replication_flows(rep, warmup_h))


def run_split(shared: tuple[Scenario, int], task: tuple[Split, list[int]]) -> list[SplitRun]:
    """One task: the given replications of the shared scenario under ``split``."""
    scenario, seed = shared
    split, replications = task
    split_scenario = with_split(scenario, split)
    return [
        measure_replication(split_scenario, run_replication(split_scenario, r, seed))
        for r in replications
    ]


# -- an iteration's measures ----------------------------------------------------------------


def route_measures(
    scenario: Scenario, runs: Sequence[SplitRun], flows: Sequence[ElementFlow]
) -> dict[int, tuple[RouteMeasure, ...]]:
    """Each route's measure over the replications ``runs``; ``flows`` (of the same runs)
    price the routes no train took."""
    spec = scenario.spec.assignment
    waits = {f.element: f.mean_wait_h for f in flows if f.kind == "facility"}
    out: dict[int, tuple[RouteMeasure, ...]] = {}
    for index, plan in demand_plans(scenario):
        vot = plan.cargo.value_of_time_usd_per_tonne_day
        measures = []
        for r, route in enumerate(plan.choices):
            samples = [run.routes[(index, r)] for run in runs]
            days = np.concatenate([s.transit_days for s in samples])
            usd = np.concatenate([s.usd_per_tonne for s in samples])
            arrived = sum(s.arrived for s in samples)
            if days.size:
                mean_days = float(days.mean())
                mean_usd = float(usd.mean()) if usd.size else route.usd_per_tonne
                done = np.concatenate([s.transit_days[: s.arrived] for s in samples])
                p50, p90 = (
                    (float(np.percentile(done, 50)), float(np.percentile(done, 90)))
                    if done.size
                    else (math.nan, math.nan)
                )
                simulated = True
            else:
                queue_h = sum(waits.get(node, 0.0) for node in route.nodes)
                mean_days = route.days + queue_h / 24
                mean_usd = route.usd_per_tonne
                p50 = p90 = math.nan
                simulated = False
            generalized = mean_usd + vot * mean_days
            cost = {"days": mean_days, "usd": mean_usd}.get(spec.cost, generalized)
            measures.append(
                RouteMeasure(
                    cost=cost,
                    transit_days=mean_days,
                    p50_days=p50,
                    p90_days=p90,
                    usd_per_tonne=mean_usd,
                    generalized_usd_per_tonne=generalized,
                    consignments=int(days.size),
                    in_transit=int(days.size) - arrived,
                    simulated=simulated,
                )
            )
        out[index] = tuple(measures)
    return out


def next_split(
    scenario: Scenario, split: Split, costs: dict[int, tuple[float, ...]], number: int
) -> tuple[Split, Split, float, float]:
    """The model's target on ``costs``, the split one step of 1/``number`` toward it, the
    largest share change and the largest gap between ``split`` and the target."""
    spec = scenario.spec.assignment
    target: Split = {}
    moved: Split = {}
    change = gap = 0.0
    for index, plan in demand_plans(scenario):
        sizes = path_sizes([[(leg.id, leg.km) for leg in r.link_legs] for r in plan.choices])
        aim = target_shares(costs[index], spec.model, spec.theta, sizes)
        now = np.asarray(split[index], dtype=float)
        new = successive_average(now, aim, number)
        target[index] = tuple(float(x) for x in aim)
        moved[index] = tuple(float(x) for x in new)
        change = max(change, float(np.abs(new - now).max()))
        gap = max(gap, float(np.abs(aim - now).max()))
    return target, moved, change, gap


def share_intervals(
    scenario: Scenario,
    split: Split,
    runs: Sequence[SplitRun],
    flows: Sequence[ElementFlow],
) -> dict[int, tuple[tuple[float, float], ...]]:
    """The 95% CI of each route's share in ``split``: its half-width is that of the model's
    split on each replication's own route costs (independent samples of the split the costs
    call for), around the share, within [0, 1]."""
    spec = scenario.spec.assignment
    per_rep = [route_measures(scenario, [run], flows) for run in runs]
    out = {}
    for index, plan in demand_plans(scenario):
        sizes = path_sizes([[(leg.id, leg.km) for leg in r.link_legs] for r in plan.choices])
        targets = np.array(
            [
                target_shares([m.cost for m in rep[index]], spec.model, spec.theta, sizes)
                for rep in per_rep
            ]
        )
        intervals = []
        for r, share in enumerate(split[index]):
            mean, lo, _ = mean_ci(targets[:, r])
            half = mean - lo
            intervals.append((max(0.0, share - half), min(1.0, share + half)))
        out[index] = tuple(intervals)
    return out


# -- the loop -------------------------------------------------------------------------------


def fingerprint(scenario: Scenario, seed: int, replications: int) -> str:
    """What an assignment's stored iterations depend on: the input files, the assignment,
    the seed, the replications and the warm-up."""
    parts = [
        *sorted(scenario.input_hashes.values()),
        json.dumps(scenario.spec.assignment.model_dump(), sort_keys=True),
        f"seed={seed}",
        f"replications={replications}",
        f"warmup_days={scenario.spec.warmup_days!r}",
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def assign(
    scenario: Scenario,
    *,
    executor: Executor | None = None,
    seed: int | None = None,
    replications: int | None = None,
    iterations: int | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    resume: bool = False,
    progress: Progress | None = None,
) -> AssignmentOutcome:
    """Iterate simulation and route choice until the split of every demand flow is
    consistent with the congestion it causes (see the module's docstring).

    ``seed``, ``replications`` (per iteration) and ``iterations`` (at most) replace the
    scenario's. With ``out_dir`` every iteration is stored in its results store as it
    finishes; ``resume`` continues a store that already holds iterations of this assignment.
    The numbers do not depend on the executor or its workers.
    """
    plans = demand_plans(scenario)
    if not plans:
        raise ParameterError(
            "scenario", f"{scenario.path}: has no demand: add flows under demand: to assign"
        )
    spec = scenario.spec.assignment
    seed = scenario.seed if seed is None else seed
    reps = spec.replications if replications is None else replications
    if not 1 <= reps <= MAX_REPLICATIONS:
        raise ParameterError("replications", f"must be 1 to {MAX_REPLICATIONS:,} (got {reps})")
    most = spec.iterations if iterations is None else iterations
    if most < 0:
        raise ParameterError("iterations", f"must be at least 0 (got {most})")
    runner = executor if executor is not None else LocalExecutor(1)
    store = None
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        store = ResultsStore(out / FILE_NAME)
        store.claim(fingerprint(scenario, seed, reps), scenario.path, resume=resume)
    try:
        stored = {row.id: row for row in store.rows()} if store is not None else {}
        split = first_split(scenario)
        done: list[Iteration] = []
        converged = False
        for number in range(1, most + 1):
            row = stored.get(number)
            costs = _stored_costs(row, plans, split) if row is not None else None
            if costs is None:
                runs = run_replications(runner, run_split, (scenario, seed), split, reps)
                measures = route_measures(scenario, runs, element_flows([r.flows for r in runs]))
                costs = {i: tuple(m.cost for m in ms) for i, ms in measures.items()}
                if store is not None:
                    store.commit([_row(number, split, costs, measures, plans, seed, reps)])
            target, moved, change, gap = next_split(scenario, split, costs, number)
            done.append(Iteration(number, split, costs, target, change, gap))
            split = moved
            if progress:
                progress(number, most)
            if change < spec.tolerance:
                converged = True
                break
    finally:
        if store is not None:
            store.close()
    runs = run_replications(runner, run_split, (scenario, seed), split, reps)
    flows = element_flows([r.flows for r in runs])
    return AssignmentOutcome(
        share_ci95=share_intervals(scenario, split, runs, flows),
        scenario=scenario,
        seed=seed,
        replications=reps,
        iterations=tuple(done),
        converged=converged,
        split=split,
        measures=route_measures(scenario, runs, flows),
        flows=tuple(flows),
    )



def _row(
    number: int,
    split: Split,
    costs: dict[int, tuple[float, ...]],
    measures: dict[int, tuple[RouteMeasure, ...]],
    plans: list[tuple[int, ShipmentPlan]],
    seed: int,
    replications: int,
) -> PointResult:
    """An iteration as a row of the results store: the split simulated (``params``) and per
    route ``[cost, transit days, USD per tonne]``."""
    kpis: dict[str, dict[str, list[float | None]]] = {
        plan.id: {
            f"route {r + 1}": [costs[i][r], m.transit_days, m.usd_per_tonne]
            for r, m in enumerate(measures[i])
        }
        for i, plan in plans
    }
    params = {"split": {plan.id: list(split[i]) for i, plan in plans}}
    return PointResult(number, params, seed, replications, kpis, None)


def _stored_costs(
    row: PointResult, plans: list[tuple[int, ShipmentPlan]], split: Split
) -> dict[int, tuple[float, ...]] | None:
    """The route costs a stored iteration measured, if it simulated ``split`` (None
    otherwise: it is run again)."""
    try:
        stored = row.params["split"]
        if {i: tuple(float(x) for x in stored[plan.id]) for i, plan in plans} != split:
            return None
        assert row.kpis is not None
        costs = {}
        for i, plan in plans:
            values = [row.kpis[plan.id][f"route {r + 1}"][0] for r in range(len(plan.choices))]
            costs[i] = tuple(math.nan if v is None else float(v) for v in values)
        return costs
    except (AssertionError, KeyError, TypeError, ValueError):
        return None
