"""How much a corridor can carry (``corridorsim capacity``): the largest tonnes per year of one
flow that still meets a criterion, found by bisection on the flow's tonnage.

Every evaluation runs the scenario with the flow scaled to a tonnage, on the same seed (common
random numbers: the n-th train draws the same numbers at every tonnage, so the measures move
smoothly with it). The search first brackets the capacity, doubling the tonnage from the
scenario's while the criterion holds (or halving it while it does not), then halves the
bracket until it is narrower than ``relative_tolerance`` of its upper end. The capacity is the
largest tonnage evaluated that met the criterion.

The criteria, over the flow's consignments departing in the measured window:

- ``max_p90_days``: at least 90% of them arrive within that many days (those still in
  transit at the horizon count as late once older than it);
- ``max_mean_wait_h``: their mean hours queueing at facilities (not dwell, not the wait for a
  sailing or a departure) at most that (those in transit count with their waits so far);
- ``max_utilisation``: no facility or link on the flow's routes used beyond that share of its
  capacity (see :mod:`corridorsim.experiment.flows`).

The binding element is the facility or link with the highest utilisation on the flow's
routes at the capacity found.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from corridorsim.errors import CorridorsimError, ParameterError
from corridorsim.experiment.executors import Executor, LocalExecutor, run_replications
from corridorsim.experiment.flows import (
    ElementFlow,
    ReplicationFlows,
    element_flows,
    replication_flows,
)
from corridorsim.experiment.stats import clean
from corridorsim.network.distributions import MAX_DURATION_H
from corridorsim.scenario.load import Scenario
from corridorsim.scenario.schema import MAX_DEPARTURES, MAX_REPLICATIONS, tonnage_gap
from corridorsim.sim.engine import run_replication
from corridorsim.sim.records import CAUSES

#: The column of queueing at facilities in the consignments' waits: "mean wait" is that
#: (not dwell, not the wait for a sailing or a departure).
FACILITY_WAIT = CAUSES.index("facility")

#: The criteria and what each limits.
CRITERIA = {
    "max_p90_days": "p90 transit days",
    "max_mean_wait_h": "mean hours queueing at facilities",
    "max_utilisation": "utilisation of the busiest element",
}
#: How many times the bracketing may double or halve the tonnage.
MAX_BRACKET_STEPS = 24
#: ``progress(evaluations done, expected)``.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class CapacityPoint:
    """One evaluation: the flow at a tonnage, what it gave and whether it met the criterion."""

    tonnes_per_year: float
    p50_days: float
    p90_days: float
    #: Share of the judged consignments that arrived within the p90 limit (nan without one).
    share_within: float
    mean_wait_h: float
    #: The highest utilisation on the flow's routes, and where.
    utilisation: float
    binding: ElementFlow | None
    meets: bool

    def as_dict(self) -> dict[str, Any]:
        """The point as in ``capacity.json``."""
        return {
            "tonnes_per_year": self.tonnes_per_year,
            "p50_days": self.p50_days,
            "p90_days": self.p90_days,
            "mean_wait_h": self.mean_wait_h,
            "utilisation": self.utilisation,
            "meets": self.meets,
        }


@dataclass(frozen=True)
class CapacityOutcome:
    """A capacity search: the criterion, the capacity found and every evaluation."""

    scenario: Scenario
    shipment: str
    criterion: str
    limit: float
    seed: int
    replications: int
    capacity_tonnes_per_year: float
    #: The evaluation at the capacity.
    at_capacity: CapacityPoint
    points: tuple[CapacityPoint, ...]

    def document(self) -> dict[str, Any]:
        """``capacity.json`` and ``capacity --json``."""
        binding = self.at_capacity.binding
        return clean(
            {
                "shipment": self.shipment,
                "criterion": {"name": self.criterion, "limit": self.limit},
                "capacity_tonnes_per_year": self.capacity_tonnes_per_year,
                "binding": None
                if binding is None
                else {
                    "element": binding.element,
                    "kind": binding.kind,
                    "utilisation": binding.utilisation,
                },
                "seed": self.seed,
                "replications": self.replications,
                "points": [p.as_dict() for p in sorted(self.points, key=_tonnes)],
            }
        )


def _tonnes(point: CapacityPoint) -> float:
    return point.tonnes_per_year


def flow_plans(scenario: Scenario, shipment_id: str) -> list[int]:
    """The indices of the shipments ``shipment_id`` names: a shipment, or every pair of a
    demand flow; ParameterError ``shipment`` when none or when it has no tonnage."""
    found = [
        i
        for i, plan in enumerate(scenario.shipments)
        if plan.id == shipment_id or plan.flow == shipment_id
    ]
    if not found:
        known = sorted({p.flow or p.id for p in scenario.shipments})
        raise ParameterError(
            "shipment",
            f"{scenario.path}: no shipment or demand flow '{shipment_id}' "
            f"(there are: {', '.join(known)})",
        )
    for i in found:
        spec = scenario.shipments[i].spec
        if spec.tonnes_per_year is None and spec.tonnes_per_month is None:
            raise ParameterError(
                "shipment",
                f"{scenario.path}: '{shipment_id}' has no tonnes_per_year or "
                "tonnes_per_month to scale (a capacity is a flow's tonnage)",
            )
    return found


def scaled(scenario: Scenario, indices: Sequence[int], factor: float) -> Scenario:
    """``scenario`` with the tonnage of the shipments ``indices`` times ``factor``."""
    plans = list(scenario.shipments)
    for i in indices:
        plan = plans[i]
        spec = plan.spec
        update = (
            {"tonnes_per_year": spec.tonnes_per_year * factor}
            if spec.tonnes_per_year is not None
            else {"tonnes_per_month": (spec.tonnes_per_month or 0.0) * factor}
        )
        new_spec = spec.model_copy(update=update)
        gap = tonnage_gap(new_spec, plan.cargo.tonnes_per_wagon)
        plans[i] = dataclasses.replace(plan, spec=new_spec, gap_h=gap)
    return dataclasses.replace(scenario, shipments=tuple(plans))


@dataclass(frozen=True)
class FlowRun:
    """One replication of a scaled scenario, reduced: the flow's consignments that departed
    in the window (days door to door or so far, whether arrived, hours waited) and the flows
    by element."""

    replication: int
    days: np.ndarray
    arrived: np.ndarray
    wait_h: np.ndarray
    flows: ReplicationFlows


def run_scaled(
    shared: tuple[Scenario, tuple[int, ...], int], task: tuple[float, list[int]]
) -> list[FlowRun]:
    """One task: replications of the shared scenario with its flow times ``factor``."""
    scenario, indices, seed = shared
    factor, replications = task
    run = scaled(scenario, indices, factor)
    out = []
    for r in replications:
        rep = run_replication(run, r, seed)
        c = rep.consignments
        rows = np.flatnonzero(
            np.isin(c["shipment"], indices) & (c["depart"] >= run.warmup_h)
        )
        arrive = c["arrive"][rows]
        arrived = ~np.isnan(arrive)
        end = np.where(arrived, arrive, rep.horizon_h)
        out.append(
            FlowRun(
                replication=r,
                days=(end - c["depart"][rows]) / 24,
                arrived=arrived,
                wait_h=c["waits"][rows][:, FACILITY_WAIT],
                flows=replication_flows(rep, run.warmup_h),
            )
        )
    return out


def route_elements(scenario: Scenario, indices: Sequence[int]) -> set[tuple[str, str]]:
    """The ``(kind, id)`` of every link and facility node on the flow's routes."""
    elements: set[tuple[str, str]] = set()
    for i in indices:
        plan = scenario.shipments[i]
        for route in plan.choices or (plan.route,):
            elements.update(("link", link) for link in route.links)
            elements.update(
                ("facility", node) for node in route.nodes if scenario.network.nodes[node].facility
            )
    return elements


