"""``scale``: wall time, time per consignment and peak memory of one replication with 1k, 10k,
100k and 1M consignments (``--quick``: up to 10k) on a 5-node chain (README.md).

The chain runs on a compressed clock (dwell 0.7 h, a departure every 0.5 h on average: each
facility 70% busy, as in the ``engine`` group's chain) so that a million departures fit in a
scenario's longest horizon (100 years)."""

from __future__ import annotations

import gc
import tracemalloc
from functools import partial

from . import subjects
from .inputs import Chain, chain_scenario, temp_folder
from .report import Result, Rows
from .timing import Settings, paired_ratio

GROUP = "scale"
NODES = 5
BIG, HUGE = 100_000, 1_000_000
#: Repetitions of the largest sizes at most (each one is long).
AT_MOST = {BIG: 3, HUGE: 1}
GOAL_BYTES = 1024
#: The chain at every size: the same queues, whatever the count.
DWELL_MEAN_H, GAP_MEAN_H = 0.7, 0.5
#: Time per consignment may grow this much from the smallest size and still count as linear.
LINEAR = 1.25


def peak_memory(scenario: subjects.Scenario) -> tuple[int, subjects.RunFigures]:
    """(peak traced bytes during a run above those before it, what the run did)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = subjects.run_replication(scenario, 0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - before, subjects.run_figures(result)


def run(settings: Settings) -> list[Result]:
    sizes = settings.pick((1_000, 10_000, BIG, HUGE), (1_000, 10_000), smoke=(100, 300))
    folder = temp_folder()
    chains = {n: Chain(NODES, n, dwell_mean_h=DWELL_MEAN_H, gap_mean_h=GAP_MEAN_H) for n in sizes}
    scenarios = {n: subjects.load_scenario(chain_scenario(chains[n], folder)) for n in sizes}
    if not settings.smoke:
        subjects.run_replication(scenarios[sizes[0]], 0)  # warm-up: first calls, caches
    calls = {str(n): partial(subjects.run_replication, scenarios[n], 0) for n in sizes}
    at_most = {str(n): times for n, times in AT_MOST.items()}
    timed = settings.timed(calls, warmup=0, min_seconds=0.0, at_most=at_most)
    seconds = {n: timed[str(n)] for n in sizes}
    memory = {n: peak_memory(scenarios[n]) for n in sizes}
    rows = Rows(GROUP, f"scale chain {NODES} nodes ({2 * NODES - 1} legs each)")
    for n, (_, figures) in memory.items():
        if figures.arrived < n:
            settings.note(f"{GROUP}: {n:,} consignments: only {figures.arrived:,} arrived")
        rows.add(f"{n:,} consignments, {figures.leg_records:,} legs: wall time", seconds[n], "s")
    per_consignment = {n: [s / n * 1e6 for s in seconds[n]] for n in sizes}
    first = per_consignment[sizes[0]]
    rows.add(f"time per consignment at {sizes[0]:,} (reference)", first, "us", ref=True)
    for n in sizes[1:]:
        # Paired by repetition where both ran (the largest sizes run fewer times).
        ratio = paired_ratio(per_consignment[n], first[: len(per_consignment[n])])
        what, goal = f"time per consignment at {n:,}", f"ratio <= {LINEAR:g}x (linear)"
        rows.add(what, per_consignment[n], "us", ratio=ratio, goal=goal, goal_met=ratio <= LINEAR)
    for n, (peak, figures) in memory.items():
        rows.add(f"peak memory (tracemalloc) at {n:,}", [peak / 2**20], "MiB")
        per_leg, goal = peak / figures.leg_records, f"< {GOAL_BYTES:,} B"
        what = f"peak bytes per leg record at {n:,}"
        rows.add(what, [per_leg], "B", goal=goal, goal_met=per_leg < GOAL_BYTES)
    return rows.results
