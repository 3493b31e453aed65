"""Faults: a run killed while it writes, a corrupted results store, a full disk, and worker
processes that die. Each case ends in one line and a folder that holds one complete output."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from cliguard import cli, one_line, time_limit
from corridorsim.report import outputs

FIXTURES = Path(__file__).parent / "fixtures"
TINY_YAML = FIXTURES / "tiny.yaml"
TINY_STUDY = FIXTURES / "tiny-study.yaml"
KILL_STUDY = FIXTURES / "study_kill.yaml"
RUN_FILES = {"summary.json", "shipments.csv", "legs.csv", "facilities.csv", "manifest.json"}
CORRIDORSIM = [sys.executable, "-c", "from corridorsim.cli import main; main()"]
NOT_A_STORE = re.compile(
    r"^(?P<path>.+/results\.sqlite): not a corridorsim results store \(.+\): remove it or use "
    r"a new output folder$"
)
WORKER_DIED = re.compile(
    r"^error: a worker process died \(killed\?\): \d+ points not run; --resume continues$"
)


@pytest.fixture(autouse=True)
def _bounded() -> Iterator[None]:
    """Each test ends within 120 s, whatever hangs."""
    with time_limit(120):
        yield


def run_into(out: Path, seed: int) -> Result:
    return cli("run", TINY_YAML, "-r", "2", "--seed", seed, "--jobs", "1", "-o", out, "--quiet")


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def leftovers(folder: Path) -> list[str]:
    """Hidden temporary entries in ``folder`` and beside it."""
    found = [p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}.")]
    if folder.is_dir():
        found += [p.name for p in folder.iterdir() if p.name.startswith(".")]
    return found


def one_run(folder: Path) -> int:
    """The seed of the single run ``folder`` holds (its manifest and summary agree)."""
    assert {p.name for p in folder.iterdir()} == RUN_FILES
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == summary["seed"]
    return int(manifest["seed"])


# --- a run killed while it writes ----------------------------------------------------------


def test_a_killed_run_leaves_one_complete_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    argv = [*CORRIDORSIM, "run", str(TINY_YAML), "-r", "2", "--jobs", "1", "-o", str(out),
            "--quiet", "--seed"]
    subprocess.run([*argv, "1"], check=True, capture_output=True, timeout=60)
    started = time.monotonic()
    subprocess.run([*argv, "2"], check=True, capture_output=True, timeout=60)
    whole = time.monotonic() - started
    rng = random.Random(7)
    outcomes: dict[str, int] = {"old": 0, "new": 0, "finished": 0}
    for trial in range(10):
        before = one_run(out)
        seed = 3 + trial
        proc = subprocess.Popen([*argv, str(seed)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        # Most of a run is loading and simulating: aim at its end, where the files are written.
        time.sleep(whole * rng.uniform(0.7, 1.05))
        proc.send_signal(signal.SIGKILL)
        code = proc.wait(timeout=30)
        now = one_run(out)
        assert now in (before, seed)
        outcomes["finished" if code == 0 else ("new" if now == seed else "old")] += 1
    assert sum(outcomes.values()) == 10
    subprocess.run([*argv, "99"], check=True, capture_output=True, timeout=60)
    assert one_run(out) == 99
    assert leftovers(out) == []


def test_leftovers_of_an_interrupted_write_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_into(out, 1).exit_code == 0
    (tmp_path / ".out.abc123.tmp").mkdir()
    (tmp_path / ".out.abc123.tmp" / "summary.json").write_text("{")
    (out / ".legs.csv.xyz.tmp").write_text("half")
    assert run_into(out, 2).exit_code == 0
    assert one_run(out) == 2
    assert leftovers(out) == []


def test_a_swap_cut_between_its_renames_puts_the_previous_run_back(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_into(out, 1).exit_code == 0
    out.rename(tmp_path / ".out.abc123.tmp.old.tmp")  # the previous run, set aside
    (tmp_path / ".out.abc123.tmp").mkdir()  # the new one, not yet in place
    assert run_into(out, 2).exit_code == 0
    assert one_run(out) == 2
    assert leftovers(out) == []


def test_a_run_folder_with_other_files_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    line = one_line(run_into(out, 1), 2)
    assert line.startswith("-o: ") and "notes.txt" in line
    assert (out / "notes.txt").read_text() == "mine"


# --- a full disk ---------------------------------------------------------------------------


def _full_disk(after: int) -> Any:
    """A write_text_atomic that fails with ENOSPC after ``after`` files."""
    real = outputs.write_text_atomic
    calls = {"n": 0}

    def write(path: Any, text: str) -> None:
        calls["n"] += 1
        if calls["n"] > after:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(path, text)

    return write


@pytest.mark.parametrize("after", [0, 2, 4])
def test_a_full_disk_during_run_keeps_the_previous_run(
    after: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    assert run_into(out, 1).exit_code == 0
    before = folder_bytes(out)
    monkeypatch.setattr(outputs, "write_text_atomic", _full_disk(after))
    line = one_line(run_into(out, 2), 1)
    name = ["summary.json", "shipments.csv", "legs.csv", "facilities.csv", "manifest.json"][after]
    assert line == f"error: cannot write {out}/{name}: No space left on device"
    assert folder_bytes(out) == before
    assert leftovers(out) == []


def test_a_full_disk_during_compare_keeps_the_previous_comparison(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "cmp"
    args = ("compare", TINY_YAML, TINY_YAML, "-r", "2", "--jobs", "1", "-o", out, "--quiet")
    assert cli(*args).exit_code == 0, cli(*args).output
    before = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    monkeypatch.setattr(outputs, "write_text_atomic", _full_disk(3))
    line = one_line(cli(*args, "--seed", "9"), 1)
    assert line.startswith(f"error: cannot write {out}/") and "No space left on device" in line
    after = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert leftovers(out) == []


def test_a_swap_the_disk_refuses_keeps_the_previous_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    assert run_into(out, 1).exit_code == 0
    before = folder_bytes(out)

    def refuse(*args: Any) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(out))

    monkeypatch.setattr(outputs, "swap_folder_in", refuse)
    line = one_line(run_into(out, 2), 1)
    assert line == f"error: cannot write {out}: Read-only file system"
    assert folder_bytes(out) == before
    assert leftovers(out) == []


class _FullDatabase:
    """An sqlite3 connection whose writes of points fail as on a full disk."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def executemany(self, *args: Any) -> Any:
        exc = sqlite3.OperationalError("database or disk is full")
        exc.sqlite_errorname = "SQLITE_FULL"  # type: ignore[attr-defined]
        raise exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


