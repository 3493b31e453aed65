"""A sweep's output folder (DESIGN section 7): written in one call from the sweep's outcome,
with the columns of the study's method, and one chart per complete KPI of the kind the method
names."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from corridorsim.experiment.executors import LocalExecutor
from corridorsim.experiment.methods import METHODS
from corridorsim.experiment.study import load_study
from corridorsim.experiment.sweep import SweepOutcome, run_sweep
from corridorsim.report.sweep_outputs import CHARTS, write_sweep_folder

FIXTURES = Path(__file__).parent / "fixtures"
SMALL_STUDY = FIXTURES / "study_small.yaml"
FILES = ("points.csv", "points.parquet", "indices.csv", "indices.json", "study.json")


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> SweepOutcome:
    return run_sweep(load_study(SMALL_STUDY), tmp_path_factory.mktemp("small"), LocalExecutor(1))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_one_call_writes_the_folder(outcome: SweepOutcome, tmp_path: Path) -> None:
    written = write_sweep_folder(outcome, tmp_path)
    assert [p.name for p in written] == list(FILES)
    assert not list(tmp_path.glob("*.png"))
    rows = read_csv(tmp_path / "indices.csv")
    assert list(rows[0]) == ["shipment", "kpi", "parameter", *METHODS["morris"].index_columns]
    document = json.loads((tmp_path / "indices.json").read_text(encoding="utf-8"))
    assert document["indices"] == outcome.indices


def test_with_plots_one_chart_per_shipment_and_kpi(outcome: SweepOutcome, tmp_path: Path) -> None:
    written = write_sweep_folder(outcome, tmp_path, plots=True)
    charts = sorted(p.name for p in written if p.suffix == ".png")
    study = outcome.study
    assert charts == sorted(
        f"sensitivity_{s}_{k.replace('.', '_')}.png"
        for s in study.shipments
        for k in study.spec.kpis
    )


def partly_incomplete(outcome: SweepOutcome) -> SweepOutcome:
    """The outcome as if one KPI of one shipment had no value at some point."""
    first = (outcome.indices[0]["shipment"], outcome.indices[0]["kpi"])
    indices: list[dict[str, Any]] = [
        {**{k: r[k] for k in ("shipment", "kpi", "parameter")},
         "note": "incomplete: some points failed"}
        if (r["shipment"], r["kpi"]) == first else r
        for r in outcome.indices
    ]
    return dataclasses.replace(outcome, indices=indices)


def test_indices_csv_holds_complete_and_incomplete_kpis(
    outcome: SweepOutcome, tmp_path: Path
) -> None:
    mixed = partly_incomplete(outcome)
    written = write_sweep_folder(mixed, tmp_path, plots=True)
    rows = read_csv(tmp_path / "indices.csv")
    assert list(rows[0]) == ["shipment", "kpi", "parameter",
                             *METHODS["morris"].index_columns, "note"]
    assert rows[0]["note"] == "incomplete: some points failed" and rows[0]["mu_star"] == ""
    assert rows[-1]["note"] == "" and rows[-1]["mu_star"] != ""
    charts = [p for p in written if p.suffix == ".png"]
    kpis = len(outcome.study.shipments) * len(outcome.study.spec.kpis)
    assert len(charts) == kpis - 1  # none for the incomplete KPI


def _index_rows(columns: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        {"shipment": "s", "kpi": "transit_days.mean", "parameter": f"links.L{i}.speed_kmh",
         **{c: ([1, 2] if c == "levels" else [0.5, 0.7] if c == "level_means" else 0.1 * i)
            for c in columns}}
        for i in range(1, 4)
    ]


@pytest.mark.parametrize("name", list(METHODS))
def test_each_method_chart_is_drawn(name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    method = METHODS[name]
    rows = _index_rows(method.index_columns)
    fig = CHARTS[method.chart](rows, [r["parameter"] for r in rows], "transit_days.mean")
    try:
        assert fig.axes
    finally:
        plt.close(fig)
