"""Where many runs go: a local process pool (the default) or a Dask cluster.

Sweeps (design points) and :func:`~corridorsim.experiment.replications.simulate`
(replications of one scenario) hand their work to an executor the same way: a function, a
shared payload and a list of tasks; the executor yields each task's result as it finishes.
Which executor ran a task never changes its numbers (seeds come with the work, not the
worker). The shared payload (a study with its base scenario and network, or one scenario) is
sent once per worker, not once per task.

Work is cut into tasks by one policy, :func:`batches`: about four tasks per worker, at most
the executor's :attr:`Executor.max_batch` items each.

Workers die with the process that started them (a pool worker whose parent is killed exits
too). A worker lost during a run (killed, out of memory) ends the run with a
:class:`WorkerLostError` once every task that did finish has been yielded, so a caller can
keep those results.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import CancelledError, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from corridorsim.errors import CorridorsimError, ParameterError

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

#: Tasks per worker: enough that a worker finishing early finds more work, few enough that
#: sending work costs little next to running it.
TASKS_PER_WORKER = 4
#: Address schemes a Dask scheduler listens on.
SCHEDULER_SCHEMES = ("tcp", "tls", "inproc", "ucx")
#: Seconds to reach a scheduler (and to find that a service is not one).
CONNECT_TIMEOUT_S = 10


class WorkerLostError(CorridorsimError):
    """A worker process died during a run; ``count`` of the run's ``unit`` (tasks, or the
    design points a sweep had left) did not run."""

    def __init__(self, count: int, unit: str = "tasks") -> None:
        self.count = count
        self.unit = unit
        super().__init__(f"a worker process died (killed?): {count} {unit} not run")


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
    die_with_parent()


#: How often a worker's watchdog looks whether its parent is still there (seconds).
WATCHDOG_INTERVAL_S = 0.5


def die_with_parent() -> None:
    """Make this (worker) process end when the process that started it ends.

    On Linux the kernel sends SIGTERM when the parent dies (``PR_SET_PDEATHSIG``); everywhere,
    a daemon thread exits the process once its parent id changes (the orphan was adopted).
    """
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):  # no prctl here: the watchdog alone does it
            pass
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(WATCHDOG_INTERVAL_S)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="corridorsim-watchdog", daemon=True).start()


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
        pool = ProcessPoolExecutor(
            max_workers=min(self.jobs, len(tasks)), initializer=_init_worker, initargs=(shared,)
        )
        try:
            futures = [pool.submit(_call, fn, task) for task in tasks]
            yield from _results(as_completed(futures), (BrokenProcessPool,))
        finally:
            # A caller that stops early (an error, a lost worker) does not wait for the rest.
            pool.shutdown(wait=True, cancel_futures=True)


def _results(
    finished: Iterable[Any], lost_errors: tuple[type[BaseException], ...]
) -> Iterator[Any]:
    """The result of each finished future, in the order they finish; once all are in, a
    :class:`WorkerLostError` counting those whose worker died (``lost_errors``)."""
    lost = 0
    for future in finished:
        try:
            result = future.result()
        except lost_errors:
            lost += 1
            continue
        yield result
    if lost:
        raise WorkerLostError(lost)


def run_replications(
    executor: Executor,
    fn: Callable[[S, tuple[T, list[int]]], Sequence[R]],
    shared: S,
    setting: T,
    count: int,
) -> list[R]:
    """Replications ``0 .. count - 1`` run as ``fn(shared, (setting, replications))`` in the
    executor's tasks, each result having a ``replication``: back in replication order. A lost
    worker is a :class:`WorkerLostError` counting the replications that did not run."""
    tasks = [(setting, batch) for batch in executor.batches(list(range(count)))]
    runs: list[Any] = []
    try:
        for finished in executor.run(fn, shared, tasks):
            runs.extend(finished)
    except WorkerLostError:
        raise WorkerLostError(count - len(runs), "replications") from None
    runs.sort(key=lambda run: run.replication)
    return runs


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
                _probe_scheduler(scheduler)
                import dask

                # A service that is not Dask may answer with anything, even a frame header
                # asking for exabytes: bound the frames and the wait.
                with dask.config.set({"distributed.comm.timeouts.connect": CONNECT_TIMEOUT_S}):
                    self._client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
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
        except Exception as exc:  # refused, timed out, or a service that is not Dask
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise CorridorsimError(f"scheduler {scheduler}: cannot connect: {reason}") from None

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
        lost_errors: tuple[type[BaseException], ...] = (CancelledError, *_dask_lost_errors())
        try:
            yield from _results(dask_completed(futures), lost_errors)
        finally:
            # Stop what is still queued; a client that lost its scheduler cannot, and need not.
            with contextlib.suppress(Exception):
                self._client.cancel([f for f in futures if not f.done()])

    def close(self) -> None:
        """Disconnect, and stop the LocalCluster if this executor started one."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def _dask_lost_errors() -> tuple[type[BaseException], ...]:
    """What a Dask future raises when its worker died: the task was killed or cancelled."""
    from distributed.scheduler import KilledWorker

    errors: list[type[BaseException]] = [KilledWorker]
    try:
        from distributed.client import FutureCancelledError

        errors.append(FutureCancelledError)
    except ImportError:  # older distributed: a plain CancelledError
        pass
    return tuple(errors)


