"""Where a sweep runs (DESIGN section 7): a local process pool or a Dask cluster. Which executor
ran a design point never changes its numbers, so the outputs are byte-identical."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from corridorsim.cli import main
from corridorsim.errors import InputError
from corridorsim.experiment import executors
from corridorsim.experiment.executors import DaskExecutor, LocalExecutor, make_executor
from corridorsim.experiment.sensitivity import indices
from corridorsim.experiment.study import Study, load_study
from corridorsim.experiment.sweep import run_sweep
from corridorsim.report.sweep_outputs import write_sweep_outputs

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
    assert [row["id"] for row in outcome.rows] == list(range(len(study.points)))
    assert not any(row["error"] for row in outcome.rows)
    write_sweep_outputs(outcome, indices(study, outcome.rows), folder)
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
    write_sweep_outputs(outcome, indices(study, outcome.rows), tmp_path)
    assert {name: (tmp_path / name).read_bytes() for name in OUTPUTS} == reference


@needs_dask
def test_dask_local_cluster_gives_identical_outputs(
    study: Study, reference: dict[str, bytes], dask_executor: DaskExecutor, tmp_path: Path
) -> None:
    assert dask_executor.workers == 2
    assert sweep_into(study, tmp_path, dask_executor) == reference


def _square(shared: int, task: list[int]) -> list[int]:
    return [shared + x * x for x in task]


@pytest.mark.parametrize("jobs", [1, 2])
def test_local_executor_runs_every_task_once(jobs: int) -> None:
    tasks = [[1, 2], [3], [4, 5, 6]]
    results = list(LocalExecutor(jobs).run(_square, 100, tasks))
    assert sorted(results) == sorted([[101, 104], [109], [116, 125, 136]])


def test_make_executor() -> None:
    local = make_executor("local", jobs=3)
    assert isinstance(local, LocalExecutor) and local.workers == 3
    with pytest.raises(InputError, match="--scheduler: only with --executor dask"):
        make_executor("local", jobs=1, scheduler="tcp://127.0.0.1:8786")
    with pytest.raises(InputError, match="unknown executor 'ray'"):
        make_executor("ray", jobs=1)


def test_dask_missing_gives_a_one_line_install_message(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes ``import distributed`` raise ImportError.
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(InputError) as caught:
        executors.make_executor("dask", jobs=2)
    (line,) = caught.value.problems
    assert "pip install" in line and "corridorsim[distributed]" in line


def test_dask_missing_on_the_command_line_exits_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    result = CliRunner().invoke(main, ["sweep", str(TINY_STUDY), "-o", str(tmp_path / "out"),
                                       "--executor", "dask", "--quiet"])
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert "pip install 'corridorsim[distributed]'" in line
