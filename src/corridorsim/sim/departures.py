"""Departures on a timetable, or when full: what ferry sailings and scheduled trains share.

Wagons wait first come first served for the next departure. A departure leaves at each
timetable slot (unless the slot is cancelled: a ferry's weather) and, with ``when_full``, as
soon as a full load waits; it takes at most its capacity of the waiting wagons. A consignment
larger than the room left is split across departures and re-joined at the far end: it has
arrived when its last wagon has. What a departure then does (a ship sails, a train runs its
section) is the subclass's :meth:`Departures._trip`.

Capacity counts wagons, or (``units``) the space wagons take: a boarding then gives each of its
wagons a size (a ship's lane metres: the wagon's length), and a departure takes wagons first
come first served while the next in line fits. A departure always takes at least one wagon,
so a wagon larger than the whole space still goes, alone.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Generator, Iterator
from typing import Any

import simpy

from corridorsim.sim.components import LATE, Condition, Wake


class Every:
    """A slot every ``every_h`` hours from ``offset_h``."""

    __slots__ = ("every_h", "offset_h")

    def __init__(self, every_h: float, offset_h: float = 0.0) -> None:
        self.every_h = every_h
        self.offset_h = offset_h

    def slots(self, now: float) -> Iterator[float]:
        """The slots from ``now`` on (a slot at ``now`` included)."""
        every, offset = self.every_h, self.offset_h
        slot = math.ceil(now / every) * every if not offset else (
            offset + math.ceil((now - offset) / every) * every
        )
        while True:
            yield slot
            slot += every


class Daily:
    """Slots at the same times of day (hours after midnight, sorted) every day; hour 0 is
    midnight of the scenario's start."""

    __slots__ = ("hours",)

    def __init__(self, hours: tuple[float, ...]) -> None:
        self.hours = hours

    def slots(self, now: float) -> Iterator[float]:
        """The slots from ``now`` on (a slot at ``now`` included)."""
        day = math.floor(now / 24)
        while True:
            for hour in self.hours:
                slot = day * 24 + hour
                if slot >= now:
                    yield slot
            day += 1


class Boarding:
    """One consignment's passage: wagons still to board and to arrive, when it is done, and
    what each of its departures reported on arrival (in the order they arrived)."""

    __slots__ = ("arrived", "done", "size", "to_board", "to_land")

    def __init__(self, env: simpy.Environment, wagons: int, size: float = 1.0) -> None:
        self.done = env.event()
        self.to_board = wagons
        self.to_land = wagons
        #: The space each wagon takes, in the units of the capacity (1 when it counts wagons).
        self.size = size
        self.arrived: list[Any] = []


