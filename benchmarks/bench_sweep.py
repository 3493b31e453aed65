"""``sweep``: studies on the local pool and on Dask, and the SQLite results store.

(a) **points/s** of ``run_sweep`` on a copy of ``tests/fixtures/tiny-study.yaml`` (morris, 40
    points of 20 replications; 16 points with ``--quick``) with ``LocalExecutor(1)`` and
    ``LocalExecutor(2)``, each run into a new temporary folder, timed in turn in the same loop;
    the speed-up is the median of the per-repetition ``time(1) / time(2)`` (goal 1.7x).
(b) **per-task overhead** of the executors on 1,000 tiny runs (200 with ``--quick``): a study
    of that many lhs points of one replication of one consignment over one link, cut into
    tasks by ``sweep.chunk`` at its default size (the table says how many) and given to
    ``run_points``, the function ``run_sweep`` hands to its executor. The reference is the
    same ``run_points`` calls on the same tasks, one after the other in this process (the
    serial work, ``S``); ``LocalExecutor(2)`` (its pool started and stopped each time, as every
    sweep does) and ``DaskExecutor(None, 2)`` (a real LocalCluster of 2 single-threaded worker
    processes, started once outside the timing; the study is scattered to the workers each
    time, as every sweep does) run them with ``W = 2`` workers in wall time ``T``, timed in
    turn with the reference. **overhead % = (T x W - S) / S x 100**: the worker-time spent
    on anything but the work itself (starting the pool, sending the study, tasks and
    results, the scheduler, workers idle at the end), as a share of the work. 0% is perfect
    parallelism; goal under 10%.
(c) **rows/s** of ``ResultsStore.commit`` for batches of 1, 10 and 100 points (JSON-encoding
    the parameters and KPIs, one transaction per batch in WAL mode), against plain
    ``sqlite3``: ``BEGIN IMMEDIATE``, ``executemany`` of the same rows already encoded into a
    table of the same schema with the same pragmas, ``COMMIT``.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from corridorsim.experiment.executors import DaskExecutor, LocalExecutor
from corridorsim.experiment.store import SCHEMA, ResultsStore
from corridorsim.experiment.study import Study, load_study
from corridorsim.experiment.sweep import chunk, run_points, run_sweep

from .bench_replications import note_cpu_starved
from .sim_inputs import mini_study, temp_folder, tiny_study
from .timing import (
    CpuMeter,
    Result,
    Settings,
    interleaved,
    paired_ratio,
    per_second,
    ratios,
)

GROUP = "sweep"
WORKERS = 2
GOAL_SPEEDUP = 1.7
GOAL_OVERHEAD = 10.0
QUICK_SAMPLES = 4
TINY_RUNS = 1000
QUICK_TINY_RUNS = 200
BATCHES = (1, 10, 100)
#: Rows made for the store benchmark (a multiple of every batch size).
STORE_ROWS = 20_000


def run(settings: Settings) -> list[Result]:
    return [*_points_per_second(settings), *_overhead(settings), *_store(settings)]


# --- (a) points per second -------------------------------------------------------------------


def _points_per_second(settings: Settings) -> list[Result]:
    # 20 replications a point: a sweep of several seconds, so that the pool's start-up is a
    # small part of it, as in a planner's sweeps.
    study = load_study(tiny_study(QUICK_SAMPLES if settings.quick else None, replications=20))
    points = len(study.design())
    run_points(study, [(0, study.design()[0])])  # warm-up: first calls, caches
    out = temp_folder()
    counter = itertools.count()

    def sweep(jobs: int) -> Callable[[], object]:
        return lambda: run_sweep(study, out / f"{jobs}-{next(counter)}", LocalExecutor(jobs))

    meter = CpuMeter()
    calls = {
        "local1": meter.wrap("local1", sweep(1)),
        "local2": meter.wrap("local2", sweep(WORKERS)),
    }
    seconds = interleaved(calls, settings.repetitions, warmup=0)
    busy = {name: meter.last(name, settings.repetitions) for name in calls}
    cpu = {name: meter.last_cpu(name, settings.repetitions) for name in calls}
    note_cpu_starved(settings, f"{GROUP}: LocalExecutor({WORKERS})", busy["local2"], WORKERS)
    speedups = ratios(seconds["local1"], seconds["local2"])
    median = statistics.median(speedups)
    tasks = [len(t) for t in chunk(list(range(points)), WORKERS)]
    extra = {
        "study": "tests/fixtures/tiny-study.yaml (copy)",
        "points": points,
        "replications": study.spec.replications,
        "tasks": tasks,
    }
    benchmark = "sweep run_sweep() points/s"
    what = f"tiny-study, {points} points x {study.spec.replications} replications"
    return [
        Result(
            GROUP,
            benchmark,
            f"LocalExecutor(1): {what} (reference)",
            per_second(points, seconds["local1"]),
            "points/s",
            is_reference=True,
            extra=extra,
        ),
        Result(
            GROUP,
            benchmark,
            f"LocalExecutor({WORKERS})",
            per_second(points, seconds["local2"]),
            "points/s",
            ratio=paired_ratio(seconds["local2"], seconds["local1"]),
            extra=extra,
        ),
        Result(
            GROUP,
            benchmark,
            f"speed-up LocalExecutor({WORKERS}) over (1)",
            speedups,
            "x",
            extra=extra,
            goal=f">= {GOAL_SPEEDUP:g}x",
            goal_met=median >= GOAL_SPEEDUP,
        ),
        Result(
            GROUP,
            benchmark,
            f"LocalExecutor({WORKERS}): CPUs busy (CPU time / wall)",
            busy["local2"],
            "CPUs",
        ),
        Result(
            GROUP,
            benchmark,
            f"CPU time LocalExecutor({WORKERS}) / LocalExecutor(1) (1x: no extra work)",
            ratios(cpu["local2"], cpu["local1"]),
            "x",
        ),
    ]


# --- (b) executor overhead on many tiny runs ---------------------------------------------------


def _dask(settings: Settings) -> tuple[DaskExecutor | None, float]:
    """A DaskExecutor on a new LocalCluster and how long it took to start, or (None, 0)."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        settings.note(
            f"{GROUP}: Dask (distributed) is not installed: its overhead is not "
            "measured (pip install 'corridorsim[distributed]')"
        )
        return None, 0.0
    start = time.perf_counter()
    executor = DaskExecutor(None, WORKERS)
    return executor, time.perf_counter() - start


