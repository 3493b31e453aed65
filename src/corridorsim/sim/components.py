"""The engine's view of nodes and links: facilities as resources, lines with headways, and the
disruption state (closed, capacity factor, extra dwell) each of them can be in."""

from __future__ import annotations

import math
from array import array
from collections import deque
from heapq import heappush
from itertools import count
from typing import Any

import simpy
from simpy.events import NORMAL, EventPriority

from corridorsim.network.calendar import OpeningCalendar
from corridorsim.sim.records import FacilityStats
from corridorsim.sim.streams import Sampler


class Condition:
    """The disruption state of a node or link; several disruptions may overlap."""

    __slots__ = ("_closures", "capacity_factor", "closed", "env", "extra_dwell", "reopened")

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self._closures = 0
        #: Whether at least one disruption closes it now (a plain attribute: the engine reads
        #: it on every leg).
        self.closed = False
        self.reopened: simpy.Event | None = None
        self.capacity_factor = 1.0
        self.extra_dwell: list[Sampler] = []

    def close(self) -> None:
        """One more disruption closes it."""
        self._closures += 1
        self.closed = True
        if self.reopened is None:
            self.reopened = self.env.event()

    def reopen(self) -> None:
        """One disruption ends; when none is left, whoever waits for ``reopened`` goes on."""
        self._closures -= 1
        self.closed = self._closures > 0
        if self._closures == 0 and self.reopened is not None:
            event, self.reopened = self.reopened, None
            event.succeed()

    def extra_h(self) -> float:
        """Extra hours from every disruption adding dwell now, drawn afresh."""
        return sum(sample() for sample in self.extra_dwell) if self.extra_dwell else 0.0


class FacilityRuntime:
    """A facility at a node: ``servers`` consignments in service at once, sampled dwell.

    A facility whose node no disruption can slow down is served first come first served
    without a SimPy resource: ``free`` holds the times its servers become free (a heap), so a
    consignment's start and end are known on arrival (see the engine). The others queue for
    ``resource``.
    """

    __slots__ = (
        "calendar",
        "condition",
        "demurrage_usd_per_wagon_h",
        "dwell",
        "free",
        "free_time_h",
        "headway_h",
        "next_start",
        "per_wagon",
        "resource",
        "stats",
    )

    def __init__(
        self,
        env: simpy.Environment,
        servers: int,
        dwell: Sampler,
        capacity_per_day: float | None,
        condition: Condition,
        label: str,
        per_wagon: Sampler | None = None,
        calendar: OpeningCalendar | None = None,
    ) -> None:
        self.resource = simpy.Resource(env, capacity=servers)
        #: When service may start, for a facility with opening hours (None: always).
        self.calendar = calendar
        self.free = [0.0] * servers
        self.dwell = dwell
        #: The per-wagon dwell (drawn once per visit, times the wagons), if the facility has one.
        self.per_wagon = per_wagon
        self.headway_h = 24.0 / capacity_per_day if capacity_per_day else 0.0
        self.next_start = 0.0
        self.condition = condition
        self.stats = FacilityStats(label=label, servers=servers)
        #: Demurrage: per wagon-hour at the node (queue and dwell) beyond the free time.
        self.free_time_h = 0.0
        self.demurrage_usd_per_wagon_h = 0.0

    def demurrage_usd(self, wagons: int, hours: float) -> float:
        """Demurrage of ``wagons`` wagons that spent ``hours`` here (queue and dwell)."""
        over_h = hours - self.free_time_h
        return wagons * self.demurrage_usd_per_wagon_h * over_h if over_h > 0 else 0.0

    def headway_start(self, grant: float) -> tuple[float, float]:
        """(start, headway) of a service granted a server at ``grant``: the acceptance limit
        spaces starts ``headway_h`` apart, and a start it pushes past closing waits for the
        next opening. Books the next start; call only when ``headway_h`` is set."""
        headway = max(0.0, self.next_start - grant)
        start = grant + headway
        if headway and self.calendar is not None:
            start = self.calendar.next_open(start)
            headway = start - grant
        self.next_start = start + self.headway_h
        return start, headway

    def draw_dwell(self, wagons: int) -> float:
        """A dwell for a consignment of ``wagons``: ``dwell_h`` plus, with a per-wagon dwell,
        one per-wagon draw times the wagons."""
        dwell = self.dwell()
        if self.per_wagon is not None:
            dwell += wagons * self.per_wagon()
        return dwell


class LineRuntime:
    """One direction of a link: minimum headway between consignments entering it, running
    time (km / speed) and, if the link has ``delay_h``, a delay drawn per passage. On a
    single-track link (``tracks: 1``) both directions share ``track``; ``side`` is 0 from
    ``from`` to ``to``, 1 back."""

    __slots__ = (
        "condition",
        "delay",
        "entries",
        "headway_h",
        "next_free",
        "run_h",
        "side",
        "track",
    )

    def __init__(
        self,
        run_h: float,
        headway_h: float,
        condition: Condition,
        delay: Sampler | None = None,
    ) -> None:
        self.run_h = run_h
        self.delay = delay
        self.headway_h = headway_h
        self.next_free = 0.0
        self.condition = condition
        self.track: SingleTrack | None = None
        self.side = 0
        #: The time each train entered (what the line's use is measured by).
        self.entries = array("d")

    def reserve(self, now: float) -> float:
        """The time a consignment ready at ``now`` enters, after the direction's headway (the
        next one may enter ``headway_h`` / capacity factor later). The engine inlines this on
        two-track links."""
        headway = max(0.0, self.next_free - now)
        self.next_free = now + headway + self.headway_h / self.condition.capacity_factor
        self.entries.append(now + headway)
        return now + headway


