"""Loading a scenario: YAML -> validated, frozen :class:`Scenario` with its network state.

Every problem is reported as ``FILE:LINE: PATH: what is wrong`` (all of them at once where they
are independent), and raised as :class:`~corridorsim.errors.InputError`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from corridorsim._schema import FrozenDict, dotted, error_lines, field_vocabulary
from corridorsim.errors import InputError
from corridorsim.network.distributions import MAX_DURATION_H, Distribution
from corridorsim.network.io import load_network, with_features
from corridorsim.network.lookup import resolve_node
from corridorsim.network.model import Network
from corridorsim.routing.choice import path_sizes, target_shares
from corridorsim.routing.plan import fixed_route_problems, plan_route, router_for
from corridorsim.routing.route import Route
from corridorsim.routing.search import Avoid, links_that_would_connect, resolve_avoid
from corridorsim.routing.sections import service_sections, with_formation_waits
from corridorsim.scenario.paths import apply_network_sets, apply_scenario_sets
from corridorsim.scenario.schema import (
    MAX_DEPARTURES,
    Cargo,
    Disruption,
    ScenarioFile,
    Service,
    Shipment,
    tonnage_gap,
)
from corridorsim.scenario.seasons import MonthlyDemand
from corridorsim.scenario.yaml_source import PathKey, YamlDocument, read_yaml

_VOCABULARY = field_vocabulary(ScenarioFile)


@dataclass(frozen=True)
class ShipmentPlan:
    """A shipment with everything resolved: node ids, cargo, departure pattern, route."""

    spec: Shipment
    cargo: Cargo
    origin: str
    destination: str
    #: Time between departures of a recurring flow; None for a single consignment.
    gap_h: Distribution | None
    route: Route
    avoid: tuple[str, ...] = ()
    #: With a fleet: its index in the scenario's fleets, and the empty wagons' route home.
    fleet: int | None = None
    return_route: Route | None = None
    #: A flow split over several routes: the routes and each one's share of the trains
    #: (dealt train by train, see :mod:`corridorsim.sim.dealing`); empty for one route.
    choices: tuple[Route, ...] = ()
    shares: tuple[float, ...] = ()
    #: The demand flow it is (a pair of the places of), None for a shipment.
    flow: str | None = None

    @property
    def id(self) -> str:
        """The shipment's id, as in the file."""
        return self.spec.id

    @property
    def wagons(self) -> int:
        """Wagons per consignment."""
        return self.spec.wagons

    @property
    def tonnes(self) -> float:
        """Net tonnes per consignment."""
        return self.spec.wagons * self.cargo.tonnes_per_wagon

    @property
    def tonnes_per_year(self) -> float:
        """The annual tonnage its spec gives (monthly factors keep the annual total); nan for
        a shipment given by its departures instead."""
        if self.spec.tonnes_per_year is not None:
            return float(self.spec.tonnes_per_year)
        if self.spec.tonnes_per_month is not None:
            return float(self.spec.tonnes_per_month) * 12
        return math.nan


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: the network state it runs on and its resolved shipments."""

    path: str
    spec: ScenarioFile
    network: Network
    shipments: tuple[ShipmentPlan, ...]
    #: The services, ``from`` and ``to`` resolved to node ids.
    services: tuple[Service, ...] = ()
    #: sha256 of each input file, by path as given (scenario first, then its network).
    input_hashes: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def name(self) -> str:
        """The scenario's name, as in the file."""
        return self.spec.name

    @property
    def seed(self) -> int:
        """The seed runs use unless given another."""
        return self.spec.seed

    @property
    def replications(self) -> int:
        """How many replications runs make unless told otherwise."""
        return self.spec.replications

    @property
    def horizon_h(self) -> float:
        """The simulated time in hours."""
        return self.spec.horizon_h

    @property
    def warmup_h(self) -> float:
        """The warm-up in hours: the measured window is [warmup_h, horizon_h]."""
        return self.spec.warmup_days * 24

    @property
    def disruptions(self) -> tuple[Disruption, ...]:
        """The scenario's disruptions, in file order."""
        return self.spec.disruptions

    def shipment(self, shipment_id: str) -> ShipmentPlan:
        """The shipment with this id (KeyError if none)."""
        for plan in self.shipments:
            if plan.id == shipment_id:
                return plan
        raise KeyError(shipment_id)

    def target_days(self, shipment_id: str) -> float | None:
        """The shipment's target in days: its own, else the scenario's, else None."""
        plan = self.shipment(shipment_id)
        return plan.spec.target_days or self.spec.target_days