def _dask_workers_cpu(executor: DaskExecutor) -> Callable[[], float]:
    """The CPU seconds the cluster's worker processes have used so far, all together."""
    client = executor._client

    def cpu() -> float:
        return float(sum(client.run(time.process_time).values()))

    return cpu


def _noop(shared: Any, task: list[Any]) -> list[Any]:
    """A task that does nothing: what is left is the executor's own cost per task."""
    return []


def _overhead(settings: Settings) -> list[Result]:
    runs = QUICK_TINY_RUNS if settings.quick else TINY_RUNS
    study = load_study(mini_study(runs))
    tasks = chunk(list(enumerate(study.design())), WORKERS)
    local = LocalExecutor(WORKERS)
    # The local pool first, with no Dask cluster alive: its scheduler runs in this process and
    # its heartbeats would count as CPU time of every run. Then Dask, with its own reference.
    results = _overhead_of(
        settings,
        study,
        tasks,
        f"LocalExecutor({WORKERS})",
        lambda: list(local.run(run_points, study, tasks)),
        None,
        noop_call=lambda: list(local.run(_noop, study, tasks)),
    )
    dask, dask_start = _dask(settings)
    if dask is None:
        return results
    try:
        # Warm-up: the workers import corridorsim and unpickle the study once.
        list(dask.run(run_points, study, chunk(list(enumerate(study.design()[:8])), 4)))
        baseline = statistics.median(results[0].samples)
        # The Dask executor's own default batch size (a Dask task costs more than a pool's).
        dask_tasks = chunk(
            list(enumerate(study.design())), WORKERS, max_batch=DaskExecutor.max_batch
        )
        results += _overhead_of(
            settings,
            study,
            dask_tasks,
            f"DaskExecutor(None, {WORKERS}), LocalCluster",
            lambda: list(dask.run(run_points, study, dask_tasks)),
            _dask_workers_cpu(dask),
            baseline=baseline,
            noop_call=lambda: list(dask.run(_noop, study, dask_tasks)),
        )
    finally:
        dask.close()
    results.append(
        Result(
            GROUP,
            results[-1].benchmark,
            f"DaskExecutor(None, {WORKERS}): LocalCluster start (once)",
            [dask_start],
            "s",
        )
    )
    return results


