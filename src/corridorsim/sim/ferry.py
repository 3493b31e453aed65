"""Ferry services: each direction of a ferry link is a process of its own.

Sailings leave on a timetable (every ``every_h`` hours from time 0) and, with
``depart_when_full``, also as soon as a full load waits (see :class:`Departures`). The weather
is decided per timetable slot: a cancelled slot means no sailing until the next one, full or
not. A consignment larger than the space left is split across sailings and re-joined on the
far side: it has crossed when its last wagon has.

Space is wagons (``capacity_wagons``) or lane metres (``capacity_m``): each wagon then takes
its cargo's ``wagon_length_m``.

With ``vessels`` the line has that many ships, shared by its two directions (a
:class:`Ships`). The first ship starts at the link's ``from`` end, the next at ``to``,
alternating. A ship sails at a timetable slot from the end where it is, with whatever is
waiting, even nothing (so that ships reposition, and one ship's round trip gives exactly the
departures its timetable allows); it reaches the other end after its sampled sailing time and
is ready to sail again ``turnaround_h`` later. At a slot with no ship ready at an end there is
no departure from it, and a cancelled slot keeps the ship in port until the next slot. With
``depart_when_full`` a ship ready at the port also sails as soon as a full load waits (or as
soon as it is ready, if a full load waits already). On a one-way line the ship comes back
empty: after its turnaround at the far end it sails straight back (a sailing time drawn from
the stream the other direction would have), and is ready at ``from`` after a turnaround there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any

import simpy

from corridorsim.network.model import TRUCK_LENGTH_M, Ferry
from corridorsim.sim.components import LATE, Condition, Wake, succeed_later
from corridorsim.sim.departures import Boarding, Departures, Every
from corridorsim.sim.streams import Sampler, Uniforms

# TRUCK_LENGTH_M, the lane metres a truck takes aboard (EU maximum length of an articulated
# vehicle, Directive 96/53/EC), is what a caller with trucks passes to FerryService.board.
__all__ = ["TRUCK_LENGTH_M", "FerryService", "Ships"]

#: Slack when a ship's ready time is compared with a slot: 20 h at sea and 4 h in port make
#: the 24 h slot, whatever the rounding of the sums.
_EPS_H = 1e-9


class Ships:
    """The ships of one ferry line, shared by the services of its two directions: for each
    ship the end it is at or bound for (0: the link's ``from``, 1: its ``to``) and the time it
    is ready to sail from there."""

    __slots__ = ("end", "ready_h", "return_sailing", "services", "turnaround_h")

    def __init__(
        self,
        vessels: int,
        turnaround_h: float,
        now: float = 0.0,
        return_sailing: Sampler | None = None,
    ) -> None:
        self.turnaround_h = turnaround_h
        #: On a one-way line, the sailing time of a ship's empty return to ``from``.
        self.return_sailing = return_sailing
        self.end = [i % 2 for i in range(vessels)]
        self.ready_h = [now] * vessels
        #: The service sailing from each end (None for the far end of a one-way line).
        self.services: list[FerryService | None] = [None, None]
        if return_sailing is not None:
            # A ship starting at the far end of a one-way line returns empty at once.
            for ship, end in enumerate(self.end):
                if end == 1:
                    self.end[ship] = 0
                    self.ready_h[ship] = now + return_sailing() + turnaround_h

    def ship_at(self, end: int, now: float) -> int | None:
        """The ship ready to sail from ``end`` at ``now`` (the one ready longest), or None."""
        found = None
        for ship, at in enumerate(self.end):
            if (
                at == end
                and self.ready_h[ship] <= now + _EPS_H
                and (found is None or self.ready_h[ship] < self.ready_h[found])
            ):
                found = ship
        return found

    def next_ready_h(self, end: int, now: float) -> float:
        """When the next ship at or bound for ``end`` is ready there, after ``now`` (inf if
        none is)."""
        times = [
            ready
            for at, ready in zip(self.end, self.ready_h, strict=True)
            if at == end and ready > now + _EPS_H
        ]
        return min(times, default=math.inf)

    def sailed(self, ship: int, end: int, now: float, sailing_h: float) -> None:
        """Ship ``ship`` left ``end`` at ``now`` for ``sailing_h`` hours at sea."""
        ready_h = now + sailing_h + self.turnaround_h
        if self.return_sailing is not None:
            # One way: straight back empty after the turnaround, and a turnaround at home.
            self.ready_h[ship] = ready_h + self.return_sailing() + self.turnaround_h
            return
        other = 1 - end
        self.end[ship] = other
        self.ready_h[ship] = ready_h
        service = self.services[other]
        if service is not None:
            service.ship_coming()


class FerryService(Departures):
    """One direction of a ferry line: sailings on a timetable (or when full), each carrying
    at most its capacity of the wagons waiting (in wagons, or lane metres), first come first
    served. A boarding's ``arrived`` holds the hours at sea of each sailing that carried some
    of it. With a ``ships``, sailings need a ship ready at this end (``end``: 0 for the link's
    ``from``, 1 for its ``to``)."""

    __slots__ = ("cancel_prob", "end", "sailing", "ships", "weather")

    def __init__(
        self,
        env: simpy.Environment,
        ferry: Ferry,
        sailing: Sampler,
        weather: Uniforms,
        condition: Condition,
        cancel_prob: Callable[[float], float],
        ships: Ships | None = None,
        end: int = 0,
    ) -> None:
        self.sailing = sailing
        self.weather = weather
        self.cancel_prob = cancel_prob
        self.ships = ships
        self.end = end
        if ships is not None:
            ships.services[end] = self
        if ferry.capacity_m is not None:
            capacity: float = ferry.capacity_m
        else:
            assert ferry.capacity_wagons is not None
            capacity = ferry.capacity_wagons
        super().__init__(
            env,
            capacity,
            Every(ferry.every_h),
            ferry.depart_when_full,
            condition,
            units=ferry.capacity_m is not None,
        )

    def board(self, wagons: int, size: float = 1.0) -> Boarding:
        """Queue ``wagons`` wagons (each ``size`` lane metres long, which counts when the
        capacity is ``capacity_m``: a wagon's cargo's ``wagon_length_m``, or
        :data:`TRUCK_LENGTH_M` for a truck) for the next sailings; ``done`` fires when the
        last have crossed."""
        return super().board(wagons, size)

    def ship_coming(self) -> None:
        """A ship has left the other end for this one: a wait for a full load re-checks when
        a ship is ready here."""
        if self._full is not None:
            event, self._full = self._full, None
            event.succeed()

    def _slot_cancelled(self) -> bool:
        return self.weather() < self.cancel_prob(self.env.now)

    def _trip(self, aboard: list[tuple[Boarding, int]]) -> None:
        sailing_h = self.sailing()
        succeed_later(self.env, sailing_h, lambda: self.arrive(aboard, sailing_h))

    def _timetable(self) -> Generator[simpy.Event, Any, None]:
        if self.ships is None:
            yield from super()._timetable()
        else:
            yield from self._ships(self.ships)

    def _ships(self, ships: Ships) -> Generator[simpy.Event, Any, None]:
        """The timetable of a line with vessels: a sailing at each slot a ship is ready at
        this end (empty or not), and with ``depart_when_full`` whenever a ship is ready and a
        full load waits, except until the next slot after a cancelled one."""
        env, end, condition = self.env, self.end, self.condition
        slots = self.timetable.slots(env.now)
        next_slot = next(slots)
        while True:
            if env.now >= next_slot:
                # The weather is drawn at every slot, ship or not, so the draws stay the same
                # whatever the ships do; a cancellation counts where a ship was ready to sail.
                self._cancelled_slot = self._slot_cancelled()
                next_slot = next(slots)
                ship = ships.ship_at(end, env.now)
                if ship is not None:
                    if self._cancelled_slot:
                        self.cancelled += 1
                    elif not condition.closed:
                        self._sail(ships, ship)
            if self.when_full and not self._cancelled_slot:
                while not condition.closed and self._full_load_waits():
                    ship = ships.ship_at(end, env.now)
                    if ship is None:
                        break
                    self._sail(ships, ship)
                self._full = env.event()
                events: list[simpy.Event] = [Wake(env).at(next_slot, LATE), self._full]
                ready_h = ships.next_ready_h(end, env.now)
                if ready_h < next_slot:
                    events.append(Wake(env).at(ready_h, LATE))
                yield env.any_of(events)
                self._full = None
            else:
                yield Wake(env).at(next_slot, LATE)

    def _sail(self, ships: Ships, ship: int) -> None:
        """Ship ``ship`` sails now with what fits of the queue (perhaps nothing)."""
        aboard = self._load()
        self.departed += 1
        sailing_h = self.sailing()
        ships.sailed(ship, self.end, self.env.now, sailing_h)
        if aboard:
            succeed_later(self.env, sailing_h, lambda: self.arrive(aboard, sailing_h))