def _sha256(path: str | os.PathLike[str]) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_scenario(
    path: str | os.PathLike[str], sets: Mapping[str, Any] | None = None
) -> Scenario:
    """Read, validate and resolve a scenario file, with each ``path: value`` of ``sets`` set
    first (as a study's point or ``--set`` does: see :func:`apply_scenario_sets`)."""
    doc = read_yaml(path)
    if not sets:
        return build_scenario(doc, doc.data)
    try:
        return build_scenario(doc, apply_scenario_sets(doc.data, sets))
    except InputError as exc:
        # A network path given with --set is checked as part of network_changes.set: say
        # where it came from, not where the file would have held it.
        own = (doc.data.get("network_changes") or {}).get("set") or {}
        given = [p for p in sets if p not in own]
        problems = []
        for line in exc.problems:
            for set_path in given:
                line = line.replace(f"network_changes.set.{set_path}", f"--set {set_path}")
            problems.append(line)
        raise InputError(problems) from None


def build_scenario(
    doc: YamlDocument,
    data: Mapping[str, Any],
    *,
    base_network: Network | None = None,
    input_hashes: Mapping[str, str] | None = None,
) -> Scenario:
    """Validate ``data`` (the document's mapping, possibly with sets applied) into a Scenario.

    ``base_network`` is the network file already loaded (as a sweep does once for all its
    points, so workers need no access to the files); ``input_hashes`` then come with it.
    """

    def where(loc: PathKey) -> str:
        line = doc.line_of(loc)
        return f"{doc.path}:{line}: " if line else f"{doc.path}: "

    try:
        spec = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        problems = error_lines(exc, data, vocabulary=_VOCABULARY, where=where)
        # The places a file names are checked too, so that a value of the wrong type does
        # not hide a misspelled node for a second round of errors.
        problems += _raw_place_problems(doc, data, base_network, where)
        raise InputError(list(dict.fromkeys(problems))) from None

    if base_network is None:
        network_path = Path(doc.path).parent / spec.network
        if not network_path.is_file():
            raise InputError(f"{where(('network',))}network: no file '{network_path}'")
        base_network = load_network(network_path)
        input_hashes = {doc.path: _sha256(doc.path), str(network_path): _sha256(network_path)}
    network = _apply_changes(base_network, spec, where)
    if spec.start is None:
        _check_no_opening_hours(network, where)
        _check_no_monthly_factors(spec, where)
    problems = list(_check_references(network, spec, where))
    if problems:
        raise InputError(problems)
    services = tuple(
        service.model_copy(
            update={
                "from_": resolve_node(network, service.from_),
                "to": resolve_node(network, service.to),
            }
        )
        for service in spec.services
    )
    plans = _plan_all(network, spec, services, where)
    return Scenario(
        path=doc.path,
        spec=spec,
        network=network,
        shipments=tuple(plans),
        services=services,
        input_hashes=FrozenDict(input_hashes or {}),
    )


def _plan_all(
    network: Network, spec: ScenarioFile, services: tuple[Service, ...], where: Any
) -> list[ShipmentPlan]:
    """Every shipment and demand flow planned, with its fleet; the problems of all of them
    at once (those of the shipments before those of the services and demand, which build
    on them)."""
    plans: list[ShipmentPlan] = []
    problems: list[str] = []
    for i, shipment in enumerate(spec.shipments):
        try:
            plans.append(
                _plan(
                    network,
                    spec,
                    services,
                    shipment,
                    lambda *loc, i=i: where(("shipments", i, *loc)),
                    f"shipments[{i}]",
                )
            )
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    problems = list(_check_services(network, services, plans, where))
    if problems:
        raise InputError(problems)
    if spec.fleets:
        plans = _with_fleets(network, spec, plans, where)
    if spec.demand:
        problems = list(_check_demand(network, spec, where))
        if problems:
            raise InputError(problems)
        for i in range(len(spec.demand)):
            try:
                plans.extend(_plan_demand(network, spec, services, i, where))
            except InputError as exc:
                problems.extend(exc.problems)
        if problems:
            raise InputError(problems)
    return plans


