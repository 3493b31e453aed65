"""Running a study (DESIGN section 7): batches committed to the results store as they finish,
``--resume`` skips what is committed, a killed sweep loses at most the points in flight, and a
resumed sweep gives the same numbers as an uninterrupted one."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from corridorsim.cli import main
from corridorsim.experiment import sweep as sweep_module
from corridorsim.experiment.executors import LocalExecutor
from corridorsim.experiment.store import FILE_NAME, ResultsStore
from corridorsim.experiment.study import Study, load_study
from corridorsim.experiment.sweep import chunk, run_sweep

FIXTURES = Path(__file__).parent / "fixtures"
SMALL_STUDY = FIXTURES / "study_small.yaml"
KILL_STUDY = FIXTURES / "study_kill.yaml"


def cli(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


class Interrupted(LocalExecutor):
    """Runs in this process and is interrupted (like Ctrl-C) after ``batches`` batches."""

    def __init__(self, batches: int) -> None:
        super().__init__(1)
        self.batches = batches

    def run(
        self, fn: Callable[[Any, Any], Any], shared: Any, tasks: Sequence[Any]
    ) -> Iterator[Any]:
        for i, task in enumerate(tasks):
            if i == self.batches:
                raise KeyboardInterrupt
            yield fn(shared, task)


@pytest.fixture
def ran_points(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids of the design points simulated in this process from now on."""
    ran: list[int] = []
    real = sweep_module.run_points

    def counting(study: Study, task: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
        ran.extend(point for point, _ in task)
        return real(study, task)

    monkeypatch.setattr(sweep_module, "run_points", counting)
    return ran


@pytest.fixture(scope="module")
def small() -> Study:
    return load_study(SMALL_STUDY)


@pytest.fixture(scope="module")
def small_rows(small: Study, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The rows of an uninterrupted sweep of the small study."""
    return run_sweep(small, tmp_path_factory.mktemp("whole"), LocalExecutor(1)).rows


# --------------------------------------------------------------------------------------------
# Batches


def test_chunk_sizes() -> None:
    items = list(range(10))
    assert chunk(items, 2) == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]  # ~4 batches per worker
    assert chunk(items, 1) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert chunk(items, 1, size=4) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert chunk(items, 8) == [[i] for i in items]
    assert chunk([], 2) == []


# --------------------------------------------------------------------------------------------
# Resume (in this process)


def test_resume_skips_finished_points(
    small: Study, small_rows: list[dict[str, Any]], tmp_path: Path, ran_points: list[int]
) -> None:
    total = len(small.points)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(small, tmp_path, Interrupted(batches=2), chunk_size=2)
    assert sorted(ran_points) == [0, 1, 2, 3]
    with ResultsStore(tmp_path / FILE_NAME) as store:
        assert store.finished() == {0, 1, 2, 3}  # both batches committed before the interrupt
    ran_points.clear()
    outcome = run_sweep(small, tmp_path, LocalExecutor(1), resume=True)
    assert sorted(ran_points) == list(range(4, total))  # only what was missing
    assert (outcome.ran, outcome.skipped) == (total - 4, 4)
    assert outcome.rows == small_rows  # the same numbers as an uninterrupted sweep


def test_resuming_a_finished_study_runs_nothing(
    small: Study, small_rows: list[dict[str, Any]], tmp_path: Path, ran_points: list[int]
) -> None:
    run_sweep(small, tmp_path, LocalExecutor(1))
    ran_points.clear()
    outcome = run_sweep(small, tmp_path, LocalExecutor(1), resume=True)
    assert ran_points == []
    assert (outcome.ran, outcome.skipped) == (0, len(small.points))
    assert outcome.rows == small_rows


def test_progress_reports_points_done(small: Study, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    run_sweep(small, tmp_path, LocalExecutor(1), chunk_size=3,
              progress=lambda done, total, rate: seen.append((done, total)))
    total = len(small.points)
    assert seen == [(0, total), (3, total), (6, total), (total, total)]


# --------------------------------------------------------------------------------------------
# Resume after a change: refused


@pytest.fixture
def study_copy(tmp_path: Path) -> Path:
    """study_small.yaml with its base scenario and network, copied where they can be edited."""
    folder = tmp_path / "study"
    folder.mkdir()
    for name in ("study_small.yaml", "study_light.yaml", "tiny.geojson"):
        shutil.copy(FIXTURES / name, folder / name)
    return folder


@pytest.mark.parametrize(
    "changed,edit",
    [
        ("study_small.yaml", lambda text: text.replace("replications: 2", "replications: 3")),
        ("study_small.yaml", lambda text: text + "# a comment is a change too\n"),
        ("study_light.yaml", lambda text: text.replace("wagons: 20", "wagons: 21")),
        ("tiny.geojson", lambda text: text + "\n"),
    ],
)
def test_resuming_after_an_input_changed_is_refused(
    study_copy: Path, tmp_path: Path, changed: str, edit: Callable[[str], str],
    ran_points: list[int],
) -> None:
    study, out = study_copy / "study_small.yaml", tmp_path / "out"
    assert cli("sweep", study, "-o", out, "--jobs", "1", "--quiet").exit_code == 0
    before = (out / "points.csv").read_bytes()
    target = study_copy / changed
    target.write_text(edit(target.read_text(encoding="utf-8")), encoding="utf-8")
    ran_points.clear()
    result = cli("sweep", study, "-o", out, "--jobs", "1", "--resume", "--quiet")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(str(out / FILE_NAME))
    assert "different version of the study" in line
    assert "new -o folder" in line
    assert ran_points == []
    assert (out / "points.csv").read_bytes() == before  # nothing overwritten


# --------------------------------------------------------------------------------------------
# Failed points


def test_a_failing_point_is_recorded_and_the_sweep_goes_on(tmp_path: Path) -> None:
    study = tmp_path / "failing.yaml"
    study.write_text(
        "name: One level is not a valid scenario\n"
        f"base: {FIXTURES / 'study_light.yaml'}\n"
        "method: grid\nreplications: 2\n"
        "parameters:\n"
        "  shipments.pilot.wagons: [15, 0]\n"
        "  links.XB-PORT--XB-BORDER.speed_kmh: [40, 60]\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = cli("sweep", study, "-o", out, "--jobs", "1", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert "2 failed" in result.stdout
    lines = (out / "points.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    errors = [row.split(",")[header.index("error")] for row in lines[1:]]
    assert [bool(e) for e in errors] == [False, False, True, True]
    assert all("wagons" in e for e in errors if e)


# --------------------------------------------------------------------------------------------
# kill -9 and resume


def committed(db: Path) -> set[int]:
    """Point ids committed to the store, read as another process would (read-only)."""
    if not db.exists():
        return set()
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return {row[0] for row in con.execute("SELECT id FROM points")}
        finally:
            con.close()
    except sqlite3.OperationalError:  # created, but no table yet
        return set()


def test_kill_9_loses_at_most_the_points_in_flight_and_resume_completes(
    tmp_path: Path, ran_points: list[int]
) -> None:
    total = len(load_study(KILL_STUDY).points)
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    db = killed / FILE_NAME
    command = [sys.executable, "-c", "from corridorsim.cli import main; main()",
               "sweep", str(KILL_STUDY), "-o", str(killed), "--jobs", "1", "--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 180
        seen: set[int] = set()
        while len(seen) < 3:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "no points committed in time"
            time.sleep(0.02)
            seen = committed(db)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        if process.stderr:
            process.stderr.close()
    assert process.returncode == -signal.SIGKILL

    # The store is readable, holds what was seen committed, and is not complete.
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
    kept = committed(db)
    assert seen <= kept
    assert 0 < len(kept) < total, (len(kept), total)
    with ResultsStore(db) as store:
        rows = store.rows()
    assert [row["id"] for row in rows] == sorted(kept)
    assert all(row["kpis"] is not None for row in rows)
    assert not (killed / "points.csv").exists()  # killed before the outputs were written

    # Resume: only the missing points run.
    ran_points.clear()
    resumed = cli("sweep", KILL_STUDY, "-o", killed, "--jobs", "1", "--resume", "--quiet")
    assert resumed.exit_code == 0, resumed.stderr
    assert sorted(ran_points) == sorted(set(range(total)) - kept)
    assert f"ran {total - len(kept)}, resumed {len(kept)}" in " ".join(resumed.stdout.split())

    # The same numbers as an uninterrupted run, to the byte.
    uninterrupted = cli("sweep", KILL_STUDY, "-o", whole, "--jobs", "1", "--quiet")
    assert uninterrupted.exit_code == 0, uninterrupted.stderr
    assert (killed / "points.csv").read_bytes() == (whole / "points.csv").read_bytes()
    assert (killed / "indices.json").read_bytes() == (whole / "indices.json").read_bytes()
