"""Where a sweep runs (DESIGN section 7): a local process pool or a Dask cluster. Which executor
ran a design point never changes its numbers, so the outputs are byte-identical."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from corridorsim.cli import main
from corridorsim.errors import ParameterError
from corridorsim.experiment import executors
from corridorsim.experiment.executors import (
    DaskExecutor,
    LocalExecutor,
    batches,
    default_jobs,
    make_executor,
)
from corridorsim.experiment.study import Study, load_study
from corridorsim.experiment.sweep import run_sweep
from corridorsim.report.sweep_outputs import write_sweep_folder

FIXTURES = Path(__file__).parent / "fixtures"
SMALL_STUDY = FIXTURES / "study_small.yaml"
TINY_STUDY = FIXTURES / "tiny-study.yaml"
OUTPUTS = ("points.csv", "indices.csv", "indices.json", "points.parquet")

HAVE_DASK = importlib.util.find_spec("distributed") is not None
needs_dask = pytest.mark.skipif(not HAVE_DASK, reason="distributed cannot be imported")


@pytest.fixture(scope="module")
def study() -> Study:
    return load_study(SMALL_STUDY)


def sweep_into(study: Study, folder: Path, executor: Any) -> dict[str, bytes]:
    outcome = run_sweep(study, folder, executor)
    assert outcome.ran == len(study.points) and outcome.skipped == 0
    assert [row.id for row in outcome.rows] == list(range(len(study.points)))
    assert not any(row.error for row in outcome.rows)
    write_sweep_folder(outcome, folder)
    return {name: (folder / name).read_bytes() for name in OUTPUTS}


@pytest.fixture(scope="module")
def reference(study: Study, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The outputs of the study run in this process, one point after another."""
    return sweep_into(study, tmp_path_factory.mktemp("local1"), LocalExecutor(1))


@pytest.fixture(scope="module")
def dask_executor() -> Iterator[DaskExecutor]:
    """A real LocalCluster of two single-threaded worker processes, shared by this module."""
    executor = DaskExecutor(None, 2)
    try:
        yield executor
    finally:
        executor.close()


def test_the_study_is_small_and_complete(study: Study, reference: dict[str, bytes]) -> None:
    assert len(study.points) == 2 * (3 + 1)
    header = reference["points.csv"].decode().splitlines()[0].split(",")
    assert "pilot.transit_days.mean" in header and "second.p_within_target" in header


def test_local_pool_of_two_gives_identical_outputs(
    study: Study, reference: dict[str, bytes], tmp_path: Path
) -> None:
    assert sweep_into(study, tmp_path, LocalExecutor(2)) == reference


def test_local_pool_with_one_point_per_batch_gives_identical_outputs(
    study: Study, reference: dict[str, bytes], tmp_path: Path
) -> None:
    outcome = run_sweep(study, tmp_path, LocalExecutor(2), chunk_size=1)
    write_sweep_folder(outcome, tmp_path)
    assert {name: (tmp_path / name).read_bytes() for name in OUTPUTS} == reference


@needs_dask
def test_dask_local_cluster_gives_identical_outputs(
    study: Study, reference: dict[str, bytes], dask_executor: DaskExecutor, tmp_path: Path
) -> None:
    assert dask_executor.workers == 2
    assert sweep_into(study, tmp_path, dask_executor) == reference


@needs_dask
def test_one_dask_executor_runs_two_sweeps(
    study: Study, reference: dict[str, bytes], dask_executor: DaskExecutor, tmp_path: Path
) -> None:
    """A notebook reusing one cluster for a second study (or a second pass of the same)."""
    sweep_into(study, tmp_path / "first", dask_executor)
    assert sweep_into(study, tmp_path / "second", dask_executor) == reference


# --------------------------------------------------------------------------------------------
# Tasks: one policy for sweeps and replications


def test_batches_are_about_four_per_worker() -> None:
    items = list(range(10))
    assert batches(items, 2, max_batch=16) == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]
    assert batches(items, 1, max_batch=16) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert batches(items, 8, max_batch=16) == [[i] for i in items]
    assert batches([], 2, max_batch=16) == []


def test_batches_of_a_given_size_or_at_most_max_batch() -> None:
    items = list(range(10))
    assert batches(items, 1, max_batch=16, size=4) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches(list(range(100)), 1, max_batch=16)[0] == list(range(16))
    assert batches(list(range(100)), 1, max_batch=30)[0] == list(range(25))


def test_batches_cover_every_item_once_in_order() -> None:
    for count in (1, 2, 7, 30, 101, 1000):
        for workers in (1, 2, 3, 8):
            parts = batches(list(range(count)), workers, max_batch=LocalExecutor.max_batch)
            assert [r for part in parts for r in part] == list(range(count))
            assert all(0 < len(part) <= LocalExecutor.max_batch for part in parts)


