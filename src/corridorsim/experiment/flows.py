"""What went through each link and facility over the measured window: tonnes, trains, how much
of its capacity was used, and the wait there (``flows.csv``, the flow map, capacity searches).

A replication is reduced to :class:`ReplicationFlows` where it ran (a worker sends back a few
numbers per element, not its legs); :func:`element_flows` averages them over replications.

- **tonnes_per_year**: the net tonnes of the consignments whose leg on the element started in
  the window, per 365 days of window (a consignment passing a node with two facilities counts
  once).
- **trains_per_day**: the movements on it: consignment legs that started at the same time on
  the same element moved together (one train of a service, one sailing) and count once.
- **utilisation**: a facility's busy server-hours over its capacity (the highest of the
  node's facilities); a line's entries x headway over the window, or for a single track the
  share of the window trains held it (the busier direction); a ferry's load factor, space
  used over space offered by its sailings (the busier direction). Empty for a link with no
  capacity limit.
- **mean_wait_h**: the mean queue wait per visit at a node's facilities (summed over them); on
  a link, the mean wait per consignment for its headway or its sailing.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from corridorsim.sim.records import FacilityTotals, FerryTotals, LineTotals, ReplicationResult

#: The columns of ``flows.csv``.
FLOW_COLUMNS = ("element", "kind", "tonnes_per_year", "trains_per_day", "utilisation",
                "mean_wait_h")


class ElementFlow(NamedTuple):
    """A row of ``flows.csv``: one link or one node's facilities, averaged over replications."""

    element: str
    #: ``link`` or ``facility``.
    kind: str
    tonnes_per_year: float
    trains_per_day: float
    #: nan where the element has no capacity limit.
    utilisation: float
    mean_wait_h: float


@dataclass
class ReplicationFlows:
    """One replication's flows by element: ``(kind, id) -> [tonnes, movements, legs, wait_h]``
    in the measured window, with its facility, line and ferry totals."""

    window_h: float
    by_element: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    facilities: list[FacilityTotals] = field(default_factory=list)
    lines: list[LineTotals] = field(default_factory=list)
    ferries: list[FerryTotals] = field(default_factory=list)


def replication_flows(rep: ReplicationResult, warmup_h: float) -> ReplicationFlows:
    """The flows of one replication's consignments over [warmup_h, horizon]."""
    out = ReplicationFlows(
        window_h=rep.horizon_h - warmup_h,
        facilities=list(rep.facilities),
        lines=list(rep.lines),
        ferries=list(rep.ferries),
    )
    legs = rep.legs
    if legs["seq"].size == 0:
        return out
    start = legs["start"]
    inside = (start >= warmup_h) & (start < rep.horizon_h)
    rows = legs["consignment"][inside]
    labels = legs["label"][inside]
    starts = start[inside]
    waits = legs["wait"][inside]
    tonnes = rep.consignments["tonnes"][rows]
    # One pass over the legs grouped by label (a stable sort keeps each group's legs in
    # order). Labels are numbered per (text, country): one element may have several numbers.
    order = np.argsort(labels, kind="stable")
    numbers, group_starts = np.unique(labels[order], return_index=True)
    for number, group in zip(numbers, np.split(order, group_starts[1:]), strict=True):
        kind, _, element = rep.labels[int(number)].partition(":")
        if kind not in ("link", "facility"):
            continue  # formation and fleet legs are waits at a node, not its facilities
        entry = out.by_element.setdefault((kind, element), [0.0, 0.0, 0.0, 0.0])
        # A node with several facilities gives a consignment a leg at each: count it once.
        first = group[np.unique(rows[group], return_index=True)[1]]
        entry[0] += float(tonnes[first].sum())
        entry[1] += float(np.unique(starts[first]).size)
        entry[2] += float(first.size)
        entry[3] += float(waits[group].sum())
    return out


def element_flows(reps: Sequence[ReplicationFlows]) -> list[ElementFlow]:
    """Each element's flow averaged over the replications (links first, then facilities, each
    by id)."""
    n = max(len(reps), 1)
    totals: dict[tuple[str, str], np.ndarray] = defaultdict(lambda: np.zeros(4))
    tonnes_per_year: dict[tuple[str, str], float] = defaultdict(float)
    trains_per_day: dict[tuple[str, str], float] = defaultdict(float)
    for rep in reps:
        days = rep.window_h / 24
        for key, values in rep.by_element.items():
            totals[key] += np.asarray(values)
            if days > 0:
                tonnes_per_year[key] += values[0] / days * 365 / n
                trains_per_day[key] += values[1] / days / n
    utilisation = _utilisation(reps)
    facility_wait = _facility_waits(reps)
    rows = []
    for kind, element in sorted(totals, key=lambda k: (k[0] != "link", k[1])):
        summed = totals[(kind, element)]
        if kind == "facility":
            wait = facility_wait.get(element, 0.0)
        else:
            wait = float(summed[3] / summed[2]) if summed[2] else 0.0
        rows.append(
            ElementFlow(
                element=element,
                kind=kind,
                tonnes_per_year=tonnes_per_year[(kind, element)],
                trains_per_day=trains_per_day[(kind, element)],
                utilisation=utilisation.get((kind, element), math.nan),
                mean_wait_h=wait,
            )
        )
    return rows


def _utilisation(reps: Sequence[ReplicationFlows]) -> dict[tuple[str, str], float]:
    """Mean utilisation over replications by element (the busiest facility of a node, the
    busier direction of a link)."""
    n = max(len(reps), 1)
    facility: dict[str, float] = defaultdict(float)
    line: dict[tuple[str, str], float] = defaultdict(float)
    ferry: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for rep in reps:
        for f in rep.facilities:
            if f.window_h > 0 and f.servers > 0:
                facility[f.label] += f.busy_h / (f.servers * f.window_h) / n
        for t in rep.lines:
            u = t.utilisation
            if not math.isnan(u):
                line[(t.link, t.from_node)] += u / n
        for s in rep.ferries:
            ferry[(s.link, s.from_node)][0] += s.used
            ferry[(s.link, s.from_node)][1] += s.offered
    out: dict[tuple[str, str], float] = {}
    for label, u in facility.items():
        key = ("facility", label.rsplit(":", 1)[0])
        out[key] = max(out.get(key, 0.0), u)
    for (link, _), u in line.items():
        key = ("link", link)
        out[key] = max(out.get(key, 0.0), u)
    for (link, _), (used, offered) in ferry.items():
        if offered > 0:
            key = ("link", link)
            out[key] = max(out.get(key, 0.0), used / offered)
    return out


def _facility_waits(reps: Sequence[ReplicationFlows]) -> dict[str, float]:
    """Mean queue wait per visit at each node, summed over the node's facilities."""
    wait: dict[str, float] = defaultdict(float)
    waited: dict[str, int] = defaultdict(int)
    for rep in reps:
        for f in rep.facilities:
            wait[f.label] += f.wait_h
            waited[f.label] += f.waited
    out: dict[str, float] = defaultdict(float)
    for label, total in wait.items():
        out[label.rsplit(":", 1)[0]] += total / waited[label] if waited[label] else 0.0
    return dict(out)
