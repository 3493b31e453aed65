"""Trains: a service's departures, and the parts of a consignment split for a short line.

A train runs a section of a route (see :mod:`corridorsim.routing.sections`) as one unit: the
engine walks the section's steps for it as it walks a consignment's, with the train's wagons,
so a border processes the train once (``dwell_h`` + its wagons x ``dwell_per_wagon_h``) and a
line's headway counts trains. The consignments it carries copy its legs when they arrive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy

from corridorsim.sim.components import Condition
from corridorsim.sim.departures import Boarding, Daily, Departures, Every
from corridorsim.sim.records import CAUSES


class Train:
    """One train on its section: its wagons, when it left and arrived, its legs as the engine
    recorded them (one per step of the section, as leg-row tuples) and its waits by cause."""

    __slots__ = ("arrive_h", "depart_h", "legs", "row", "wagons", "waits")

    def __init__(self, row: int, wagons: int, depart_h: float) -> None:
        self.row = row
        self.wagons = wagons
        self.depart_h = depart_h
        self.arrive_h = float("nan")
        self.legs: list[tuple[Any, ...]] = []
        #: Hours waited by cause, as one-row columns (the engine indexes them by row 0).
        self.waits: list[list[float]] = [[0.0] for _ in CAUSES]


class TrainService(Departures):
    """A service's departures over one section: a train per departure with the blocks aboard.

    ``run`` starts a train of so many wagons carrying so many blocks and returns its
    process, whose value is the :class:`Train` once it has arrived; a boarding's ``arrived``
    holds the trains that carried some of it, in the order they arrived.
    """

    __slots__ = ("run",)

    def __init__(
        self,
        env: simpy.Environment,
        capacity: int,
        timetable: Every | Daily,
        when_full: bool,
        condition: Condition,
        run: Callable[[int, int], simpy.Process],
    ) -> None:
        self.run = run
        super().__init__(env, capacity, timetable, when_full, condition)

    def _trip(self, aboard: list[tuple[Boarding, int]]) -> None:
        process = self.run(sum(wagons for _, wagons in aboard), len(aboard))
        process.callbacks.append(lambda event: self.arrive(aboard, event.value))


def split_wagons(wagons: int, max_wagons: int) -> list[int]:
    """Trains of at most ``max_wagons`` for ``wagons``: as many full ones as fit, then the
    rest (60 at most 40 -> 40 and 20)."""
    full, rest = divmod(wagons, max_wagons)
    return [max_wagons] * full + ([rest] if rest else [])


class TrainSection:
    """A section of a route run by trains, as a step of a consignment's plan: the section's
    own steps, and either the service whose ``departures`` carry it or the longest train
    (``max_wagons``) it is split into; ``name`` numbers the trains' name, ``end_label`` the
    formation leg where the trains re-join. ``condition`` is one no disruption closes (the
    section's own steps are closed or not)."""

    __slots__ = ("co2_kg_per_wagon", "condition", "departures", "end_label", "max_wagons",
                 "name", "steps", "usd_per_wagon")

    def __init__(
        self,
        steps: tuple[Any, ...],
        condition: Condition,
        end_label: int,
        *,
        departures: TrainService | None = None,
        max_wagons: int = 0,
        name: int = 0,
    ) -> None:
        self.steps = steps
        self.condition = condition
        self.end_label = end_label
        self.departures = departures
        self.max_wagons = max_wagons
        self.name = name
        # A step is (kind, component, leg, label, USD per wagon, CO2 kg per wagon, ...).
        self.usd_per_wagon = sum(step[4] for step in steps)
        self.co2_kg_per_wagon = sum(step[5] for step in steps)
