"""What the engine records, in columnar buffers (``array`` while running, numpy afterwards).

One row per consignment and one per leg a consignment walked. Appending to typed arrays keeps
a leg record at a few dozen bytes and the hot loop free of per-event dicts.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Why a consignment waited. The order is the column order of every output.
CAUSES = ("facility", "ferry", "headway", "disruption")
FACILITY, FERRY, HEADWAY, DISRUPTION = range(len(CAUSES))
NO_CAUSE = -1


class LegBuffer:
    """Leg rows: which consignment, which leg, when it arrived, started and ended, and waits."""

    __slots__ = (
        "arrive",
        "cause",
        "co2_kg",
        "consignment",
        "cost_usd",
        "end",
        "label",
        "seq",
        "start",
        "wait",
    )

    def __init__(self) -> None:
        self.consignment = array("l")
        self.seq = array("l")
        self.label = array("l")
        self.arrive = array("d")
        self.start = array("d")
        self.end = array("d")
        self.wait = array("d")
        self.cause = array("b")
        self.cost_usd = array("d")
        self.co2_kg = array("d")

    def add(
        self,
        consignment: int,
        seq: int,
        label: int,
        arrive: float,
        start: float,
        end: float,
        wait: float,
        cause: int,
        cost_usd: float,
        co2_kg: float,
    ) -> None:
        self.consignment.append(consignment)
        self.seq.append(seq)
        self.label.append(label)
        self.arrive.append(arrive)
        self.start.append(start)
        self.end.append(end)
        self.wait.append(wait)
        self.cause.append(cause)
        self.cost_usd.append(cost_usd)
        self.co2_kg.append(co2_kg)

    def freeze(self) -> dict[str, np.ndarray]:
        return {
            name: np.frombuffer(getattr(self, name), dtype=getattr(self, name).typecode).copy()
            for name in self.__slots__
        }


class ConsignmentBuffer:
    """Consignment rows; waits by cause are accumulated in place while the consignment runs."""

    def __init__(self) -> None:
        self.shipment = array("l")
        self.number = array("l")
        self.wagons = array("l")
        self.tonnes = array("d")
        self.depart = array("d")
        self.arrive = array("d")
        self.cost_usd = array("d")
        self.co2_kg = array("d")
        self.km = array("d")
        self.reroutes = array("l")
        self.waits = [array("d") for _ in CAUSES]

    def new(self, shipment: int, number: int, wagons: int, tonnes: float, depart: float) -> int:
        self.shipment.append(shipment)
        self.number.append(number)
        self.wagons.append(wagons)
        self.tonnes.append(tonnes)
        self.depart.append(depart)
        self.arrive.append(np.nan)
        self.cost_usd.append(0.0)
        self.co2_kg.append(0.0)
        self.km.append(0.0)
        self.reroutes.append(0)
        for column in self.waits:
            column.append(0.0)
        return len(self.shipment) - 1

    def freeze(self) -> dict[str, np.ndarray]:
        out: dict[str, Any] = {}
        for name in (
            "shipment",
            "number",
            "wagons",
            "tonnes",
            "depart",
            "arrive",
            "cost_usd",
            "co2_kg",
            "km",
            "reroutes",
        ):
            column = getattr(self, name)
            out[name] = np.frombuffer(column, dtype=column.typecode).copy()
        out["waits"] = (
            np.vstack([np.frombuffer(c, dtype="d") for c in self.waits]).T.copy()
            if len(self.shipment)
            else np.zeros((0, len(CAUSES)))
        )
        return out


@dataclass
class FacilityStats:
    """Per facility over one replication: what it served and how long consignments queued."""

    label: str
    servers: int
    served: int = 0
    busy_h: float = 0.0
    wait_h: float = 0.0
