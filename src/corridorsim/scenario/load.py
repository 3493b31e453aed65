"""Loading a scenario: YAML -> validated, frozen :class:`Scenario` with its network state.

Every problem is reported as ``FILE:LINE: PATH: what is wrong`` (all of them at once where they
are independent), and raised as :class:`~corridorsim.errors.InputError`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from corridorsim._schema import FrozenDict, dotted, error_lines, field_vocabulary
from corridorsim.errors import InputError
from corridorsim.network.distributions import Distribution
from corridorsim.network.io import load_network
from corridorsim.network.lookup import resolve_node
from corridorsim.network.model import Network
from corridorsim.routing.graph import CostModel
from corridorsim.routing.plan import plan_route
from corridorsim.routing.route import Route
from corridorsim.routing.search import links_that_would_connect, resolve_avoid
from corridorsim.scenario.paths import apply_network_sets
from corridorsim.scenario.schema import Cargo, Disruption, ScenarioFile, Shipment, tonnage_gap
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


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: the network state it runs on and its resolved shipments."""

    path: str
    spec: ScenarioFile
    network: Network
    shipments: tuple[ShipmentPlan, ...]
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


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read, validate and resolve a scenario file."""
    doc = read_yaml(path)
    return build_scenario(doc, doc.data)


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
        raise InputError(list(dict.fromkeys(problems))) from None

    if base_network is None:
        network_path = Path(doc.path).parent / spec.network
        if not network_path.is_file():
            raise InputError(f"{where(('network',))}network: no file '{network_path}'")
        base_network = load_network(network_path)
        input_hashes = {doc.path: _sha256(doc.path), str(network_path): _sha256(network_path)}
    network = _apply_changes(base_network, spec, where)
    problems = list(_check_references(network, spec, where))
    if problems:
        raise InputError(problems)
    plans = []
    for i, shipment in enumerate(spec.shipments):
        plans.append(
            _plan(
                network,
                spec,
                shipment,
                lambda key, i=i: where(("shipments", i, key)),
                f"shipments[{i}]",
            )
        )
    return Scenario(
        path=doc.path,
        spec=spec,
        network=network,
        shipments=tuple(plans),
        input_hashes=FrozenDict(input_hashes or {}),
    )


def _apply_changes(network: Network, spec: ScenarioFile, where: Any) -> Network:
    changes = spec.network_changes
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


def _check_references(network: Network, spec: ScenarioFile, where: Any) -> Iterator[str]:
    for i, shipment in enumerate(spec.shipments):
        loc = ("shipments", i, "cargo")
        if shipment.cargo not in spec.cargo:
            yield (
                f"{where(loc)}{dotted(loc)}: no cargo '{shipment.cargo}' "
                f"(defined: {', '.join(spec.cargo)})"
            )
        for key in ("origin", "destination"):
            loc = ("shipments", i, key)
            try:
                resolve_node(network, getattr(shipment, key), what=key)
            except InputError as exc:
                yield f"{where(loc)}{dotted(loc)}: {exc.problems[0]}"
        for j, node_id in enumerate(shipment.route.fixed or ()):
            fixed_loc = ("shipments", i, "route", "fixed", j)
            if node_id not in network.nodes:
                yield f"{where(fixed_loc)}{dotted(fixed_loc)}: no node '{node_id}'"
    for i, disruption in enumerate(spec.disruptions):
        loc = ("disruptions", i, "target")
        if disruption.target not in network.nodes and disruption.target not in network.links:
            yield f"{where(loc)}{dotted(loc)}: no node or link '{disruption.target}'"


def _plan(
    network: Network, spec: ScenarioFile, shipment: Shipment, where: Any, index_path: str
) -> ShipmentPlan:
    cargo = spec.cargo[shipment.cargo]
    origin = resolve_node(network, shipment.origin)
    destination = resolve_node(network, shipment.destination)
    place = where("route")
    try:
        avoid = resolve_avoid(network, shipment.route.avoid)
    except InputError as exc:
        raise InputError(f"{place}{index_path}.route.avoid: {exc.problems[0]}") from None
    try:
        route = plan_route(
            network,
            CostModel(cargo.tonnes_per_wagon, cargo.value_of_time_usd_per_tonne_day),
            origin,
            destination,
            shipment.route.effective_policy,
            fixed=shipment.route.fixed,
            avoid_tokens=shipment.route.avoid,
        )
    except InputError as exc:
        raise InputError(f"{place}{index_path}.route: {exc.problems[0]}") from None
    if route is None:
        missing = links_that_would_connect(network, origin, destination, avoid=avoid)
        hint = f"; opening {', '.join(missing)} would connect them" if missing else ""
        what = "through the fixed nodes" if shipment.route.fixed else "on this network state"
        raise InputError(
            f"{place}{index_path}.route: no route from {origin} to {destination} {what}{hint}"
        )
    gap: Distribution | None
    if shipment.tonnes_per_year or shipment.tonnes_per_month:
        gap = tonnage_gap(shipment, cargo.tonnes_per_wagon)
    else:
        gap = shipment.interarrival_h
    return ShipmentPlan(
        spec=shipment,
        cargo=cargo,
        origin=origin,
        destination=destination,
        gap_h=gap,
        route=route,
        avoid=shipment.route.avoid,
    )
