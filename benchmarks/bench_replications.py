"""``replications``: replications per second of ``simulate`` with ``jobs=1`` and ``jobs=2`` on
the shipped Middle Corridor scenario, the speed-up, and the CPUs the workers kept busy."""

from __future__ import annotations

import heapq
import os
import statistics
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from . import subjects
from .inputs import relative, shipped_scenario
from .report import Result, Rows
from .timing import CpuMeter, Settings, note_cpu_starved, paired_ratio, per_second, ratios

GROUP = "replications"
JOBS = 2
GOAL_SPEEDUP = 1.7


def chunk_bound(sizes: Sequence[int], workers: int) -> float:
    """Best speed-up of ``workers`` taking chunks of these sizes in order, equal unit times."""
    free = [0.0] * workers
    for size in sizes:
        heapq.heappush(free, heapq.heappop(free) + size)
    return sum(sizes) / max(free)


def run(settings: Settings) -> list[Result]:
    scenario, path, note = shipped_scenario()
    if note:
        settings.note(f"{GROUP}: {note}")
    # A run of a few seconds, as a planner's runs are: a fraction of a second of work would
    # measure the pool's start-up rather than its throughput.
    count = settings.pick(100, 40, smoke=4)
    sizes = subjects.replication_tasks(count, JOBS)
    bound = chunk_bound(sizes, JOBS)
    settings.note(
        f"{GROUP}: simulate() cuts {count} replications into chunks of {sizes} for {JOBS} "
        f"jobs: at best a {bound:.2f}x speed-up, before overhead"
    )
    if (os.cpu_count() or 1) < JOBS:
        settings.note(f"{GROUP}: only {os.cpu_count()} CPU(s): jobs={JOBS} cannot run in parallel")
    rows = Rows(GROUP, "replications simulate()")
    calls = {
        f"jobs={jobs}": partial(subjects.simulate, scenario, replications=count, jobs=jobs)
        for jobs in (1, JOBS)
    }
    what = f"{relative(path)}, {count} replications"
    speed_up(settings, rows, calls, count, "replications/s", what, serial_busy=True)
    return rows.results


def speed_up(
    settings: Settings,
    rows: Rows,
    calls: dict[str, Callable[[], Any]],
    count: int,
    unit: str,
    what: str,
    *,
    warmup: int = 1,
    serial_busy: bool = False,
) -> None:
    """Times the first of ``calls`` (one process) and the second (``JOBS`` processes) in turn;
    rows: each one's rate of ``count`` things, the speed-up, CPUs busy, the CPU time ratio."""
    meter = CpuMeter()
    seconds = settings.timed(meter.wrap(calls), warmup=warmup)
    one, many = calls
    (busy1, cpu1), (busy, cpu) = (meter.last(name, settings.repetitions) for name in calls)
    note_cpu_starved(settings, f"{rows.group}: {many}", busy, JOBS)
    rows.add(f"{one}: {what} (reference)", per_second(count, seconds[one]), unit, ref=True)
    ratio = paired_ratio(seconds[many], seconds[one])
    rows.add(many, per_second(count, seconds[many]), unit, ratio=ratio)
    speedups = ratios(seconds[one], seconds[many])
    met = statistics.median(speedups) >= GOAL_SPEEDUP
    goal = f">= {GOAL_SPEEDUP:g}x"
    rows.add(f"speed-up {many} over {one}", speedups, "x", goal=goal, goal_met=met)
    if serial_busy:
        rows.add(f"{one}: CPUs busy (CPU time / wall)", busy1, "CPUs")
    rows.add(f"{many}: CPUs busy (parent + workers' CPU time / wall)", busy, "CPUs")
    rows.add(f"CPU time {many} / {one} (1x: no extra work)", ratios(cpu, cpu1), "x")
