"""Running a study: design points in batches on an executor, each batch committed to the
results store as it finishes, then the points table and the sensitivity indices."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corridorsim.errors import InputError
from corridorsim.experiment.executors import DaskExecutor, LocalExecutor
from corridorsim.experiment.replications import simulate
from corridorsim.experiment.store import FILE_NAME, ResultsStore
from corridorsim.experiment.study import Study, kpi_value

Task = list[tuple[int, dict[str, Any]]]
#: Progress: (points done, points in all, runs per second).
Progress = Callable[[int, int, float], None]


def run_points(study: Study, task: Task) -> list[dict[str, Any]]:
    """Simulate each design point of ``task``; a point that fails records its error."""
    out = []
    spec = study.spec
    for point_id, values in task:
        row: dict[str, Any] = {
            "id": point_id,
            "params": values,
            "seed": spec.seed,
            "replications": spec.replications,
            "kpis": None,
            "error": None,
        }
        try:
            scenario = study.scenario_for(values)
            summary = simulate(
                scenario, replications=spec.replications, seed=spec.seed, jobs=1
            ).summary()
            row["kpis"] = {
                shipment: {
                    kpi: list(kpi_value(summary["shipments"][shipment], kpi)) for kpi in spec.kpis
                }
                for shipment in study.shipments
            }
        except InputError as exc:
            row["error"] = "; ".join(exc.problems)
        out.append(row)
    return out


#: The most design points in one batch: what an interrupted sweep may have to redo.
MAX_BATCH = 16


def chunk(
    items: Sequence[Any], workers: int, size: int | None = None, max_batch: int = MAX_BATCH
) -> list[list[Any]]:
    """Batches of about four per worker (or of ``size``), at most MAX_BATCH points: large
    enough that sending work costs little next to running it, small enough to keep every
    worker busy to the end and to lose little when a sweep is killed."""
    if size is None:
        size = min(max_batch, max(1, math.ceil(len(items) / (workers * 4))))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


@dataclass
class SweepOutcome:
    study: Study
    rows: list[dict[str, Any]]
    ran: int
    skipped: int
    seconds: float


def run_sweep(
    study: Study,
    out_dir: str | Path,
    executor: LocalExecutor | DaskExecutor,
    *,
    resume: bool = False,
    chunk_size: int | None = None,
    progress: Progress | None = None,
) -> SweepOutcome:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
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
        for batch in executor.run(
            run_points, study, chunk(todo, executor.workers, chunk_size, executor.max_batch)
        ):
            store.commit(batch)
            done += len(batch)
            runs += len(batch) * study.spec.replications
            if progress:
                progress(done, len(points), runs / max(time.monotonic() - started, 1e-9))
        rows = store.rows()
    return SweepOutcome(
        study=study,
        rows=rows,
        ran=len(todo),
        skipped=len(points) - len(todo),
        seconds=time.monotonic() - started,
    )