class Departures:
    """Departures from one place, each taking at most ``capacity`` of the wagons waiting:
    wagons, or with ``units`` the space (in those units) that boarding wagons take."""

    __slots__ = (
        "_cancelled_slot",
        "_full",
        "cancelled",
        "capacity",
        "condition",
        "departed",
        "env",
        "loads",
        "queue",
        "timetable",
        "units",
        "waiting_wagons",
        "when_full",
    )

    def __init__(
        self,
        env: simpy.Environment,
        capacity: float,
        timetable: Every | Daily,
        when_full: bool,
        condition: Condition,
        units: bool = False,
    ) -> None:
        self.env = env
        self.capacity = capacity
        self.timetable = timetable
        self.when_full = when_full
        self.condition = condition
        #: Whether capacity is space (each boarding's wagons of their ``size``), not wagons.
        self.units = units
        self.queue: deque[Boarding] = deque()
        self.waiting_wagons = 0
        self.departed = 0
        self.cancelled = 0
        self.loads = Loads()
        self._full: simpy.Event | None = None
        self._cancelled_slot = False
        env.process(self._timetable())

    def board(self, wagons: int, size: float = 1.0) -> Boarding:
        """Queue ``wagons`` wagons, each taking ``size`` of the space when the capacity is in
        ``units`` (ignored when it counts wagons), for the next departures; ``done`` fires
        when the last arrive."""
        boarding = Boarding(self.env, wagons, size if self.units else 1.0)
        self.queue.append(boarding)
        self.waiting_wagons += wagons
        if self.when_full and self._full is not None and self._full_load_waits():
            event, self._full = self._full, None
            event.succeed()
        return boarding

    def _capacity_now(self) -> float:
        if self.units:
            return self.capacity * self.condition.capacity_factor
        return self._wagons_now()

    def _wagons_now(self) -> int:
        return max(1, int(self.capacity * self.condition.capacity_factor))

    def _full_load_waits(self) -> bool:
        """Whether the wagons waiting fill a departure: in wagons, a capacity's worth; in
        space, loading them first come first served stops because the next in line does not
        fit, or leaves less room than one more wagon like the last one."""
        if not self.units:
            return self.waiting_wagons >= self._wagons_now()
        space = self._capacity_now()
        size = 0.0
        for boarding in self.queue:
            size = boarding.size
            fit = _fitting(space, size)
            if fit < boarding.to_board:
                return True
            space -= boarding.to_board * size
        return bool(self.queue) and space < size - _EPS

    def _slot_cancelled(self) -> bool:
        """Whether the slot starting now is cancelled (decided once per slot)."""
        return False

    def _timetable(self) -> Generator[simpy.Event, Any, None]:
        env = self.env
        # The timetable runs from time 0; a service started later joins it at its next slot.
        slots = self.timetable.slots(env.now)
        next_slot = next(slots)
        while True:
            if env.now >= next_slot:
                # A new timetable slot: whether it is cancelled is decided now, for all of it.
                self._cancelled_slot = self._slot_cancelled()
                next_slot = next(slots)
                if self._cancelled_slot:
                    self.cancelled += 1
                else:
                    self._depart()
            elif not self._cancelled_slot:
                self._depart()  # woken because a full load is waiting
            # The next slot comes after everything else at its time: a consignment arriving
            # at the departure time makes the departure.
            if self.when_full and not self._cancelled_slot:
                while self._full_load_waits() and not self.condition.closed:
                    self._depart()
                self._full = env.event()
                yield env.any_of([Wake(env).at(next_slot, LATE), self._full])
                self._full = None
            else:
                yield Wake(env).at(next_slot, LATE)

    def _depart(self) -> None:
        if self.condition.closed or not self.queue:
            return
        aboard = self._load()
        self.departed += 1
        self._trip(aboard)

    def _load(self) -> list[tuple[Boarding, int]]:
        """Take the wagons of the next departure off the queue, first come first served."""
        aboard: list[tuple[Boarding, int]] = []
        if self.units:
            room = offered = self._capacity_now()
            while self.queue:
                boarding = self.queue[0]
                take = min(_fitting(room, boarding.size), boarding.to_board)
                if take == 0 and not aboard:
                    take = 1  # larger than the whole space: it goes alone rather than never
                if take == 0:
                    break
                boarding.to_board -= take
                room -= take * boarding.size
                self.waiting_wagons -= take
                aboard.append((boarding, take))
                if boarding.to_board:
                    break  # the next wagon in line does not fit: nobody behind it jumps ahead
                self.queue.popleft()
            self.loads.add(self.env.now, offered - room, offered)
            return aboard
        space = offered_wagons = self._wagons_now()
        while self.queue and space > 0:
            boarding = self.queue[0]
            take = min(space, boarding.to_board)
            boarding.to_board -= take
            space -= take
            self.waiting_wagons -= take
            aboard.append((boarding, take))
            if boarding.to_board == 0:
                self.queue.popleft()
        self.loads.add(self.env.now, offered_wagons - space, offered_wagons)
        return aboard

    def _trip(self, aboard: list[tuple[Boarding, int]]) -> None:
        """Carry ``aboard`` (boardings and their wagons on this departure); call
        :meth:`arrive` when they are there."""
        raise NotImplementedError

    @staticmethod
    def arrive(aboard: list[tuple[Boarding, int]], report: Any) -> None:
        """The wagons of a departure have arrived: ``report`` goes to each boarding's
        ``arrived``, and a boarding whose last wagons these were is done."""
        for boarding, wagons in aboard:
            boarding.to_land -= wagons
            boarding.arrived.append(report)
            if boarding.to_land == 0:
                boarding.done.succeed()


class Loads:
    """The time, space used and space offered of each departure (wagons, or the units of the
    capacity)."""

    __slots__ = ("offered", "time", "used")

    def __init__(self) -> None:
        self.time = array("d")
        self.used = array("d")
        self.offered = array("d")

    def add(self, time: float, used: float, offered: float) -> None:
        """One departure."""
        self.time.append(time)
        self.used.append(used)
        self.offered.append(offered)

    def totals(self, start_h: float, end_h: float) -> dict[str, float]:
        """Space ``used`` and ``offered`` by the departures in [start_h, end_h)."""
        used = offered = 0.0
        for t, u, o in zip(self.time, self.used, self.offered, strict=True):
            if start_h <= t < end_h:
                used += u
                offered += o
        return {"used": used, "offered": offered}


#: Slack when space is compared: 3 wagons of 14.7 m fill 44.1 m exactly, whatever the rounding.
_EPS = 1e-9


def _fitting(room: float, size: float) -> int:
    """How many wagons of ``size`` fit in ``room`` (never fewer than none)."""
    return max(0, math.floor(room / size + _EPS))
