"""Routes and their legs: what routing finds and what the engine walks.

A route is a sequence of legs. A link leg runs a link in one direction; a facility leg is the
processing at a node (a border, a yard, or a carrier change at a port, gauge-change terminal or
rail-road terminal). Money and CO2 are per wagon; per-tonne figures divide by the wagon's load.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from corridorsim.routing.carriers import TRANSFER_FACILITIES


@dataclass(frozen=True, slots=True)
class Leg:
    """One step of a route: running a link, or being processed at a node's facility."""

    kind: Literal["link", "facility"]
    #: Link id for link legs; node id for facility legs.
    id: str
    #: Link mode (rail, road, ferry, sea), or facility type (border, port, ...).
    type: str
    #: Carrier on a link leg; ``from->to`` on a carrier change; carrier processed at a border/yard.
    carrier: str
    from_node: str
    to_node: str
    km: float
    #: Expected time moving (on a link) or being processed (at a facility).
    run_h: float
    #: Expected wait for a scheduled departure (ferries); 0 elsewhere in static routing.
    wait_h: float
    usd_per_wagon: float
    co2_kg_per_wagon: float
    #: Position of the facility in its node's facility list (facility legs), else -1.
    facility_index: int = -1
    #: Expected cost of the time on the leg per wagon: wagon hire over its hours, and
    #: demurrage at a facility beyond its free time (the engine charges simulated time).
    hire_usd_per_wagon: float = 0.0
    demurrage_usd_per_wagon: float = 0.0

    @property
    def time_usd_per_wagon(self) -> float:
        """The expected cost of the time on the leg per wagon: hire and demurrage."""
        return self.hire_usd_per_wagon + self.demurrage_usd_per_wagon

    @property
    def total_usd_per_wagon(self) -> float:
        """Charges (tariff, fees) and the expected cost of the time, per wagon."""
        return self.usd_per_wagon + self.hire_usd_per_wagon + self.demurrage_usd_per_wagon

    @property
    def hours(self) -> float:
        """Expected hours on the leg: running or processing, plus waiting for a departure."""
        return self.run_h + self.wait_h

    @property
    def is_transfer(self) -> bool:
        """True for a carrier change (port, gauge change, rail-road terminal)."""
        return self.kind == "facility" and self.type in TRANSFER_FACILITIES

    def to_dict(self, tonnes_per_wagon: float) -> dict[str, Any]:
        """The stable JSON form of the leg, CO2 per tonne for wagons of ``tonnes_per_wagon``."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "id": self.id,
            "type": self.type,
            "carrier": self.carrier,
        }
        if self.kind == "link":
            out.update({"from": self.from_node, "to": self.to_node, "km": round(self.km, 3)})
        else:
            out["node"] = self.id
        out.update(
            {
                "hours": round(self.hours, 4),
                "run_h": round(self.run_h, 4),
                "wait_h": round(self.wait_h, 4),
                "usd_per_wagon": round(self.total_usd_per_wagon, 2),
                "time_usd_per_wagon": round(self.time_usd_per_wagon, 2),
                "co2_kg_per_tonne": round(self.co2_kg_per_wagon / tonnes_per_wagon, 4),
            }
        )
        return out


@dataclass(frozen=True, slots=True)
class Route:
    """One way from origin to destination with expected time, cost and emissions."""

    origin: str
    destination: str
    policy: str
    legs: tuple[Leg, ...]
    tonnes_per_wagon: float
    #: The policy's objective: hours (fastest) or USD per wagon (cheapest, generalized).
    score: float

    @property
    def link_legs(self) -> tuple[Leg, ...]:
        """The legs that run links, in order."""
        return tuple(leg for leg in self.legs if leg.kind == "link")

    @property
    def nodes(self) -> tuple[str, ...]:
        """The nodes the route passes, origin first."""
        links = self.link_legs
        if not links:
            return (self.origin,)
        return (links[0].from_node, *(leg.to_node for leg in links))

    @property
    def links(self) -> tuple[str, ...]:
        """The ids of the links the route runs, in order."""
        return tuple(leg.id for leg in self.link_legs)

    @property
    def modes(self) -> tuple[str, ...]:
        """The mode of each link the route runs."""
        return tuple(leg.type for leg in self.link_legs)

    @property
    def km(self) -> float:
        """Length in km."""
        return sum(leg.km for leg in self.legs)

    @property
    def hours(self) -> float:
        """Expected hours door to door."""
        return sum(leg.hours for leg in self.legs)

    @property
    def days(self) -> float:
        """Expected days door to door."""
        return self.hours / 24

    @property
    def usd_per_wagon(self) -> float:
        """Expected USD per wagon: tariffs, facility fees and the cost of the time (wagon
        hire, demurrage)."""
        return sum(leg.total_usd_per_wagon for leg in self.legs)

    @property
    def usd_per_tonne(self) -> float:
        """Expected USD per tonne of cargo."""
        return self.usd_per_wagon / self.tonnes_per_wagon

    @property
    def co2_kg_per_tonne(self) -> float:
        """CO2 in kg per tonne of cargo."""
        return sum(leg.co2_kg_per_wagon for leg in self.legs) / self.tonnes_per_wagon

    @property
    def borders(self) -> tuple[str, ...]:
        """The border nodes the route crosses, in order, each once."""
        return tuple(
            dict.fromkeys(
                leg.id for leg in self.legs if leg.kind == "facility" and leg.type == "border"
            )
        )

    @property
    def transfers(self) -> tuple[Leg, ...]:
        """The carrier changes the route makes, in order."""
        return tuple(leg for leg in self.legs if leg.is_transfer)

    def to_dict(self, rank: int) -> dict[str, Any]:
        """The stable JSON form (keys documented in the README)."""
        return {
            "rank": rank,
            "policy": self.policy,
            "origin": self.origin,
            "destination": self.destination,
            "nodes": list(self.nodes),
            "links": list(self.links),
            "modes": list(self.modes),
            "km": round(self.km, 3),
            "hours": round(self.hours, 3),
            "days": round(self.days, 3),
            "usd_per_wagon": round(self.usd_per_wagon, 2),
            "usd_per_tonne": round(self.usd_per_tonne, 3),
            "co2_kg_per_tonne": round(self.co2_kg_per_tonne, 4),
            "borders": list(self.borders),
            "transfers": [
                {
                    "node": leg.id,
                    "type": leg.type,
                    "from": leg.carrier.split("->")[0],
                    "to": leg.carrier.split("->")[1],
                    "hours": round(leg.hours, 4),
                    "usd_per_wagon": round(leg.total_usd_per_wagon, 2),
                }
                for leg in self.transfers
            ],
            "legs": [leg.to_dict(self.tonnes_per_wagon) for leg in self.legs],
        }