def _raw_place_problems(
    doc: YamlDocument, data: Mapping[str, Any], base_network: Network | None, where: Any
) -> list[str]:
    """Unknown nodes named by the shipments, demand flows and services of a scenario that did
    not validate, read from its raw data (best effort: what cannot be read is left to the
    validation's own lines)."""
    network = base_network
    if network is None:
        name = data.get("network")
        path = Path(doc.path).parent / name if isinstance(name, str) and name else None
        if path is None or not path.is_file():
            return []
        try:
            network = load_network(path)
        except InputError:
            return []  # the network's own problems come when the scenario is fixed
    problems: list[str] = []
    for block, keys in (("shipments", ("origin", "destination")),
                        ("demand", ("origin", "destination")),
                        ("services", ("from", "to"))):
        items = data.get(block)
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if not isinstance(item, Mapping):
                continue
            for key in keys:
                problems += _unknown_places(network, (block, i, key), item.get(key), key, where)
    return problems


def _apply_changes(network: Network, spec: ScenarioFile, where: Any) -> Network:
    changes = spec.network_changes
    network = _add_features(network, spec, where)
    problems = []
    status: dict[str, str] = {}
    for i, link_id in enumerate(changes.open):
        loc = ("network_changes", "open", i)
        if link_id not in network.links:
            problems.append(f"{where(loc)}{dotted(loc)}: no link '{link_id}'")
        elif network.links[link_id].status == "open":
            problems.append(f"{where(loc)}{dotted(loc)}: link '{link_id}' is already open")
        else:
            status[link_id] = "open"
    for i, target in enumerate(changes.close):
        loc = ("network_changes", "close", i)
        if target in network.links:
            status[target] = "closed"
        elif target in network.nodes:
            status.update(
                {x.id: "closed" for x in network.links.values() if target in x.endpoints()}
            )
        else:
            problems.append(f"{where(loc)}{dotted(loc)}: no link or node '{target}'")
    if problems:
        raise InputError(problems)
    if status:
        network = network.with_links_status(status)
    if changes.set:
        network = apply_network_sets(
            network,
            changes.set,
            where=f"{where(('network_changes', 'set'))}network_changes.set",
        )
    return network


def _add_features(network: Network, spec: ScenarioFile, where: Any) -> Network:
    """The network with the scenario's ``network_changes.add`` nodes and links (each checked
    as a network file's feature is, and the whole again: ids, ends, sources)."""
    add = spec.network_changes.add
    features: list[tuple[str, Any]] = []
    problems = []
    for key, kind in (("nodes", "Point"), ("links", "LineString")):
        for i, feature in enumerate(getattr(add, key)):
            loc: PathKey = ("network_changes", "add", key, i)
            geometry = feature.get("geometry")
            if not isinstance(geometry, Mapping) or geometry.get("type") != kind:
                what = "a node: a Point" if key == "nodes" else "a link: a LineString"
                problems.append(f"{where(loc)}{dotted(loc)}: geometry: must be {what}")
                continue
            features.append((f"{where(loc)}{dotted(loc)}: ", feature))
    if problems:
        raise InputError(problems)
    if not features:
        return network
    loc = ("network_changes", "add")
    try:
        return with_features(network, features, filename=f"{where(loc)}{dotted(loc)}")
    except InputError as exc:
        raise InputError(exc.problems) from None


def _check_no_opening_hours(network: Network, where: Any) -> None:
    """Opening hours are times on the scenario's calendar: without ``start`` there is none.

    Any facility of the network counts, not only those on the planned routes: a consignment
    re-planning around a closure may reach any of them.
    """
    for node in network.nodes.values():
        for facility in node.facility:
            if facility.has_opening_hours:
                raise InputError(
                    f"{where(('start',))}start: needed: facility {node.id} ({facility.type}) "
                    "has opening hours (open_hours, closed_weekdays or closed_dates), which "
                    "run on the scenario's calendar; give the date of hour 0 (start: YYYY-MM-DD)"
                )


def _check_no_monthly_factors(spec: ScenarioFile, where: Any) -> None:
    """Monthly factors apply per calendar month: without ``start`` there are no months."""
    problems = []
    for i, shipment in enumerate(spec.shipments):
        if shipment.monthly_factors is not None:
            loc = ("shipments", i, "monthly_factors")
            problems.append(
                f"{where(loc)}{dotted(loc)}: months run on the scenario's calendar; give the "
                "date of hour 0 (start: YYYY-MM-DD)"
            )
    if problems:
        raise InputError(problems)


