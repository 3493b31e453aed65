"""One replication of a scenario on SimPy.

Consignments are processes that walk their route's legs: they queue and dwell at facilities,
keep the minimum headway of each line, run links, and board ferries (which are processes of
their own). Disruptions close or degrade nodes and links for a time window; consignments wait
for the reopening, or re-plan around a closure when the disruption says ``reroute``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Generator
from heapq import heapreplace
from typing import Any

import numpy as np
import simpy

from corridorsim.network.calendar import OpeningCalendar
from corridorsim.network.model import TRUCK_LENGTH_M, WAGON_LENGTH_M, Facility, Ferry, Network
from corridorsim.routing.carriers import in_trucks, mode_of
from corridorsim.routing.graph import crosses, facility_leg, is_border_at
from corridorsim.routing.plan import plan_route
from corridorsim.routing.route import Leg, Route
from corridorsim.routing.sections import Section, service_sections, split_sections
from corridorsim.scenario.load import Scenario, ShipmentPlan
from corridorsim.scenario.seasons import MonthlyDemand
from corridorsim.sim.components import (
    Condition,
    FacilityRuntime,
    LineRuntime,
    SingleTrack,
    Wake,
    held_in_window_h,
)
from corridorsim.sim.dealing import Dealer
from corridorsim.sim.departures import Daily, Every
from corridorsim.sim.ferry import FerryService, Ships
from corridorsim.sim.fleets import FleetCycles, FleetRuntime
from corridorsim.sim.records import (
    CHUNK,
    DISRUPTION,
    FACILITY,
    FERRY,
    FLEET,
    FORMATION,
    HEADWAY,
    NO_CAUSE,
    ConsignmentBuffer,
    FacilityTotals,
    FerryTotals,
    LegBuffer,
    LineTotals,
    ReplicationResult,
    TrainBuffer,
)
from corridorsim.sim.streams import Sampler, Uniforms, generator
from corridorsim.sim.trains import Train, TrainSection, TrainService, split_wagons

# Step kinds of a resolved plan: a facility served first come first served without a SimPy
# resource (see _fifo), one queueing for its resource, a line, a ferry, a single-track line,
# a section run by a service's trains, a section run split into shorter trains.
_FIFO, _FACILITY, _LINE, _FERRY, _TRACK, _SERVICE, _SPLIT = range(7)
#: Dwell distributions without atoms: no two draws and no other event's time coincide (with
#: probability 1), so when a visit's end is scheduled cannot change the order of events.
_CONTINUOUS = frozenset({"exponential", "lognormal", "gamma", "triangular", "uniform",
                         "normal_trunc"})


class Engine:
    """The state of one replication: components, routes, records."""

    def __init__(self, scenario: Scenario, replication: int, seed: int | None = None) -> None:
        self.scenario = scenario
        self.network: Network = scenario.network
        self.replication = replication
        self.seed = scenario.seed if seed is None else seed
        self.env = simpy.Environment()
        self.consignments = ConsignmentBuffer()
        self.legs = LegBuffer()
        self.labels: list[str] = []
        #: The country each label's costs are booked to.
        self.label_countries: list[str] = []
        self._label_index: dict[tuple[str, str], int] = {}
        self._conditions: dict[str, Condition] = {}
        #: The condition of what no disruption targets (a service's departures, a split).
        self._open = Condition(self.env)
        self._facilities: dict[tuple[str, int], FacilityRuntime] = {}
        self._lines: dict[tuple[str, str], LineRuntime] = {}
        #: The shared state of each single-track link (``tracks: 1``), by link id.
        self._tracks: dict[str, SingleTrack] = {}
        self._ferries: dict[tuple[str, str], FerryService] = {}
        #: A service's departures over one section, by service index and the section's legs.
        self._services: dict[tuple[int, tuple[Any, ...]], TrainService] = {}
        self.trains = TrainBuffer()
        #: Fleets: the wagons at home, each trip, the empty returns and their legs.
        self._fleets = [FleetRuntime(self.env, fleet.wagons) for fleet in scenario.spec.fleets]
        self._unloads: dict[int, Sampler] = {}
        self.cycles = FleetCycles()
        self.empties = ConsignmentBuffer()
        self.empty_legs = LegBuffer()
        self.train_names: list[str] = []
        self._train_name_index: dict[str, int] = {}
        self._plans: dict[Any, tuple[tuple[Any, ...], ...]] = {}
        self._routes: dict[tuple[Any, ...], Route | None] = {}
        #: Targets closed now by disruptions that ask consignments to re-plan around them.
        self.reroute_closed: frozenset[str] = frozenset()
        self._start = scenario.spec.start
        #: The measured window [W, H] of the facility statistics.
        self._warmup_h = scenario.warmup_h
        self._horizon_h = scenario.horizon_h
        disruptions = scenario.disruptions
        #: Nodes and links some disruption closes, and those some disruption slows down.
        self._closable = frozenset(d.target for d in disruptions if d.effect == "closed")
        self._degradable = frozenset(d.target for d in disruptions if d.effect != "closed")

    # -- components, created on first use ------------------------------------------------

    def stream(self, component_id: str) -> np.random.Generator:
        """The random stream of one component in this replication."""
        return generator(self.seed, self.replication, component_id)

    def condition(self, target: str) -> Condition:
        """The disruption state of a node or link (created on first use)."""
        found = self._conditions.get(target)
        if found is None:
            found = self._conditions[target] = Condition(self.env)
        return found

    def label(self, text: str, node_id: str) -> int:
        """The number of a leg label (``facility:ID``, ``link:ID``, ``formation:ID``) in the
        leg records, for legs at ``node_id`` or leaving it: costs are booked to that node's
        country (a link run each way has a number per direction)."""
        country = self.network.nodes[node_id].country
        key = (text, country)
        index = self._label_index.get(key)
        if index is None:
            index = self._label_index[key] = len(self.labels)
            self.labels.append(text)
            self.label_countries.append(country)
        return index

    def _facility(self, node_id: str, index: int) -> FacilityRuntime:
        key = (node_id, index)
        found = self._facilities.get(key)
        if found is None:
            facility = self.network.nodes[node_id].facility[index]
            component = f"facility:{node_id}:{index}:{facility.type}"
            # The per-wagon dwell draws on a stream of its own: every other draw stays the
            # same whether or not a facility has one.
            per_wagon = facility.dwell_per_wagon_h
            found = self._facilities[key] = FacilityRuntime(
                self.env,
                facility.servers,
                Sampler(facility.dwell_h, self.stream(component)),
                facility.capacity_per_day,
                self.condition(node_id),
                label=f"{node_id}:{facility.type}",
                per_wagon=(
                    None
                    if per_wagon is None
                    else Sampler(per_wagon, self.stream(component + ":per_wagon"))
                ),
                calendar=(
                    self._opening_calendar(node_id, facility)
                    if facility.has_opening_hours
                    else None
                ),
            )
            found.free_time_h = facility.free_time_h
            found.demurrage_usd_per_wagon_h = facility.demurrage_usd_per_wagon_day / 24
        return found

    def _opening_calendar(self, node_id: str, facility: Facility) -> OpeningCalendar:
        """When a facility with opening hours may start a service (the scenario's calendar)."""
        if self._start is None:  # loading refuses this first: it is checked again here
            raise ValueError(
                f"facility {node_id} ({facility.type}) has opening hours: the scenario needs "
                "a start date"
            )
        return OpeningCalendar(
            self._start,
            facility.opening_windows,
            facility.closed_weekdays,
            facility.closed_dates,
        )

    def _line(self, leg: Leg) -> LineRuntime:
        key = (leg.id, leg.from_node)
        found = self._lines.get(key)
        if found is None:
            link = self.network.links[leg.id]
            # The link's own running time: the leg's expected hours include the mean delay,
            # drawn here per passage from the direction's own stream.
            delay = (
                None
                if link.delay_h is None
                else Sampler(link.delay_h, self.stream(f"line:{leg.id}:{leg.from_node}:delay"))
            )
            found = self._lines[key] = LineRuntime(
                link.run_h(), link.headway_h(), self.condition(leg.id), delay
            )
            if link.tracks == 1:
                track = self._tracks.get(leg.id)
                if track is None:
                    track = self._tracks[leg.id] = SingleTrack(self.condition(leg.id))
                found.track = track
                found.side = 0 if leg.from_node == link.from_ else 1
        return found

    def _ferry(self, link_id: str, from_node: str) -> FerryService:
        key = (link_id, from_node)
        found = self._ferries.get(key)
        if found is None:
            link = self.network.links[link_id]
            assert link.ferry is not None
            component = f"ferry:{link_id}:{from_node}"
            end = 0 if from_node == link.from_ else 1
            ships = None
            if link.ferry.vessels is not None:
                # The two directions share the line's ships: the second finds the first's.
                other = self._ferries.get((link_id, link.to if end == 0 else link.from_))
                ships = other.ships if other is not None else Ships(
                    link.ferry.vessels,
                    link.ferry.turnaround_h,
                    self.env.now,
                    None if link.bidirectional else Sampler(
                        link.ferry.sailing_h, self.stream(f"ferry:{link_id}:{link.to}:sailing")
                    ),
                )
            found = self._ferries[key] = FerryService(
                self.env,
                link.ferry,
                Sampler(link.ferry.sailing_h, self.stream(component + ":sailing")),
                Uniforms(self.stream(component + ":weather")),
                self.condition(link_id),
                self._cancel_prob(link.ferry),
                ships,
                end,
            )
        return found

    def _cancel_prob(self, ferry: Ferry) -> Callable[[float], float]:
        if not isinstance(ferry.cancel_prob, tuple):
            p = ferry.cancel_prob
            return lambda _now: p
        if self._start is None:
            # Without a calendar anchor a month cannot be named: use the year's mean.
            mean = ferry.mean_cancel_prob
            return lambda _now: mean
        start = dt.datetime.combine(self._start, dt.time())
        return lambda now: ferry.cancel_prob_in_month((start + dt.timedelta(hours=now)).month)

    # -- plans ------------------------------------------------------------------------------

    def plan(
        self, key: Any, route: Route, wagons: int = 1
    ) -> tuple[tuple[Any, ...], ...]:
        """The route's legs resolved to components, by key and wagons: per step (kind,
        component, leg, label, USD per wagon, CO2 kg per wagon, km, and for a line the
        condition of the node it leaves if a disruption can close that node, else None).

        A section run by trains (a service's, or a consignment's split for a short line; see
        :mod:`corridorsim.routing.sections`) is one step: its component holds the section's
        own steps, its leg is the section's first, its label the formation at its far end
        (split) or at its start (service)."""
        found = self._plans.get((key, wagons))
        if found is None:
            legs = route.legs
            steps: list[tuple[Any, ...]] = [self._step(leg) for leg in legs]
            services = service_sections(legs, self.scenario.services)
            sections = sorted(
                [*services, *split_sections(self.network, legs, wagons, services)],
                key=lambda section: section.first,
            )
            for section in reversed(sections):
                inner = tuple(steps[section.first : section.end])
                steps[section.first : section.end] = [self._section_step(section, inner)]
            found = self._plans[(key, wagons)] = tuple(steps)
        return found

    def _step(self, leg: Leg) -> tuple[Any, ...]:
        gate = None
        if leg.kind == "facility":
            component: Any = self._facility(leg.id, leg.facility_index)
            kind = _FIFO if self._fifo(leg) else _FACILITY
        elif leg.type == "ferry" or self.network.links[leg.id].ferry is not None:
            component, kind = self._ferry(leg.id, leg.from_node), _FERRY
        else:
            component = self._line(leg)
            kind = _LINE if component.track is None else _TRACK
            if leg.from_node in self._closable:
                gate = self.condition(leg.from_node)
        label = self.label(f"{leg.kind}:{leg.id}", leg.from_node)
        return (kind, component, leg, label, leg.usd_per_wagon, leg.co2_kg_per_wagon, leg.km,
                gate)

    def _section_step(self, section: Section, inner: tuple[tuple[Any, ...], ...]
                      ) -> tuple[Any, ...]:
        first_leg, last_leg = inner[0][2], inner[-1][2]
        km = sum(step[6] for step in inner)
        end_label = self.label(f"formation:{last_leg.to_node}", last_leg.to_node)
        if section.service is None:
            component = TrainSection(
                inner,
                self._open,
                end_label,
                max_wagons=section.max_wagons,
                name=self._train_name(f"split:{last_leg.id}"),
            )
            return (_SPLIT, component, first_leg, end_label, 0.0, 0.0, km, None)
        component = TrainSection(
            inner, self._open, end_label, departures=self._service(section.service, inner)
        )
        label = self.label(f"formation:{first_leg.from_node}", first_leg.from_node)
        return (_SERVICE, component, first_leg, label, 0.0, 0.0, km, None)

    def _service(self, index: int, inner: tuple[tuple[Any, ...], ...]) -> TrainService:
        """The departures of service number ``index`` over a section (created on first use:
        its timetable runs from then, joining its slots at the next one)."""
        # By the places the section runs through (legs also hold expected hours, which
        # differ with the wagons of the consignment that planned them).
        key = (index, tuple((leg.kind, leg.id, leg.from_node, leg.to_node, leg.facility_index)
                            for leg in (step[2] for step in inner)))
        found = self._services.get(key)
        if found is None:
            spec = self.scenario.services[index]
            limits = [
                self.network.links[step[2].id].max_train_wagons
                for step in inner
                if step[2].kind == "link"
            ]
            capacity = min([spec.max_wagons, *(x for x in limits if x is not None)])
            timetable = (
                Every(spec.every_h, spec.offset_h)
                if spec.every_h is not None
                else Daily(spec.departure_hours())
            )
            name = self._train_name(spec.id)
            env = self.env

            def run(wagons: int, blocks: int) -> simpy.Process:
                return env.process(self._train(inner, wagons, blocks, name))

            found = self._services[key] = TrainService(
                env, capacity, timetable, spec.depart_when_full, self._open, run
            )
        return found

    def _train_name(self, text: str) -> int:
        index = self._train_name_index.get(text)
        if index is None:
            index = self._train_name_index[text] = len(self.train_names)
            self.train_names.append(text)
        return index

    def _fifo(self, leg: Leg) -> bool:
        """Whether a visit to this leg's facility can be one event scheduled on arrival.

        Its node must be one no disruption slows down (closures are fine: they hold
        consignments before the queue), so start and end are known on arrival. And its dwell
        must be continuous: the visit's end is then put on the event queue earlier than a
        SimPy resource would put it, which can only matter when another event falls due at
        exactly the same time (a fixed dwell ending as another consignment reaches the next
        facility, which then serves one of the two first); so must its per-wagon dwell, when
        it has one.
        """
        facility = self.network.nodes[leg.id].facility[leg.facility_index]
        per_wagon = facility.dwell_per_wagon_h
        return (
            leg.id not in self._degradable
            and facility.dwell_h.dist in _CONTINUOUS
            and (per_wagon is None or per_wagon.dist in _CONTINUOUS)
        )

    def reroute(
        self, shipment: ShipmentPlan, node_id: str, carrier: str, origin_facilities: bool
    ) -> tuple[Any, Route | None]:
        """A new route from ``node_id`` around what is closed for re-planning now (cached)."""
        key = (
            shipment.spec.cargo,
            shipment.wagons,
            shipment.destination,
            shipment.spec.route,
            node_id,
            carrier,
            origin_facilities,
            self.reroute_closed,
        )
        if key not in self._routes:
            route = None
            stuck = {node_id, shipment.destination} & self.reroute_closed
            if not stuck and node_id != shipment.destination:
                cargo = shipment.cargo
                route = plan_route(
                    self.network,
                    cargo.cost_model(shipment.wagons),
                    node_id,
                    shipment.destination,
                    shipment.spec.route.effective_policy,
                    fixed=None,
                    avoid_tokens=shipment.avoid,
                    avoid_extra=self.reroute_closed,
                    start_carrier=carrier,
                    origin_facilities=origin_facilities,
                )
            self._routes[key] = route
        return key, self._routes[key]

    # -- processes ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the processes: ferry timetables, shipments' departures, disruptions."""
        # Every ferry service sails from time 0 whether or not anyone boards yet, so its
        # timetable and its weather draws are the same in every scenario that shares it.
        for link in self.network.links.values():
            if link.ferry is not None and link.status == "open":
                for a in [link.from_, link.to] if link.bidirectional else [link.from_]:
                    self._ferry(link.id, a)
        for index, shipment in enumerate(self.scenario.shipments):
            self.env.process(self._departures(index, shipment))
        for disruption in self.scenario.disruptions:
            self.env.process(self._disruption(disruption))

    def _departures(self, index: int, shipment: ShipmentPlan) -> Generator[simpy.Event, Any, None]:
        spec = shipment.spec
        horizon = self.scenario.horizon_h
        until = min(spec.until_h or horizon, horizon)
        gap = (
            Sampler(shipment.gap_h, self.stream(f"shipment:{spec.id}:departures"))
            if shipment.gap_h is not None
            else None
        )
        count = spec.count if gap is not None else 1
        env = self.env
        t = spec.depart_h
        # With monthly factors the gaps are drawn as they are and spaced in demand time: the
        # same stream, only the times change (a month without demand is jumped over).
        demand = None
        if spec.monthly_factors is not None:
            assert self._start is not None  # the loader refuses monthly_factors without start
            demand = MonthlyDemand(self._start, spec.monthly_factors)
            t = demand.advance_h(t, 0.0, end_h=until)
        number = 0
        dealer = (
            Dealer(shipment.shares, Uniforms(self.stream(f"shipment:{spec.id}:routes")))
            if shipment.choices
            else None
        )
        while t <= until and (count is None or number < count):
            if t > env.now:
                yield env.timeout(t - env.now)
            row = self.consignments.new(index, number, shipment.wagons, shipment.tonnes, env.now)
            choice = 0
            if dealer is not None:
                choice = self.consignments.route[row] = dealer.next()
            env.process(self._consignment(row, shipment, choice))
            number += 1
            if gap is None:
                return
            if demand is None:
                t += gap()
            else:
                t = demand.advance_h(t, gap(), end_h=until)

    def _disruption(self, disruption: Any) -> Generator[simpy.Event, Any, None]:
        env = self.env
        if disruption.from_h > env.now:
            yield env.timeout(disruption.from_h - env.now)
        condition = self.condition(disruption.target)
        effect = disruption.effect
        extra = None
        if effect == "closed":
            condition.close()
            if disruption.reroute:
                self.reroute_closed = self.reroute_closed | {disruption.target}
        elif effect.capacity_factor is not None:
            condition.capacity_factor *= effect.capacity_factor
        else:
            extra = Sampler(
                effect.extra_dwell_h,
                self.stream(f"disruption:{disruption.target}:{disruption.from_h}"),
            )
            condition.extra_dwell.append(extra)
        yield env.timeout(disruption.to_h - env.now)
        if effect == "closed":
            if disruption.reroute:
                self.reroute_closed = self.reroute_closed - {disruption.target}
            condition.reopen()
        elif effect.capacity_factor is not None:
            condition.capacity_factor /= effect.capacity_factor
        elif extra is not None:
            condition.extra_dwell.remove(extra)

    def _consignment(
        self, row: int, shipment: ShipmentPlan, choice: int = 0
    ) -> Generator[simpy.Event, Any, None]:
        env = self.env
        wagons = shipment.wagons
        if shipment.choices:
            steps = self.plan((shipment.id, choice), shipment.choices[choice], wagons)
        else:
            steps = self.plan(shipment.id, shipment.route, wagons)
        consignments = self.consignments
        seq = 0
        trip = -1
        if shipment.fleet is not None:
            # The wagons first: a fleet leg at home for the wait until they are there.
            planned = env.now
            turn = self._fleets[shipment.fleet].take(wagons)
            if turn is not None:
                yield turn
            wait = env.now - planned
            consignments.waits[FLEET][row] += wait
            label = self.label(f"fleet:{shipment.origin}", shipment.origin)
            self.legs.pending.append((row, 0, label, planned, env.now, env.now, wait,
                                      FLEET if wait > 0 else NO_CAUSE, 0.0, 0.0, 0.0, 0.0))
            seq = 1
            trip = self.cycles.new(shipment.fleet, wagons, row, env.now)
        cost, co2, km = yield from self._walk(
            row, wagons, steps, consignments.waits, self.legs.pending.append, shipment,
            shipment.cargo.wagon_hire_usd_per_day * wagons / 24, seq,
        )
        consignments.arrive[row] = env.now
        consignments.cost_usd[row] = cost
        consignments.co2_kg[row] = co2
        consignments.km[row] = km
        if len(self.legs.pending) >= CHUNK:
            self.legs.flush()
        if trip >= 0:
            env.process(self._empty_return(shipment, trip))

    def _empty_return(self, shipment: ShipmentPlan, trip: int) -> Generator[simpy.Event, Any, None]:
        """Unload, then the empty wagons' way home (through facilities and ferries like any
        train), and back into the fleet."""
        env = self.env
        assert shipment.fleet is not None
        fleet = self.scenario.spec.fleets[shipment.fleet]
        unload = self._unloads.get(shipment.fleet)
        if unload is None:
            unload = self._unloads[shipment.fleet] = Sampler(
                fleet.unload_h, self.stream(f"fleet:{fleet.id}:unload")
            )
        yield env.timeout(unload())
        cycles, empties, wagons = self.cycles, self.empties, shipment.wagons
        cycles.empty_h[trip] = env.now
        row = empties.new(shipment.fleet, trip, wagons, 0.0, env.now)
        cost, co2, km = yield from self._walk(
            row, wagons, self._empty_plan(shipment), empties.waits,
            self.empty_legs.pending.append, None,
            shipment.cargo.wagon_hire_usd_per_day * wagons / 24,
        )
        empties.arrive[row] = cycles.home_h[trip] = env.now
        empties.cost_usd[row] = cost
        empties.co2_kg[row] = co2
        empties.km[row] = km
        self._fleets[shipment.fleet].give_back(wagons)

    def _empty_plan(self, shipment: ShipmentPlan) -> tuple[tuple[Any, ...], ...]:
        """The steps of a shipment's empty return: ``empty_tariff_factor`` of each link's
        charge, a facility's fee per wagon (no cargo, no fee per tonne), the CO2 of the
        wagons' own weight."""
        key = ("empty", shipment.id)
        found = self._plans.get((key, shipment.wagons))
        if found is not None:
            return found
        route = shipment.return_route
        assert route is not None
        cargo = shipment.cargo
        factor = cargo.empty_tariff_factor
        tare_share = cargo.tare_tonnes_per_wagon / (
            cargo.tonnes_per_wagon + cargo.tare_tonnes_per_wagon
        )
        legs = []
        for leg in route.legs:
            if leg.kind == "link":
                usd = leg.usd_per_wagon * factor
            else:
                usd = self.network.nodes[leg.id].facility[leg.facility_index].fee_usd_per_wagon
            legs.append(dataclasses.replace(
                leg, usd_per_wagon=usd, co2_kg_per_wagon=leg.co2_kg_per_wagon * tare_share
            ))
        return self.plan(key, dataclasses.replace(route, legs=tuple(legs)), shipment.wagons)

    def _train(
        self, steps: tuple[tuple[Any, ...], ...], wagons: int, blocks: int, name: int
    ) -> Generator[simpy.Event, Any, Train]:
        """A train of ``wagons`` running a section's ``steps``; the process's value is the
        :class:`Train` when it has arrived (its legs then go into the train records)."""
        trains = self.trains
        train = Train(trains.new(name, wagons, blocks, self.env.now), wagons, self.env.now)
        yield from self._walk(0, wagons, steps, train.waits, train.legs.append, None)
        train.arrive_h = trains.arrive[train.row] = self.env.now
        row = train.row
        trains.legs.pending.extend((row, *leg[1:]) for leg in train.legs)
        if len(trains.legs.pending) >= CHUNK:
            trains.legs.flush()
        return train

    def _walk(  # noqa: C901 - one loop on purpose: a helper per leg kind would add a
        self,  # generator frame to every leg of every run
        row: int,
        wagons: int,
        steps: tuple[tuple[Any, ...], ...],
        waits: list[Any],
        add_leg: Callable[[tuple[Any, ...]], None],
        shipment: ShipmentPlan | None,
        hire_per_h: float = 0.0,
        seq: int = 0,
    ) -> Generator[simpy.Event, Any, tuple[float, float, float]]:
        """Walk ``steps`` with ``wagons`` wagons: a consignment's route (``shipment`` given:
        it may re-plan around closures), a train's section or an empty return (None). Waits
        go into row ``row`` of the columns ``waits`` (by cause), leg rows to ``add_leg``,
        numbered from ``seq``; each hour costs ``hire_per_h`` (wagon hire); (USD, CO2 kg,
        km) walked."""
        # The hot loop of the engine: locals instead of attribute look-ups, env.now read
        # once per resumption, one tuple per leg besides SimPy's own events.
        env = self.env
        timeout = env.timeout
        facility_waits, ferry_waits, headway_waits, disruption_waits, *_ = waits
        wake = Wake(env).at
        warmup, horizon = self._warmup_h, self._horizon_h
        seen_closed: frozenset[str] = frozenset()
        i = 0
        cost = co2 = km = 0.0
        while i < len(steps):
            if shipment is not None and self.reroute_closed is not seen_closed:
                seen_closed = self.reroute_closed
                new_steps = self._replan(shipment, steps, i)
                if new_steps is not None:
                    steps, i = new_steps, 0
                    self.consignments.reroutes[row] += 1
            kind, component, _leg, label, usd, co2_kg, leg_km, gate = steps[i]
            arrive = now = env.now
            condition = component.condition
            if condition.closed or (gate is not None and gate.closed):
                while condition.closed:
                    yield condition.reopened
                if gate is not None:
                    yield from self._wait_node(gate)
                now = env.now
            blocked = now - arrive
            if kind == _FIFO:
                # First come first served at a facility nothing slows down: service starts
                # when the earliest of its servers is free (servers are held through the
                # headway too), so start and end are known now and one event ends the visit.
                free = component.free
                grant = free[0] if free[0] > now else now
                if component.calendar is not None:
                    # Closed: the server is held from the opening on; the wait is queue.
                    grant = component.calendar.next_open(grant)
                headway = 0.0
                start = grant
                if component.headway_h:
                    start, headway = component.headway_start(grant)
                end = start + component.draw_dwell(wagons)
                heapreplace(free, end)
                queue = grant - now
                if end >= warmup:
                    # The visit's share of the window [warmup, horizon], known now (visits
                    # ending after the horizon never resume): server held [grant, end],
                    # queue [now, grant], both clipped to the window.
                    stats = component.stats
                    lo = grant if grant > warmup else warmup
                    hi = end if end < horizon else horizon
                    if hi > lo:
                        stats.busy_h += hi - lo
                    if end < horizon:
                        stats.served += 1
                    if queue:
                        lo = now if now > warmup else warmup
                        hi = grant if grant < horizon else horizon
                        if hi > lo:
                            stats.queue_h += hi - lo
                    if now >= warmup and grant < horizon:
                        stats.wait_h += queue
                        stats.waited += 1
                yield wake(end)
                facility_waits[row] += queue
                headway_waits[row] += headway
                wait, cause = queue + headway, (FACILITY if queue >= headway else HEADWAY)
            elif kind == _LINE:
                headway = max(0.0, component.next_free - now)
                spacing = component.headway_h / condition.capacity_factor
                component.next_free = now + headway + spacing
                start = now + headway
                component.entries.append(start)
                run = component.run_h
                if condition.extra_dwell:
                    run += condition.extra_h()
                if spacing == 0.0 and condition.capacity_factor != 1.0:
                    run /= condition.capacity_factor  # no capacity set: a slow order instead
                if component.delay is not None:
                    run += component.delay()  # the passage's own delay, not slowed down
                # The time and the queue position env.timeout(headway + run) would get.
                end = now + (headway + run)
                yield wake(end)
                headway_waits[row] += headway
                wait, cause = headway, HEADWAY
            elif kind == _FACILITY:
                start, wait, cause = yield from self._queue(
                    row, wagons, component, condition, waits
                )
                end = env.now
            elif kind == _TRACK:
                # A single-track link: the wait for the way to clear counts as headway.
                start, end = yield from self._single_track(component, condition, now, wake)
                headway = start - now
                headway_waits[row] += headway
                wait, cause = headway, HEADWAY
            elif kind >= _SERVICE:
                # A section run by trains: wait for them, then walk it as the first to arrive.
                if kind == _SERVICE:
                    boarding = component.departures.board(wagons)
                    yield boarding.done
                    trains = boarding.arrived
                else:
                    parts = [
                        env.process(self._train(component.steps, part, 1, component.name))
                        for part in split_wagons(wagons, component.max_wagons)
                    ]
                    yield env.all_of(parts)
                    trains = [part.value for part in parts]
                seq, time_usd = self._ride(
                    row, wagons, seq, steps[i], trains, arrive, waits, add_leg, hire_per_h
                )
                cost += component.usd_per_wagon * wagons + time_usd
                co2 += component.co2_kg_per_wagon * wagons
                km += leg_km
                i += 1
                continue
            else:
                boarding = component.board(*self._places(_leg, wagons, shipment))
                yield boarding.done
                start = env.now - boarding.arrived[-1]
                if condition.extra_dwell:
                    yield timeout(condition.extra_h())
                end = env.now
                wait = start - arrive - blocked
                ferry_waits[row] += wait
                cause = FERRY
            if blocked:
                disruption_waits[row] += blocked
                if blocked >= wait:
                    cause = DISRUPTION
                wait += blocked
            leg_co2 = co2_kg * wagons
            leg_cost = usd * wagons
            # The cost of the time: hire for the hours on the leg, demurrage at a facility
            # for those beyond its free time (looked at only where charged: the hot loop).
            hire = demurrage = 0.0
            if hire_per_h:
                hire = hire_per_h * (end - arrive)
                leg_cost += hire
            if kind <= _FACILITY and component.demurrage_usd_per_wagon_h:
                demurrage = component.demurrage_usd(wagons, end - arrive)
                leg_cost += demurrage
            cause = cause if wait > 0 else NO_CAUSE
            add_leg((row, seq, label, arrive, start, end, wait, cause, leg_cost, leg_co2, hire,
                     demurrage))
            cost += leg_cost
            co2 += leg_co2
            km += leg_km
            seq += 1
            i += 1
        return cost, co2, km

    @staticmethod
    def _places(leg: Leg, wagons: int, shipment: ShipmentPlan | None) -> tuple[int, float]:
        """What a consignment takes on a ferry: its wagons, each its cargo's length, or its
        trucks (ceil(tonnes / tonnes per truck)), each a truck's length."""
        if shipment is None:
            return wagons, WAGON_LENGTH_M
        cargo = shipment.cargo
        if in_trucks(leg.carrier):
            trucks = math.ceil(wagons * cargo.tonnes_per_wagon / cargo.tonnes_per_truck - 1e-9)
            return trucks, TRUCK_LENGTH_M
        return wagons, cargo.wagon_length_m

    def _ride(
        self,
        row: int,
        wagons: int,
        seq: int,
        step: tuple[Any, ...],
        trains: list[Train],
        arrive: float,
        waits: list[Any],
        add_leg: Callable[[tuple[Any, ...]], None],
        hire_per_h: float,
    ) -> tuple[int, float]:
        """Record a section a consignment rode in ``trains`` (it arrived at the section at
        ``arrive``, and all its trains have arrived now): for a service, the wait for the
        departure of the first train to arrive; that train's legs, with the consignment's
        wagons; and the wait at the far end for its other trains, if it had any. Returns the
        next leg number and the cost of the consignment's time on the section (hire and
        demurrage)."""
        time_usd = 0.0
        kind, component, _leg, label = step[:4]
        first = min(trains, key=lambda train: train.arrive_h)
        now = self.env.now
        formation = waits[FORMATION]
        if kind == _SERVICE:
            # A formation leg where the train is formed (the node the section leaves).
            wait = first.depart_h - arrive
            formation[row] += wait
            hire = hire_per_h * wait
            time_usd += hire
            add_leg((row, seq, label, arrive, first.depart_h, first.depart_h, wait,
                     FORMATION if wait > 0 else NO_CAUSE, hire, 0.0, hire, 0.0))
            seq += 1
        for column, train_wait in zip(waits, first.waits, strict=True):
            column[row] += train_wait[0]
        for leg, inner in zip(first.legs, component.steps, strict=True):
            hours = leg[5] - leg[3]
            hire = hire_per_h * hours
            demurrage = inner[1].demurrage_usd(wagons, hours) if inner[0] <= _FACILITY else 0.0
            time_usd += hire + demurrage
            add_leg((row, seq, *leg[2:8], inner[4] * wagons + hire + demurrage,
                     inner[5] * wagons, hire, demurrage))
            seq += 1
        if kind == _SPLIT or len(trains) > 1:
            # Re-joined where the section ends: the wait for the last of its trains.
            wait = now - first.arrive_h
            formation[row] += wait
            hire = hire_per_h * wait
            time_usd += hire
            add_leg((row, seq, component.end_label, first.arrive_h, now, now, wait,
                     FORMATION if wait > 0 else NO_CAUSE, hire, 0.0, hire, 0.0))
            seq += 1
        return seq, time_usd

    def _queue(
        self,
        row: int,
        wagons: int,
        component: FacilityRuntime,
        condition: Condition,
        waits: list[Any],
    ) -> Generator[simpy.Event, Any, tuple[float, float, int]]:
        """A visit to a facility through its SimPy resource (one :meth:`_fifo` turns down):
        queue for a server, keep the headway, dwell (``dwell_h`` + wagons x
        ``dwell_per_wagon_h``, scaled by the node's state when service starts); (start, wait,
        cause).

        The window statistics: the queue [arrive, grant] and the server held [grant, end],
        clipped to [warmup, horizon], are added at the grant and when the dwell is drawn; a
        visit still waiting at the horizon is in ``stats.waiting`` (and ``waiting_since``),
        whose queue hours up to the horizon :meth:`FacilityStats.totals` adds."""
        env = self.env
        warmup, horizon = self._warmup_h, self._horizon_h
        stats = component.stats
        now = env.now
        since = now if now > warmup else warmup
        stats.waiting += 1
        stats.waiting_since += since
        request = component.resource.request()
        yield request
        if component.calendar is not None:
            # Closed: hold the server (first come first served) until the opening; the wait
            # is queue, as on the one-event path.
            opening = component.calendar.next_open(env.now)
            if opening > env.now:
                yield Wake(env).at(opening)
        grant = env.now
        stats.waiting -= 1
        if stats.waiting:
            stats.waiting_since -= since
        else:
            stats.waiting_since = 0.0  # no rounding left over once the queue is empty
        queue = grant - now
        if grant > since:
            stats.queue_h += grant - since
        if now >= warmup:
            stats.wait_h += queue
            stats.waited += 1
        headway = 0.0
        if component.headway_h:
            start, headway = component.headway_start(grant)
            if headway:
                # The server is held through the headway, even if the dwell starts after H.
                lo = grant if grant > warmup else warmup
                hi = start if start < horizon else horizon
                if hi > lo:
                    stats.busy_h += hi - lo
                # At grant + headway, as env.timeout(headway) would be, or at the opening.
                yield Wake(env).at(start)
        start = env.now
        dwell = component.draw_dwell(wagons) / condition.capacity_factor
        if condition.extra_dwell:
            dwell += condition.extra_h()
        end = start + dwell
        lo = start if start > warmup else warmup
        hi = end if end < horizon else horizon
        if hi > lo:
            stats.busy_h += hi - lo
        yield env.timeout(dwell)
        component.resource.release(request)
        if env.now >= warmup:
            stats.served += 1
        waits[FACILITY][row] += queue
        waits[HEADWAY][row] += headway
        return start, queue + headway, (FACILITY if queue >= headway else HEADWAY)

    @staticmethod
    def _single_track(
        line: LineRuntime, condition: Condition, now: float, wake: Callable[[float], Wake]
    ) -> Generator[simpy.Event, Any, tuple[float, float]]:
        """A passage of a single-track link by a train ready at ``now``: it waits until no
        opposing train holds the link (see :class:`SingleTrack`) and for its direction's
        headway, then runs as on a two-track line (the running time drawn when it is let on);
        (start, end)."""
        track = line.track
        assert track is not None
        entry = track.enter(line, now)
        start: float = entry if isinstance(entry, float) else (yield entry)
        run = line.run_h
        if condition.extra_dwell:
            run += condition.extra_h()
        if line.headway_h == 0.0 and condition.capacity_factor != 1.0:
            run /= condition.capacity_factor  # no capacity set: a slow order instead
        if line.delay is not None:
            run += line.delay()
        end = start + run
        yield wake(end)
        track.leave()
        return start, end

    @staticmethod
    def _wait_node(condition: Condition) -> Generator[simpy.Event, Any, None]:
        while condition.closed:
            reopened = condition.reopened
            assert reopened is not None  # set for as long as the condition is closed
            yield reopened

    def _replan(self, shipment: ShipmentPlan, steps: Any, i: int) -> Any:
        """New steps when the rest of the route runs into a closure asking for re-planning."""
        closed = self.reroute_closed
        rest = steps[i:]
        if not closed or not any(
            leg.id in closed or leg.to_node in closed for leg in _legs_of(rest)
        ):
            return None
        leg = rest[0][2]
        node_id = leg.from_node
        carrier = leg.carrier.split("->")[0]
        # Borders and yards at this node are still ahead only if the next leg is one of them.
        ahead = leg.kind == "facility" and not leg.is_transfer
        key, route = self.reroute(shipment, node_id, carrier, ahead)
        if route is None:
            return None  # nowhere else to go: wait for the reopening
        new_steps = self.plan(key, route, shipment.wagons)
        if not ahead:
            return self._exits_first(shipment, node_id, steps[:i], new_steps)
        # The new route starts here with the node's yards and, if it leaves the country
        # here, its exit borders; the entry borders the consignment arrived to (still ahead
        # on the old route) are not part of it, so they come first.
        pending = []
        for step in rest:
            ahead_leg = step[2]
            if ahead_leg.kind != "facility" or ahead_leg.is_transfer:
                break
            if ahead_leg.type == "border" and self._entry_side(ahead_leg, steps, i):
                pending.append(step)
        return (*pending, *new_steps) if pending else new_steps

    def _exits_first(
        self, shipment: ShipmentPlan, node_id: str, walked: Any, new_steps: Any
    ) -> Any:
        """``new_steps`` (planned from ``node_id`` with its borders taken as passed), led by
        the node's exit borders if the new route leaves the country here and the
        consignment, whose old route did not, has not met them."""
        first = next((leg for leg in _legs_of(new_steps) if leg.kind == "link"), None)
        if first is None or first.from_node != node_id:
            return new_steps
        link = self.network.links[first.id]
        if not crosses(self.network, link, node_id, first.to_node):
            return new_steps
        met = {x.facility_index for x in _legs_of(walked) if is_border_at(x, node_id)}
        cargo = shipment.cargo
        cost = cargo.cost_model(shipment.wagons)
        mode = mode_of(first.carrier)
        exits = [
            self._step(facility_leg(node_id, index, facility, first.carrier, cost))
            for index, facility in enumerate(self.network.nodes[node_id].facility)
            if facility.type == "border"
            and facility.applies != "entry"
            and facility.serves(mode)
            and index not in met
        ]
        return (*exits, *new_steps) if exits else new_steps

    def _entry_side(self, leg: Leg, steps: Any, i: int) -> bool:
        """Whether border ``leg`` (ahead at step ``i``) processes the consignment on its way
        into the node's country: an ``entry`` border, or a ``both`` one it entered by."""
        applies = self.network.nodes[leg.id].facility[leg.facility_index].applies
        if applies != "both":
            return applies == "entry"
        before = next((x for x in reversed(_legs_of(steps[:i])) if x.kind == "link"), None)
        return before is not None and crosses(
            self.network, self.network.links[before.id], before.from_node, before.to_node
        )

    def run(self) -> ReplicationResult:
        """Run the replication to the horizon; what it recorded, as columns."""
        self.start()
        self.env.run(until=self.scenario.horizon_h)
        # In the order the facilities were first used (the order of ``_facilities``). FIFO
        # visits added their share of the window on arrival; the resource path's visits
        # still waiting at the horizon are added by totals().
        facilities: list[FacilityTotals] = [
            runtime.stats.totals(node_id, index, self._warmup_h, self._horizon_h)
            for (node_id, index), runtime in self._facilities.items()
        ]
        ferries = [
            FerryTotals(
                link=link_id,
                from_node=node,
                sailings=f.departed,
                cancelled=f.cancelled,
                **f.loads.totals(self._warmup_h, self._horizon_h),
            )
            for (link_id, node), f in self._ferries.items()
        ]
        lines = [self._line_totals(link_id, node, line) for (link_id, node), line in
                 self._lines.items()]
        return ReplicationResult(
            replication=self.replication,
            consignments=self.consignments.freeze(),
            legs=self.legs.freeze(),
            labels=list(self.labels),
            label_countries=tuple(self.label_countries),
            facilities=facilities,
            ferries=ferries,
            lines=lines,
            horizon_h=self.scenario.horizon_h,
            events=next(self.env._eid),
            shipment_ids=tuple(plan.id for plan in self.scenario.shipments),
            trains=self.trains.freeze() if len(self.trains) else None,
            train_legs=self.trains.legs.freeze() if len(self.trains) else None,
            train_names=tuple(self.train_names),
            fleet_cycles=self.cycles.freeze() if len(self.cycles) else None,
            empties=self.empties.freeze() if len(self.cycles) else None,
            empty_legs=self.empty_legs.freeze() if len(self.cycles) else None,
        )


    def _line_totals(self, link_id: str, from_node: str, line: LineRuntime) -> LineTotals:
        """How much of one direction of a line the trains used over the measured window."""
        warmup, horizon = self._warmup_h, self._horizon_h
        entries = np.frombuffer(line.entries, dtype="d") if len(line.entries) else np.zeros(0)
        entered = int(((entries >= warmup) & (entries < horizon)).sum())
        held = math.nan
        if line.track is not None:
            held = held_in_window_h(line.track.held, warmup, horizon)
        return LineTotals(
            link=link_id,
            from_node=from_node,
            window_h=horizon - warmup,
            entered=entered,
            headway_h=line.headway_h,
            single_track_held_h=held,
        )


def _legs_of(steps: Any) -> list[Leg]:
    """The legs of plan steps, those of the sections run by trains included."""
    legs: list[Leg] = []
    for step in steps:
        if step[0] >= _SERVICE:
            legs.extend(inner[2] for inner in step[1].steps)
        else:
            legs.append(step[2])
    return legs


def run_replication(
    scenario: Scenario, replication: int, seed: int | None = None
) -> ReplicationResult:
    """Run replication number ``replication`` of ``scenario`` (streams keyed by seed, rep)."""
    return Engine(scenario, replication, seed).run()
