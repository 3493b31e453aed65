"""The route a shipment takes: the best one under its policy, its fixed nodes and what it avoids.

Scenario loading plans each shipment's route with it, and the engine re-plans a consignment on
its way around what is closed at the time.
"""

from __future__ import annotations

from collections.abc import Collection
from itertools import pairwise

from corridorsim.network.model import Network
from corridorsim.routing.graph import CostModel
from corridorsim.routing.route import Route
from corridorsim.routing.search import Avoid, Router, resolve_avoid


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
        if not any(
            link.status == "open"
            and link.id not in avoid.links
            and (link.endpoints() == (a, b) or (link.bidirectional and link.endpoints() == (b, a)))
            for link in network.links.values()
        ):
            problems.append((j, f"no open link from {a} to {b}"))
    return problems


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
    only_links = None
    if fixed:
        pairs = {frozenset(p) for p in pairwise(fixed)}
        only_links = {x.id for x in network.links.values() if frozenset(x.endpoints()) in pairs}
    router = Router(network, avoid=avoid, cost=cost, only_links=only_links)
    found = router.routes(
        origin,
        destination,
        by=policy,
        k=1,
        start_carrier=start_carrier,
        origin_facilities=origin_facilities,
    )
    return found[0] if found else None