def _check_fleets_and_services(
    network: Network, spec: ScenarioFile, where: Any
) -> Iterator[str]:
    fleet_ids = [fleet.id for fleet in spec.fleets]
    for i, shipment in enumerate(spec.shipments):
        if shipment.fleet is not None and shipment.fleet not in fleet_ids:
            loc = ("shipments", i, "fleet")
            yield (
                f"{where(loc)}{dotted(loc)}: no fleet '{shipment.fleet}' "
                f"(defined: {', '.join(fleet_ids) or 'none'})"
            )
    for i, fleet in enumerate(spec.fleets):
        loc = ("fleets", i, "home")
        try:
            resolve_node(network, fleet.home)
        except InputError as exc:
            yield f"{where(loc)}{dotted(loc)}: {exc.problems[0]}"
    for i, service in enumerate(spec.services):
        for key, value in (("from", service.from_), ("to", service.to)):
            loc = ("services", i, key)
            try:
                resolve_node(network, value)
            except InputError as exc:
                yield f"{where(loc)}{dotted(loc)}: {exc.problems[0]}"
        if service.departures is not None and spec.start is None:
            loc = ("services", i, "departures")
            yield (
                f"{where(loc)}{dotted(loc)}: times of day run on the scenario's calendar; "
                "give the date of hour 0 (start: YYYY-MM-DD), or every_h instead"
            )


def _check_cargo_and_ends(
    network: Network, spec: ScenarioFile, flow: Any, at: PathKey, where: Any
) -> Iterator[str]:
    """A shipment's or demand flow's cargo is defined and its ends are nodes (``at``: its
    place in the file, ``("shipments", 2)``)."""
    loc: PathKey = (*at, "cargo")
    if flow.cargo not in spec.cargo:
        yield (
            f"{where(loc)}{dotted(loc)}: no cargo '{flow.cargo}' "
            f"(defined: {', '.join(spec.cargo)})"
        )
    for key in ("origin", "destination"):
        yield from _unknown_places(network, (*at, key), getattr(flow, key), key, where)


def _unknown_places(
    network: Network, at: PathKey, value: Any, what: str, where: Any
) -> Iterator[str]:
    """A line for each place ``value`` names (a node, or a list of them: a zone) that is no
    node of ``network``; what is not text is left to the validation."""
    if isinstance(value, str):
        places: list[tuple[PathKey, Any]] = [(at, value)]
    elif isinstance(value, list | tuple):
        places = [((*at, m), text) for m, text in enumerate(value)]
    else:
        places = []
    for loc, text in places:
        if not isinstance(text, str):
            continue
        try:
            resolve_node(network, text, what=what)
        except InputError as exc:
            yield f"{where(loc)}{dotted(loc)}: {exc.problems[0]}"


def _check_references(network: Network, spec: ScenarioFile, where: Any) -> Iterator[str]:
    for i, shipment in enumerate(spec.shipments):
        yield from _check_cargo_and_ends(network, spec, shipment, ("shipments", i), where)
        for j, node_id in enumerate(shipment.route.fixed or ()):
            fixed_loc = ("shipments", i, "route", "fixed", j)
            if node_id not in network.nodes:
                yield f"{where(fixed_loc)}{dotted(fixed_loc)}: no node '{node_id}'"
    yield from _check_fleets_and_services(network, spec, where)
    for i, disruption in enumerate(spec.disruptions):
        loc = ("disruptions", i, "target")
        if disruption.target not in network.nodes and disruption.target not in network.links:
            yield f"{where(loc)}{dotted(loc)}: no node or link '{disruption.target}'"


def _check_demand(network: Network, spec: ScenarioFile, where: Any) -> Iterator[str]:
    """Each demand flow's cargo and places exist (one line per problem)."""
    for i, flow in enumerate(spec.demand):
        yield from _check_cargo_and_ends(network, spec, flow, ("demand", i), where)
        for j, nodes in enumerate(flow.fixed_routes or ()):
            for m, node_id in enumerate(nodes):
                if node_id not in network.nodes:
                    loc = ("demand", i, "fixed_routes", j, m)
                    yield f"{where(loc)}{dotted(loc)}: no node '{node_id}'"


