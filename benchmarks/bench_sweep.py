"""``sweep`` (README.md): (a) points/s of ``run_sweep`` on 1 and 2 processes; (b) the overhead
of the local pool and of Dask on many tiny runs, against the same work run serially; (c) rows/s
of the results store against plain ``sqlite3``; (d) route searches per design point, as each
point's scenario is built (the plan memory lets a point that changes nothing routing reads
plan nothing)."""

from __future__ import annotations

import itertools
import json
import sqlite3
import statistics
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from . import subjects
from .bench_replications import speed_up
from .inputs import mini_study, temp_folder, tiny_study
from .report import Result, Rows
from .timing import CpuMeter, Settings, note_cpu_starved, paired_ratio, per_second, ratios

GROUP = "sweep"
WORKERS = 2
GOAL_OVERHEAD = 10.0
#: Shipped studies (scenarios/studies/NAME.yaml) whose design points (d) builds.
SHIPPED_STUDIES = ("pilot-morris", "ferry-sobol", "tripp-ferry-grid")
Executor = subjects.LocalExecutor | subjects.DaskExecutor


def run(settings: Settings) -> list[Result]:
    return [
        *_points_per_second(settings),
        *_overhead(settings),
        *_store(settings),
        *_route_searches(settings),
    ]


def _route_searches(settings: Settings) -> list[Result]:
    """(d) The first points of a study whose parameter routing does not read (wagons per
    consignment) and of the shipped studies (which vary mean dwells, ferry intervals and open
    links, and so do plan again, except where a point changes only what routing ignores)."""
    first = settings.pick(60, 30, smoke=4)
    studies = [("mini-study: wagons per consignment", subjects.load_study(mini_study(first)))]
    studies += [(f"shipped {name}", subjects.shipped_study(name)) for name in SHIPPED_STUDIES]
    rows = Rows(GROUP, "sweep route searches per design point")
    for label, study in studies:
        points = study.design()[:first]
        subjects.clear_plan_cache()
        study.scenario_for(points[0])  # the base plan: every later point may reuse it
        before = subjects.plan_searches()
        start = time.perf_counter()
        for values in points[1:]:
            study.scenario_for(values)
        took = (time.perf_counter() - start) / max(1, len(points) - 1)
        per_point = (subjects.plan_searches() - before) / max(1, len(points) - 1)
        what = f"{label}, points 2-{len(points)}: route searches per point"
        rows.add(what, [per_point], "searches")
        rows.add(f"{label}: time to build a point's scenario", [took * 1000], "ms")
    return rows.results


def _points_per_second(settings: Settings) -> list[Result]:
    """(a) A sweep of several seconds, so that starting the pool is a small part of it."""
    samples, replications = settings.pick(10, 4, smoke=2), settings.pick(20, smoke=1)
    study = subjects.load_study(tiny_study(samples, replications))
    points = subjects.design_points(study)
    if not settings.smoke:  # warm-up: first calls, caches
        subjects.run_points(study, subjects.point_tasks(study, 1, first=1)[0])

    def sweep(executor: Executor) -> None:  # into a new folder each time
        subjects.run_sweep(study, temp_folder() / "sweep", executor)

    rows = Rows(GROUP, "sweep run_sweep() points/s")
    calls = {f"LocalExecutor({j})": partial(sweep, subjects.LocalExecutor(j)) for j in (1, WORKERS)}
    what = f"tiny-study, {points} points x {replications} replications"
    speed_up(settings, rows, calls, points, "points/s", what, warmup=0)
    return rows.results


def _noop(shared: Any, task: list[Any]) -> list[Any]:
    """A task that does nothing: what is left is the executor's own cost per task."""
    return []


