"""The results of a scenario's replications, as typed records computed once.

Replications stay columnar (numpy, see :mod:`corridorsim.sim.records`) until something asks
for a record. Every KPI is computed here and only here: a :class:`ShipmentResult` per
shipment (its :class:`~corridorsim.experiment.stats.Estimate` of transit days, USD and CO2
per tonne, waiting by cause and by place), :class:`FacilityResult` per facility, and the rows
of the CSV files (:class:`ConsignmentRow`, :class:`LegRow`). ``to_dict()`` gives the stable
documents (``summary.json``); the README lists their keys under "Stable output keys".
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np

from corridorsim.experiment.stats import Estimate, clean, mean_ci
from corridorsim.experiment.steady import Trend, mean_series, mser5, trend
from corridorsim.routing.costs import COST_CATEGORIES, place_category
from corridorsim.scenario.load import Scenario, ShipmentPlan
from corridorsim.sim.records import CAUSES, LegRecord, ReplicationResult

#: A leg of one consignment: a row of ``legs.csv`` (the engine's own record).
LegRow = LegRecord

#: How many places where time is lost a shipment's summary names.
TOP_WAITS = 5
#: Why a consignment waited, in the column order of every output.
WAIT_CAUSES = CAUSES
#: The parts of a door-to-door time: moving, being processed, waiting.
TIME_PARTS = ("running", "processing", "waiting")


class TopWait(NamedTuple):
    """A place where a shipment's consignments lost time, in hours per consignment."""

    place: str
    #: ``facility`` or ``link``.
    kind: str
    wait_h: float


class ConsignmentRow(NamedTuple):
    """One consignment of one replication: a row of ``shipments.csv``."""

    shipment: str
    replication: int
    consignment: int
    wagons: int
    tonnes: float
    origin: str
    destination: str
    depart_h: float
    #: None while the consignment is still in transit at the horizon (so are the next five).
    arrive_h: float | None
    transit_h: float | None
    cost_usd: float | None
    co2_kg: float | None
    km: float | None
    reroutes: int
    #: Hours waited, by cause (the keys of :data:`WAIT_CAUSES`, in that order).
    wait_h: Mapping[str, float]


class Journey(NamedTuple):
    """One consignment and the legs it walked, in order."""

    consignment: ConsignmentRow
    legs: tuple[LegRow, ...]


class FacilityResult(NamedTuple):
    """One facility over the measured window, averaged over replications with 95% CIs: a row
    of ``facilities.csv``.

    Time averages over [warm-up, horizon], counting consignments still queued or in service
    at its end: ``utilisation`` is server-hours busy / (servers x window), ``mean_queue`` the
    time-average number waiting for a server (not those in service), ``mean_wait_h`` the mean
    queue wait of consignments that arrived in the window and were served by its end. The
    CIs are Student-t intervals over replications (nan with one replication).
    """

    facility: str
    node: str
    type: str
    servers: int
    served_per_replication: float
    utilisation: float
    utilisation_ci95_lo: float
    utilisation_ci95_hi: float
    mean_queue: float
    mean_queue_ci95_lo: float
    mean_queue_ci95_hi: float
    mean_wait_h: float
    mean_wait_h_ci95_lo: float
    mean_wait_h_ci95_hi: float