def _plan_demand(
    network: Network,
    spec: ScenarioFile,
    services: tuple[Service, ...],
    i: int,
    where: Any,
) -> list[ShipmentPlan]:
    """A demand flow as one shipment per origin-destination pair of its places, each split
    over its choice set: up to ``routes`` physically distinct routes (or the ``fixed_routes``
    between the pair), the first split by the assignment's model on the routes' static costs
    (what ``iterations: 0`` keeps)."""
    flow = spec.demand[i]
    pairs = [
        (resolve_node(network, o, what="origin"), resolve_node(network, d, what="destination"))
        for o, d in flow.pairs()
    ]
    plans = []
    for origin, destination in pairs:
        base = _plan(
            network,
            spec,
            services,
            flow.shipment(origin, destination, share=1 / len(pairs)),
            lambda *loc: where(("demand", i, *loc)),
            f"demand[{i}]",
        )
        plans.append(_choice_set(network, spec, services, i, base, where))
    return plans


def _choice_set(
    network: Network,
    spec: ScenarioFile,
    services: tuple[Service, ...],
    i: int,
    base: ShipmentPlan,
    where: Any,
) -> ShipmentPlan:
    """``base`` (one pair of demand flow ``i``) with its choice set and first split."""
    flow = spec.demand[i]
    cargo = base.cargo
    cost = cargo.cost_model(flow.wagons)
    if flow.fixed_routes:
        routes = []
        for j, nodes in enumerate(flow.fixed_routes):
            ends = (resolve_node(network, nodes[0]), resolve_node(network, nodes[-1]))
            if ends != (base.origin, base.destination):
                continue  # a route of another pair of the zones
            loc: PathKey = ("demand", i, "fixed_routes", j)
            route = plan_route(
                network, cost, base.origin, base.destination, flow.policy, fixed=nodes
            )
            if route is None or route.nodes != tuple(nodes):
                raise InputError(
                    f"{where(loc)}{dotted(loc)}: no route from {base.origin} to "
                    f"{base.destination} through these nodes, in this order"
                )
            routes.append(route)
        if not routes:
            loc = ("demand", i, "fixed_routes")
            raise InputError(
                f"{where(loc)}{dotted(loc)}: no route from {base.origin} to "
                f"{base.destination} (each route runs from an origin to a destination of "
                "the flow)"
            )
    else:
        routes = router_for(network, cost, Avoid()).routes(
            base.origin,
            base.destination,
            by=flow.policy,
            k=flow.routes,
            max_overlap=flow.max_overlap,
        )
    if services:
        routes = [with_formation_waits(route, services, cost) for route in routes]
    costs = [static_cost(route, spec.assignment.cost, cargo) for route in routes]
    sizes = path_sizes([[(leg.id, leg.km) for leg in route.link_legs] for route in routes])
    shares = target_shares(costs, spec.assignment.model, spec.assignment.theta, sizes)
    return dataclasses.replace(
        base,
        route=routes[0],
        choices=tuple(routes),
        shares=tuple(float(x) for x in shares),
        flow=flow.id,
    )


def static_cost(route: Route, cost: str, cargo: Cargo) -> float:
    """What an assignment compares (``cost``: generalized, days or usd) for a route's static
    (expected) days and USD per tonne."""
    if cost == "days":
        return route.days
    if cost == "usd":
        return route.usd_per_tonne
    return route.usd_per_tonne + cargo.value_of_time_usd_per_tonne_day * route.days