def evaluate(
    runs: Sequence[FlowRun],
    tonnes: float,
    criterion: str,
    limit: float,
    elements: set[tuple[str, str]],
) -> CapacityPoint:
    """The measures of one tonnage's runs and whether they meet ``criterion`` <= ``limit``."""
    days = np.concatenate([r.days for r in runs]) if runs else np.zeros(0)
    arrived = np.concatenate([r.arrived for r in runs]) if runs else np.zeros(0, dtype=bool)
    waits = np.concatenate([r.wait_h for r in runs]) if runs else np.zeros(0)
    done = days[arrived]
    p50 = float(np.percentile(done, 50)) if done.size else math.nan
    p90 = float(np.percentile(done, 90)) if done.size else math.nan
    flows = [f for f in element_flows([r.flows for r in runs]) if (f.kind, f.element) in elements]
    limited = [f for f in flows if not math.isnan(f.utilisation)]
    binding = max(limited, key=lambda f: (f.utilisation, f.mean_wait_h), default=None)
    utilisation = binding.utilisation if binding is not None else math.nan
    mean_wait = float(waits.mean()) if waits.size else math.nan
    share_within = math.nan
    if criterion == "max_p90_days":
        # Late: arrived after the limit, or still in transit and already older than it.
        judged = arrived | (days > limit)
        on_time = arrived & (days <= limit)
        share_within = float(on_time.sum() / judged.sum()) if judged.any() else math.nan
        meets = bool(share_within >= 0.9)
    elif criterion == "max_mean_wait_h":
        meets = bool(mean_wait <= limit)
    else:
        meets = bool(not utilisation > limit)  # nothing limited on the routes: no limit met
    return CapacityPoint(
        tonnes_per_year=tonnes,
        p50_days=p50,
        p90_days=p90,
        share_within=share_within,
        mean_wait_h=mean_wait,
        utilisation=utilisation,
        binding=binding,
        meets=meets,
    )


