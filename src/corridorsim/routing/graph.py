"""The expanded routing graph: vertices are ``(node, carrier)`` states.

An arc either runs a link (the carrier stays the same) or changes carrier at a node through a
transfer facility. Every arc carries the legs it stands for, with expected hours, USD and CO2
per wagon; the facilities every passing consignment meets at a node ride on the arcs that enter
the node (yards, and the borders that process consignments entering the node's country there),
or at the start of the link arcs that leave it (borders processing those leaving the country).
A policy is then just a choice of arc weight.

A border processes a consignment only where its route crosses a country boundary at the node
(:func:`crosses`): ``applies: entry`` on the way in, ``exit`` on the way out, ``both`` either,
once. For ``both`` to be met once, a node where a consignment can both enter and leave with a
crossing has a second copy of its states, :data:`ARRIVE_ENTERED` and :data:`DEPART_ENTERED`,
for consignments its ``both`` borders processed on the way in; link arcs leaving those states
carry no ``both`` legs.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import networkx as nx

from corridorsim.network.model import TRUCK_LENGTH_M, WAGON_LENGTH_M, Facility, Link, Network
from corridorsim.routing.carriers import (
    TRANSFER_FACILITIES,
    in_trucks,
    link_carriers,
    mode_of,
    transfer_allowed,
)
from corridorsim.routing.route import Leg

POLICIES = ("fastest", "cheapest", "generalized")
Vertex = tuple[str, ...]
#: Where every route of a query starts and ends: the query's own source and sink vertices.
SOURCE: Vertex = ("<source>",)
SINK: Vertex = ("<sink>",)


@dataclass(frozen=True)
class CostModel:
    """What turns legs into a weight: the wagon's load, the cargo's value of time, and the
    consignment's wagons (hours are per consignment: a facility's per-wagon dwell grows with
    them, while USD and CO2 stay per wagon)."""

    tonnes_per_wagon: float = 68.0
    value_of_time_usd_per_tonne_day: float = 0.5
    wagons: int = 1
    #: A wagon's length, for tariffs per running metre (a ferry's ``usd_per_metre``).
    wagon_length_m: float = WAGON_LENGTH_M
    #: What each wagon-day costs (hire): time is money on every leg, as demurrage is at a
    #: facility beyond its free time; both are in the legs' expected ``time_usd_per_wagon``.
    wagon_hire_usd_per_day: float = 0.0
    #: A truck's load: a consignment in trucks is ceil(wagons x tonnes per wagon / this).
    tonnes_per_truck: float = 20.0
    #: A wagon's own weight, which moves too (CO2).
    tare_tonnes_per_wagon: float = 0.0

    @property
    def trucks_per_wagon(self) -> float:
        """Trucks per wagon of a consignment of ``wagons`` wagons moved by road: the whole
        consignment is ceil(its tonnes / ``tonnes_per_truck``) trucks."""
        trucks = math.ceil(self.wagons * self.tonnes_per_wagon / self.tonnes_per_truck - 1e-9)
        return trucks / self.wagons

    def vehicles_per_wagon(self, carrier: str) -> float:
        """What a per-vehicle charge counts per wagon in ``carrier``: trucks on the road
        (and on a ferry taking trucks), the wagon itself otherwise."""
        return self.trucks_per_wagon if in_trucks(carrier) else 1.0

    def weight(self, policy: str, hours: float, usd: float) -> float:
        """The arc or route weight under ``policy`` for ``hours`` and ``usd`` per wagon."""
        if policy == "fastest":
            return hours
        if policy == "cheapest":
            return usd
        return usd + self.value_of_time_usd_per_tonne_day * self.tonnes_per_wagon * hours / 24


def facility_leg(
    node_id: str, index: int, facility: Facility, carrier: str, cost: CostModel
) -> Leg:
    """The processing by facility number ``index`` of ``node_id``: hours for a consignment of
    ``cost.wagons`` wagons (``dwell_h`` + wagons x ``dwell_per_wagon_h``), USD per wagon
    (fees; and the wagon hire and demurrage its expected dwell costs)."""
    dwell_h = facility.mean_dwell_h(cost.wagons)
    # Processing trucks (a road border) charges per truck; a terminal loading wagons onto
    # trucks charges per wagon.
    vehicles = 1.0 if "->" in carrier else cost.vehicles_per_wagon(carrier)
    return Leg(
        kind="facility",
        id=node_id,
        type=facility.type,
        carrier=carrier,
        from_node=node_id,
        to_node=node_id,
        km=0.0,
        run_h=dwell_h,
        wait_h=0.0,
        usd_per_wagon=facility.fee_usd(vehicles, cost.tonnes_per_wagon),
        co2_kg_per_wagon=0.0,
        facility_index=index,
        hire_usd_per_wagon=cost.wagon_hire_usd_per_day * dwell_h / 24,
        demurrage_usd_per_wagon=facility.demurrage_usd(1, dwell_h),
    )


def link_leg(link: Link, a: str, b: str, carrier: str, cost: CostModel) -> Leg:
    """One wagon running ``link`` from ``a`` to ``b`` in ``carrier`` (its hours: the running
    time and the mean of ``delay_h``)."""
    km = link.km
    run_h = link.run_h()
    if link.delay_h is not None:
        run_h += link.delay_h.mean()
    wait_h = link.ferry.expected_wait_h() if link.ferry is not None else 0.0
    vehicles = cost.vehicles_per_wagon(carrier)
    length_m = TRUCK_LENGTH_M if in_trucks(carrier) else cost.wagon_length_m
    return Leg(
        kind="link",
        id=link.id,
        type=link.mode,
        carrier=carrier,
        from_node=a,
        to_node=b,
        km=km,
        run_h=run_h,
        wait_h=wait_h,
        usd_per_wagon=link.tariff.cost_usd(
            km, vehicles, cost.tonnes_per_wagon, length_m, cost.tare_tonnes_per_wagon
        ),
        co2_kg_per_wagon=(
            link.co2_g_per_tonne_km * km * (cost.tonnes_per_wagon + cost.tare_tonnes_per_wagon)
            / 1000
        ),
        hire_usd_per_wagon=cost.wagon_hire_usd_per_day * (run_h + wait_h) / 24,
    )


#: The two layers of a node's states: arriving (transfers may follow) and departing (links).
ARRIVE, DEPART = "in", "out"
#: The same layers for consignments a ``both`` border of the node processed on arrival.
ARRIVE_ENTERED, DEPART_ENTERED = "in*", "out*"
#: The arriving layers and the departing layers.
ARRIVING, DEPARTING = (ARRIVE, ARRIVE_ENTERED), (DEPART, DEPART_ENTERED)


def crosses(network: Network, link: Link, a: str, b: str) -> bool:
    """Whether running ``link`` from ``a`` to ``b`` crosses a country boundary (its two ends
    in different countries, or by ferry or sea: leaving at ``a`` and entering at ``b``)."""
    return link.mode in ("ferry", "sea") or network.nodes[a].country != network.nodes[b].country


def is_border_at(leg: Leg, node_id: str) -> bool:
    """Whether ``leg`` is the processing by a border facility of ``node_id``."""
    return leg.kind == "facility" and leg.type == "border" and leg.id == node_id


def without_borders_at(node_id: str, legs: tuple[Leg, ...]) -> tuple[Leg, ...]:
    """``legs`` less the processing by the borders of ``node_id`` (already passed)."""
    return tuple(leg for leg in legs if not is_border_at(leg, node_id))


def is_land(carrier: str) -> bool:
    """Rail or road: where cargo can start and end (not on board a ferry or a ship)."""
    return mode_of(carrier) in ("rail", "road")


class ExpandedGraph:
    """The ``(node, carrier, layer)`` graph of a network's usable links.

    Each node has an arriving and a departing state per carrier. Links run from a departing
    state to an arriving one; at a node a consignment either stays in its carrier (a free arc
    from arriving to departing) or changes carrier through the node's facilities: one change,
    or two in a row where that is how it is done (unloaded from a ferry, then transloaded to
    trucks). Two changes never take a consignment back into the mode it arrived in with another
    carrier: wagons turned into trucks and back into wagons of the other gauge would be a gauge
    change at a node without a gauge-change facility.
    """

    def __init__(
        self,
        network: Network,
        *,
        cost: CostModel | None = None,
        open_links: Collection[str] = (),
        avoid_nodes: Collection[str] = (),
        avoid_links: Collection[str] = (),
        only_links: Collection[str] | None = None,
    ) -> None:
        self.network = network
        self.cost = cost or CostModel()
        #: Every arc ``(tail, head)`` with the legs it stands for, in the order built.
        self.arcs: dict[tuple[Vertex, Vertex], tuple[Leg, ...]] = {}
        self.carriers_at: dict[str, set[str]] = defaultdict(set)
        self._avoid_nodes = set(avoid_nodes)
        usable = [
            link
            for link in network.links.values()
            if (link.status == "open" or link.id in open_links)
            and link.id not in avoid_links
            and (only_links is None or link.id in only_links)
            and link.from_ not in self._avoid_nodes
            and link.to not in self._avoid_nodes
        ]
        # Which carriers a node can hold comes from its infrastructure (every link touching it,
        # whatever its status): a port whose rail siding is not on today's route still lets
        # wagons roll off a ferry before they are transloaded to trucks.
        gauges: dict[str, set[int]] = defaultdict(set)
        for link in network.links.values():
            if link.gauge_mm is not None:
                gauges[link.from_].add(link.gauge_mm)
                gauges[link.to].add(link.gauge_mm)
        for link in network.links.values():
            for carrier in link_carriers(link, gauges[link.from_] & gauges[link.to]):
                self.carriers_at[link.from_].add(carrier)
                self.carriers_at[link.to].add(carrier)
        runs: list[tuple[Link, str, str, bool]] = []
        for link in usable:
            directions = [(link.from_, link.to)]
            if link.bidirectional:
                directions.append((link.to, link.from_))
            runs.extend((link, a, b, crosses(network, link, a, b)) for a, b in directions)
        #: Nodes with the second copy of their states: a ``both`` border, and crossings
        #: possible both into the node and out of it.
        self.entered_nodes = frozenset(
            {b for _, _, b, crossing in runs if crossing}
            & {a for _, a, _, crossing in runs if crossing}
            & {
                n.id
                for n in network.nodes.values()
                if any(f.type == "border" and f.applies == "both" for f in n.facility)
            }
        )
        for link, a, b, crossing in runs:
            self._add_link_arcs(link, a, b, crossing, gauges[link.from_] & gauges[link.to])
        for node_id, held in self.carriers_at.items():
            if node_id in self._avoid_nodes:
                continue
            layers = [(ARRIVE, DEPART)]
            if node_id in self.entered_nodes:
                layers.append((ARRIVE_ENTERED, DEPART_ENTERED))
            for arrive, depart in layers:
                for carrier in sorted(held):
                    self._add_arc((node_id, carrier, arrive), (node_id, carrier, depart), ())
                self._add_transfers(node_id, held, arrive, depart)
        #: Every vertex some arc touches.
        self.vertices = frozenset(v for arc in self.arcs for v in arc)

    def _add_link_arcs(
        self, link: Link, a: str, b: str, crossing: bool, gauges: Collection[int]
    ) -> None:
        """The arcs running ``link`` from ``a`` to ``b``, one per carrier (and per layer at a
        node with entered states): exit borders at ``a``, the run, yards and entry borders at
        ``b``."""
        network = self.network
        for carrier in link_carriers(link, gauges):
            run = link_leg(link, a, b, carrier, self.cost)
            entry = self.passing_legs(b, carrier, crossing=crossing)
            head = (b, carrier, ARRIVE)
            if b in self.entered_nodes and any(
                is_border_at(leg, b)
                and network.nodes[b].facility[leg.facility_index].applies == "both"
                for leg in entry
            ):
                head = (b, carrier, ARRIVE_ENTERED)
            exits = self.exit_legs(a, carrier, crossing=crossing, entered=False)
            self._add_arc((a, carrier, DEPART), head, (*exits, run, *entry))
            if a in self.entered_nodes:
                exits = self.exit_legs(a, carrier, crossing=crossing, entered=True)
                self._add_arc((a, carrier, DEPART_ENTERED), head, (*exits, run, *entry))

    def passing_legs(self, node_id: str, carrier: str, *, crossing: bool = True) -> tuple[Leg, ...]:
        """Yards at ``node_id`` that a consignment arriving in ``carrier`` meets, and, when it
        enters the node's country there (``crossing``), its ``entry`` and ``both`` borders."""
        node = self.network.nodes[node_id]
        mode = mode_of(carrier)
        return tuple(
            facility_leg(node_id, i, f, carrier, self.cost)
            for i, f in enumerate(node.facility)
            if f.is_passing
            and f.serves(mode)
            and (f.type != "border" or (crossing and f.applies != "exit"))
        )

    def exit_legs(
        self, node_id: str, carrier: str, *, crossing: bool, entered: bool
    ) -> tuple[Leg, ...]:
        """The borders at ``node_id`` that a consignment leaving in ``carrier`` meets: when it
        leaves the node's country there (``crossing``), its ``exit`` borders, and its ``both``
        borders unless they processed the consignment on arrival (``entered``)."""
        if not crossing:
            return ()
        node = self.network.nodes[node_id]
        mode = mode_of(carrier)
        return tuple(
            facility_leg(node_id, i, f, carrier, self.cost)
            for i, f in enumerate(node.facility)
            if f.type == "border"
            and f.serves(mode)
            and (f.applies == "exit" or (f.applies == "both" and not entered))
        )

    def _changes(self, node_id: str, carriers: Iterable[str]) -> dict[tuple[str, str], Leg]:
        """The single carrier changes the node's facilities allow, quickest facility first."""
        node = self.network.nodes[node_id]
        found: dict[tuple[str, str], Leg] = {}
        for index, facility in enumerate(node.facility):
            if facility.type not in TRANSFER_FACILITIES:
                continue
            for a in sorted(carriers):
                for b in sorted(carriers):
                    if (
                        transfer_allowed(facility.type, a, b)
                        and facility.serves(mode_of(a))
                        and facility.serves(mode_of(b))
                    ):
                        leg = facility_leg(node_id, index, facility, f"{a}->{b}", self.cost)
                        if (a, b) not in found or leg.hours < found[(a, b)].hours:
                            found[(a, b)] = leg
        return found

    def _add_transfers(
        self, node_id: str, carriers: Iterable[str], arrive: str, depart: str
    ) -> None:
        changes = self._changes(node_id, carriers)
        for (a, b), leg in changes.items():
            self._add_arc((node_id, a, arrive), (node_id, b, depart), (leg,))
        for (a, b), first in changes.items():
            for (b2, c), second in changes.items():
                if b2 != b or c == a or mode_of(c) == mode_of(a):
                    continue
                if (a, c) in changes:
                    continue  # one facility does it directly
                self._add_arc((node_id, a, arrive), (node_id, c, depart), (first, second))

    def arc_data(self, legs: tuple[Leg, ...]) -> dict[str, Any]:
        """The attributes of an arc standing for ``legs``: the legs and a weight per policy."""
        hours = sum(leg.hours for leg in legs)
        usd = sum(leg.total_usd_per_wagon for leg in legs)
        return {"legs": legs, **{f"w_{p}": self.cost.weight(p, hours, usd) for p in POLICIES}}

    def _add_arc(self, u: Vertex, v: Vertex, legs: tuple[Leg, ...]) -> None:
        arcs = self.arcs
        if (u, v) in arcs:
            run = next((leg for leg in legs if leg.kind == "link"), None)
            if run is None:
                # Two ways of making the same carrier change: keep the quicker one.
                if sum(leg.hours for leg in legs) < sum(leg.hours for leg in arcs[u, v]):
                    arcs[u, v] = legs
                return
            # A second link between the same nodes in the same carrier: route it through a
            # vertex of its own so that both stay in the graph (one arc per pair of vertices).
            via: Vertex = ("via", run.id, *u)
            arcs[u, via] = legs
            arcs[via, v] = ()
            return
        arcs[u, v] = legs

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The arcs as a networkx graph, each with ``legs`` and a weight ``w_<policy>`` per
        policy: what the reference search (:mod:`corridorsim.routing.reference`) walks."""
        graph = nx.DiGraph()
        for (u, v), legs in self.arcs.items():
            graph.add_edge(u, v, **self.arc_data(legs))
        return graph

    def with_ends(
        self,
        starts: Sequence[tuple[Vertex, tuple[Leg, ...]]],
        ends: Sequence[Vertex],
        *,
        passed: str | None = None,
    ) -> nx.DiGraph:
        """The graph with :data:`SOURCE` joined to ``starts`` and ``ends`` joined to :data:`SINK`.

        ``starts`` pairs each state a route may begin in with the legs met there (yards at
        the origin). ``passed`` names a node whose borders are already passed: the arcs
        leaving it carry none of them. The result is a new, frozen graph: :attr:`graph` itself never
        changes, so any number of queries, in any number of threads, can share it.

        Only what differs is new: shallow copies of the outer node and adjacency dicts, the
        adjacency of the start and end states, and that of the source and sink; arc
        attributes are shared. Every state keeps its neighbours in the order it has in
        :attr:`graph`, the source and sink coming last, so a search explores the result
        exactly as it would :attr:`graph` with the two vertices added to it (same routes,
        same ties broken the same way).
        """
        graph = self.graph
        succ = dict(graph._succ)
        pred = dict(graph._pred)
        nodes = dict(graph._node)
        if passed is not None:
            for tail in graph:
                if tail[0] != passed and not (tail[0] == "via" and tail[2] == passed):
                    continue
                succ[tail] = dict(succ[tail])
                for head, data in succ[tail].items():
                    legs = without_borders_at(passed, data["legs"])
                    if legs != data["legs"]:
                        succ[tail][head] = new = self.arc_data(legs)
                        pred[head] = {**pred[head], tail: new}
        if starts:
            nodes[SOURCE] = {}
            succ[SOURCE] = {}
            pred[SOURCE] = {}
            for vertex, legs in starts:
                data = self.arc_data(legs)
                succ[SOURCE][vertex] = data
                pred[vertex] = {**pred[vertex], SOURCE: data}
        if ends:
            nodes[SINK] = {}
            succ[SINK] = {}
            pred[SINK] = {}
            for vertex in ends:
                data = {"legs": (), **{f"w_{p}": 0.0 for p in POLICIES}}
                succ[vertex] = {**succ[vertex], SINK: data}
                pred[SINK][vertex] = data
        # A view in the way networkx builds its own (``nx.graphviews.generic_graph_view``):
        # a graph object over existing mappings, frozen against writes.
        query = nx.DiGraph()
        query._node = nodes
        query._succ = succ
        query._pred = pred
        query.graph = graph.graph
        return nx.freeze(query)

    def vertices_of(self, node_id: str, layer: str) -> list[Vertex]:
        """The node's states in ``layer`` that are in the graph."""
        return [
            (node_id, c, layer)
            for c in sorted(self.carriers_at.get(node_id, ()))
            if (node_id, c, layer) in self.vertices
        ]

    def end_vertices(self, node_id: str, layer: str) -> list[Vertex]:
        """Where a route may start (arriving layer: the plain states) or end (departing layer:
        the plain states and those of consignments that entered with a crossing): on land,
        unless the node has nothing but water links."""
        found = self.vertices_of(node_id, layer)
        if layer == DEPART:
            found += self.vertices_of(node_id, DEPART_ENTERED)
        land = [v for v in found if is_land(v[1])]
        return land or found
