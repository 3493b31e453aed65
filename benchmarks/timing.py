"""Measuring: repetitions interleaved with their reference, medians, paired ratios.

Every figure is the median of several repetitions timed with :func:`time.perf_counter`. A thing
that has a reference is timed in the same loop as it, alternating which goes first (ABBA...), so
that drift of the machine (frequency scaling, other load) hits both alike; its ratio is the
median of the per-repetition ratios (its time / the reference's time).
"""

from __future__ import annotations

import gc
import math
import resource
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Result:
    """One row of the report."""

    group: str
    benchmark: str
    what: str
    #: Per-repetition values, in ``unit``.
    samples: list[float]
    unit: str
    #: Cost relative to the reference row of the same benchmark (>1: slower); None if none.
    ratio: float | None = None
    is_reference: bool = False
    #: A non-numeric figure (``no``, ``YES``) shown instead of the median.
    text: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: The target this row is read against (``ratio <= 2x``, ``>= 1.7x``), if it has one.
    goal: str | None = None
    #: Whether the measured figure meets ``goal`` (reported, never enforced).
    goal_met: bool | None = None

    @property
    def repetitions(self) -> int:
        return len(self.samples)

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "benchmark": self.benchmark,
            "what": self.what,
            "median": self.text if self.text is not None else self.median,
            "unit": self.unit,
            "ratio": self.ratio,
            "is_reference": self.is_reference,
            "repetitions": self.repetitions,
            "samples": self.samples,
            "min": min(self.samples) if self.samples else None,
            "max": max(self.samples) if self.samples else None,
            **({"goal": self.goal, "goal_met": self.goal_met} if self.goal else {}),
            **({"extra": self.extra} if self.extra else {}),
        }


def interleaved(
    calls: Mapping[str, Callable[[], object]],
    repetitions: int,
    *,
    warmup: int = 1,
    min_seconds: float = 0.05,
) -> dict[str, list[float]]:
    """Seconds per call of each of ``calls``, ``repetitions`` times, in alternating order.

    ``warmup`` untimed rounds come first (imports, caches, the first .pyc compile). A call
    quicker than ``min_seconds`` (as timed in the last warm-up round) is repeated in a loop
    within each repetition, so that each repetition lasts about ``min_seconds`` and clock
    resolution and jitter stay small next to it; the figure is then the loop's time per call.
    A full garbage collection runs before each repetition of each call, so that one call does
    not pay for the garbage of another; the collector stays on while timing, as it is in use.
    """
    names = list(calls)
    loops = dict.fromkeys(names, 1)
    for round_ in range(warmup):
        for name in names:
            start = time.perf_counter()
            calls[name]()
            took = time.perf_counter() - start
            if round_ == warmup - 1 and took < min_seconds:
                loops[name] = min(1000, math.ceil(min_seconds / max(took, 1e-7)))
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(repetitions):
        for name in names if rep % 2 == 0 else reversed(names):
            call, n = calls[name], loops[name]
            gc.collect()
            start = time.perf_counter()
            for _ in range(n):
                call()
            seconds[name].append((time.perf_counter() - start) / n)
    return seconds


def paired_ratio(values: Sequence[float], reference: Sequence[float]) -> float:
    """Median of the per-repetition ratios ``values[i] / reference[i]``."""
    return statistics.median(v / r for v, r in zip(values, reference, strict=True))


def ratios(values: Sequence[float], reference: Sequence[float]) -> list[float]:
    """The per-repetition ratios ``values[i] / reference[i]`` (e.g. speed-ups)."""
    return [v / r for v, r in zip(values, reference, strict=True)]


def ms(seconds: Sequence[float]) -> list[float]:
    return [s * 1000.0 for s in seconds]


def per_second(count: int, seconds: Sequence[float]) -> list[float]:
    """Rates (things per second) from the seconds that ``count`` things took."""
    return [count / s for s in seconds]


@dataclass
class Settings:
    """How a benchmark group runs, and where it leaves what the reader must know."""

    repetitions: int
    quick: bool = False
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its child processes waited for so far.

    A process pool's workers count once the pool has shut down (they are then waited for);
    a Dask cluster's workers (children of its nannies) do not count until it closes.
    """
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass
class CpuMeter:
    """Wraps calls to record, per call, the CPU seconds they used and the CPUs they kept busy
    on average (CPU time / wall).

    Next to a parallel run's wall time this tells a slow pool from a busy machine: two workers
    that got 0.6 CPUs between them could not have run twice as fast, whatever the code.
    """

    busy: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)

    def wrap(
        self, name: str, call: Callable[[], T], more_cpu: Callable[[], float] | None = None
    ) -> Callable[[], T]:
        """``call`` measured; ``more_cpu()`` adds CPU seconds that rusage cannot see (the
        cumulative CPU time of processes that are not waited-for children, e.g. Dask's)."""
        self.busy.setdefault(name, [])
        self.cpu.setdefault(name, [])

        def total() -> float:
            return cpu_seconds() + (more_cpu() if more_cpu else 0.0)

        def measured() -> T:
            cpu, wall = total(), time.perf_counter()
            value = call()
            wall = time.perf_counter() - wall
            used = total() - cpu
            self.cpu[name].append(used)
            self.busy[name].append(used / wall)
            return value

        return measured

    def last(self, name: str, repetitions: int) -> list[float]:
        """CPUs busy in the last ``repetitions`` calls (the timed ones after a warm-up, for
        calls long enough to run once per repetition)."""
        return self.busy[name][-repetitions:]

    def last_cpu(self, name: str, repetitions: int) -> list[float]:
        """CPU seconds of the last ``repetitions`` calls."""
        return self.cpu[name][-repetitions:]