def capacity(
    scenario: Scenario,
    shipment_id: str,
    criterion: str,
    limit: float,
    *,
    executor: Executor | None = None,
    seed: int | None = None,
    replications: int | None = None,
    relative_tolerance: float = 0.01,
    progress: Progress | None = None,
) -> CapacityOutcome:
    """The largest tonnes per year of ``shipment_id`` (a shipment, or a demand flow with
    every pair of its zones scaled alike) that meets ``criterion`` <= ``limit``.

    A CorridorsimError when even the smallest tonnage tried fails: the corridor has no
    capacity above zero for that criterion.
    """
    if criterion not in CRITERIA:
        raise ParameterError(
            "criterion", f"unknown criterion '{criterion}' (one of {', '.join(CRITERIA)})"
        )
    if not (math.isfinite(limit) and limit > 0):
        raise ParameterError("limit", f"must be a number above 0 (got {limit})")
    if criterion == "max_utilisation" and limit > 1:
        raise ParameterError("limit", f"a utilisation is at most 1 (got {limit})")
    if not 0 < relative_tolerance < 1:
        raise ParameterError(
            "relative_tolerance", f"must be between 0 and 1 (got {relative_tolerance})"
        )
    indices = flow_plans(scenario, shipment_id)
    seed = scenario.seed if seed is None else seed
    reps = scenario.replications if replications is None else replications
    if not 1 <= reps <= MAX_REPLICATIONS:
        raise ParameterError("replications", f"must be 1 to {MAX_REPLICATIONS:,} (got {reps})")
    _check_reachable(scenario, indices, criterion, limit)
    runner = executor if executor is not None else LocalExecutor(1)
    base = sum(scenario.shipments[i].tonnes_per_year for i in indices)
    elements = route_elements(scenario, indices)
    points: dict[float, CapacityPoint] = {}
    factor_bounds = _factor_bounds(scenario, indices)

    def at(factor: float) -> CapacityPoint:
        if factor not in points:
            runs = run_replications(
                runner, run_scaled, (scenario, tuple(indices), seed), factor, reps
            )
            points[factor] = evaluate(runs, base * factor, criterion, limit, elements)
            if progress:
                progress(len(points), len(points) + 8)
        return points[factor]

    lo, hi = _bracket(at, *factor_bounds)
    if lo is None:
        smallest = min(points)
        raise CorridorsimError(
            f"no capacity above zero: {shipment_id} fails {criterion} {limit:g} even at "
            f"{base * smallest:,.0f} tonnes per year ({CRITERIA[criterion]}: "
            f"{_measure(at(smallest), criterion):.3g})"
        )
    while hi is not None and hi - lo > relative_tolerance * hi:
        mid = (lo + hi) / 2
        if at(mid).meets:
            lo = mid
        else:
            hi = mid
    found = at(lo)
    return CapacityOutcome(
        scenario=scenario,
        shipment=shipment_id,
        criterion=criterion,
        limit=limit,
        seed=seed,
        replications=reps,
        capacity_tonnes_per_year=found.tonnes_per_year,
        at_capacity=found,
        points=tuple(points.values()),
    )