def _overhead(settings: Settings) -> list[Result]:
    """(b) The local pool first, with no Dask cluster alive; then Dask (a LocalCluster started
    once, outside the timing), with its own serial reference."""
    study = subjects.load_study(mini_study(settings.pick(1000, 200, smoke=20)))
    local = subjects.LocalExecutor(WORKERS)
    tasks = subjects.point_tasks(study, WORKERS)
    results, serial = _overhead_of(settings, study, tasks, local, f"LocalExecutor({WORKERS})")
    if settings.smoke or not subjects.dask_installed():
        why = "skipped in smoke mode" if settings.smoke else "not installed"
        settings.note(f"{GROUP}: Dask (distributed) {why}: its overhead is not measured")
        return results
    start = time.perf_counter()
    dask = subjects.DaskExecutor(None, WORKERS)
    started = time.perf_counter() - start
    try:  # warm-up: the workers import corridorsim and unpickle the study
        list(dask.run(subjects.run_points, study, subjects.point_tasks(study, 4, first=8)))
        # The Dask executor's own default batch size (a Dask task costs more than a pool's).
        tasks = subjects.point_tasks(study, WORKERS, max_batch=subjects.DaskExecutor.max_batch)
        label = f"DaskExecutor(None, {WORKERS}), LocalCluster"
        more_cpu, baseline = subjects.dask_workers_cpu(dask), statistics.median(serial)
        more, _ = _overhead_of(settings, study, tasks, dask, label, more_cpu, baseline)
    finally:
        dask.close()
    rows = Rows(GROUP, "sweep overhead, DaskExecutor")
    rows.add(f"DaskExecutor(None, {WORKERS}): LocalCluster start (once)", [started], "s")
    return results + more + rows.results


def _overhead_of(
    settings: Settings,
    study: subjects.Study,
    tasks: list[Any],
    executor: Executor,
    label: str,
    more_cpu: Callable[[], float] | None = None,
    baseline: float | None = None,
) -> tuple[list[Result], list[float]]:
    """Rows of the executor's run of ``tasks`` against the same tasks run serially here; and
    the serial run's seconds. ``baseline``: the serial work's median time measured earlier
    with no Dask cluster alive (its scheduler and client slow this process)."""
    meter = CpuMeter(more_cpu)
    calls = {
        "serial": lambda: [subjects.run_points(study, task) for task in tasks],
        "executor": lambda: list(executor.run(subjects.run_points, study, tasks)),
    }
    calls = meter.wrap(calls)
    # The executor must compute what the serial run does (this is also the warm-up round).
    found = [sorted((r for b in call() for r in b), key=lambda r: r.id) for call in calls.values()]
    if found[0] != found[1]:
        settings.note(f"{GROUP}: {label} gave other rows than the serial run")
    calls["noop"] = lambda: list(executor.run(_noop, study, tasks))
    seconds = settings.timed(calls, warmup=0)
    serial, wall, noop = seconds["serial"], seconds["executor"], seconds["noop"]
    busy_serial, cpu_serial = meter.last("serial", len(wall))
    busy, cpu = meter.last("executor", len(wall))
    note_cpu_starved(settings, f"{GROUP}: overhead: {label}", busy, WORKERS)
    runs = sum(len(t) for t in tasks)
    rows = Rows(GROUP, f"sweep overhead, {type(executor).__name__}")
    what = f"{runs:,} tiny runs in {len(tasks)} tasks of ~{runs / len(tasks):.0f}"
    what = f"run_points here, one task after another: {what} (reference: the serial work)"
    rows.add(what, serial, "s", ref=True)
    rows.add(f"{label}: wall time", wall, "s", ratio=paired_ratio(wall, serial))
    # The executor's own cost: the same tasks, sent and answered, with nothing to do in them.
    own = [n * WORKERS / s * 100 for n, s in zip(noop, serial, strict=True)]
    what = f"{label}: scheduling overhead: no-op tasks' wall x {WORKERS} / serial work"
    met, goal = statistics.median(own) < GOAL_OVERHEAD, f"< {GOAL_OVERHEAD:g}%"
    rows.add(what, own, "%", goal=goal, goal_met=met)
    what = f"(wall x {WORKERS} - serial) / serial, incl. the two workers slowing each other"
    rows.add(f"{label}: end-to-end overhead {what} on shared cores", _wasted(wall, serial), "%")
    if baseline is not None:
        settings.note(
            f"{GROUP}: overhead: with the Dask cluster alive, the serial reference in this "
            f"process took {statistics.median(serial) / baseline:.2f}x its time "
            "without it (the scheduler and client run threads here); the Dask overhead is also "
            "shown against the serial work without it"
        )
        what = "measured with no cluster alive (first overhead benchmark's median)"
        against = _wasted(wall, [baseline] * len(wall))
        rows.add(f"{label}: overhead against the serial work {what}", against, "%")
    per_run = [(t * WORKERS - s) / runs * 1000 for t, s in zip(wall, serial, strict=True)]
    rows.add(f"{label}: overhead per run (worker time)", per_run, "ms")
    cpu_overhead = [100 * (r - 1) for r in ratios(cpu, cpu_serial)]
    rows.add(f"{label}: CPU overhead (CPU time - serial's) / serial's", cpu_overhead, "%")
    rows.add("serial work: CPUs busy (CPU time / wall; 1 = a whole CPU)", busy_serial, "CPUs")
    rows.add(f"{label}: CPUs busy (CPU time / wall)", busy, "CPUs")
    return rows.results, serial