def test_a_full_disk_during_a_sweep_is_one_line_and_resumable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from corridorsim.experiment import store

    out = tmp_path / "sweep"
    real_connect = sqlite3.connect
    monkeypatch.setattr(store.sqlite3, "connect",
                        lambda *a, **k: _FullDatabase(real_connect(*a, **k)))
    line = one_line(cli("sweep", TINY_STUDY, "-o", out, "--jobs", "1", "--quiet"), 1)
    assert line == f"error: cannot write {out}/results.sqlite: database or disk is full"
    monkeypatch.undo()
    result = cli("sweep", TINY_STUDY, "-o", out, "--jobs", "1", "--quiet")
    assert result.exit_code == 0, result.output


def test_a_full_disk_writing_sweep_files_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from corridorsim.report import sweep_outputs

    out = tmp_path / "sweep"
    assert cli("sweep", TINY_STUDY, "-o", out, "--jobs", "1", "--quiet").exit_code == 0
    before = (out / "points.csv").read_bytes()
    (out / ".indices.csv.stale.tmp").write_text("half")

    def full(path: Any, text: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(sweep_outputs, "write_text_atomic", full)
    result = cli("sweep", TINY_STUDY, "-o", out, "--jobs", "1", "--resume", "--quiet")
    assert one_line(result, 1) == f"error: cannot write {out}/points.csv: No space left on device"
    assert (out / "points.csv").read_bytes() == before
    assert not (out / ".indices.csv.stale.tmp").exists()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs (skipped where mounting is not allowed)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True, timeout=10)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, timeout=10)


def test_a_really_full_disk(small_disk: Path) -> None:
    out = small_disk / "out"
    assert run_into(out, 1).exit_code == 0
    before = folder_bytes(out)
    filler = small_disk / "filler"
    with contextlib.suppress(OSError), filler.open("wb", buffering=0) as handle:
        for _ in range(64):  # fill the disk: a second run finds no room
            handle.write(b"\0" * (1 << 14))
    line = one_line(run_into(out, 2), 1)
    assert line.startswith(f"error: cannot write {out}") and "No space left on device" in line
    assert folder_bytes(out) == before
    assert leftovers(out) == []
    sweep = small_disk / "sweep"
    line = one_line(cli("sweep", TINY_STUDY, "-o", sweep, "--jobs", "1", "--quiet"), 1)
    assert line.startswith(f"error: cannot write {sweep}")


# --- a corrupted results store -------------------------------------------------------------