def _bracket(
    at: Callable[[float], CapacityPoint], low_factor: float, high_factor: float
) -> tuple[float | None, float | None]:
    """Scale factors ``(lo, hi)`` with ``lo`` meeting the criterion and ``hi`` not, found by
    doubling from 1 while it is met, or halving while it is not: ``hi`` None when the most a
    run can hold still meets it, ``lo`` None when the least does not."""
    lo: float | None = None
    hi: float | None = None
    factor = 1.0
    if at(factor).meets:
        lo = factor
        for _ in range(MAX_BRACKET_STEPS):
            if factor * 2 > high_factor:
                break  # the most departures a run may hold: the search stops there
            factor *= 2
            if not at(factor).meets:
                return lo, factor
            lo = factor
        return lo, None
    hi = factor
    for _ in range(MAX_BRACKET_STEPS):
        if factor / 2 < low_factor:
            break
        factor /= 2
        if at(factor).meets:
            return factor, hi
        hi = factor
    return None, hi


def _measure(point: CapacityPoint, criterion: str) -> float:
    return {
        "max_p90_days": point.p90_days,
        "max_mean_wait_h": point.mean_wait_h,
        "max_utilisation": point.utilisation,
    }[criterion]


def _factor_bounds(scenario: Scenario, indices: Sequence[int]) -> tuple[float, float]:
    """The scale factors a run can hold: at least one train within the longest gap, at most
    the departures one shipment may send in a replication."""
    low, high = 0.0, math.inf
    for i in indices:
        plan = scenario.shipments[i]
        assert plan.gap_h is not None  # a flow with a tonnage
        mean_h = plan.gap_h.mean()
        low = max(low, mean_h / MAX_DURATION_H)
        high = min(high, MAX_DEPARTURES * mean_h / max(scenario.horizon_h, 1.0))
    return low, high


def _check_reachable(
    scenario: Scenario, indices: Sequence[int], criterion: str, limit: float
) -> None:
    """A p90 limit below the running time of the flow's fastest route (its trains moving,
    nothing else) cannot be met by any tonnage: ParameterError ``limit``."""
    if criterion != "max_p90_days":
        return
    fastest_days = min(
        sum(leg.run_h for leg in route.link_legs) / 24
        for i in indices
        for route in (scenario.shipments[i].choices or (scenario.shipments[i].route,))
    )
    if limit < fastest_days:
        raise ParameterError(
            "limit",
            f"{limit:g} days is less than the {fastest_days:.2f} days the flow's fastest route "
            "takes running alone, without a stop: no tonnage can meet it",
        )

