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

import corridorsim.api
from corridorsim.cli import main
from corridorsim.errors import InputError, ParameterError
from corridorsim.experiment import sweep as sweep_module
from corridorsim.experiment.executors import LocalExecutor
from corridorsim.experiment.sensitivity import indices
from corridorsim.experiment.store import FILE_NAME, PointResult, ResultsStore
from corridorsim.experiment.study import Study, load_study
from corridorsim.experiment.sweep import SweepOutcome, run_sweep
from corridorsim.report.sweep_outputs import write_sweep_folder

FIXTURES = Path(__file__).parent / "fixtures"
SMALL_STUDY = FIXTURES / "study_small.yaml"
KILL_STUDY = FIXTURES / "study_kill.yaml"


def cli(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


class Interrupted(LocalExecutor):
    """Runs in this process and is interrupted (like Ctrl-C) after ``tasks`` tasks."""

    def __init__(self, tasks: int) -> None:
        super().__init__(1)
        self.stop_after = tasks

    def run(
        self, fn: Callable[[Any, Any], Any], shared: Any, tasks: Sequence[Any]
    ) -> Iterator[Any]:
        for i, task in enumerate(tasks):
            if i == self.stop_after:
                raise KeyboardInterrupt
            yield fn(shared, task)


@pytest.fixture
def ran_points(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids of the design points simulated in this process from now on."""
    ran: list[int] = []
    real = sweep_module.run_points

    def counting(study: Study, task: list[tuple[int, dict[str, Any]]]) -> list[PointResult]:
        ran.extend(point for point, _ in task)
        return real(study, task)

    monkeypatch.setattr(sweep_module, "run_points", counting)
    return ran


@pytest.fixture(scope="module")
def small() -> Study:
    return load_study(SMALL_STUDY)


@pytest.fixture(scope="module")
def small_outcome(small: Study, tmp_path_factory: pytest.TempPathFactory) -> SweepOutcome:
    """An uninterrupted sweep of the small study."""
    return run_sweep(small, tmp_path_factory.mktemp("whole"), LocalExecutor(1))


@pytest.fixture(scope="module")
def small_rows(small_outcome: SweepOutcome) -> list[PointResult]:
    """The rows of an uninterrupted sweep of the small study."""
    return small_outcome.rows


# --------------------------------------------------------------------------------------------
# The outcome carries the indices


def test_the_outcome_carries_every_point_and_the_indices(
    small: Study, small_outcome: SweepOutcome
) -> None:
    assert [row.id for row in small_outcome.rows] == list(range(len(small.points)))
    assert (small_outcome.ran, small_outcome.skipped, small_outcome.failed) == (8, 0, 0)
    assert small_outcome.indices == indices(small, small_outcome.rows)
    assert len(small_outcome.indices) == len(small.shipments) * 4 * 3  # KPIs x parameters
    assert {"mu_star", "sigma"} <= set(small_outcome.indices[0])


def test_the_library_call_builds_runs_and_closes_its_executor(
    small_outcome: SweepOutcome, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[str] = []
    monkeypatch.setattr(LocalExecutor, "close", lambda self: closed.append(self.name))
    outcome = corridorsim.api.sweep(SMALL_STUDY, tmp_path / "out", jobs=2)
    assert closed == ["local"]
    assert outcome.rows == small_outcome.rows
    assert outcome.indices == small_outcome.indices
    written = write_sweep_folder(outcome, tmp_path / "out")
    assert {p.name for p in written} == {
        "points.csv", "points.parquet", "indices.csv", "indices.json", "study.json"
    }


def test_the_library_call_closes_its_executor_when_the_sweep_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[str] = []
    monkeypatch.setattr(LocalExecutor, "close", lambda self: closed.append(self.name))
    out = tmp_path / "out"
    corridorsim.api.sweep(SMALL_STUDY, out, jobs=1)
    with pytest.raises(ParameterError, match=r"^resume: .*results\.sqlite already holds 8 "):
        corridorsim.api.sweep(SMALL_STUDY, out, jobs=1)
    assert closed == ["local", "local"]


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"jobs": 0}, "jobs"), ({"executor": "ray"}, "executor"),
    ({"scheduler": "tcp://127.0.0.1:8786"}, "scheduler"), ({"chunk_size": 0}, "chunk_size"),
])
def test_the_library_call_names_its_own_parameters(
    small: Study, tmp_path: Path, kwargs: dict[str, Any], param: str
) -> None:
    with pytest.raises(ParameterError, match=rf"^{param}: ") as caught:
        corridorsim.api.sweep(small, tmp_path / "out", **kwargs)
    assert caught.value.param == param
    assert "--" not in str(caught.value)


def test_an_output_path_that_is_a_file_is_refused(small: Study, tmp_path: Path) -> None:
    file = tmp_path / "a-file"
    file.write_text("x", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"^out_dir: .*a-file exists and is not a folder$"):
        run_sweep(small, file, LocalExecutor(1))


# --------------------------------------------------------------------------------------------
# Resume (in this process)


def test_resume_skips_finished_points(
    small: Study, small_rows: list[PointResult], tmp_path: Path, ran_points: list[int]
) -> None:
    total = len(small.points)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(small, tmp_path, Interrupted(tasks=2), chunk_size=2)
    assert sorted(ran_points) == [0, 1, 2, 3]
    with ResultsStore(tmp_path / FILE_NAME) as store:
        assert store.finished() == {0, 1, 2, 3}  # both batches committed before the interrupt
    ran_points.clear()
    outcome = run_sweep(small, tmp_path, LocalExecutor(1), resume=True)
    assert sorted(ran_points) == list(range(4, total))  # only what was missing
    assert (outcome.ran, outcome.skipped) == (total - 4, 4)
    assert outcome.rows == small_rows  # the same numbers as an uninterrupted sweep


def test_resuming_a_finished_study_runs_nothing(
    small: Study, small_rows: list[PointResult], tmp_path: Path, ran_points: list[int]
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
    assert "new output folder" in line
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


def test_a_point_failing_with_any_exception_is_recorded_and_the_sweep_goes_on(
    small: Study, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = sweep_module.simulate
    broken = {2, 5}
    calls = iter(range(len(small.points)))

    def simulate(*args: Any, **kwargs: Any) -> Any:
        if next(calls) in broken:
            return 1 / 0
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep_module, "simulate", simulate)
    outcome = run_sweep(small, tmp_path, LocalExecutor(1))
    assert [row.id for row in outcome.rows] == list(range(len(small.points)))
    assert {row.id: row.error for row in outcome.rows if row.error} == {
        2: "ZeroDivisionError: division by zero",
        5: "ZeroDivisionError: division by zero",
    }
    assert all(row.kpis is None for row in outcome.rows if row.error)
    assert all(row.kpis is not None for row in outcome.rows if not row.error)
    assert outcome.failed == 2
    assert all(r["note"] == "incomplete: some points failed" for r in outcome.indices)
    write_sweep_folder(outcome, tmp_path)
    study_json = (tmp_path / "study.json").read_text(encoding="utf-8")
    assert '"failed_points": 2' in study_json


def test_an_input_error_keeps_its_problems_joined(
    small: Study, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def simulate(*args: Any, **kwargs: Any) -> Any:
        raise InputError(["a.yaml:1: first problem", "a.yaml:2: second problem"])

    monkeypatch.setattr(sweep_module, "simulate", simulate)
    rows = run_sweep(small, tmp_path, LocalExecutor(1), chunk_size=4).rows
    assert {row.error for row in rows} == {"a.yaml:1: first problem; a.yaml:2: second problem"}


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
    assert [row.id for row in rows] == sorted(kept)
    assert all(row.kpis is not None for row in rows)
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