@pytest.fixture(scope="module")
def finished_store(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = tmp_path_factory.mktemp("store") / "sweep"
    assert cli("sweep", TINY_STUDY, "-o", out, "--jobs", "1", "--quiet").exit_code == 0
    return (out / "results.sqlite").read_bytes()


def _sql(path: Path, *statements: str) -> None:
    db = sqlite3.connect(path)
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.close()


CORRUPTIONS = {
    "truncated": lambda p, good: p.write_bytes(good[: len(good) // 3]),
    "header only": lambda p, good: p.write_bytes(good[:100]),
    "garbage": lambda p, good: p.write_bytes(bytes(random.Random(1).randrange(256)
                                                   for _ in range(len(good)))),
    "garbage pages": lambda p, good: p.write_bytes(
        good[:4096] + bytes(random.Random(2).randrange(256) for _ in range(len(good) - 4096))
    ),
    "wrong schema": lambda p, good: _sql(p, "CREATE TABLE points (id INTEGER, x TEXT)"),
    "other meta": lambda p, good: _sql(p, "CREATE TABLE meta (k TEXT)"),
    "bad params": lambda p, good: (p.write_bytes(good),
                                   _sql(p, "UPDATE points SET params = '{oops' WHERE id = 0")),
    "bad kpis": lambda p, good: (p.write_bytes(good),
                                 _sql(p, "UPDATE points SET kpis = '[1, 2]' WHERE id = 1")),
    "bad seed": lambda p, good: (p.write_bytes(good),
                                 _sql(p, "UPDATE points SET seed = 'x' WHERE id = 0")),
    "bad id": lambda p, good: (p.write_bytes(good),
                               _sql(p, "INSERT INTO points VALUES (-5, '{}', 1, 1, NULL, 'e')")),
}


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_a_corrupted_store_says_how_to_start_over(
    kind: str, finished_store: bytes, tmp_path: Path
) -> None:
    out = tmp_path / "sweep"
    out.mkdir()
    CORRUPTIONS[kind](out / "results.sqlite", finished_store)
    line = one_line(cli("sweep", TINY_STUDY, "-o", out, "--jobs", "1", "--resume", "--quiet"), 2)
    match = NOT_A_STORE.match(line)
    assert match, line
    assert match["path"] == f"{out}/results.sqlite"


# --- workers that die ----------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _start_sweep(out: Path) -> tuple[subprocess.Popen[bytes], list[int]]:
    proc = subprocess.Popen([*CORRIDORSIM, "sweep", str(KILL_STUDY), "-o", str(out),
                             "--jobs", "2", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    workers: list[int] = []
    while time.monotonic() < deadline and len(workers) < 2:
        time.sleep(0.05)
        workers = _children(proc.pid)
    if len(workers) < 2:
        proc.kill()
        proc.wait(10)
        pytest.fail("the sweep started no workers")
    return proc, workers


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_die_with_a_killed_sweep(tmp_path: Path) -> None:
    proc, workers = _start_sweep(tmp_path / "sweep")
    proc.kill()
    proc.wait(10)
    assert proc.stderr is not None
    proc.stderr.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.05)
    left = [w for w in workers if _alive(w)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_killed_worker_is_one_line_and_the_sweep_resumes_to_the_same_numbers(
    tmp_path: Path,
) -> None:
    out = tmp_path / "sweep"
    proc, workers = _start_sweep(out)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # let a batch or two be committed first
        time.sleep(0.1)
        try:
            db = sqlite3.connect(f"file:{out / 'results.sqlite'}?mode=ro", uri=True)
            finished = db.execute("SELECT COUNT(*) FROM points").fetchone()[0]
            db.close()
        except sqlite3.Error:
            continue
        if finished:
            break
    os.kill(workers[0], signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    (line,) = err.decode().splitlines()
    assert WORKER_DIED.match(line), line
    resumed = cli("sweep", KILL_STUDY, "-o", out, "--jobs", "2", "--resume", "--quiet")
    assert resumed.exit_code == 0, resumed.output
    whole = tmp_path / "whole"
    assert cli("sweep", KILL_STUDY, "-o", whole, "--jobs", "2", "--quiet").exit_code == 0
    for name in ("points.csv", "indices.csv"):
        assert (out / name).read_bytes() == (whole / name).read_bytes()


def _die_on_one(shared: object, task: int) -> int:
    if task == 1:
        os._exit(1)
    return task


def test_a_worker_lost_by_the_pool_is_a_worker_lost_error() -> None:
    from corridorsim.experiment.executors import LocalExecutor, WorkerLostError

    got = []
    with pytest.raises(WorkerLostError, match=r"^a worker process died \(killed\?\)"):
        for value in LocalExecutor(2).run(_die_on_one, None, [0, 1, 2, 3]):
            got.append(value)
    assert 1 not in got


def test_dask_workers_killed_are_a_worker_lost_error() -> None:
    pytest.importorskip("distributed")
    import dask

    from corridorsim.experiment.executors import DaskExecutor, WorkerLostError

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        executor = DaskExecutor(None, 2)
        try:
            with pytest.raises(WorkerLostError):
                list(executor.run(_die_on_one, None, [0, 1, 2, 3]))
        finally:
            executor.close()


def _both_die_at_once(shared: object, task: int) -> int:
    if task in (0, 1):
        time.sleep(0.3)  # both workers hold a dying task before either dies
        os._exit(1)
    return task


@pytest.mark.parametrize("allowed_failures", [0, 3])
def test_two_dask_workers_killed_at_once_are_a_worker_lost_error(allowed_failures: int) -> None:
    pytest.importorskip("distributed")
    import dask

    from corridorsim.experiment.executors import DaskExecutor, WorkerLostError

    with dask.config.set({"distributed.scheduler.allowed-failures": allowed_failures}):
        executor = DaskExecutor(None, 2)
        try:
            with pytest.raises(WorkerLostError, match=r"^a worker process died \(killed\?\)"):
                list(executor.run(_both_die_at_once, None, [0, 1, 2, 3]))
        finally:
            executor.close()
