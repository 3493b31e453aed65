"""The route a shipment takes: the best one under its policy, its fixed nodes and what it avoids.

Scenario loading plans each shipment's route with it, and the engine re-plans a consignment on
its way around what is closed at the time.

Plans are remembered for the life of the process, by what can change them: the network as
routing reads it (:func:`routing_key`: which links exist and are open, their lengths, speeds,
tariffs, mean delays and ferry waits, the facilities' types, mean dwells per visit and per
wagon, and fees), the cargo's cost model (with the consignment's wagons only where some
facility dwells per wagon), the policy, the ends, the fixed nodes and what is avoided.
Replications, the points of a sweep and the iterations of an assignment that change only what
routing does not read (servers, capacities, the spread of a dwell, departures, disruptions,
seeds) plan nothing again; a point that changes a mean dwell or a tariff plans again, since
that can change the route.
"""

from __future__ import annotations

import dataclasses
import threading
import weakref
from collections import OrderedDict
from collections.abc import Collection, Hashable
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from typing import Any

from corridorsim.network.model import Network
from corridorsim.routing.graph import CostModel
from corridorsim.routing.route import Route
from corridorsim.routing.search import Avoid, Router, resolve_avoid

#: How many plans, and how many routers (network states with their graphs), are remembered.
PLANS_KEPT = 4096
ROUTERS_KEPT = 32


def fixed_route_problems(
    network: Network, fixed: tuple[str, ...], avoid: Avoid | None = None
) -> list[tuple[int, str]]:
    """What keeps a fixed route from being followed node by node, in order.

    Each problem is ``(index, message)``, the index being the place in ``fixed`` it is about:
    a node listed twice (a route runs through a place once), a node avoided, or a node with
    no open link to it from the one before (one way links count in their direction only).
    """
    avoid = avoid or Avoid()
    problems: list[tuple[int, str]] = []
    first_at: dict[str, int] = {}
    for j, node_id in enumerate(fixed):
        if node_id in first_at:
            problems.append((j, f"{node_id} is listed twice (first at fixed[{first_at[node_id]}])"))
            continue
        first_at[node_id] = j
        node = network.nodes.get(node_id)
        if node is not None and (node_id in avoid.nodes or node.country in avoid.countries):
            problems.append((j, f"{node_id} is among the nodes to avoid"))
    for j, (a, b) in enumerate(pairwise(fixed), start=1):
        if a == b or a not in network.nodes or b not in network.nodes:
            continue
        between = [
            link
            for link in network.links.values()
            if link.endpoints() == (a, b) or (link.bidirectional and link.endpoints() == (b, a))
        ]
        if not any(link.status == "open" and link.id not in avoid.links for link in between):
            # Only a link between these two nodes is worth naming: one elsewhere would not
            # make this route.
            shut = [link for link in between if link.status != "open"]
            hint = "".join(
                f"; {link.id} between them is {link.status} (network_changes.open)"
                for link in shut[:1]
            )
            problems.append((j, f"no open link from {a} to {b}{hint}"))
    return problems


def routing_key(network: Network) -> tuple[Any, ...]:
    """Everything about ``network`` that routing reads, as one hashable value.

    Two networks with equal keys give the same routes and the same legs (expected hours, USD
    and CO2 per wagon), whatever else differs between them.
    """
    memo = _KEYS.get(id(network))
    if memo is not None and memo[0]() is network:
        return memo[1]
    key = (
        tuple(
            (
                link.id,
                link.from_,
                link.to,
                link.mode,
                link.status,
                link.bidirectional,
                link.gauge_mm,
                link.km,
                link.run_h(),
                None if link.delay_h is None else link.delay_h.mean(),
                link.co2_g_per_tonne_km,
                link.tariff.usd_per_wagon_km,
                link.tariff.usd_per_tonne_km,
                link.tariff.usd_per_wagon,
                link.tariff.usd_per_metre,
                link.tariff.usd_per_gross_tonne_km,
                None if link.ferry is None else (link.ferry.carries, link.ferry.expected_wait_h()),
            )
            for link in network.links.values()
        ),
        tuple(
            (
                node.id,
                node.country,
                tuple(
                    (
                        f.type,
                        f.applies,
                        f.modes,
                        f.dwell_h.mean(),
                        None if f.dwell_per_wagon_h is None else f.dwell_per_wagon_h.mean(),
                        f.fee_usd_per_wagon,
                        f.fee_usd_per_tonne,
                    )
                    for f in node.facility
                ),
            )
            for node in network.nodes.values()
        ),
    )
    # Remembered while the network lives: a sweep builds a network per point, and the key is
    # as long as the network is large.
    _KEYS[id(network)] = (weakref.ref(network, partial(_forget, id(network))), key)
    return key


