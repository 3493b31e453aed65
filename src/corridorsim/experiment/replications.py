"""Running a scenario's replications, one process or many, with identical results either way.

Replication ``r`` always draws from the streams keyed by ``(seed, r, component)``, so which
worker runs it and in what order changes nothing; results are put back in replication order.
Several workers means the local executor of :mod:`corridorsim.experiment.executors`, the one
sweeps use.
"""

from __future__ import annotations

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