@dataclass(frozen=True, eq=False)
class ShipmentResult:
    """Everything a run says about one shipment, over all replications."""

    id: str
    transit_days: Estimate
    usd_per_tonne: Estimate
    co2_kg_per_tonne: Estimate
    target_days: float | None
    #: Share of consignments judged that arrived within ``target_days`` (None without a
    #: target, nan when none could be judged). Consignments still in transit count as late
    #: once they are past the target.
    p_within_target: float | None
    #: Mean hours per arrived consignment: ``running``, ``processing``, ``waiting``.
    time_h: Mapping[str, float]
    #: Mean hours waited per arrived consignment, by cause.
    wait_h_by_cause: Mapping[str, float]
    top_waits: tuple[TopWait, ...]
    #: The planned route's node ids.
    route: tuple[str, ...]
    static_days: float
    consignments: int
    arrived: int
    wagons_departed: int
    wagons_arrived: int
    #: MSER-5 on the transit series from time 0 (consignments in departure order, averaged
    #: over replications): the days of departures it cuts as the transient; None when the
    #: series is too short to tell.
    suggested_warmup_days: float | None = None
    #: Transit against departure time, per replication, tested across replications.
    trend: Trend | None = None
    #: Mean USD per tonne by cost category (:data:`COST_CATEGORIES`) and by country: each
    #: the mean over replications, as ``usd_per_tonne`` is, so each adds up to its mean.
    usd_per_tonne_by_category: Mapping[str, float] | None = None
    usd_per_tonne_by_country: Mapping[str, float] | None = None
    #: With the cargo's ``units_per_wagon``: USD per unit (a TEU, a FEU ...) and the unit.
    usd_per_unit: Estimate | None = None
    unit: str | None = None

    @property
    def in_transit(self) -> int:
        """Consignments that had not arrived at the horizon."""
        return self.consignments - self.arrived

    def to_dict(self) -> dict[str, Any]:
        """The shipment's block of ``summary.json`` (not yet rounded: see :func:`clean`)."""
        return {
            "transit_days": self.transit_days.to_dict(),
            "usd_per_tonne": self.usd_per_tonne.to_dict(),
            **(
                {"usd_per_unit": self.usd_per_unit.to_dict(), "unit": self.unit}
                if self.usd_per_unit is not None
                else {}
            ),
            "usd_per_tonne_by_category": dict(self.usd_per_tonne_by_category or {}),
            "usd_per_tonne_by_country": dict(self.usd_per_tonne_by_country or {}),
            "co2_kg_per_tonne": self.co2_kg_per_tonne.to_dict(),
            "target_days": self.target_days,
            "p_within_target": self.p_within_target,
            "time_h": dict(self.time_h),
            "wait_h_by_cause": dict(self.wait_h_by_cause),
            "top_waits": [w._asdict() for w in self.top_waits],
            "route": list(self.route),
            "static_days": self.static_days,
            "consignments": self.consignments,
            "arrived": self.arrived,
            "in_transit": self.in_transit,
            "wagons_departed": self.wagons_departed,
            "wagons_arrived": self.wagons_arrived,
            "suggested_warmup_days": self.suggested_warmup_days,
        }


@dataclass(frozen=True)
class TrainResult:
    """The trains of one service (or of consignments split ahead of one link), departing in
    the measured window, over all replications."""

    #: The service's id, or ``split:LINK``.
    name: str
    #: Trains departed, per replication on average.
    trains: float
    wagons_per_train: float
    #: Consignments (or parts of them) per train.
    blocks_per_train: float
    #: Wagons over the service's ``max_wagons`` (None for split consignments).
    load_factor: float | None
    #: Mean days from departure to arrival of the trains that arrived.
    run_days: float

    def to_dict(self) -> dict[str, Any]:
        """The ``summary.json`` form."""
        return {
            "trains": self.trains,
            "wagons_per_train": self.wagons_per_train,
            "blocks_per_train": self.blocks_per_train,
            "load_factor": self.load_factor,
            "run_days": self.run_days,
        }