def _cost_for(network: Network, cost: CostModel) -> CostModel:
    """``cost`` as routing on ``network`` reads it: the wagons count where a facility dwells
    per wagon, and where something charges per truck and the trucks per wagon depend on the
    train's length (ceil(tonnes / tonnes per truck)); elsewhere every train length shares one
    plan (and one router)."""
    if cost.wagons == 1:
        return cost
    one = dataclasses.replace(cost, wagons=1)
    if any(
        f.dwell_per_wagon_h is not None for node in network.nodes.values() for f in node.facility
    ):
        return cost
    if one.trucks_per_wagon != cost.trucks_per_wagon and _charges_per_truck(network):
        return cost
    return one


def _charges_per_truck(network: Network) -> bool:
    """Whether anything on ``network`` charges trucks per vehicle: a road link or a ferry
    taking trucks with a per-vehicle tariff, a facility with a per-vehicle fee for trucks."""
    for link in network.links.values():
        takes_trucks = link.mode == "road" or (
            link.ferry is not None and "road" in link.ferry.carries
        )
        tariff = link.tariff
        if takes_trucks and (tariff.usd_per_wagon_km or tariff.usd_per_wagon
                             or tariff.usd_per_metre):
            return True
    return any(
        f.fee_usd_per_wagon and f.serves("road") and f.type != "terminal"
        for node in network.nodes.values()
        for f in node.facility
    )


def _forget(network_id: int, _ref: object) -> None:
    _KEYS.pop(network_id, None)


_KEYS: dict[int, tuple[weakref.ref[Network], tuple[Any, ...]]] = {}


@dataclass
class PlanCacheInfo:
    """How often a plan was found remembered (``hits``) or searched for (``searches``)."""

    hits: int = 0
    searches: int = 0
    routers_built: int = 0


class _Remembered:
    """A bounded, thread-safe memory of the least recently used values by key."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return True, self._values[key]
            return False, None

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


_PLANS = _Remembered(PLANS_KEPT)
_ROUTERS = _Remembered(ROUTERS_KEPT)
_INFO = PlanCacheInfo()


def plan_cache_info() -> PlanCacheInfo:
    """A copy of the counts of remembered and searched plans in this process."""
    return PlanCacheInfo(_INFO.hits, _INFO.searches, _INFO.routers_built)


def clear_plan_cache() -> None:
    """Forget every plan and router, and reset the counts."""
    _PLANS.clear()
    _ROUTERS.clear()
    _INFO.hits = _INFO.searches = _INFO.routers_built = 0


def router_for(
    network: Network,
    cost: CostModel,
    avoid: Avoid,
    only_links: frozenset[str] | None = None,
) -> Router:
    """A router on this network state, shared with every caller asking for an equal one."""
    cost = _cost_for(network, cost)
    key = (routing_key(network), cost, avoid, only_links)
    found, router = _ROUTERS.get(key)
    if not found:
        router = Router(network, avoid=avoid, cost=cost, only_links=only_links)
        _INFO.routers_built += 1
        _ROUTERS.put(key, router)
    return router


def plan_route(
    network: Network,
    cost: CostModel,
    origin: str,
    destination: str,
    policy: str,
    *,
    fixed: tuple[str, ...] | None = None,
    avoid_tokens: tuple[str, ...] = (),
    avoid_extra: Collection[str] = frozenset(),
    start_carrier: str | None = None,
    origin_facilities: bool = True,
) -> Route | None:
    """The best route from ``origin`` to ``destination`` under ``policy``, or None.

    ``cost`` holds the wagon's load and the cargo's value of time. ``fixed`` lists nodes the
    route runs through in order: only links joining two consecutive ones are used. The list
    is followed exactly when :func:`fixed_route_problems` finds nothing wrong with it (each
    node once, each consecutive pair joined by an open link): the links allowed then form a
    single path.
    ``avoid_tokens`` are words naming nodes, links or countries to avoid (as
    :func:`~corridorsim.routing.search.resolve_avoid` reads them); ``avoid_extra`` holds node
    and link ids closed now. ``start_carrier`` and ``origin_facilities`` serve a consignment
    re-planning on its way (see :meth:`~corridorsim.routing.search.Router.routes`).
    """
    avoid = resolve_avoid(network, (*avoid_tokens, *avoid_extra))
    cost = _cost_for(network, cost)
    only_links = None
    if fixed:
        pairs = {frozenset(p) for p in pairwise(fixed)}
        only_links = frozenset(
            x.id for x in network.links.values() if frozenset(x.endpoints()) in pairs
        )
    key = (
        routing_key(network),
        cost,
        origin,
        destination,
        policy,
        avoid,
        only_links,
        start_carrier,
        origin_facilities,
    )
    found, route = _PLANS.get(key)
    if found:
        _INFO.hits += 1
        return route
    _INFO.searches += 1
    routes = router_for(network, cost, avoid, only_links).routes(
        origin,
        destination,
        by=policy,
        k=1,
        start_carrier=start_carrier,
        origin_facilities=origin_facilities,
    )
    route = routes[0] if routes else None
    _PLANS.put(key, route)
    return route
