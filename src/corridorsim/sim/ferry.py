"""Ferry services: each direction of a ferry link is a process of its own.

Sailings leave on a timetable (every ``every_h`` hours from time 0) and, with
``depart_when_full``, also as soon as a full load waits. The weather is decided per timetable
slot: a cancelled slot means no sailing until the next one, full or not. A consignment larger
than the space left is split across sailings and re-joined on the far side: it has crossed when
its last wagon has.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Generator
from typing import Any

import simpy

from corridorsim.network.model import Ferry
from corridorsim.sim.components import Condition, succeed_later
from corridorsim.sim.streams import Sampler, Uniforms


class Boarding:
    """One consignment's passage: wagons still to board, still to land, and when it is done."""

    __slots__ = ("done", "last_sailing_h", "to_board", "to_land")

    def __init__(self, env: simpy.Environment, wagons: int) -> None:
        self.done = env.event()
        self.to_board = wagons
        self.to_land = wagons
        self.last_sailing_h = 0.0


class FerryService:
    """One direction of a ferry line: sailings on a timetable (or when full), each carrying
    at most its capacity of the wagons waiting, first come first served."""

    __slots__ = (
        "_bad_weather",
        "_full",
        "cancel_prob",
        "cancelled",
        "capacity",
        "condition",
        "env",
        "every_h",
        "queue",
        "sailing",
        "sailings",
        "waiting_wagons",
        "weather",
        "when_full",
    )

    def __init__(
        self,
        env: simpy.Environment,
        ferry: Ferry,
        sailing: Sampler,
        weather: Uniforms,
        condition: Condition,
        cancel_prob: Callable[[float], float],
    ) -> None:
        self.env = env
        self.capacity = ferry.capacity_wagons
        self.every_h = ferry.every_h
        self.when_full = ferry.depart_when_full
        self.sailing = sailing
        self.weather = weather
        self.condition = condition
        self.cancel_prob = cancel_prob
        self.queue: deque[Boarding] = deque()
        self.waiting_wagons = 0
        self.sailings = 0
        self.cancelled = 0
        self._full: simpy.Event | None = None
        self._bad_weather = False
        env.process(self._timetable())

    def board(self, wagons: int) -> Boarding:
        """Queue ``wagons`` wagons for the next sailings; ``done`` fires when the last land."""
        boarding = Boarding(self.env, wagons)
        self.queue.append(boarding)
        self.waiting_wagons += wagons
        if (
            self.when_full
            and self._full is not None
            and self._capacity_now() <= self.waiting_wagons
        ):
            event, self._full = self._full, None
            event.succeed()
        return boarding

    def _capacity_now(self) -> int:
        return max(1, int(self.capacity * self.condition.capacity_factor))

    def _timetable(self) -> Generator[simpy.Event, Any, None]:
        env = self.env
        # The timetable runs from time 0; a service started later joins it at its next slot.
        next_slot = math.ceil(env.now / self.every_h) * self.every_h
        while True:
            if env.now >= next_slot:
                # A new timetable slot: the weather for the whole slot is decided now.
                self._bad_weather = self.weather() < self.cancel_prob(env.now)
                next_slot += self.every_h
                if self._bad_weather:
                    self.cancelled += 1
                else:
                    self._sail()
            elif not self._bad_weather:
                self._sail()  # woken because a full load is waiting
            if self.when_full and not self._bad_weather:
                while self.waiting_wagons >= self._capacity_now() and not self.condition.closed:
                    self._sail()
                self._full = env.event()
                yield env.any_of([env.timeout(next_slot - env.now), self._full])
                self._full = None
            else:
                yield env.timeout(next_slot - env.now)

    def _sail(self) -> None:
        if self.condition.closed or not self.queue:
            return
        space = self._capacity_now()
        aboard: list[tuple[Boarding, int]] = []
        while self.queue and space > 0:
            boarding = self.queue[0]
            take = min(space, boarding.to_board)
            boarding.to_board -= take
            space -= take
            self.waiting_wagons -= take
            aboard.append((boarding, take))
            if boarding.to_board == 0:
                self.queue.popleft()
        self.sailings += 1
        sailing_h = self.sailing()
        succeed_later(self.env, sailing_h, lambda: self._land(aboard, sailing_h))

    @staticmethod
    def _land(aboard: list[tuple[Boarding, int]], sailing_h: float) -> None:
        for boarding, wagons in aboard:
            boarding.to_land -= wagons
            if boarding.to_land == 0:
                boarding.last_sailing_h = sailing_h
                boarding.done.succeed()
