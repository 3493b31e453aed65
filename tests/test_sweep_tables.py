"""The terminal table of a finished sweep: what ran, then per shipment and KPI the columns
of the study's method, strongest parameter first."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from corridorsim.experiment.executors import LocalExecutor
from corridorsim.experiment.study import load_study
from corridorsim.experiment.sweep import SweepOutcome, run_sweep
from corridorsim.report.sweep_tables import sweep_table
from test_sweep_outputs import partly_incomplete

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> SweepOutcome:
    study = load_study(FIXTURES / "study_small.yaml")
    return run_sweep(study, tmp_path_factory.mktemp("small"), LocalExecutor(1))


def shown(outcome: SweepOutcome) -> str:
    console = Console(width=200, record=True)
    console.print(sweep_table(outcome))
    return console.export_text()


def test_the_head_says_what_ran(outcome: SweepOutcome) -> None:
    text = shown(outcome)
    assert text.splitlines()[0] == (
        "Small study for executor and resume tests: 8 points x 2 replications (morris); "
        "ran 8, resumed 0"
    )


def test_each_kpi_table_shows_the_method_columns_ranked_by_the_first(
    outcome: SweepOutcome,
) -> None:
    text = shown(outcome)
    assert text.count("mu_star_conf") == len(outcome.study.shipments) * 4
    table = text.split("pilot transit_days.mean")[1].split("pilot transit_days.p90")[0]
    rows = [line for line in table.splitlines() if "links." in line or "nodes." in line]
    assert "ferry.every_h" in rows[0]  # the ferry interval moves transit time most


def test_an_incomplete_kpi_shows_its_note(outcome: SweepOutcome) -> None:
    text = shown(partly_incomplete(outcome))
    assert "incomplete: some points failed" in text
