"""The benchmark harness runs: ``python -m benchmarks --smoke`` in this process, every group once
on its smallest inputs, with no Dask cluster. Nothing here reads a timing (DESIGN.md §9): the
test checks that every group reports its rows and that every figure is a finite number."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Rows per group in smoke mode (Dask skipped): the table's shape, not its figures.
ROWS = {
    "load": 4,  # json.load and load_network, shipped and synthetic
    # build, queries against networkx and against the reference search: shipped and synthetic
    "routes": 12,
    "cli-import": 12,  # 3 import times, 6 "imported?" rows, 3 wall times
    "engine": 6,  # us per bare-SimPy event, events per consignment, legs/s: bare and ours
    # customers/s and mean sojourn of corridorsim, bare SimPy and ciw; the analytic sojourn
    "tandem": 7 if importlib.util.find_spec("ciw") is not None else 5,
    "scale": 8,  # 2 sizes: wall time, time per consignment, peak memory, bytes per leg
    "replications": 6,
    # points/s (5), LocalExecutor overhead (8), store batches (6), route searches (4 x 2)
    "sweep": 27,
    "assign": 2,  # wall time of the assignment, replications per second
}
#: Figures that are differences and may come out below zero, and counts that may be zero (the
#: others are times and rates).
SIGNED_UNITS = {"%"}
COUNT_UNITS = {"searches"}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The JSON document and the printed table of one smoke run, and its exit code."""
    out = tmp_path_factory.mktemp("bench") / "smoke.json"
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(ROOT))
        from benchmarks.run import main

        stdout = Path(out.with_suffix(".txt"))
        with stdout.open("w", encoding="utf-8") as file:
            patch.setattr(sys, "stdout", file)
            code = main(["--smoke", "--json", str(out)])
    document = json.loads(out.read_text(encoding="utf-8"))
    yield {"code": code, "table": stdout.read_text(encoding="utf-8"), **document}


def test_smoke_run_exits_0_and_prints_one_table(smoke: dict[str, Any]) -> None:
    assert smoke["code"] == 0, smoke["notes"]
    first, _, header, rule, *_ = smoke["table"].splitlines()
    assert "benchmarks (--smoke)" in first
    assert header.split() == ["benchmark", "what", "median", "unit", "ratio", "reps", "goal"]
    assert set(rule) == {"-", " "}


def test_every_group_reports_its_rows(smoke: dict[str, Any]) -> None:
    assert Counter(row["group"] for row in smoke["results"]) == ROWS
    for row in smoke["results"]:
        assert row["benchmark"] in smoke["table"] and row["what"] in smoke["table"]


def test_every_figure_is_a_finite_number_positive_unless_a_difference(
    smoke: dict[str, Any],
) -> None:
    for row in smoke["results"]:
        where = f"{row['benchmark']}: {row['what']}"
        assert row["repetitions"] == 1, where
        if isinstance(row["median"], str):  # "no", "yes", "YES (must not)"
            assert row["median"] in {"no", "yes", "YES (must not)"}, where
            continue
        for value in [row["median"], *row["samples"], row["ratio"] or 1.0]:
            assert math.isfinite(value), where
            assert value > 0 or row["unit"] in SIGNED_UNITS or (
                value == 0 and row["unit"] in COUNT_UNITS
            ), where


def test_every_measured_row_has_its_reference(smoke: dict[str, Any]) -> None:
    references = {row["benchmark"] for row in smoke["results"] if row["is_reference"]}
    for row in smoke["results"]:
        if row["ratio"] is not None:
            assert row["benchmark"] in references, row["what"]


def test_no_dask_cluster_in_smoke_mode(smoke: dict[str, Any]) -> None:
    assert not any("Dask" in row["benchmark"] for row in smoke["results"])
    assert any("Dask (distributed) skipped in smoke mode" in note for note in smoke["notes"])