#: The most a scheduler's first message (its handshake) may take; a service that announces
#: more is not a Dask scheduler.
HANDSHAKE_MAX_BYTES = 1 << 20


def _probe_scheduler(address: str) -> None:
    """Within :data:`CONNECT_TIMEOUT_S`, check that a tcp:// ``address`` answers as a Dask
    scheduler does (it speaks first: an 8-byte length, then a small handshake); an OSError
    saying why not otherwise. Other schemes are left to Dask."""
    import socket
    import struct

    parts = urlsplit(address)
    if parts.scheme != "tcp" or parts.hostname is None or parts.port is None:
        return
    deadline = time.monotonic() + CONNECT_TIMEOUT_S

    def read(sock: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer as a Dask scheduler within {CONNECT_TIMEOUT_S} s")
            sock.settimeout(left)
            try:
                chunk = sock.recv(min(n - len(data), 65536))
            except TimeoutError:
                raise TimeoutError(
                    f"no answer as a Dask scheduler within {CONNECT_TIMEOUT_S} s"
                ) from None
            if not chunk:
                raise ConnectionError("closed the connection: not a Dask scheduler")
            data += chunk
        return data

    with socket.create_connection((parts.hostname, parts.port), timeout=CONNECT_TIMEOUT_S) as sock:
        (size,) = struct.unpack("<Q", read(sock, 8))
        if not 0 < size <= HANDSHAKE_MAX_BYTES:
            raise ConnectionError(f"not a Dask scheduler (its first message claims {size} bytes)")
        read(sock, size)


def check_scheduler(address: str) -> str:
    """``address`` if it has the form of a Dask scheduler's (``tcp://HOST:PORT``, or tls,
    ucx, inproc); ParameterError ``scheduler`` otherwise. ``HOST:PORT`` means tcp."""
    text = address.strip()
    full = text if "://" in text else f"tcp://{text}"
    form = "expected tcp://HOST:PORT (or tls://, ucx://, inproc://)"
    try:
        parts = urlsplit(full)
        port = parts.port
    except ValueError:
        raise ParameterError(
            "scheduler", f"'{address}': the port is not a number; {form}"
        ) from None
    if parts.scheme not in SCHEDULER_SCHEMES:
        raise ParameterError("scheduler", f"'{address}': unknown scheme '{parts.scheme}'; {form}")
    if parts.scheme == "inproc":
        if not parts.netloc:
            raise ParameterError("scheduler", f"'{address}': no address; {form}")
        return full
    host = parts.hostname or ""
    if not host or any(c.isspace() for c in host) or parts.path not in ("", "/"):
        raise ParameterError("scheduler", f"'{address}': not a host name; {form}")
    if port is None:
        raise ParameterError("scheduler", f"'{address}': no port; {form}")
    return full


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
        return DaskExecutor(check_scheduler(scheduler) if scheduler else None, resolve_jobs(jobs))
    raise ParameterError("executor", f"unknown executor '{executor}' (local or dask)")
