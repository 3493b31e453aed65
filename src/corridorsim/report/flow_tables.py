"""Rich tables for the terminal: an assignment's flows and bottlenecks, a capacity search."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table

from corridorsim.report.tables import describe_path

if TYPE_CHECKING:
    from corridorsim.experiment.assignment import AssignmentOutcome
    from corridorsim.experiment.capacity import CapacityOutcome
    from corridorsim.experiment.flows import ElementFlow


def _num(value: float, fmt: str = ",.1f") -> str:
    return "-" if value is None or math.isnan(value) else format(value, fmt)


def _share(value: float) -> str:
    return f"{100 * value:.1f}%"


def _tonnes(value: float) -> str:
    if math.isnan(value):
        return "-"
    if value >= 1e6:
        return f"{value / 1e6:,.2f} Mt"
    return f"{value / 1e3:,.0f} kt"


def assignment_tables(outcome: AssignmentOutcome) -> Group:
    """A table per flow (its routes: share, tonnes, days, USD/t, generalized cost), how the
    iterations went, and the bottlenecks."""
    spec = outcome.scenario.spec.assignment
    network = outcome.scenario.network
    tables: list[Table | str] = []
    for index, plan in outcome.demand:
        table = Table(
            title=f"{plan.id}: {plan.spec.cargo}, {plan.origin} to {plan.destination}",
            title_justify="left",
            caption="\n".join(
                f"{rank}: {describe_path(route, network)}"
                for rank, route in enumerate(plan.choices, 1)
            ),
            caption_justify="left",
        )
        for header in ("#", "share", "95% CI", "t/year", "days", "p90 days", "USD/t",
                       "generalized USD/t", "trains/run"):
            table.add_column(header, justify="right")
        cis = outcome.share_ci95.get(index, ())
        total = plan.tonnes_per_year
        for rank, (share, m) in enumerate(
            zip(outcome.split[index], outcome.measures[index], strict=True), 1
        ):
            lo, hi = cis[rank - 1] if cis else (math.nan, math.nan)
            ci = "-" if math.isnan(lo) else f"{100 * lo:.1f}-{100 * hi:.1f}%"
            table.add_row(
                str(rank),
                _share(share),
                ci,
                _tonnes(share * total),
                _num(m.transit_days) + ("" if m.simulated else " *"),
                _num(m.p90_days),
                _num(m.usd_per_tonne),
                _num(m.generalized_usd_per_tonne),
                f"{m.consignments / outcome.replications:,.0f}",
            )
        tables.append(table)
    iterations = len(outcome.iterations)
    last = outcome.iterations[-1].max_share_change if outcome.iterations else math.nan
    state = (
        f"converged after {iterations} iteration(s): the largest share change was "
        f"{last:.4f}, below the tolerance {spec.tolerance:g}"
        if outcome.converged
        else (
            f"not converged after {iterations} iteration(s) (the largest share change was "
            f"{last:.4f}, the tolerance {spec.tolerance:g}): raise iterations, or "
            "replications to steady the costs"
            if iterations
            else "iterations: 0: the split is the model's on the static route costs"
        )
    )
    starred = any(not m.simulated for ms in outcome.measures.values() for m in ms)
    gap = (
        f" (the split was then {outcome.iterations[-1].max_gap:.4f} from the model's on its "
        "costs)"
        if outcome.iterations
        else ""
    )
    tables.append(
        f"{spec.model} on {spec.cost} cost (theta {spec.theta:g}), "
        f"{outcome.replications} replication(s) an iteration; {state}{gap}."
        + (
            " * no train took the route: static cost plus the queues met at its facilities."
            if starred
            else ""
        )
    )
    tables.append(bottleneck_table(outcome.bottlenecks()))
    return Group(*tables)


def bottleneck_table(rows: list[ElementFlow]) -> Table:
    """The busiest facilities and links."""
    table = Table(title="Bottlenecks: the busiest elements", title_justify="left")
    for header, justify in (("element", "left"), ("kind", "left"), ("utilisation", "right"),
                            ("mean wait h", "right"), ("t/year", "right"),
                            ("trains/day", "right")):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for f in rows:
        table.add_row(
            f.element,
            f.kind,
            _share(f.utilisation),
            _num(f.mean_wait_h),
            _tonnes(f.tonnes_per_year),
            _num(f.trains_per_day, ",.2f"),
        )
    return table


def capacity_table(outcome: CapacityOutcome) -> Group:
    """Every tonnage tried, what it gave, and the capacity found with its binding element."""
    table = Table(
        title=f"Capacity of {outcome.shipment}: {outcome.criterion} {outcome.limit:g}",
        title_justify="left",
    )
    for header in ("t/year", "p50 days", "p90 days", "mean wait h", "utilisation", "meets"):
        table.add_column(header, justify="right")
    for p in sorted(outcome.points, key=lambda p: p.tonnes_per_year):
        table.add_row(
            _tonnes(p.tonnes_per_year),
            _num(p.p50_days, ",.2f"),
            _num(p.p90_days, ",.2f"),
            _num(p.mean_wait_h),
            "-" if math.isnan(p.utilisation) else _share(p.utilisation),
            "yes" if p.meets else "no",
        )
    binding = outcome.at_capacity.binding
    where = (
        f"; binding: {binding.kind} {binding.element} at {_share(binding.utilisation)}"
        if binding is not None
        else ""
    )
    line = (
        f"capacity: {outcome.capacity_tonnes_per_year:,.0f} tonnes per year{where} "
        f"({outcome.replications} replication(s) a tonnage, seed {outcome.seed})"
    )
    return Group(table, line)