def test_each_executor_batches_with_its_own_limit() -> None:
    assert LocalExecutor.max_batch < DaskExecutor.max_batch
    items = list(range(1000))
    assert LocalExecutor(1).batches(items) == batches(items, 1, max_batch=LocalExecutor.max_batch)
    assert LocalExecutor(2).batches(items, 7)[0] == list(range(7))


# --------------------------------------------------------------------------------------------
# The local executor


def _square(shared: int, task: list[int]) -> list[int]:
    return [shared + x * x for x in task]


@pytest.mark.parametrize("jobs", [1, 2])
def test_local_executor_runs_every_task_once(jobs: int) -> None:
    tasks = [[1, 2], [3], [4, 5, 6]]
    results = list(LocalExecutor(jobs).run(_square, 100, tasks))
    assert sorted(results) == sorted([[101, 104], [109], [116, 125, 136]])


def test_local_executor_with_no_tasks_yields_nothing() -> None:
    assert list(LocalExecutor(2).run(_square, 0, [])) == []


#: How many times this process rebuilt a _Payload from its pickle.
_UNPICKLED = 0


def _rebuild() -> _Payload:
    global _UNPICKLED
    _UNPICKLED += 1
    return _Payload()


class _Payload:
    """Counts, in each process, how often it arrives there."""

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return (_rebuild, ())


def _arrivals_here(shared: _Payload, task: int) -> tuple[int, int]:
    return os.getpid(), _UNPICKLED


def test_the_shared_payload_is_sent_once_per_worker() -> None:
    seen = list(LocalExecutor(2).run(_arrivals_here, _Payload(), list(range(40))))
    assert len(seen) == 40
    # A worker receives the payload when it starts (by fork: no pickle at all), never with
    # a task: however many tasks it ran, it rebuilt the payload at most once.
    assert max(arrivals for _, arrivals in seen) <= 1
    assert 1 <= len({pid for pid, _ in seen}) <= 2
    assert os.getpid() not in {pid for pid, _ in seen}


@pytest.mark.parametrize("jobs", [0, -3])
def test_jobs_below_one_is_a_parameter_error(jobs: int) -> None:
    with pytest.raises(ParameterError, match=rf"^jobs: must be at least 1 \(got {jobs}\)$"):
        LocalExecutor(jobs)
    with pytest.raises(ParameterError, match=r"^jobs: ") as caught:
        make_executor("local", jobs=jobs)
    assert caught.value.param == "jobs"


def test_make_executor() -> None:
    local = make_executor("local", jobs=3)
    assert isinstance(local, LocalExecutor) and local.workers == 3
    assert make_executor("local").workers == default_jobs()  # jobs None: every core
    with pytest.raises(ParameterError, match=r"^scheduler: only with executor 'dask'$") as caught:
        make_executor("local", jobs=1, scheduler="tcp://127.0.0.1:8786")
    assert caught.value.param == "scheduler"
    unknown = r"^executor: unknown executor 'ray' \(local or dask\)$"
    with pytest.raises(ParameterError, match=unknown):
        make_executor("ray", jobs=1)


def test_library_errors_name_no_flags() -> None:
    for call in (
        lambda: make_executor("local", scheduler="tcp://127.0.0.1:8786"),
        lambda: make_executor("ray"),
        lambda: LocalExecutor(0),
    ):
        with pytest.raises(ParameterError) as caught:
            call()
        assert "--" not in str(caught.value)


def test_dask_missing_gives_a_one_line_install_message(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes ``import distributed`` raise ImportError.
    monkeypatch.setitem(sys.modules, "distributed", None)
    install = r"^executor: 'dask' needs Dask: pip install 'corridorsim\[distributed\]'$"
    with pytest.raises(ParameterError, match=install) as caught:
        executors.make_executor("dask", jobs=2)
    assert caught.value.param == "executor"
    assert len(caught.value.problems) == 1


def test_dask_missing_on_the_command_line_exits_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    result = CliRunner().invoke(main, ["sweep", str(TINY_STUDY), "-o", str(tmp_path / "out"),
                                       "--executor", "dask", "--quiet"])
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line == "--executor: 'dask' needs Dask: pip install 'corridorsim[distributed]'"


def test_scheduler_without_dask_on_the_command_line_names_the_flags(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["sweep", str(TINY_STUDY), "-o", str(tmp_path / "out"),
                                       "--scheduler", "tcp://127.0.0.1:8786", "--quiet"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["--scheduler: only with executor 'dask'"]
