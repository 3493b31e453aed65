"""Running a study: design points in batches on an executor, each batch committed to the
results store as it finishes, then the sensitivity indices of the whole design."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corridorsim.errors import InputError, ParameterError
from corridorsim.experiment.executors import Executor, WorkerLostError
from corridorsim.experiment.kpis import kpi_value
from corridorsim.experiment.replications import simulate
from corridorsim.experiment.sensitivity import indices
from corridorsim.experiment.store import FILE_NAME, PointKpis, PointResult, ResultsStore
from corridorsim.experiment.study import Study

#: One task: design points as ``(id, {path: value})``.
Task = list[tuple[int, dict[str, Any]]]
#: ``progress(points done, points in all, runs per second)``.
Progress = Callable[[int, int, float], None]


def _error_text(exc: Exception) -> str:
    """What a failed point records: an InputError's problems, else the exception's type and
    message (``ZeroDivisionError: division by zero``)."""
    if isinstance(exc, InputError):
        return "; ".join(exc.problems)
    return f"{type(exc).__name__}: {exc}"


def run_points(study: Study, task: Task) -> list[PointResult]:
    """Simulate each design point of ``task``; a point that fails, whatever the exception,
    records its error and the others go on."""
    out = []
    spec = study.spec
    for point_id, values in task:
        kpis: PointKpis | None = None
        error: str | None = None
        try:
            scenario = study.scenario_for(values)
            result = simulate(scenario, replications=spec.replications, seed=spec.seed, jobs=1)
            kpis = {
                shipment: {
                    kpi: list(kpi_value(result.shipment(shipment), kpi)) for kpi in spec.kpis
                }
                for shipment in study.shipments
            }
        except Exception as exc:  # a failed point is recorded and the sweep goes on
            error = _error_text(exc)
        out.append(
            PointResult(
                id=point_id,
                params=values,
                seed=spec.seed,
                replications=spec.replications,
                kpis=kpis,
                error=error,
            )
        )
    return out


@dataclass(frozen=True)
class SweepOutcome:
    """A finished sweep: every design point's result and the study's sensitivity indices."""

    study: Study
    #: Every finished point, in design order (rows of the results store).
    rows: list[PointResult]
    #: Per (shipment, KPI, parameter): the method's indices (see
    #: :func:`~corridorsim.experiment.sensitivity.indices`).
    indices: list[dict[str, Any]]
    #: Points run now, and points found finished in the store (resumed).
    ran: int
    skipped: int
    seconds: float

    @property
    def failed(self) -> int:
        """How many points failed (their ``error`` says why)."""
        return sum(1 for row in self.rows if row.error)


def run_sweep(
    study: Study,
    out_dir: str | os.PathLike[str],
    executor: Executor,
    *,
    resume: bool = False,
    chunk_size: int | None = None,
    progress: Progress | None = None,
) -> SweepOutcome:
    """Run every design point of ``study`` not yet in the results store in ``out_dir``.

    Each task of ``chunk_size`` points (default: the executor's batch policy) is committed to
    the store as it finishes. ``resume`` continues a store that already holds points of this
    study; without it such a store is refused (ParameterError naming ``resume``). Indices are
    computed once every point is in. A worker lost part way is a WorkerLostError counting
    the points that did not run; the batches that finished are committed, so ``resume``
    continues from them.
    """
    if chunk_size is not None and chunk_size < 1:
        raise ParameterError("chunk_size", f"must be at least 1 (got {chunk_size})")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ParameterError("out_dir", f"{out} exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError("out_dir", f"{out}: cannot create: {exc.strerror or exc}") from None
    points = study.design()
    started = time.monotonic()
    with ResultsStore(out / FILE_NAME) as store:
        store.claim(study.fingerprint, study.path, resume=resume)
        finished = store.finished()
        todo = [(i, values) for i, values in enumerate(points) if i not in finished]
        done = len(points) - len(todo)
        if progress:
            progress(done, len(points), 0.0)
        runs = 0
        try:
            for batch in executor.run(run_points, study, executor.batches(todo, chunk_size)):
                store.commit(batch)
                done += len(batch)
                runs += len(batch) * study.spec.replications
                if progress:
                    progress(done, len(points), runs / max(time.monotonic() - started, 1e-9))
        except WorkerLostError:
            raise WorkerLostError(len(points) - done, "points") from None
        rows = store.rows()
    return SweepOutcome(
        study=study,
        rows=rows,
        indices=indices(study, rows),
        ran=len(todo),
        skipped=len(points) - len(todo),
        seconds=time.monotonic() - started,
    )