@dataclass(frozen=True)
class FleetResult:
    """One fleet over the measured window, all replications: its wagons' trips home to home
    and the empty returns."""

    id: str
    wagons: int
    #: Trips completed (back home) per replication, of those leaving home in the window.
    trips: float
    #: Days from leaving home to being back, over completed trips: mean and 90th percentile.
    turnaround_days_mean: float
    turnaround_days_p90: float
    #: Share of the fleet's wagon-hours away from home in the window.
    utilisation: float
    #: The empty returns completed: mean days, USD and kg CO2 per wagon.
    empty_days: float
    empty_usd_per_wagon: float
    empty_co2_kg_per_wagon: float
    #: What the empty returns cost per tonne the trips carried (to add to a shipment's USD
    #: per tonne for the round trip).
    empty_usd_per_tonne_carried: float = math.nan

    def fleet_dict(self) -> dict[str, Any]:
        """The fleet's block of ``summary.json``."""
        return {
            "wagons": self.wagons,
            "trips": self.trips,
            "turnaround_days": {
                "mean": self.turnaround_days_mean,
                "p90": self.turnaround_days_p90,
            },
            "utilisation": self.utilisation,
        }

    def empties_dict(self) -> dict[str, Any]:
        """The fleet's block of ``empties`` in ``summary.json``."""
        return {
            "returns": self.trips,
            "transit_days": self.empty_days,
            "usd_per_wagon": self.empty_usd_per_wagon,
            "usd_per_tonne_carried": self.empty_usd_per_tonne_carried,
            "co2_kg_per_wagon": self.empty_co2_kg_per_wagon,
        }


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """The replications of one scenario and everything computed from them."""

    scenario: Scenario
    seed: int
    replications: list[ReplicationResult]
    #: With precision mode: the relative 95% CI half-width asked for, and whether every
    #: shipment's mean transit reached it (None without precision mode).
    precision: float | None = None
    precision_met: bool | None = None

    @property
    def events(self) -> int:
        """SimPy events processed over all replications."""
        return sum(r.events for r in self.replications)

    @cached_property
    def shipments(self) -> Mapping[str, ShipmentResult]:
        """Per shipment id, in the scenario's order: its results (computed once)."""
        return {
            plan.id: _shipment_result(self, index, plan)
            for index, plan in enumerate(self.scenario.shipments)
        }

    def shipment(self, shipment_id: str) -> ShipmentResult:
        """The results of one shipment (KeyError if the scenario has no such shipment)."""
        return self.shipments[shipment_id]

    @cached_property
    def fleets(self) -> Mapping[str, FleetResult]:
        """Per fleet id: its trips leaving home in the measured window and their empty
        returns."""
        scenario = self.scenario
        warmup_h, horizon_h = scenario.warmup_h, scenario.horizon_h
        window_h = horizon_h - warmup_h
        n = max(len(self.replications), 1)
        out = {}
        for j, fleet in enumerate(scenario.spec.fleets):
            turnaround, away_h, empty_days, empty_usd, empty_co2 = [], 0.0, [], [], []
            trips = 0
            empty_cost_usd = carried_t = 0.0
            for rep in self.replications:
                cycles, empties = rep.fleet_cycles, rep.empties
                if cycles is None or empties is None:
                    continue
                mine = cycles["fleet"] == j
                left, home, wagons = cycles["left_h"], cycles["home_h"], cycles["wagons"]
                # Wagon-hours away from home inside [warm-up, horizon].
                lo = np.maximum(left[mine], warmup_h)
                hi = np.minimum(np.where(np.isnan(home[mine]), horizon_h, home[mine]), horizon_h)
                away_h += float((np.clip(hi - lo, 0, None) * wagons[mine]).sum())
                done = mine & (left >= warmup_h) & ~np.isnan(home)
                trips += int(done.sum())
                turnaround.extend(((home[done] - left[done]) / 24).tolist())
                # The empty returns of those trips (an empty return's number is its trip).
                returns = np.flatnonzero(done[empties["number"]])
                days = (empties["arrive"] - empties["depart"])[returns] / 24
                empty_days.extend(days.tolist())
                per_wagon = empties["wagons"][returns]
                empty_usd.extend((empties["cost_usd"][returns] / per_wagon).tolist())
                empty_co2.extend((empties["co2_kg"][returns] / per_wagon).tolist())
                empty_cost_usd += float(empties["cost_usd"][returns].sum())
                loaded = cycles["consignment"][empties["number"][returns]]
                carried_t += float(rep.consignments["tonnes"][loaded].sum())

            def mean(values: list[float]) -> float:
                return float(np.mean(values)) if values else math.nan

            out[fleet.id] = FleetResult(
                id=fleet.id,
                wagons=fleet.wagons,
                trips=trips / n,
                turnaround_days_mean=mean(turnaround),
                turnaround_days_p90=(
                    float(np.percentile(turnaround, 90)) if turnaround else math.nan
                ),
                utilisation=away_h / (fleet.wagons * window_h * n),
                empty_days=mean(empty_days),
                empty_usd_per_wagon=mean(empty_usd),
                empty_co2_kg_per_wagon=mean(empty_co2),
                empty_usd_per_tonne_carried=(
                    empty_cost_usd / carried_t if carried_t else math.nan
                ),
            )
        return out

    @cached_property
    def trains(self) -> Mapping[str, TrainResult]:
        """Per service id (and ``split:LINK``) with trains, in the order first run: its
        trains departing in the measured window."""
        warmup_h = self.scenario.warmup_h
        by_name: dict[str, list[Any]] = {}
        for rep in self.replications:
            for train in rep.train_records():
                if train.depart_h >= warmup_h:
                    by_name.setdefault(train.name, []).append(train)
        capacity = {service.id: service.max_wagons for service in self.scenario.services}
        out = {}
        for name, trains in by_name.items():
            wagons = np.array([t.wagons for t in trains], dtype=float)
            arrived = [t.arrive_h - t.depart_h for t in trains if t.arrive_h == t.arrive_h]
            out[name] = TrainResult(
                name=name,
                trains=len(trains) / max(len(self.replications), 1),
                wagons_per_train=float(wagons.mean()),
                blocks_per_train=float(np.mean([t.blocks for t in trains])),
                load_factor=(
                    float(wagons.mean()) / capacity[name] if name in capacity else None
                ),
                run_days=float(np.mean(arrived)) / 24 if arrived else math.nan,
            )
        return out

    @cached_property
    def _summary(self) -> dict[str, Any]:
        spec = self.scenario.spec
        return clean(
            {
                "scenario": spec.name,
                "file": self.scenario.path,
                "seed": self.seed,
                "replications": len(self.replications),
                "precision": self.precision,
                "precision_met": self.precision_met,
                "horizon_days": spec.horizon_days,
                "warmup_days": spec.warmup_days,
                "start": spec.start.isoformat() if spec.start else None,
                "shipments": {sid: s.to_dict() for sid, s in self.shipments.items()},
                **(
                    {"trains": {name: t.to_dict() for name, t in self.trains.items()}}
                    if self.trains
                    else {}
                ),
                **(
                    {
                        "fleets": {k: f.fleet_dict() for k, f in self.fleets.items()},
                        "empties": {k: f.empties_dict() for k, f in self.fleets.items()},
                    }
                    if self.fleets
                    else {}
                ),
                "warnings": list(self.warnings),
            }
        )

    @cached_property
    def warnings(self) -> tuple[str, ...]:
        """What a reader of the figures should know: consignments left in transit, transit
        trending with departure time, no warm-up on a flow through a busy facility."""
        return tuple(health_warnings(self))

    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` / ``run --json`` document (stable keys, rounded floats)."""
        return self._summary

    # -- rows ----------------------------------------------------------------------------------

    def consignment_rows(self) -> Iterator[ConsignmentRow]:
        """Every consignment of every replication, replication by replication."""
        plans = self.scenario.shipments
        for rep in self.replications:
            for record in rep.consignment_records():
                yield _consignment_row(record, plans[record.shipment], rep.replication)

    def leg_rows(self) -> Iterator[LegRow]:
        """Every leg of every replication, in the order the engine recorded them."""
        for rep in self.replications:
            yield from rep.leg_records()

    def journeys(self, replication: int = 0) -> Iterator[Journey]:
        """The consignments of the ``replication``-th replication run, each with its legs."""
        rep = self.replications[replication]
        plans = self.scenario.shipments
        for record in rep.consignment_records():
            plan = plans[record.shipment]
            legs = tuple(rep.leg_records(record.row))
            yield Journey(_consignment_row(record, plan, rep.replication), legs)

    @cached_property
    def facilities(self) -> tuple[FacilityResult, ...]:
        """Per facility, over the measured window: utilisation, mean queue, mean wait, each
        the mean over replications with its 95% CI."""
        by_label: dict[str, list[Any]] = {}
        for rep in self.replications:
            for f in rep.facilities:
                by_label.setdefault(f.label, []).append(f)
        n = max(len(self.replications), 1)
        out = []
        for label, runs in sorted(by_label.items()):
            first = runs[0]
            busy = [f.busy_h / (f.servers * f.window_h) for f in runs]
            queue = [f.queue_h / f.window_h for f in runs]
            wait = [f.wait_h / f.waited if f.waited else math.nan for f in runs]
            # A replication in which the facility saw nobody still counts (as idle).
            busy += [0.0] * (n - len(runs))
            queue += [0.0] * (n - len(runs))
            u, u_lo, u_hi = mean_ci(busy)
            q, q_lo, q_hi = mean_ci(queue)
            w, w_lo, w_hi = mean_ci([x for x in wait if not math.isnan(x)])
            out.append(
                FacilityResult(
                    facility=label,
                    node=first.node,
                    type=label.rsplit(":", 1)[1],
                    servers=first.servers,
                    served_per_replication=sum(f.served for f in runs) / n,
                    utilisation=u,
                    # None of the three can be negative: a t interval that reaches below
                    # zero says only that the value is small.
                    utilisation_ci95_lo=_at_least_0(u_lo),
                    utilisation_ci95_hi=u_hi,
                    mean_queue=q,
                    mean_queue_ci95_lo=_at_least_0(q_lo),
                    mean_queue_ci95_hi=q_hi,
                    mean_wait_h=0.0 if math.isnan(w) else w,
                    mean_wait_h_ci95_lo=_at_least_0(w_lo),
                    mean_wait_h_ci95_hi=w_hi,
                )
            )
        return tuple(out)


def _consignment_row(record: Any, plan: ShipmentPlan, replication: int) -> ConsignmentRow:
    done = record.arrived
    return ConsignmentRow(
        shipment=plan.id,
        replication=replication,
        consignment=record.number,
        wagons=record.wagons,
        tonnes=record.tonnes,
        origin=plan.origin,
        destination=plan.destination,
        depart_h=record.depart_h,
        arrive_h=record.arrive_h if done else None,
        transit_h=record.arrive_h - record.depart_h if done else None,
        cost_usd=record.cost_usd if done else None,
        co2_kg=record.co2_kg if done else None,
        km=record.km if done else None,
        reroutes=record.reroutes,
        wait_h=dict(zip(CAUSES, record.wait_h, strict=True)),
    )


#: The categories a leg's charges fall in, in the order of :data:`COST_CATEGORIES`.
CHARGES = COST_CATEGORIES[:3]


def _cost_parts(
    result: SimulationResult,
    rep: ReplicationResult,
    done: np.ndarray,
    mine: np.ndarray,
    tonnes: np.ndarray,
) -> tuple[np.ndarray, dict[str, float]]:
    """Mean USD per tonne of the consignments in rows ``done`` (their legs: ``mine``) by cost
    category and by country: each leg's charges go to its link's or facility's category, its
    hire and demurrage to theirs, and the whole leg to the country of its label."""
    network = result.scenario.network
    legs = rep.legs
    rows = legs["consignment"][mine]
    labels = legs["label"][mine]
    cost = legs["cost_usd"][mine]
    hire = legs["hire_usd"][mine]
    demurrage = legs["demurrage_usd"][mine]
    charges = cost - hire - demurrage
    category = np.array(
        [CHARGES.index(place_category(network, *text.split(":", 1))) for text in rep.labels],
        dtype=int,
    )[labels]
    # Per consignment, as rows of ``done``: positions of each leg's consignment there.
    at = np.searchsorted(done, rows)
    n = done.size

    def per_tonne(weights: np.ndarray) -> float:
        return float((np.bincount(at, weights=weights, minlength=n) / tonnes).mean())

    parts = np.array(
        [
            per_tonne(np.where(category == 0, charges, 0.0)),
            per_tonne(np.where(category == 1, charges, 0.0)),
            per_tonne(np.where(category == 2, charges, 0.0)),
            per_tonne(hire),
            per_tonne(demurrage),
        ]
    )
    countries = np.array(rep.label_countries, dtype=object)[labels]
    by_country = {
        str(country): per_tonne(np.where(countries == country, cost, 0.0))
        for country in sorted(set(countries.tolist()))
    }
    return parts, by_country


def _at_least_0(value: float) -> float:
    return value if math.isnan(value) else max(value, 0.0)


def _shipment_result(result: SimulationResult, index: int, plan: ShipmentPlan) -> ShipmentResult:
    """Every KPI of one shipment, from one pass over the replications' columns."""
    target_days = result.scenario.target_days(plan.id)
    warmup_h = result.scenario.warmup_h
    n_reps = len(result.replications)
    rep_transit, rep_usd, rep_co2 = (np.full(n_reps, np.nan) for _ in range(3))
    rep_by_category = np.full((len(COST_CATEGORIES), n_reps), np.nan)
    rep_by_country: list[dict[str, float] | None] = [None] * n_reps
    pooled_transit: list[np.ndarray] = []
    pooled_usd: list[np.ndarray] = []
    pooled_co2: list[np.ndarray] = []
    waits_by_cause = np.zeros(len(CAUSES))
    wait_by_place: dict[str, float] = defaultdict(float)
    processing_h = running_h = 0.0
    consignments = arrived = within = judged = 0
    wagons_departed = wagons_arrived = 0
    # Departure and transit days of the arrived consignments in departure order, per
    # replication: from time 0 (for MSER-5) and in the measured window (for the trend).
    series_all: list[np.ndarray] = []
    departs_measured: list[np.ndarray] = []
    transit_measured: list[np.ndarray] = []
    departs_all: list[np.ndarray] = []
    for j, rep in enumerate(result.replications):
        c = rep.consignments
        everyone = np.flatnonzero(c["shipment"] == index)
        arrived_all = everyone[~np.isnan(c["arrive"][everyone])]
        series_all.append((c["arrive"][arrived_all] - c["depart"][arrived_all]) / 24)
        departs_all.append(c["depart"][arrived_all] / 24)
        # Consignments departing before the warm-up ran but are not counted.
        rows = everyone[c["depart"][everyone] >= warmup_h]
        done = rows[~np.isnan(c["arrive"][rows])]
        departs_measured.append(c["depart"][done] / 24)
        transit_measured.append((c["arrive"][done] - c["depart"][done]) / 24)
        consignments += rows.size
        arrived += done.size
        wagons_departed += int(c["wagons"][rows].sum())
        wagons_arrived += int(c["wagons"][done].sum())
        if done.size:
            transit_days = (c["arrive"][done] - c["depart"][done]) / 24
            usd_t = c["cost_usd"][done] / c["tonnes"][done]
            co2_t = c["co2_kg"][done] / c["tonnes"][done]
            rep_transit[j], rep_usd[j], rep_co2[j] = transit_days.mean(), usd_t.mean(), co2_t.mean()
            pooled_transit.append(transit_days)
            pooled_usd.append(usd_t)
            pooled_co2.append(co2_t)
            waits_by_cause += c["waits"][done].sum(axis=0)
            legs = rep.legs
            mine = np.isin(legs["consignment"], done)
            rep_by_category[:, j], rep_by_country[j] = _cost_parts(
                result, rep, done, mine, c["tonnes"][done]
            )
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
            within += int(((c["arrive"][done] - c["depart"][done]) / 24 <= target_days).sum())
            judged += done.size + late_in_transit.size

    def pool(parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts) if parts else np.zeros(0)

    per_consignment = max(arrived, 1)
    top = sorted(wait_by_place.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_WAITS]
    p_within: float | None = None
    if target_days is not None:
        p_within = within / judged if judged else math.nan
    countries = sorted({k for parts in rep_by_country if parts for k in parts})
    by_country = {
        country: mean_ci(
            np.array([parts.get(country, 0.0) for parts in rep_by_country if parts is not None])
        )[0]
        for country in countries
    }
    by_category = {
        category: mean_ci(values[~np.isnan(values)])[0]
        for category, values in zip(COST_CATEGORIES, rep_by_category, strict=True)
    }
    cargo = plan.cargo
    per_unit = (
        None
        if cargo.units_per_wagon is None
        else cargo.tonnes_per_wagon / cargo.units_per_wagon
    )
    return ShipmentResult(
        id=plan.id,
        transit_days=Estimate.of(rep_transit, pool(pooled_transit)),
        usd_per_tonne=Estimate.of(rep_usd, pool(pooled_usd)),
        usd_per_tonne_by_category=by_category,
        usd_per_tonne_by_country=by_country,
        usd_per_unit=(
            None
            if per_unit is None
            else Estimate.of(rep_usd * per_unit, pool(pooled_usd) * per_unit)
        ),
        unit=cargo.unit,
        co2_kg_per_tonne=Estimate.of(rep_co2, pool(pooled_co2)),
        target_days=target_days,
        p_within_target=p_within,
        time_h={
            "running": running_h / per_consignment,
            "processing": processing_h / per_consignment,
            "waiting": float(waits_by_cause.sum()) / per_consignment,
        },
        wait_h_by_cause={
            cause: float(waits_by_cause[i]) / per_consignment for i, cause in enumerate(CAUSES)
        },
        top_waits=tuple(
            TopWait(
                place=label.split(":", 1)[1],
                kind=label.split(":", 1)[0],
                wait_h=total / per_consignment,
            )
            for label, total in top
        ),
        route=tuple(plan.route.nodes),
        static_days=plan.route.days,
        consignments=consignments,
        arrived=arrived,
        wagons_departed=wagons_departed,
        wagons_arrived=wagons_arrived,
        suggested_warmup_days=_suggested_warmup_days(series_all, departs_all),
        trend=trend(departs_measured, transit_measured),
    )


def _suggested_warmup_days(
    transit: list[np.ndarray], departs: list[np.ndarray]
) -> float | None:
    """Where MSER-5 cuts the mean transit series: the mean departure day of the first
    consignment kept, rounded up to a tenth of a day; None when it cannot tell."""
    cut = mser5(mean_series(transit))
    if not cut.reliable:
        return None
    if cut.observations == 0:
        return 0.0
    at = mean_series(departs)[cut.observations]
    return math.ceil(float(at) * 10) / 10


#: More than this share of a shipment's consignments in transit at the horizon is warned of.
IN_TRANSIT_SHARE = 0.05
#: A facility busier than this needs a warm-up before its flows are in steady state.
BUSY = 0.7
#: A trend is material when it moves transit by more than this share of the mean over the
#: measured window.
MATERIAL_TREND = 0.1


def health_warnings(result: SimulationResult) -> Iterator[str]:
    """The warnings of a run, shipment by shipment (see :attr:`SimulationResult.warnings`)."""
    scenario = result.scenario
    window_days = (scenario.horizon_h - scenario.warmup_h) / 24
    busy = {f.node: f for f in result.facilities if f.utilisation > BUSY}
    for plan in scenario.shipments:
        s = result.shipments[plan.id]
        if s.consignments and s.in_transit > IN_TRANSIT_SHARE * s.consignments:
            yield (
                f"{plan.id}: {s.in_transit:,} of {s.consignments:,} consignments "
                f"({s.in_transit / s.consignments:.0%}) still in transit at the horizon: "
                "their times are not in the figures, which are biased low; lengthen "
                "horizon_days or stop departures earlier (until_h)"
            )
        mean = s.transit_days.mean
        if s.trend is not None and s.trend.significant and not math.isnan(mean) and mean > 0:
            change = s.trend.slope * window_days
            if abs(change) > MATERIAL_TREND * mean:
                way = "rises" if change > 0 else "falls"
                lo, hi = s.trend.ci95
                yield (
                    f"{plan.id}: transit time {way} with departure time, by {abs(change):.2f} "
                    f"days over the {window_days:g}-day window (slope {s.trend.slope:.4f} "
                    f"days per day, 95% CI {lo:.4f} to {hi:.4f}): not in steady state, so "
                    "the mean depends on the horizon (a queue still filling, or the seasons)"
                )
        if scenario.warmup_h == 0:
            hot = [busy[n] for n in plan.route.nodes if n in busy]
            if hot:
                worst = max(hot, key=lambda f: f.utilisation)
                hint = (
                    "the run is too short for MSER-5 to suggest a warm-up: lengthen it"
                    if s.suggested_warmup_days is None
                    else f"suggested warmup_days: {s.suggested_warmup_days:g} (MSER-5)"
                )
                yield (
                    f"{plan.id}: no warm-up on a flow through {worst.facility} "
                    f"({worst.utilisation:.0%} busy): the first consignments meet an empty "
                    f"corridor and the figures are biased low; {hint}"
                )