def _with_fleets(
    network: Network, spec: ScenarioFile, plans: list[ShipmentPlan], where: Any
) -> list[ShipmentPlan]:
    """The plans with their fleet and the empty wagons' route home; a fleet's shipment loads
    at its home, and a consignment fits in the fleet."""
    problems = []
    out = []
    index = {fleet.id: j for j, fleet in enumerate(spec.fleets)}
    for i, plan in enumerate(plans):
        if plan.spec.fleet is None:
            out.append(plan)
            continue
        j = index[plan.spec.fleet]
        fleet = spec.fleets[j]
        home = resolve_node(network, fleet.home)
        if fleet.wagons < plan.wagons:
            loc: PathKey = ("fleets", j, "wagons")
            problems.append(
                f"{where(loc)}{dotted(loc)}: {fleet.wagons} wagons, fewer than one consignment "
                f"of shipment {plan.id} ({plan.wagons}): it could never depart"
            )
        if plan.origin != home:
            loc = ("shipments", i, "fleet")
            problems.append(
                f"{where(loc)}{dotted(loc)}: fleet {fleet.id}'s wagons are at {home}, but the "
                f"shipment loads at {plan.origin} (give it origin {home})"
            )
            continue
        arriving = plan.route.link_legs[-1].carrier
        if not arriving.startswith("rail"):
            loc = ("shipments", i, "fleet")
            problems.append(
                f"{where(loc)}{dotted(loc)}: the route of a fleet's wagons must reach "
                f"{plan.destination} by rail, not in {arriving} (the wagons go home from there)"
            )
            continue
        choice = fleet.return_
        # Empty wagons go home as wagons: by rail and rail ferry, never by road or in a
        # ship's hold, and in the gauge they arrived in.
        no_wagons = frozenset(
            link.id for link in network.links.values() if link.mode in ("road", "sea")
        )
        route = plan_route(
            network,
            plan.cargo.cost_model(plan.wagons),
            plan.destination,
            home,
            choice.effective_policy,
            avoid_tokens=choice.avoid,
            avoid_extra=no_wagons,
            start_carrier=arriving,
        )
        if route is None:
            loc = ("fleets", j, "return")
            problems.append(
                f"{where(loc)}{dotted(loc)}: no route for the empty wagons from "
                f"{plan.destination} back to {home}"
            )
            continue
        out.append(dataclasses.replace(plan, fleet=j, return_route=route))
    if problems:
        raise InputError(problems)
    return out


def _check_services(
    network: Network,
    services: tuple[Service, ...],
    plans: list[ShipmentPlan],
    where: Any,
) -> Iterator[str]:
    """Each service carries some shipment (its ``from`` and ``to`` in that order on a route,
    by rail in between), and a block longer than its trains is split only where a train can
    be made up: at a yard, or at the block's own origin."""
    carried: dict[int, list[tuple[ShipmentPlan, int]]] = {}
    for plan in plans:
        for section in service_sections(plan.route.legs, services):
            assert section.service is not None
            limits = [
                network.links[leg.id].max_train_wagons
                for leg in plan.route.legs[section.first : section.end]
                if leg.kind == "link"
            ]
            capacity = min(
                [services[section.service].max_wagons, *(x for x in limits if x is not None)]
            )
            carried.setdefault(section.service, []).append((plan, capacity))
    for i, service in enumerate(services):
        if i not in carried:
            loc: PathKey = ("services", i)
            yield (
                f"{where(loc)}{dotted(loc)}: no shipment's route runs from {service.from_} "
                f"to {service.to} in that order by rail: the service would carry nothing"
            )
            continue
        yard = any(f.type == "yard" for f in network.nodes[service.from_].facility)
        for plan, capacity in carried[i]:
            if plan.wagons > capacity and not yard and plan.origin != service.from_:
                loc = ("services", i, "max_wagons")
                yield (
                    f"{where(loc)}{dotted(loc)}: trains of {capacity} wagons cannot take "
                    f"shipment {plan.id}'s {plan.wagons}, and {service.from_} has no yard "
                    "to split its blocks at (add a yard, or raise max_wagons)"
                )
                break


