"""Where a sweep's work runs: a local process pool (default) or a Dask cluster.

Both take the same function and the same tasks and yield results as they finish; which
executor ran a task never changes its numbers (seeds come with the work, not the worker).
The shared payload (the study with its base scenario and network) is sent once per worker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from corridorsim.errors import CorridorsimError, InputError

_SHARED: Any = None


def _init_worker(shared: Any) -> None:
    global _SHARED
    _SHARED = shared


def _call(fn: Callable[[Any, Any], Any], task: Any) -> Any:
    return fn(_SHARED, task)


class LocalExecutor:
    """A pool of ``jobs`` worker processes on this machine."""

    name = "local"
    #: The most design points per task: a pool task costs well under a millisecond, so
    #: batches can stay small (little to redo after a kill).
    max_batch = 16

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs

    @property
    def workers(self) -> int:
        return self.jobs

    def run(
        self, fn: Callable[[Any, Any], Any], shared: Any, tasks: Sequence[Any]
    ) -> Iterator[Any]:
        if self.jobs == 1:
            for task in tasks:
                yield fn(shared, task)
            return
        with ProcessPoolExecutor(
            max_workers=self.jobs, initializer=_init_worker, initargs=(shared,)
        ) as pool:
            futures = [pool.submit(_call, fn, task) for task in tasks]
            for future in as_completed(futures):
                yield future.result()

    def close(self) -> None:
        pass


def _dask_missing() -> InputError:
    return InputError("--executor dask needs Dask: pip install 'corridorsim[distributed]'")


class DaskExecutor:
    """A Dask distributed cluster: the one at ``scheduler`` (tcp://HOST:PORT), or a
    LocalCluster of ``jobs`` single-threaded worker processes started for this sweep."""

    name = "dask"
    #: A Dask task costs a few milliseconds (scheduler round trips): larger batches keep
    #: that small next to the runs in them.
    max_batch = 256

    def __init__(self, scheduler: str | None, jobs: int) -> None:
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
            raise CorridorsimError(f"--scheduler {scheduler}: cannot connect: {exc}") from None

    @property
    def workers(self) -> int:
        return max(1, len(self._client.scheduler_info().get("workers", {})))

    def run(
        self, fn: Callable[[Any, Any], Any], shared: Any, tasks: Sequence[Any]
    ) -> Iterator[Any]:
        from distributed import as_completed as dask_completed

        # hash=False: a second run on this client gets a fresh key instead of reusing one the
        # scheduler may still be releasing from the first.
        payload = self._client.scatter(shared, broadcast=True, hash=False)
        futures = [self._client.submit(fn, payload, task, pure=False) for task in tasks]
        for future in dask_completed(futures):
            yield future.result()

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(
    kind: str, *, jobs: int, scheduler: str | None = None
) -> LocalExecutor | DaskExecutor:
    if kind == "local":
        if scheduler:
            raise InputError("--scheduler: only with --executor dask")
        return LocalExecutor(jobs)
    if kind == "dask":
        return DaskExecutor(scheduler, jobs)
    raise InputError(f"--executor: unknown executor '{kind}' (local or dask)")
