"""Carriers (what a consignment is moving in) and the carrier changes each facility allows.

A carrier is ``rail-<gauge>`` (wagons on that gauge), ``road`` (trucks), ``ferry:<unit>``
(wagons or trucks rolled onto a ferry, keeping their gauge) or ``sea`` (cargo in a ship's hold).
Changing carrier needs a facility at the node that can do it, so a route never changes gauge
where there is no gauge-change terminal, nor puts wagons on a ferry where there is no port.
"""

from __future__ import annotations

from collections.abc import Iterable

from corridorsim.network.model import Link

#: Facility types that change the carrier, as opposed to those every passing consignment meets.
TRANSFER_FACILITIES = ("port", "gauge_change", "terminal")


def rail(gauge_mm: int) -> str:
    """The carrier of wagons on track of ``gauge_mm``: ``rail-1520``."""
    return f"rail-{gauge_mm}"


def mode_of(carrier: str) -> str:
    """``rail-1520`` -> ``rail``, ``ferry:road`` -> ``ferry``."""
    return carrier.split(":", 1)[0].split("-", 1)[0]


def in_trucks(carrier: str) -> bool:
    """Whether ``carrier`` moves the cargo in trucks: by road, or trucks on a ferry."""
    return carrier in ("road", "ferry:road")


def link_carriers(link: Link, gauges_nearby: Iterable[int]) -> tuple[str, ...]:
    """The carriers that can travel on ``link``.

    A ferry takes the units it ``carries``: trucks, and wagons of every gauge found on the
    rail lines at its two ports (a train ferry keeps the wagons' gauge).
    """
    if link.mode == "rail":
        return (rail(link.gauge_mm or 0),)
    if link.mode != "ferry":
        return (link.mode,)
    assert link.ferry is not None
    out: list[str] = []
    if "rail" in link.ferry.carries:
        out.extend(f"ferry:{rail(g)}" for g in sorted(set(gauges_nearby)))
    if "road" in link.ferry.carries:
        out.append("ferry:road")
    return tuple(out)


def transfer_allowed(facility_type: str, a: str, b: str) -> bool:
    """Whether a facility of ``facility_type`` moves cargo from carrier ``a`` to ``b``."""
    if a == b:
        return False
    pair = {mode_of(a), mode_of(b)}
    if facility_type == "gauge_change":
        return pair == {"rail"}
    if facility_type == "terminal":
        return pair == {"rail", "road"}
    if facility_type == "port":
        if pair == {"ferry", "rail"} or pair == {"ferry", "road"}:
            # Units roll on and off unchanged: wagons of the ferry's gauge, or trucks.
            onboard, ashore = (a, b) if mode_of(a) == "ferry" else (b, a)
            return onboard.split(":", 1)[1] == ashore
        return pair in ({"sea", "rail"}, {"sea", "road"})
    return False
