"""Running a scenario's replications, one process or many, with identical results either way.

Replication ``r`` always draws from the streams keyed by ``(seed, r, component)``, so which
worker runs it and in what order changes nothing; results are put back in replication order.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

from corridorsim.errors import InputError
from corridorsim.experiment.results import SimulationResult
from corridorsim.scenario.load import Scenario
from corridorsim.sim.engine import ReplicationResult, run_replication

Progress = Callable[[int, int], None]


_SCENARIO: Scenario | None = None


def _init_worker(scenario: Scenario) -> None:
    # The scenario travels once per worker, not once per chunk.
    global _SCENARIO
    _SCENARIO = scenario


def _run_chunk(seed: int, replications: Sequence[int]) -> list[ReplicationResult]:
    assert _SCENARIO is not None
    return [run_replication(_SCENARIO, r, seed) for r in replications]


def default_jobs() -> int:
    return os.cpu_count() or 1


def chunks(items: Sequence[int], jobs: int) -> list[list[int]]:
    """Split replications into about four chunks per worker: big enough that sending the
    scenario and results costs little, small enough to balance the load."""
    size = max(1, math.ceil(len(items) / (jobs * 4)))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def simulate(
    scenario: Scenario,
    *,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    first_replication: int = 0,
    progress: Progress | None = None,
) -> SimulationResult:
    """Run ``replications`` (default: the scenario's) replications of ``scenario``.

    ``jobs`` > 1 runs them on a local process pool. Same scenario, seed and replication
    numbers give the same results for any ``jobs``.
    """
    count = scenario.replications if replications is None else replications
    if count < 1:
        raise InputError(f"replications: must be at least 1 (got {count})")
    if jobs < 1:
        raise InputError(f"--jobs: must be at least 1 (got {jobs})")
    seed = scenario.seed if seed is None else seed
    wanted = list(range(first_replication, first_replication + count))
    results: list[ReplicationResult] = []
    if jobs == 1 or count == 1:
        for r in wanted:
            results.append(run_replication(scenario, r, seed))
            if progress:
                progress(len(results), count)
    else:
        with ProcessPoolExecutor(
            max_workers=min(jobs, count), initializer=_init_worker, initargs=(scenario,)
        ) as pool:
            futures = [pool.submit(_run_chunk, seed, chunk) for chunk in chunks(wanted, jobs)]
            for future in as_completed(futures):
                results.extend(future.result())
                if progress:
                    progress(len(results), count)
    results.sort(key=lambda r: r.replication)
    return SimulationResult(scenario=scenario, seed=seed, replications=results)
