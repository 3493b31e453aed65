"""The sections of a route that run as trains: a scheduled service's, and a split consignment's.

A **service** runs trains from its ``from`` node to its ``to`` node; a route runs in it when it
leaves ``from`` by rail and reaches ``to`` by rail without a ferry, a ship or a road in between.
The section is the route's legs from the link leaving ``from`` up to the link arriving at
``to``: what happens at ``from`` before the departure (the yard where the train is formed) and
at ``to`` after the arrival (where it is broken up) stays the consignment's own. Static routing
adds the service's expected wait for a departure to the section's first link, as it adds the
expected wait for a sailing to a ferry link.

A link with ``max_train_wagons`` below a consignment's wagons **splits** it: from the last yard
before the link (after the yard's own processing; the start of the route if it has none) the
consignment runs as trains of at most that many wagons, up to the end of the link, or of the
last such link before the next yard, where the trains re-join.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from corridorsim.network.model import Network
from corridorsim.routing.graph import CostModel
from corridorsim.routing.route import Leg, Route


class ServiceLine(Protocol):
    """What a section needs to know of a service (a scenario's ``services`` entry)."""

    @property
    def from_(self) -> str:
        """Where its trains are formed."""
        ...

    @property
    def to(self) -> str:
        """Where its trains are broken up."""
        ...

    def expected_wait_h(self) -> float:
        """The mean wait for a departure of a block arriving at a random time."""
        ...


@dataclass(frozen=True, slots=True)
class Section:
    """Legs ``first`` to ``end - 1`` of a route, run as trains: by ``service`` (its index in
    the services given), or, where ``service`` is None, as a consignment split into trains of
    at most ``max_wagons``."""

    first: int
    end: int
    service: int | None
    max_wagons: int


def _runs_by_rail(leg: Leg) -> bool:
    return leg.kind == "facility" or leg.type == "rail"


def service_sections(legs: Sequence[Leg], services: Sequence[ServiceLine]) -> list[Section]:
    """The service sections of ``legs``, left to right, none overlapping another: at each link
    leaving a service's ``from``, the first service (in the order given) whose ``to`` the route
    then reaches by rail. ``max_wagons`` is left 0: the caller knows the trains' length."""
    found: list[Section] = []
    i = 0
    while i < len(legs):
        leg = legs[i]
        section = None
        if leg.kind == "link" and leg.type == "rail":
            for s, service in enumerate(services):
                if service.from_ != leg.from_node:
                    continue
                for j in range(i, len(legs)):
                    if not _runs_by_rail(legs[j]):
                        break
                    if legs[j].kind == "link" and legs[j].to_node == service.to:
                        section = Section(i, j + 1, s, 0)
                        break
                if section is not None:
                    break
        if section is None:
            i += 1
        else:
            found.append(section)
            i = section.end
    return found


def split_sections(
    network: Network, legs: Sequence[Leg], wagons: int, taken: Sequence[Section] = ()
) -> list[Section]:
    """The sections where a consignment of ``wagons`` runs split into shorter trains, outside
    the sections ``taken`` (services': a service's train length is its own)."""
    blocked = [False] * len(legs)
    for section in taken:
        for j in range(section.first, section.end):
            blocked[j] = True
    found: list[Section] = []
    start = 0  # where the current stretch of the route (between yards) begins
    i = 0
    while i < len(legs):
        leg = legs[i]
        if blocked[i] or (leg.kind == "facility" and leg.type == "yard"):
            start = i + 1
        elif leg.kind == "link" and _too_long(network, leg, wagons):
            limit = _limit(network, leg)
            end = i + 1
            # Later links that are too short as well, before any yard, join the section.
            for j in range(i + 1, len(legs)):
                later = legs[j]
                if blocked[j] or (later.kind == "facility" and later.type == "yard"):
                    break
                if later.kind == "link" and _too_long(network, later, wagons):
                    limit = min(limit, _limit(network, later))
                    end = j + 1
            found.append(Section(start, end, None, limit))
            start = i = end
            continue
        i += 1
    return found


def _limit(network: Network, leg: Leg) -> int:
    limit = network.links[leg.id].max_train_wagons
    assert limit is not None
    return limit


def _too_long(network: Network, leg: Leg, wagons: int) -> bool:
    limit = network.links[leg.id].max_train_wagons
    return limit is not None and wagons > limit


def with_formation_waits(
    route: Route, services: Sequence[ServiceLine], cost: CostModel
) -> Route:
    """``route`` with each service's expected wait for a departure on the first link of its
    section (and in the route's score), as a ferry link carries the wait for a sailing."""
    sections = service_sections(route.legs, services)
    if not sections:
        return route
    legs = list(route.legs)
    added_h = 0.0
    for section in sections:
        assert section.service is not None
        wait_h = services[section.service].expected_wait_h()
        leg = legs[section.first]
        legs[section.first] = dataclasses.replace(leg, wait_h=leg.wait_h + wait_h)
        added_h += wait_h
    return dataclasses.replace(
        route,
        legs=tuple(legs),
        score=route.score + cost.weight(route.policy, added_h, 0.0),
    )