def _overhead_of(
    settings: Settings,
    study: Study,
    tasks: list[list[Any]],
    label: str,
    executor_call: Callable[[], list[Any]],
    more_cpu: Callable[[], float] | None,
    baseline: float | None = None,
    noop_call: Callable[[], list[Any]] | None = None,
) -> list[Result]:
    """The executor's run of ``tasks`` against the same tasks run serially here.

    ``baseline``: the serial work's median wall time measured earlier with no cluster alive
    (the Dask scheduler and client live in this process and slow the serial reference next to
    them); the overhead against it is shown as well.
    """
    runs = sum(len(t) for t in tasks)
    meter = CpuMeter()
    calls: dict[str, Callable[[], Any]] = {
        "serial": meter.wrap(
            "serial", lambda: [run_points(study, task) for task in tasks], more_cpu=more_cpu
        ),
        "executor": meter.wrap("executor", executor_call, more_cpu=more_cpu),
    }
    _check_same(calls, label, settings)
    if noop_call is not None:
        calls["noop"] = noop_call
    seconds = interleaved(calls, settings.repetitions, warmup=0)
    reps = settings.repetitions
    busy = {name: meter.last(name, reps) for name in ("serial", "executor")}
    cpu = {name: meter.last_cpu(name, reps) for name in ("serial", "executor")}
    note_cpu_starved(settings, f"{GROUP}: overhead: {label}", busy["executor"], WORKERS)
    serial, wall = seconds["serial"], seconds["executor"]
    overhead = [(t * WORKERS - s) / s * 100 for t, s in zip(wall, serial, strict=True)]
    per_run_ms = [(t * WORKERS - s) / runs * 1000 for t, s in zip(wall, serial, strict=True)]
    cpu_overhead = [(c - s) / s * 100 for c, s in zip(cpu["executor"], cpu["serial"], strict=True)]
    # The executor's own cost: the same tasks, sent and answered, with nothing to do in them.
    own = [n * WORKERS / s_ * 100 for n, s_ in zip(seconds.get("noop", []), serial, strict=False)]
    extra = {
        "runs": runs,
        "tasks": [len(t) for t in tasks],
        "workers": WORKERS,
        "overhead": "(wall x workers - serial) / serial x 100",
        "cpu_overhead": "(cpu - serial cpu) / serial cpu x 100",
    }
    benchmark = f"sweep overhead, {label.split(',')[0].split('(')[0]}"
    what = f"{runs:,} tiny runs in {len(tasks)} tasks of ~{runs / len(tasks):.0f}"
    against_baseline = []
    if baseline is not None:
        slower = statistics.median(serial) / baseline
        settings.note(
            f"{GROUP}: overhead: with the Dask cluster alive, the serial reference in this "
            f"process took {slower:.2f}x its time without it (the scheduler and client run "
            "threads here); the Dask overhead is also shown against the serial work without it"
        )
        base = [(t * WORKERS - baseline) / baseline * 100 for t in wall]
        against_baseline = [
            Result(
                GROUP,
                benchmark,
                f"{label}: overhead against the serial work measured with "
                "no cluster alive (first overhead benchmark's median)",
                base,
                "%",
                extra=extra,
            ),
        ]
    return [
        Result(
            GROUP,
            benchmark,
            f"run_points here, one task after another: {what} (reference: the serial work)",
            serial,
            "s",
            is_reference=True,
            extra=extra,
        ),
        Result(
            GROUP,
            benchmark,
            f"{label}: wall time",
            wall,
            "s",
            ratio=paired_ratio(wall, serial),
            extra=extra,
        ),
        *(
            [
                Result(
                    GROUP,
                    benchmark,
                    f"{label}: scheduling overhead: no-op tasks' wall x {WORKERS} / serial work",
                    own,
                    "%",
                    extra=extra,
                    goal=f"< {GOAL_OVERHEAD:g}%",
                    goal_met=statistics.median(own) < GOAL_OVERHEAD,
                )
            ]
            if own
            else []
        ),
        Result(
            GROUP,
            benchmark,
            f"{label}: end-to-end overhead (wall x {WORKERS} - serial) / serial, incl. the "
            "two workers slowing each other on shared cores",
            overhead,
            "%",
            extra=extra,
        ),
        *against_baseline,
        Result(
            GROUP,
            benchmark,
            f"{label}: overhead per run (worker time)",
            per_run_ms,
            "ms",
            extra=extra,
        ),
        Result(
            GROUP,
            benchmark,
            f"{label}: CPU overhead (CPU time - serial's) / serial's",
            cpu_overhead,
            "%",
            extra=extra,
        ),
        Result(
            GROUP,
            benchmark,
            "serial work: CPUs busy (CPU time / wall; 1 = a whole CPU)",
            busy["serial"],
            "CPUs",
        ),
        Result(GROUP, benchmark, f"{label}: CPUs busy (CPU time / wall)", busy["executor"], "CPUs"),
    ]


