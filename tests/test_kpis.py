"""KPIs (DESIGN section 7): the names a study uses for a shipment's results, and their values.

A KPI is read off the typed results of a run and rounded as ``summary.json`` rounds it, so a
study's points table and a run's summary never disagree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from corridorsim.experiment.kpis import EXAMPLES, is_kpi, kpi_value
from corridorsim.experiment.replications import simulate
from corridorsim.experiment.results import SimulationResult
from corridorsim.scenario.load import load_scenario

TINY = Path(__file__).parent / "fixtures" / "tiny.yaml"


@pytest.fixture(scope="module")
def result() -> SimulationResult:
    return simulate(load_scenario(TINY), replications=3, seed=5)


@pytest.mark.parametrize("name", [*EXAMPLES, "transit_days.half_width", "transit_days.n",
                                  "wait_h_by_cause.ferry", "time_h.running", "arrived",
                                  "in_transit", "static_days", "consignments"])
def test_known_kpis(name: str) -> None:
    assert is_kpi(name)


@pytest.mark.parametrize("name", ["transit_days", "transit_days.p99", "transit_dayz.mean",
                                  "wait_h_by_cause.lunch", "p_within_target.mean", "route",
                                  "top_waits", "id", ""])
def test_unknown_kpis(name: str) -> None:
    assert not is_kpi(name)


def test_a_mean_comes_with_its_confidence_interval(result: SimulationResult) -> None:
    block = result.summary()["shipments"]["pilot"]["transit_days"]
    assert kpi_value(result.shipment("pilot"), "transit_days.mean") == (
        block["mean"], *block["ci95"])


@pytest.mark.parametrize("kpi", ["transit_days.p90", "usd_per_tonne.sd", "co2_kg_per_tonne.n",
                                 "wait_h_by_cause.ferry", "time_h.waiting", "p_within_target",
                                 "arrived", "in_transit", "static_days"])
def test_every_other_kpi_is_its_summary_value_without_an_interval(
    result: SimulationResult, kpi: str
) -> None:
    summary: Any = result.summary()["shipments"]["pilot"]
    for part in kpi.split("."):
        summary = summary[part]
    assert kpi_value(result.shipment("pilot"), kpi) == (summary, None, None)
