"""``scale``: wall time and peak memory of one replication with 1k, 10k and 100k consignments.

The scenario is the engine group's chain (``sim_inputs.Chain``), shorter: 5 nodes with a border
post each (2 servers, exponential dwell, 71% busy) and 4 links, 9 legs per consignment, with a
recurring flow of ``count`` consignments, every leg recorded. ``--quick`` stops at 10k.

- **wall time** of ``run_replication``, sizes timed in turn in the same loop (the 100k run
  only in the first ``BIG_REPETITIONS`` repetitions: it takes half a minute or more).
- **time per consignment**: wall time / consignments, against the 1k run as the reference: a
  ratio near 1x at 10k and 100k means the run time grows linearly with the consignments.
- **peak memory**: ``tracemalloc``'s peak over one extra (untimed) run per size, above what was
  allocated before it, including the frozen numpy result. **Bytes per leg record** = peak /
  leg records: what a run costs in memory per consignment-leg (goal under 1 KB).
"""

from __future__ import annotations

import gc
import time
import tracemalloc

import numpy as np

from corridorsim.scenario.load import Scenario, load_scenario
from corridorsim.sim.engine import ReplicationResult, run_replication

from .sim_inputs import Chain, chain_scenario, temp_folder
from .timing import Result, Settings, paired_ratio

GROUP = "scale"
NODES = 5
SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000, 10_000)
#: Repetitions of the largest size at most (each one is long).
BIG_REPETITIONS = 3
GOAL_BYTES = 1024
#: Time per consignment may grow this much from 1k and still count as linear.
LINEAR = 1.25


def _result_bytes(result: ReplicationResult) -> int:
    return sum(a.nbytes for a in result.legs.values()) + sum(
        a.nbytes for a in result.consignments.values()
    )


def _peak_memory(scenario: Scenario) -> tuple[int, int, ReplicationResult]:
    """(peak traced bytes during the run, traced bytes kept after it, the result)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = run_replication(scenario, 0)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before, current - before, result


def run(settings: Settings) -> list[Result]:
    sizes = QUICK_SIZES if settings.quick else SIZES
    folder = temp_folder()
    scenarios = {
        n: load_scenario(chain_scenario(Chain(nodes=NODES, count=n), folder)) for n in sizes
    }
    run_replication(scenarios[sizes[0]], 0)  # warm-up: first calls, caches
    seconds: dict[int, list[float]] = {n: [] for n in sizes}
    for rep in range(settings.repetitions):
        order = sizes if rep % 2 == 0 else tuple(reversed(sizes))
        for n in order:
            if n == SIZES[-1] and rep >= BIG_REPETITIONS:
                continue
            gc.collect()
            start = time.perf_counter()
            run_replication(scenarios[n], 0)
            seconds[n].append(time.perf_counter() - start)
    memory = {n: _peak_memory(scenarios[n]) for n in sizes}

    chain = Chain(nodes=NODES)
    benchmark = f"scale chain {NODES} nodes ({chain.legs_per_consignment} legs each)"
    per_consignment = {n: [s / n * 1e6 for s in seconds[n]] for n in sizes}
    reference = per_consignment[sizes[0]]
    results = []
    for n in sizes:
        _peak, _kept, result = memory[n]
        legs = len(result.legs["seq"])
        arrived = int(np.count_nonzero(~np.isnan(result.consignments["arrive"])))
        if arrived < n:
            settings.note(
                f"{GROUP}: {n:,} consignments: only {arrived:,} arrived within the horizon"
            )
        results.append(
            Result(
                GROUP,
                benchmark,
                f"{n:,} consignments, {legs:,} legs: wall time",
                seconds[n],
                "s",
                extra={"consignments": n, "leg_records": legs, "events": result.events},
            )
        )
    for n in sizes:
        if n == sizes[0]:
            results.append(
                Result(
                    GROUP,
                    benchmark,
                    f"time per consignment at {n:,} (reference)",
                    per_consignment[n],
                    "us",
                    is_reference=True,
                )
            )
            continue
        # Paired by repetition where both ran (the largest size runs fewer times).
        ratio = paired_ratio(per_consignment[n], reference[: len(per_consignment[n])])
        results.append(
            Result(
                GROUP,
                benchmark,
                f"time per consignment at {n:,}",
                per_consignment[n],
                "us",
                ratio=ratio,
                goal=f"ratio <= {LINEAR:g}x (linear)",
                goal_met=ratio <= LINEAR,
            )
        )
    for n in sizes:
        peak, kept, result = memory[n]
        legs = len(result.legs["seq"])
        extra = {
            "peak_bytes": peak,
            "kept_bytes": kept,
            "result_bytes": _result_bytes(result),
            "leg_records": legs,
            "consignments": n,
        }
        results.append(
            Result(
                GROUP,
                benchmark,
                f"peak memory (tracemalloc) at {n:,}",
                [peak / 2**20],
                "MiB",
                extra=extra,
            )
        )
        per_leg = peak / legs
        results.append(
            Result(
                GROUP,
                benchmark,
                f"peak bytes per leg record at {n:,}",
                [per_leg],
                "B",
                extra=extra,
                goal=f"< {GOAL_BYTES:,} B",
                goal_met=per_leg < GOAL_BYTES,
            )
        )
    return results