def _check_same(calls: dict[str, Callable[[], Any]], label: str, settings: Settings) -> None:
    """The executor must compute what the serial run does (or the comparison means nothing).
    This is also the warm-up round of the timing."""
    found = {
        name: sorted((row for batch in call() for row in batch), key=lambda r: r["id"])
        for name, call in calls.items()
    }
    if found["executor"] != found["serial"]:
        settings.note(f"{GROUP}: {label} gave other rows than the serial run")


# --- (c) the results store --------------------------------------------------------------------


def _rows(count: int, start: int) -> list[dict[str, Any]]:
    """Rows shaped like tiny-study's: three parameters, three KPIs with CIs, one shipment."""
    out = []
    for i in range(start, start + count):
        out.append(
            {
                "id": i,
                "params": {
                    "links.XB-PORT--XB-BORDER.speed_kmh": 43.3 + i % 7,
                    "links.XA-PORT--XB-PORT.ferry.every_h": 24.0 + i % 5,
                    "links.XC-BORDER--XC-DEST.speed_kmh": 40.0 + i % 3,
                },
                "seed": 7,
                "replications": 5,
                "kpis": {
                    "pilot": {
                        "transit_days.mean": [3.603372 + i * 1e-6, 2.984309, 4.222435],
                        "transit_days.p90": [4.136595, None, None],
                        "usd_per_tonne.mean": [76.525305, 76.525305, 76.525305],
                    }
                },
                "error": None,
            }
        )
    return out


def _encoded(row: dict[str, Any]) -> tuple[Any, ...]:
    return (
        row["id"],
        json.dumps(row["params"], sort_keys=True),
        row["seed"],
        row["replications"],
        json.dumps(row["kpis"]),
        row["error"],
    )


def _plain_db(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)
    return db


def _store(settings: Settings) -> list[Result]:
    folder = temp_folder()
    results = []
    # Each call writes the next points (ids go up, as in a sweep) from rows made beforehand;
    # after STORE_ROWS rows the ids start again and rows are replaced.
    pool = _rows(STORE_ROWS, 0)
    encoded = [_encoded(r) for r in pool]
    for size in BATCHES:
        store = ResultsStore(folder / f"store-{size}.sqlite")
        plain = _plain_db(folder / f"plain-{size}.sqlite")
        position = {"store": 0, "plain": 0}

        def commit(
            store: ResultsStore = store,
            pool: list[dict[str, Any]] = pool,
            size: int = size,
            position: dict[str, int] = position,
        ) -> None:
            i = position["store"]
            store.commit(pool[i : i + size])
            position["store"] = (i + size) % len(pool)

        def reference(
            plain: sqlite3.Connection = plain,
            encoded: list[Any] = encoded,
            size: int = size,
            position: dict[str, int] = position,
        ) -> None:
            i = position["plain"]
            plain.execute("BEGIN IMMEDIATE")
            plain.executemany(
                "INSERT OR REPLACE INTO points VALUES (?, ?, ?, ?, ?, ?)", encoded[i : i + size]
            )
            plain.execute("COMMIT")
            position["plain"] = (i + size) % len(encoded)

        try:
            seconds = interleaved({"plain": reference, "store": commit}, settings.repetitions)
        finally:
            store.close()
            plain.close()
        benchmark = f"sweep store, batches of {size}"
        results += [
            Result(
                GROUP,
                benchmark,
                "sqlite3 executemany, rows pre-encoded, one transaction (reference)",
                per_second(size, seconds["plain"]),
                "rows/s",
                is_reference=True,
            ),
            Result(
                GROUP,
                benchmark,
                "ResultsStore.commit (JSON-encodes, one transaction)",
                per_second(size, seconds["store"]),
                "rows/s",
                ratio=paired_ratio(seconds["store"], seconds["plain"]),
            ),
        ]
    return results