class SingleTrack:
    """A single-track link: trains of one direction at a time (shared by both directions'
    :class:`LineRuntime`).

    ``on`` counts the trains let onto the link and not out yet (those waiting for their
    direction's headway hold it too), all running ``direction`` (a side, None when the link
    is clear). A train goes at once when the link is clear or held by its own direction and
    nobody waits; otherwise it waits in its direction's queue: first come first served per
    direction, and no train overtakes an opposing one already waiting (so a steady flow one
    way cannot shut the other way out). When the last train is out, the side whose first
    waiting train came first gets the link and all its waiting trains go, their headways
    taken in order. While the link is closed by a disruption nobody is let on: the turn waits
    for the reopening.
    """

    __slots__ = ("_order", "_waiting", "condition", "deferred", "direction", "held", "on")

    def __init__(self, condition: Condition) -> None:
        self.condition = condition
        self.direction: int | None = None
        self.on = 0
        #: Per side: (arrival number, line, event succeeded with the entry time when it may go).
        self._waiting: tuple[deque[tuple[int, LineRuntime, simpy.Event]], ...] = (
            deque(),
            deque(),
        )
        self._order = count()
        #: Whether the turn waits for the link to reopen.
        self.deferred = False
        #: Start and end of each time the link was held by trains (an end of nan: still held).
        self.held: list[list[float]] = []

    def enter(self, line: LineRuntime, now: float) -> float | simpy.Event:
        """The entry time of a train ready at ``now`` on ``line``'s side if it may go now
        (its headway reserved), else an event whose value is the entry time."""
        side = line.side
        waiting = self._waiting
        if (self.on == 0 or self.direction == side) and not waiting[0] and not waiting[1]:
            if self.on == 0:
                self.held.append([now, math.nan])
            self.direction = side
            self.on += 1
            return line.reserve(now)
        event = simpy.Event(self.condition.env)
        waiting[side].append((next(self._order), line, event))
        return event

    def leave(self) -> None:
        """A train is out of the link (its passage ended)."""
        self.on -= 1
        if self.on == 0:
            self.held[-1][1] = self.condition.env.now
            self.direction = None
            self._turn()

    def _turn(self) -> None:
        first, second = self._waiting
        if self.on or not (first or second):
            return
        condition = self.condition
        if condition.closed:
            if not self.deferred:
                assert condition.reopened is not None  # set for as long as it is closed
                condition.reopened.callbacks.append(self._reopened)
                self.deferred = True
            return
        side = 0 if first and (not second or first[0][0] < second[0][0]) else 1
        queue = self._waiting[side]
        now = condition.env.now
        self.direction = side
        self.on = len(queue)
        self.held.append([now, math.nan])
        for _number, line, event in queue:
            event.succeed(line.reserve(now))
        queue.clear()

    def _reopened(self, _event: simpy.Event) -> None:
        self.deferred = False
        self._turn()


#: A priority after SimPy's NORMAL: an event that must see everything else happening at its
#: time first (a departure, which takes every block that has arrived by then).
LATE = EventPriority(NORMAL + 1)


def held_in_window_h(held: list[list[float]], start_h: float, end_h: float) -> float:
    """Hours of [start_h, end_h] inside the intervals ``held`` (an end of nan runs to end_h)."""
    total = 0.0
    for a, b in held:
        b = end_h if math.isnan(b) else b
        total += max(0.0, min(b, end_h) - max(a, start_h))
    return total


class Wake(simpy.Event):
    """An event a process yields to sleep until an absolute time, as often as it likes.

    :meth:`at` puts it on the event queue keyed by the time itself, the way
    ``Environment.schedule`` does: ``env.timeout(t - env.now)`` fires at
    ``env.now + (t - env.now)``, which in floating point is not always ``t``. One process
    owns it and sleeps on it once at a time (it is re-armed only after it has fired).
    """

    def __init__(self, env: simpy.Environment) -> None:
        # Inlined from Event.__init__, as SimPy's own Timeout does: triggered, no value.
        self.env = env
        self.callbacks = []
        self._value = None
        self._ok = True

    def at(self, time: float, priority: EventPriority = NORMAL) -> Wake:
        """The event, scheduled to fire at ``time`` hours (not before now); with
        :data:`LATE`, after every ordinary event of that time, those scheduled meanwhile
        included."""
        env = self.env
        if time < env._now:
            raise ValueError(f"cannot wake at {time} h: it is {env._now} h already")
        self.callbacks = []
        heappush(env._queue, (time, priority, next(env._eid), self))
        return self


def succeed_later(env: simpy.Environment, delay: float, callback: Any) -> None:
    """Call ``callback()`` after ``delay`` hours without the cost of a process."""
    event = env.timeout(delay)
    event.callbacks.append(lambda _event: callback())
