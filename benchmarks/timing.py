"""Measuring: repetitions in alternating order next to a reference, paired ratios, CPU time.

A thing that has a reference is timed in the same loop as it, alternating which goes first
(A B, B A, ...), so that drift of the machine (frequency scaling, other load) hits both alike;
its ratio is the median of the per-repetition ratios (its time / the reference's time).
"""

from __future__ import annotations

import gc
import math
import os
import resource
import statistics
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Settings:
    """How the groups run (``mode``: full, quick or smoke), and the notes they leave."""

    repetitions: int
    mode: str = "full"
    notes: list[str] = field(default_factory=list)

    @property
    def smoke(self) -> bool:
        """Every call once on the smallest inputs, no warm-up: the figures mean little."""
        return self.mode == "smoke"

    def pick(self, full: T, quick: T | None = None, smoke: T | None = None) -> T:
        """This mode's input size: ``quick`` defaults to ``full``, ``smoke`` to ``quick``."""
        quick = full if quick is None else quick
        if self.smoke:
            return quick if smoke is None else smoke
        return quick if self.mode == "quick" else full

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def timed(
        self,
        calls: Mapping[str, Callable[[], object]],
        *,
        warmup: int = 1,
        min_seconds: float = 0.05,
        at_most: Mapping[str, int] | None = None,
    ) -> dict[str, list[float]]:
        """Seconds per call of each of ``calls`` in each repetition, in alternating order.

        ``warmup`` untimed rounds come first (imports, caches). A call quicker than
        ``min_seconds`` in the last warm-up round is repeated in a loop within each repetition
        (the figure is then the time per call), so that clock resolution and jitter stay small
        next to it. A full garbage collection runs before each timing; the collector stays on.
        A call named in ``at_most`` runs in that many (first) repetitions only. Smoke mode: no
        warm-up, no loops, no garbage collection (of all that is loaded: slower than a call).
        """
        loops = dict.fromkeys(calls, 1)
        for round_ in range(0 if self.smoke else warmup):
            for name, call in calls.items():
                start = time.perf_counter()
                call()
                took = time.perf_counter() - start
                if round_ == warmup - 1 and took < min_seconds:
                    loops[name] = min(1000, math.ceil(min_seconds / max(took, 1e-7)))
        seconds: dict[str, list[float]] = {name: [] for name in calls}
        for rep, name in alternating(list(calls), self.repetitions):
            if rep < (at_most or {}).get(name, self.repetitions):
                if not self.smoke:
                    gc.collect()
                start = time.perf_counter()
                for _ in range(loops[name]):
                    calls[name]()
                seconds[name].append((time.perf_counter() - start) / loops[name])
        return seconds


def alternating(names: Sequence[str], repetitions: int) -> Iterator[tuple[int, str]]:
    """(repetition, name) in the order A B, B A, A B, ..."""
    for rep in range(repetitions):
        for name in names if rep % 2 == 0 else reversed(names):
            yield rep, name


def ratios(values: Sequence[float], reference: Sequence[float]) -> list[float]:
    """The per-repetition ratios ``values[i] / reference[i]`` (e.g. speed-ups)."""
    return [v / r for v, r in zip(values, reference, strict=True)]


def paired_ratio(values: Sequence[float], reference: Sequence[float]) -> float:
    """Median of the per-repetition ratios ``values[i] / reference[i]``."""
    return statistics.median(ratios(values, reference))


def ms(seconds: Sequence[float]) -> list[float]:
    return [s * 1000.0 for s in seconds]


def per_second(count: int, seconds: Sequence[float]) -> list[float]:
    """Rates (things per second) from the seconds that ``count`` things took."""
    return [count / s for s in seconds]


@dataclass
class CpuMeter:
    """Records, per call of each wrapped call, the CPU seconds used and the CPUs kept busy
    (CPU time / wall): two workers that got 0.6 CPUs between them could not have run twice
    as fast, whatever the code.

    CPU time is that of this process and of its child processes waited for so far (a process
    pool's workers count once it has shut down), plus ``more_cpu()``: CPU seconds of processes
    that are not waited-for children (a Dask cluster's workers)."""

    more_cpu: Callable[[], float] | None = None
    busy: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)

    def cpu_seconds(self) -> float:
        own, children = map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        more = self.more_cpu() if self.more_cpu else 0.0
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime + more

    def wrap(self, calls: Mapping[str, Callable[[], Any]]) -> dict[str, Callable[[], Any]]:
        """``calls``, each measured."""
        return {name: partial(self._measured, name, call) for name, call in calls.items()}

    def _measured(self, name: str, call: Callable[[], T]) -> T:
        used, wall = self.cpu_seconds(), time.perf_counter()
        value = call()
        wall, used = time.perf_counter() - wall, self.cpu_seconds() - used
        self.cpu.setdefault(name, []).append(used)
        self.busy.setdefault(name, []).append(used / wall)
        return value

    def last(self, name: str, repetitions: int) -> tuple[list[float], list[float]]:
        """(CPUs busy, CPU seconds) of the last ``repetitions`` calls (the timed ones)."""
        return self.busy[name][-repetitions:], self.cpu[name][-repetitions:]


def note_cpu_starved(settings: Settings, what: str, busy: Sequence[float], jobs: int) -> None:
    """A note when ``jobs`` workers kept far fewer than ``jobs`` CPUs busy (others had them)."""
    cpus = min(jobs, os.cpu_count() or 1)
    level = statistics.median(busy)
    if level < 0.8 * cpus and not settings.smoke:
        settings.note(
            f"{what}: the workers kept only {level:.2f} of {cpus} CPUs busy on average: CPU "
            "time went to other processes on the machine, so this figure says more about the "
            "machine's load than about the code"
        )
