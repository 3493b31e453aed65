"""Finding the k best routes between two nodes.

The router builds the expanded graph of a network state once and, per policy on first use, its
compact form (:mod:`corridorsim.routing.compact`): CSR arrays in which every physical route has
one path, at its best carrier labels. Yen's algorithm (SciPy's, in compiled code) then returns
physically different routes in order of the policy's weight; a route that passes a node twice
is skipped, and when that leaves fewer than asked, the search asks for twice as many paths.

A query never changes the router: the compact graph is shared, each query builds its own
source row and end weights, so one router can answer queries from several threads at once.
:mod:`corridorsim.routing.reference` holds the same search on networkx, the yardstick.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from corridorsim.errors import InputError, ParameterError
from corridorsim.network.lookup import resolve_node
from corridorsim.network.model import Network
from corridorsim.routing.compact import CompactGraph
from corridorsim.routing.graph import ARRIVE, POLICIES, CostModel, ExpandedGraph, Vertex
from corridorsim.routing.route import Leg, Route

#: The most paths one query asks Yen for (a route passing a node twice is skipped; with
#: ``max_overlap`` most candidates are): beyond it the search stops with what it found.
MAX_PATHS = 512


@dataclass(frozen=True)
class Avoid:
    """What a route must not touch."""

    nodes: frozenset[str] = frozenset()
    links: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()


def resolve_avoid(network: Network, tokens: Iterable[str]) -> Avoid:
    """Sort words naming what to avoid into node ids (or names), link ids and country codes.

    A word is a link id, else a two-letter ISO country code of the network (any case), else
    a node id or name (:func:`~corridorsim.network.lookup.resolve_node`).
    """
    nodes, links, countries = set(), set(), set()
    known_countries = {n.country for n in network.nodes.values()}
    for token in tokens:
        token = token.strip()
        if token in network.links:
            links.add(token)
        elif token.upper() in known_countries and len(token) == 2:
            countries.add(token.upper())
        else:
            nodes.add(resolve_node(network, token, what="node, link or country to avoid"))
    return Avoid(frozenset(nodes), frozenset(links), frozenset(countries))


def check_open_links(network: Network, link_ids: Iterable[str]) -> frozenset[str]:
    """The ids of the links to open, once each is known to name a link of ``network``.

    Raises :class:`~corridorsim.errors.ParameterError` for ``open_links``, one message per
    unknown id.
    """
    wanted = tuple(link_ids)
    unknown = [i for i in wanted if i not in network.links]
    if unknown:
        raise ParameterError("open_links", [f"no link '{i}'" for i in unknown])
    return frozenset(wanted)


class Router:
    """Routes on one network state (which links are open, what is avoided, the cargo).

    The expanded graph is built once, here; :meth:`routes` only reads it, so a router may be
    shared between threads.
    """

    def __init__(
        self,
        network: Network,
        *,
        open_links: Collection[str] = (),
        avoid: Avoid | None = None,
        cost: CostModel | None = None,
        only_links: Collection[str] | None = None,
    ) -> None:
        avoid = avoid or Avoid()
        self.network = network
        self.avoid = avoid
        avoid_nodes = set(avoid.nodes) | {
            n.id for n in network.nodes.values() if n.country in avoid.countries
        }
        self.expanded = ExpandedGraph(
            network,
            cost=cost,
            open_links=open_links,
            avoid_nodes=avoid_nodes,
            avoid_links=avoid.links,
            only_links=only_links,
        )
        self._avoided_nodes = avoid_nodes
        self._compact: dict[str, CompactGraph] = {}
        self._building = threading.Lock()

    def compact(self, policy: str) -> CompactGraph:
        """The compact graph for ``policy``, built on first use (once, whatever the threads)."""
        found = self._compact.get(policy)
        if found is None:
            with self._building:
                found = self._compact.get(policy)
                if found is None:
                    found = self._compact[policy] = CompactGraph(self.expanded, policy)
        return found

    @property
    def cost(self) -> CostModel:
        """The cost model the arc weights were computed with."""
        return self.expanded.cost

    def routes(
        self,
        origin: str,
        destination: str,
        *,
        by: str = "fastest",
        k: int = 1,
        start_carrier: str | None = None,
        origin_facilities: bool = True,
        max_overlap: float | None = None,
    ) -> list[Route]:
        """Up to ``k`` physically distinct routes, best first; [] when none exists.

        ``start_carrier`` pins the carrier at the origin (a consignment re-planning on its
        way keeps the wagons it is in); ``origin_facilities=False`` leaves out the borders
        and yards at the origin (already passed). ``max_overlap`` (0-1) keeps only routes
        sharing at most that fraction of their km with every better route listed, so that
        the k routes show different corridors rather than small detours of one.

        Bad values of ``by``, ``k`` and ``max_overlap``, and an origin or destination that is
        no node, raise :class:`~corridorsim.errors.ParameterError` naming the parameter.
        """
        if by not in POLICIES:
            raise ParameterError("by", f"unknown policy '{by}' (one of {', '.join(POLICIES)})")
        if k < 1:
            raise ParameterError("k", f"must be at least 1 (got {k})")
        if max_overlap is not None and not 0 <= max_overlap <= 1:
            raise ParameterError("max_overlap", f"must be between 0 and 1 (got {max_overlap})")
        for end, node_id in (("origin", origin), ("destination", destination)):
            if node_id not in self.network.nodes:
                raise ParameterError(end, f"no node '{node_id}'")
            if node_id in self._avoided_nodes:
                raise InputError(f"{end} {node_id} is among the nodes to avoid")
        if origin == destination:
            raise InputError(f"origin and destination are the same node ({origin})")
        starts = self.start_states(origin, start_carrier, origin_facilities)
        found = self._distinct(
            origin, destination, by, starts, first=k, passed=not origin_facilities
        )
        if max_overlap is not None:
            found = _dissimilar(found, max_overlap)
        return list(islice(found, k))

    def start_states(
        self, origin: str, start_carrier: str | None = None, origin_facilities: bool = True
    ) -> list[tuple[Vertex, tuple[Leg, ...]]]:
        """The states a route may begin in, each with the legs met there (yards; the
        origin's borders are met on the way out, if the route leaves the country there)."""
        expanded = self.expanded
        starts = expanded.end_vertices(origin, ARRIVE)
        if start_carrier is not None:
            starts = [v for v in expanded.vertices_of(origin, ARRIVE) if v[1] == start_carrier]
        return [
            (v, expanded.passing_legs(origin, v[1], crossing=False) if origin_facilities else ())
            for v in starts
        ]

    def _distinct(
        self,
        origin: str,
        destination: str,
        by: str,
        starts: list[tuple[Vertex, tuple[Leg, ...]]],
        *,
        first: int,
        passed: bool = False,
    ) -> Iterator[Route]:
        """Physically distinct routes that pass each node once, best first; ``first`` paths
        are asked for at once (the routes wanted), twice as many each time more are needed;
        ``passed``: the origin's borders are already passed."""
        if not starts:
            return
        compact = self.compact(by)
        seen: set[tuple[str, ...]] = set()
        asked = min(first, MAX_PATHS)
        while True:
            found = compact.paths(starts, origin, destination, asked, passed=passed)
            for legs in found:
                runs = [leg for leg in legs if leg.kind == "link"]
                links = tuple(leg.id for leg in runs)
                if links in seen:
                    continue  # found by the last, smaller request already
                seen.add(links)
                nodes = {leg.to_node for leg in runs}
                if len(nodes) == len(runs) and origin not in nodes:  # each node passed once
                    yield self.route_of(origin, destination, by, legs)
            if len(found) < asked or asked >= MAX_PATHS:
                return
            asked *= 2

    def route_of(self, origin: str, destination: str, by: str, legs: tuple[Leg, ...]) -> Route:
        """The route of ``legs``, scored under ``by``."""
        hours = usd = 0.0
        for leg in legs:
            hours += leg.run_h + leg.wait_h
            usd += leg.total_usd_per_wagon
        return Route(
            origin=origin,
            destination=destination,
            policy=by,
            legs=legs,
            tonnes_per_wagon=self.cost.tonnes_per_wagon,
            score=self.cost.weight(by, hours, usd),
        )


def _dissimilar(routes: Iterator[Route], max_overlap: float) -> Iterator[Route]:
    """The routes that share at most ``max_overlap`` of their km with each one kept before."""
    kept: list[dict[str, float]] = []
    for budget, route in enumerate(routes):
        if budget > MAX_PATHS:
            return
        km = {leg.id: leg.km for leg in route.link_legs}
        total = sum(km.values()) or 1.0
        if all(
            sum(v for i, v in km.items() if i in other) / total <= max_overlap for other in kept
        ):
            kept.append(km)
            yield route


def links_that_would_connect(
    network: Network, origin: str, destination: str, *, avoid: Avoid | None = None
) -> tuple[str, ...]:
    """Planned or closed links on the fastest route once every link is open (() if none)."""
    everything = [link.id for link in network.links.values() if link.status != "open"]
    found = Router(network, open_links=everything, avoid=avoid).routes(origin, destination)
    if not found:
        return ()
    return tuple(i for i in found[0].links if network.links[i].status != "open")
