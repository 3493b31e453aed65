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
from corridorsim.routing.search import Router, resolve_avoid


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
    route runs through in order: only links joining two consecutive ones are used.
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
