"""Fleets: finite pools of wagons at a home node.

A departure takes its wagons from the pool at home, waiting (first come first served, in the
order of the planned departures) until enough are there; the wagons come back when their empty
return arrives home. :class:`FleetCycles` records each trip of a set of wagons: when it left
home, when it began the empty return (after unloading) and when it was back.
"""

from __future__ import annotations

from array import array
from collections import deque

import numpy as np
import simpy

from corridorsim.sim.records import frozen_columns


class FleetRuntime:
    """The wagons at home of one fleet and the departures waiting for them."""

    __slots__ = ("at_home", "env", "wagons", "waiting")

    def __init__(self, env: simpy.Environment, wagons: int) -> None:
        self.env = env
        self.wagons = wagons
        self.at_home = wagons
        self.waiting: deque[tuple[simpy.Event, int]] = deque()

    def take(self, wagons: int) -> simpy.Event | None:
        """Take ``wagons`` wagons now (None) or the event of their turn: a departure never
        overtakes an earlier one waiting, even if it needs fewer wagons."""
        if not self.waiting and self.at_home >= wagons:
            self.at_home -= wagons
            return None
        turn = self.env.event()
        self.waiting.append((turn, wagons))
        return turn

    def give_back(self, wagons: int) -> None:
        """``wagons`` wagons are home again: the departures waiting go, in order, as far as
        the wagons at home reach."""
        self.at_home += wagons
        while self.waiting and self.at_home >= self.waiting[0][1]:
            turn, needed = self.waiting.popleft()
            self.at_home -= needed
            turn.succeed()


class FleetCycles:
    """One row per trip of a consignment's wagons: fleet, wagons, shipment row, when they
    left home, began the empty return and were home again (nan until then)."""

    FIELDS = ("fleet", "wagons", "consignment", "left_h", "empty_h", "home_h")
    __slots__ = FIELDS

    def __init__(self) -> None:
        self.fleet = array("l")
        self.wagons = array("l")
        #: The row of the loaded consignment in the consignment columns.
        self.consignment = array("l")
        self.left_h = array("d")
        self.empty_h = array("d")
        self.home_h = array("d")

    def new(self, fleet: int, wagons: int, consignment: int, left_h: float) -> int:
        """A trip leaving home now; its row."""
        self.fleet.append(fleet)
        self.wagons.append(wagons)
        self.consignment.append(consignment)
        self.left_h.append(left_h)
        self.empty_h.append(np.nan)
        self.home_h.append(np.nan)
        return len(self.fleet) - 1

    def __len__(self) -> int:
        return len(self.fleet)

    def freeze(self) -> dict[str, np.ndarray]:
        """The columns as numpy arrays over the buffer's memory (no copy)."""
        return frozen_columns(self, self.FIELDS)
