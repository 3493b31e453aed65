"""Where many runs go: a local process pool (the default) or a Dask cluster.

Sweeps (design points) and :func:`~corridorsim.experiment.replications.simulate`
(replications of one scenario) hand their work to an executor the same way: a function, a
shared payload and a list of tasks; the executor yields each task's result as it finishes.
Which executor ran a task never changes its numbers (seeds come with the work, not the
worker). The shared payload (a study with its base scenario and network, or one scenario) is
sent once per worker, not once per task.

Work is cut into tasks by one policy, :func:`batches`: about four tasks per worker, at most
the executor's :attr:`Executor.max_batch` items each.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, ClassVar, TypeVar

from corridorsim.errors import CorridorsimError, ParameterError

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

#: Tasks per worker: enough that a worker finishing early finds more work, few enough that
#: sending work costs little next to running it.
TASKS_PER_WORKER = 4


def default_jobs() -> int:
    """How many workers when none are asked for: every core."""
    return os.cpu_count() or 1


def resolve_jobs(jobs: int | None) -> int:
    """``jobs``, or :func:`default_jobs` when it is None; ParameterError below 1."""
    if jobs is None:
        return default_jobs()
    if jobs < 1:
        raise ParameterError("jobs", f"must be at least 1 (got {jobs})")
    return jobs


def batches(
    items: Sequence[T], workers: int, *, max_batch: int, size: int | None = None
) -> list[list[T]]:
    """``items`` cut into tasks of ``size``, or by default about :data:`TASKS_PER_WORKER` per
    worker and at most ``max_batch`` items each: large enough that sending work costs little
    next to running it, small enough to keep every worker busy to the end and to lose little
    when a sweep is killed."""
    if size is None:
        size = min(max_batch, max(1, math.ceil(len(items) / (workers * TASKS_PER_WORKER))))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


class Executor:
    """Runs ``fn(shared, task)`` for every task and yields the results as they finish.

    An executor supplies :attr:`name`, :attr:`max_batch`, :attr:`workers`, :meth:`run` and
    :meth:`close`; use it as a context manager to close it at the end.
    """

    #: The name a caller gives to :func:`make_executor`.
    name: ClassVar[str]
    #: The most items per task (see :func:`batches`).
    max_batch: ClassVar[int]

    @property
    def workers(self) -> int:
        """How many tasks run at once."""
        raise NotImplementedError

    def run(self, fn: Callable[[S, T], R], shared: S, tasks: Sequence[T]) -> Iterator[R]:
        """Yield ``fn(shared, task)`` for each task, in the order they finish."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the workers (nothing to do for a pool, which lives only during a run)."""

    def batches(self, items: Sequence[T], size: int | None = None) -> list[list[T]]:
        """``items`` cut into this executor's tasks (:func:`batches`)."""
        return batches(items, self.workers, max_batch=self.max_batch, size=size)

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_SHARED: Any = None


def _init_worker(shared: Any) -> None:
    # The shared payload travels once per worker process, not once per task.
    global _SHARED
    _SHARED = shared


def _call(fn: Callable[[Any, Any], Any], task: Any) -> Any:
    return fn(_SHARED, task)


class LocalExecutor(Executor):
    """A pool of ``jobs`` worker processes on this machine; ``jobs`` = 1 runs every task in
    this process, one after another."""

    name = "local"
    #: A pool task costs well under a millisecond, so tasks can stay small (little to redo
    #: after a kill).
    max_batch = 16

    def __init__(self, jobs: int) -> None:
        self.jobs = resolve_jobs(jobs)

    @property
    def workers(self) -> int:
        """How many tasks run at once: ``jobs``."""
        return self.jobs

    def run(self, fn: Callable[[S, T], R], shared: S, tasks: Sequence[T]) -> Iterator[R]:
        """Yield ``fn(shared, task)`` for each task, in the order they finish."""
        if self.jobs == 1:
            for task in tasks:
                yield fn(shared, task)
            return
        if not tasks:
            return
        with ProcessPoolExecutor(
            max_workers=min(self.jobs, len(tasks)), initializer=_init_worker, initargs=(shared,)
        ) as pool:
            futures = [pool.submit(_call, fn, task) for task in tasks]
            for future in as_completed(futures):
                yield future.result()


def _dask_missing() -> ParameterError:
    return ParameterError("executor", "'dask' needs Dask: pip install 'corridorsim[distributed]'")


class DaskExecutor(Executor):
    """A Dask distributed cluster: the one at ``scheduler`` (tcp://HOST:PORT), or a
    LocalCluster of ``jobs`` single-threaded worker processes started for this executor."""

    name = "dask"
    #: A Dask task costs a few milliseconds (scheduler round trips): larger tasks keep that
    #: small next to the runs in them.
    max_batch = 256

    def __init__(self, scheduler: str | None, jobs: int) -> None:
        jobs = resolve_jobs(jobs)
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise _dask_missing() from None
        self._cluster = None
        try:
            if scheduler:
                self._client = Client(scheduler, timeout="20s")
            else:
                import dask

                # The statistical profiler samples every worker thread many times a second:
                # useful for diagnosing Dask, a steady tax on simulation runs.
                with dask.config.set({"distributed.worker.profile.enabled": False}):
                    self._cluster = LocalCluster(
                        n_workers=jobs,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        silence_logs=50,
                    )
                self._client = Client(self._cluster)
        except OSError as exc:
            raise CorridorsimError(f"scheduler {scheduler}: cannot connect: {exc}") from None

    @property
    def workers(self) -> int:
        """How many tasks run at once: the cluster's workers (at least 1)."""
        return max(1, len(self._client.scheduler_info().get("workers", {})))

    def run(self, fn: Callable[[S, T], R], shared: S, tasks: Sequence[T]) -> Iterator[R]:
        """Yield ``fn(shared, task)`` for each task, in the order they finish."""
        from distributed import as_completed as dask_completed

        # hash=False: a second run on this client gets a fresh key instead of reusing one the
        # scheduler may still be releasing from the first.
        payload = self._client.scatter(shared, broadcast=True, hash=False)
        futures = [self._client.submit(fn, payload, task, pure=False) for task in tasks]
        for future in dask_completed(futures):
            yield future.result()

    def close(self) -> None:
        """Disconnect, and stop the LocalCluster if this executor started one."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(
    executor: str = "local", *, jobs: int | None = None, scheduler: str | None = None
) -> Executor:
    """The executor named ``executor`` (``local`` or ``dask``) with ``jobs`` workers (None:
    every core; for dask, the size of the LocalCluster started when no ``scheduler`` is
    given)."""
    if executor == "local":
        if scheduler:
            raise ParameterError("scheduler", "only with executor 'dask'")
        return LocalExecutor(resolve_jobs(jobs))
    if executor == "dask":
        return DaskExecutor(scheduler, resolve_jobs(jobs))
    raise ParameterError("executor", f"unknown executor '{executor}' (local or dask)")