def _wasted(times: Sequence[float], serial: Sequence[float]) -> list[float]:
    """The worker time spent on anything but the work, in %: (T x W - S) / S x 100."""
    return [(t * WORKERS - s) / s * 100 for t, s in zip(times, serial, strict=True)]


def _cycle(items: Sequence[Any], size: int, write: Callable[[Any], object]) -> Callable[[], None]:
    """A call writing the next ``size`` items each time (ids go up, as in a sweep), from the
    first again after the last (rows are then replaced)."""
    batches = itertools.cycle([items[i : i + size] for i in range(0, len(items), size)])
    return lambda: write(next(batches))


def _store(settings: Settings) -> list[Result]:
    """(c) ``ResultsStore.commit`` against ``executemany`` of the same rows, already encoded,
    into a table of the same schema with the same pragmas, one transaction per batch."""
    folder, rows = temp_folder(), Rows(GROUP, "")
    # Copies of one row of a tiny-study run with new ids, a multiple of every batch size of them.
    study = subjects.load_study(tiny_study(2, 5))
    row = subjects.run_points(study, subjects.point_tasks(study, 1, first=1)[0])[0]
    pool = [row._replace(id=i) for i in range(settings.pick(20_000, smoke=200))]
    encoded = []
    for r in pool:
        params, kpis = json.dumps(r.params, sort_keys=True), json.dumps(r.kpis)
        encoded.append((r.id, params, r.seed, r.replications, kpis, r.error))
    for size in (1, 10, 100):
        store = subjects.ResultsStore(folder / f"store-{size}.sqlite")
        plain = sqlite3.connect(folder / f"plain-{size}.sqlite", isolation_level=None)
        for statement in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"):
            plain.execute(statement)
        plain.executescript(subjects.STORE_SCHEMA)

        def commit(batch: list[Any], db: sqlite3.Connection = plain) -> None:
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT OR REPLACE INTO points VALUES (?, ?, ?, ?, ?, ?)", batch)
            db.execute("COMMIT")

        try:
            plain_call, store_call = _cycle(encoded, size, commit), _cycle(pool, size, store.commit)
            seconds = settings.timed({"plain": plain_call, "store": store_call})
        finally:
            store.close()
            plain.close()
        rows.benchmark = f"sweep store, batches of {size}"
        what = "sqlite3 executemany, rows pre-encoded, one transaction (reference)"
        rows.add(what, per_second(size, seconds["plain"]), "rows/s", ref=True)
        what = "ResultsStore.commit (JSON-encodes, one transaction)"
        ratio = paired_ratio(seconds["store"], seconds["plain"])
        rows.add(what, per_second(size, seconds["store"]), "rows/s", ratio=ratio)
    return rows.results
