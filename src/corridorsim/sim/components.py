"""The engine's view of nodes and links: facilities as resources, lines with headways, and the
disruption state (closed, capacity factor, extra dwell) each of them can be in."""

from __future__ import annotations

from typing import Any

import simpy

from corridorsim.sim.records import FacilityStats
from corridorsim.sim.streams import Sampler


class Condition:
    """The disruption state of a node or link; several disruptions may overlap."""

    __slots__ = ("_closures", "capacity_factor", "env", "extra_dwell", "reopened")

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self._closures = 0
        self.reopened: simpy.Event | None = None
        self.capacity_factor = 1.0
        self.extra_dwell: list[Sampler] = []

    @property
    def closed(self) -> bool:
        """Whether at least one disruption closes it now."""
        return self._closures > 0

    def close(self) -> None:
        """One more disruption closes it."""
        self._closures += 1
        if self.reopened is None:
            self.reopened = self.env.event()

    def reopen(self) -> None:
        """One disruption ends; when none is left, whoever waits for ``reopened`` goes on."""
        self._closures -= 1
        if self._closures == 0 and self.reopened is not None:
            event, self.reopened = self.reopened, None
            event.succeed()

    def extra_h(self) -> float:
        """Extra hours from every disruption adding dwell now, drawn afresh."""
        return sum(sample() for sample in self.extra_dwell) if self.extra_dwell else 0.0


class FacilityRuntime:
    """A facility at a node: ``servers`` consignments in service at once, sampled dwell."""

    __slots__ = ("condition", "dwell", "headway_h", "next_start", "resource", "stats")

    def __init__(
        self,
        env: simpy.Environment,
        servers: int,
        dwell: Sampler,
        capacity_per_day: float | None,
        condition: Condition,
        label: str,
    ) -> None:
        self.resource = simpy.Resource(env, capacity=servers)
        self.dwell = dwell
        self.headway_h = 24.0 / capacity_per_day if capacity_per_day else 0.0
        self.next_start = 0.0
        self.condition = condition
        self.stats = FacilityStats(label=label, servers=servers)


class LineRuntime:
    """One direction of a link: minimum headway between consignments entering it."""

    __slots__ = ("condition", "headway_h", "next_free", "run_h")

    def __init__(self, run_h: float, headway_h: float, condition: Condition) -> None:
        self.run_h = run_h
        self.headway_h = headway_h
        self.next_free = 0.0
        self.condition = condition


def succeed_later(env: simpy.Environment, delay: float, callback: Any) -> None:
    """Call ``callback()`` after ``delay`` hours without the cost of a process."""
    event = env.timeout(delay)
    event.callbacks.append(lambda _event: callback())
