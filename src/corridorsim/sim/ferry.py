"""Ferry services: each direction of a ferry link is a process of its own.

Sailings leave on a timetable (every ``every_h`` hours from time 0) and, with
``depart_when_full``, also as soon as a full load waits (see :class:`Departures`). The weather
is decided per timetable slot: a cancelled slot means no sailing until the next one, full or
not. A consignment larger than the space left is split across sailings and re-joined on the
far side: it has crossed when its last wagon has.
"""

from __future__ import annotations

from collections.abc import Callable

import simpy

from corridorsim.network.model import Ferry
from corridorsim.sim.components import Condition, succeed_later
from corridorsim.sim.departures import Boarding, Departures, Every
from corridorsim.sim.streams import Sampler, Uniforms


class FerryService(Departures):
    """One direction of a ferry line: sailings on a timetable (or when full), each carrying
    at most its capacity of the wagons waiting, first come first served. A boarding's
    ``arrived`` holds the hours at sea of each sailing that carried some of it."""

    __slots__ = ("cancel_prob", "sailing", "weather")

    def __init__(
        self,
        env: simpy.Environment,
        ferry: Ferry,
        sailing: Sampler,
        weather: Uniforms,
        condition: Condition,
        cancel_prob: Callable[[float], float],
    ) -> None:
        self.sailing = sailing
        self.weather = weather
        self.cancel_prob = cancel_prob
        super().__init__(
            env, ferry.capacity_wagons, Every(ferry.every_h), ferry.depart_when_full, condition
        )

    def _slot_cancelled(self) -> bool:
        return self.weather() < self.cancel_prob(self.env.now)

    def _trip(self, aboard: list[tuple[Boarding, int]]) -> None:
        sailing_h = self.sailing()
        succeed_later(self.env, sailing_h, lambda: self.arrive(aboard, sailing_h))
