"""Running a scenario's replications, one process or many, with identical results either way.

Replication ``r`` always draws from the streams keyed by ``(seed, r, component)``, so which
worker runs it and in what order changes nothing; results are put back in replication order.
Several workers means the local executor of :mod:`corridorsim.experiment.executors`, the one
sweeps use.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

from corridorsim.errors import ParameterError
from corridorsim.experiment.executors import LocalExecutor, WorkerLostError, resolve_jobs
from corridorsim.experiment.results import SimulationResult
from corridorsim.scenario.load import Scenario
from corridorsim.scenario.schema import MAX_REPLICATIONS
from corridorsim.sim.engine import ReplicationResult, run_replication

#: ``progress(done, total)``: called as replications finish.
Progress = Callable[[int, int], None]


def _run_replications(
    shared: tuple[Scenario, int], replications: Sequence[int]
) -> list[ReplicationResult]:
    """One task: the given replications of the shared ``(scenario, seed)``."""
    scenario, seed = shared
    return [run_replication(scenario, r, seed) for r in replications]


def simulate(
    scenario: Scenario,
    *,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int | None = 1,
    first_replication: int = 0,
    progress: Progress | None = None,
) -> SimulationResult:
    """Run ``replications`` (default: the scenario's) replications of ``scenario``.

    ``jobs`` > 1 runs them on a local process pool (None: one worker per core). Same
    scenario, seed and replication numbers give the same results for any ``jobs``.
    """
    count = scenario.replications if replications is None else replications
    if count < 1:
        raise ParameterError("replications", f"must be at least 1 (got {count})")
    if count > MAX_REPLICATIONS:
        raise ParameterError(
            "replications", f"must be at most {MAX_REPLICATIONS:,} (got {count:,})"
        )
    jobs = resolve_jobs(jobs)
    seed = scenario.seed if seed is None else seed
    wanted = list(range(first_replication, first_replication + count))
    results: list[ReplicationResult] = []
    if jobs == 1 or count == 1:
        for r in wanted:
            results.append(run_replication(scenario, r, seed))
            if progress:
                progress(len(results), count)
    else:
        with LocalExecutor(min(jobs, count)) as executor:
            tasks = executor.batches(wanted)
            try:
                for done in executor.run(_run_replications, (scenario, seed), tasks):
                    results.extend(done)
                    if progress:
                        progress(len(results), count)
            except WorkerLostError:
                raise WorkerLostError(count - len(results), "replications") from None
    results.sort(key=lambda r: r.replication)
    return SimulationResult(scenario=scenario, seed=seed, replications=results)


#: Precision mode: replications at most, unless given.
MAX_REPLICATIONS_FOR_PRECISION = 1000
#: Each batch adds at least this share of the replications run so far (and at least 2).
LEAST_BATCH_SHARE = 0.25


def precision_ratio(results: Sequence[SimulationResult], precision: float) -> float:
    """How far the widest relative CI is from ``precision``: max over the shipments of every
    result of half-width / (precision x mean) of mean transit days (met at 1 or less); inf
    when some shipment has too few replications with arrivals for a CI yet, nan when one has
    had no arrival in any replication."""
    worst = 0.0
    for result in results:
        for shipment in result.shipments.values():
            estimate = shipment.transit_days
            if shipment.arrived == 0:
                return math.nan
            if math.isnan(estimate.half_width) or not estimate.mean > 0:
                worst = math.inf
                continue
            worst = max(worst, estimate.half_width / (precision * estimate.mean))
    return worst


def to_precision(
    results: list[SimulationResult],
    precision: float,
    *,
    max_replications: int = MAX_REPLICATIONS_FOR_PRECISION,
    jobs: int | None = 1,
    progress: Progress | None = None,
) -> list[SimulationResult]:
    """``results`` with replications added in batches, the same ones to each (common random
    numbers), until every shipment's 95% CI half-width of mean transit days is at most
    ``precision`` x its mean, or ``max_replications`` are run.

    The size of each batch follows from the results so far (the half-width shrinks as one
    over the square root of the replications), never from ``jobs``, so the replications run
    and every number are the same for any ``jobs``. Each result records ``precision`` and
    whether it was met.
    """
    if not 0 < precision < 1:
        raise ParameterError("precision", f"must be between 0 and 1 (got {precision})")
    if not 2 <= max_replications <= MAX_REPLICATIONS:
        raise ParameterError(
            "max_replications", f"must be 2 to {MAX_REPLICATIONS:,} (got {max_replications:,})"
        )
    while True:
        done = len(results[0].replications)
        ratio = precision_ratio(results, precision)
        if ratio <= 1 or done >= max_replications:
            break
        if math.isnan(ratio):
            break  # a shipment that never arrives: more replications cannot help
        # No CI yet: double and look again; else what the CI says, with 10% to spare.
        wanted = 2 * done if math.isinf(ratio) else math.ceil(done * ratio**2 * 1.1)
        least = max(2, math.ceil(done * LEAST_BATCH_SHARE))
        batch = min(max(wanted - done, least), max_replications - done)
        results = [
            _extended(result, batch, jobs, progress, done + batch, max_replications)
            for result in results
        ]
    met = bool(precision_ratio(results, precision) <= 1)  # False for nan
    return [dataclasses.replace(r, precision=precision, precision_met=met) for r in results]


def _extended(
    result: SimulationResult,
    batch: int,
    jobs: int | None,
    progress: Progress | None,
    target: int,
    most: int,
) -> SimulationResult:
    """``result`` with the next ``batch`` replications run and added."""
    start = len(result.replications)
    step = (lambda done, _total: progress(start + done, most)) if progress else None
    more = simulate(
        result.scenario,
        replications=batch,
        seed=result.seed,
        jobs=jobs,
        first_replication=start,
        progress=step,
    )
    assert len(result.replications) + len(more.replications) == target
    return SimulationResult(
        scenario=result.scenario,
        seed=result.seed,
        replications=result.replications + more.replications,
    )