def _plan(
    network: Network,
    spec: ScenarioFile,
    services: tuple[Service, ...],
    shipment: Shipment,
    where: Any,
    index_path: str,
) -> ShipmentPlan:
    cargo = spec.cargo[shipment.cargo]
    origin = resolve_node(network, shipment.origin)
    destination = resolve_node(network, shipment.destination)
    place = where("route")
    try:
        avoid = resolve_avoid(network, shipment.route.avoid)
    except InputError as exc:
        raise InputError(f"{place}{index_path}.route.avoid: {exc.problems[0]}") from None
    if shipment.route.fixed:
        _check_fixed(network, shipment.route.fixed, origin, destination, avoid, where, index_path)
    gap = _gap(spec, shipment, cargo, where, index_path)
    cost = cargo.cost_model(shipment.wagons)
    try:
        route = plan_route(
            network,
            cost,
            origin,
            destination,
            shipment.route.effective_policy,
            fixed=shipment.route.fixed,
            avoid_tokens=shipment.route.avoid,
        )
    except InputError as exc:
        raise InputError(f"{place}{index_path}.route: {exc.problems[0]}") from None
    if route is None:
        # A fixed route is checked link by link above; a hint about connecting the two ends
        # some other way would only mislead.
        missing = (
            ()
            if shipment.route.fixed
            else links_that_would_connect(network, origin, destination, avoid=avoid)
        )
        hint = f"; opening {', '.join(missing)} would connect them" if missing else ""
        what = "through the fixed nodes" if shipment.route.fixed else "on this network state"
        raise InputError(
            f"{place}{index_path}.route: no route from {origin} to {destination} {what}{hint}"
        )
    for leg in route.legs:  # a ship shorter than one wagon could never take it
        ferry = network.links[leg.id].ferry if leg.kind == "link" else None
        if ferry is not None and ferry.wagons_per_sailing(cargo.wagon_length_m) < 1:
            raise InputError(
                f"{where('cargo')}{index_path}: on its route, ferry {leg.id}'s capacity_m "
                f"({ferry.capacity_m:g} m) is shorter than one wagon of cargo "
                f"{shipment.cargo} ({cargo.wagon_length_m:g} m)"
            )
    if services:
        route = with_formation_waits(route, services, cost)
    return ShipmentPlan(
        spec=shipment,
        cargo=cargo,
        origin=origin,
        destination=destination,
        gap_h=gap,
        route=route,
        avoid=shipment.route.avoid,
    )


def _check_fixed(
    network: Network,
    fixed: tuple[str, ...],
    origin: str,
    destination: str,
    avoid: Avoid,
    where: Any,
    index_path: str,
) -> None:
    """A fixed route runs from the origin to the destination, node by node, each node once."""
    problems: list[tuple[int, str]] = []
    if fixed[0] != origin:
        problems.append((0, f"the route starts at {fixed[0]}, not at the origin {origin}"))
    last = len(fixed) - 1
    if fixed[-1] != destination:
        problems.append(
            (last, f"the route ends at {fixed[-1]}, not at the destination {destination}")
        )
    problems.extend(fixed_route_problems(network, fixed, avoid))
    if problems:
        raise InputError(
            f"{where('route', 'fixed', j)}{index_path}.route.fixed[{j}]: {message}"
            for j, message in sorted(problems, key=lambda p: p[0])
        )


def _gap(
    spec: ScenarioFile, shipment: Shipment, cargo: Cargo, where: Any, index_path: str
) -> Distribution | None:
    """The time between a flow's departures; refused when its departures cannot fit a run."""
    if shipment.tonnes_per_year or shipment.tonnes_per_month:
        key = "tonnes_per_year" if shipment.tonnes_per_year else "tonnes_per_month"
        rate = shipment.tonnes_per_hour() or 0.0
        mean_h = shipment.wagons * cargo.tonnes_per_wagon / rate
        if mean_h > MAX_DURATION_H:
            raise InputError(
                f"{where(key)}{index_path}.{key}: so little that a train leaves every "
                f"{mean_h:.3g} h, more than the longest duration ({MAX_DURATION_H:g} h)"
            )
        gap: Distribution | None = tonnage_gap(shipment, cargo.tonnes_per_wagon)
    else:
        key = "interarrival_h"
        gap = shipment.interarrival_h
    if gap is None:
        return None
    end_h = min(spec.horizon_h, shipment.until_h or spec.horizon_h)
    mean_h = gap.mean()
    span_h = max(end_h - shipment.depart_h, 0.0)
    # Monthly factors keep the annual tonnage, so over whole years the mean gap counts the
    # departures as it is; a shorter run may fall in the busy months, so the span counted is
    # its hours of demand (hours at factor 1), which is what the mean gap spaces trains by.
    demand_span_h = span_h
    if shipment.monthly_factors is not None and spec.start is not None:
        demand = MonthlyDemand(spec.start, shipment.monthly_factors)
        demand_span_h = demand.demand_h(shipment.depart_h, end_h)
    expected = math.inf if mean_h <= 0 else 1 + demand_span_h / mean_h
    if shipment.count is not None:
        expected = min(expected, shipment.count)
    if expected > MAX_DEPARTURES:
        raise InputError(
            f"{where(key)}{index_path}.{key}: about {expected:.3g} departures in "
            f"{span_h:g} h, more than the {MAX_DEPARTURES:,} one shipment may send in a "
            "replication (give a longer gap or a count)"
        )
    return gap
