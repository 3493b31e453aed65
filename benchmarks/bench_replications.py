"""``replications``: replications per second of ``simulate`` with ``jobs=1`` and ``jobs=2``.

The scenario is the shipped ``scenarios/middle-corridor-china-turkey.yaml`` as it is (a weekly
container train over a year, the Caspian ferry, 100 replications, 40 with --quick);
``simulate(scenario,
jobs=1)`` and ``simulate(scenario, jobs=2)`` are timed in turn in the same loop. ``jobs=2``
includes starting and stopping its process pool and sending the scenario and the results, as
every call does. The speed-up is the median of the per-repetition ``time(jobs=1) /
time(jobs=2)`` (goal: at least 1.7x on 2 cores).

How ``simulate`` cuts the replications into chunks bounds the speed-up before any overhead: the
table's notes give that bound (each worker takes the next chunk when it is free, every
replication taking as long).
"""

from __future__ import annotations

import heapq
import os
import statistics
from collections.abc import Sequence

from corridorsim.errors import InputError
from corridorsim.experiment.replications import chunks, simulate
from corridorsim.scenario.load import Scenario, load_scenario

from .inputs import REPO, relative
from .timing import (
    CpuMeter,
    Result,
    Settings,
    interleaved,
    paired_ratio,
    per_second,
    ratios,
)

GROUP = "replications"
SCENARIO = REPO / "scenarios" / "middle-corridor-china-turkey.yaml"
FALLBACK = REPO / "tests" / "fixtures" / "tiny.yaml"
JOBS = 2
GOAL_SPEEDUP = 1.7


def chunk_bound(sizes: Sequence[int], workers: int) -> float:
    """Best speed-up of ``workers`` taking chunks of these sizes in order, equal unit times."""
    free = [0.0] * workers
    for size in sizes:
        heapq.heappush(free, heapq.heappop(free) + size)
    return sum(sizes) / max(free)


def _scenario(settings: Settings) -> Scenario:
    try:
        return load_scenario(SCENARIO)
    except (InputError, OSError) as exc:
        settings.note(
            f"{GROUP}: {relative(SCENARIO)} does not load ({exc}); "
            f"{relative(FALLBACK)} used in its place"
        )
        return load_scenario(FALLBACK)


def note_cpu_starved(settings: Settings, what: str, busy: Sequence[float], jobs: int) -> None:
    """A note when ``jobs`` workers kept far fewer than ``jobs`` CPUs busy (others had them)."""
    cpus = min(jobs, os.cpu_count() or 1)
    level = statistics.median(busy)
    if level < 0.8 * cpus:
        settings.note(
            f"{what}: the workers kept only {level:.2f} of {cpus} CPUs busy on "
            "average: CPU time went to other processes on the machine, so this figure "
            "says more about the machine's load than about the code"
        )


def run(settings: Settings) -> list[Result]:
    scenario = _scenario(settings)
    # A run of a few seconds, as a planner's runs are: a fraction of a second of work would
    # measure the pool's start-up rather than its throughput.
    count = 40 if settings.quick else 100
    meter = CpuMeter()
    calls = {
        "jobs1": meter.wrap("jobs1", lambda: simulate(scenario, replications=count, jobs=1)),
        f"jobs{JOBS}": meter.wrap(
            f"jobs{JOBS}", lambda: simulate(scenario, replications=count, jobs=JOBS)
        ),
    }
    seconds = interleaved(calls, settings.repetitions)
    busy = {name: meter.last(name, settings.repetitions) for name in calls}
    cpu = {name: meter.last_cpu(name, settings.repetitions) for name in calls}
    one, many = seconds["jobs1"], seconds[f"jobs{JOBS}"]
    speedups = ratios(one, many)
    sizes = [len(c) for c in chunks(list(range(count)), JOBS)]
    bound = chunk_bound(sizes, JOBS)
    cpus = os.cpu_count() or 1
    settings.note(
        f"{GROUP}: simulate() cuts {count} replications into chunks of "
        f"{sizes} for {JOBS} jobs: at best a {bound:.2f}x speed-up, before overhead"
    )
    note_cpu_starved(settings, f"{GROUP}: jobs={JOBS}", busy[f"jobs{JOBS}"], JOBS)
    if cpus < JOBS:
        settings.note(f"{GROUP}: only {cpus} CPU(s): jobs={JOBS} cannot run in parallel")
    extra = {
        "scenario": relative(SCENARIO),
        "replications": count,
        "chunks": sizes,
        "chunk_bound": round(bound, 3),
        "cpus": cpus,
    }
    benchmark = "replications simulate()"
    what = f"{relative(SCENARIO)}, {count} replications"
    median_speedup = statistics.median(speedups)
    return [
        Result(
            GROUP,
            benchmark,
            f"jobs=1: {what} (reference)",
            per_second(count, one),
            "replications/s",
            is_reference=True,
            extra=extra,
        ),
        Result(
            GROUP,
            benchmark,
            f"jobs={JOBS}: process pool",
            per_second(count, many),
            "replications/s",
            ratio=paired_ratio(many, one),
            extra=extra,
        ),
        Result(
            GROUP,
            benchmark,
            f"speed-up jobs={JOBS} over jobs=1",
            speedups,
            "x",
            extra=extra,
            goal=f">= {GOAL_SPEEDUP:g}x",
            goal_met=median_speedup >= GOAL_SPEEDUP,
        ),
        Result(GROUP, benchmark, "jobs=1: CPUs busy (CPU time / wall)", busy["jobs1"], "CPUs"),
        Result(
            GROUP,
            benchmark,
            f"jobs={JOBS}: CPUs busy (parent + workers' CPU time / wall)",
            busy[f"jobs{JOBS}"],
            "CPUs",
        ),
        Result(
            GROUP,
            benchmark,
            f"CPU time jobs={JOBS} / CPU time jobs=1 (1x: no extra work)",
            ratios(cpu[f"jobs{JOBS}"], cpu["jobs1"]),
            "x",
        ),
    ]
