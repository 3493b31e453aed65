"""Replications: independent runs, their summary statistics, and worker-count independence.

Replication ``r`` draws from streams keyed by ``(seed, r, component)``, so results do not depend
on how many worker processes ran them or in what order; the summary reports the mean over
replication means with a Student-t 95% CI, and percentiles of the pooled consignments.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from scipy import stats

import corridorsim
from corridorsim.errors import ParameterError
from corridorsim.experiment import executors
from corridorsim.experiment.replications import simulate
from corridorsim.experiment.results import SimulationResult
from corridorsim.experiment.stats import mean_ci
from corridorsim.scenario.load import Scenario, load_scenario
from netgen import collection, link, node

TINY_YAML = Path(__file__).parent / "fixtures" / "tiny.yaml"


@pytest.fixture(scope="module")
def tiny() -> Scenario:
    return load_scenario(TINY_YAML)


@pytest.fixture(scope="module")
def corridor(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """A quick stochastic corridor: Poisson departures, a gamma border and an exponential yard,
    and a target of one day."""
    folder = tmp_path_factory.mktemp("corridor")
    a = node("A", 40.0, 40.0)
    b = node("B", 40.5, 40.0, kind="border",
             facility={"type": "border", "servers": 2,
                       "dwell_h": {"dist": "gamma", "mean": 6, "sd": 4}})
    c = node("C", 41.0, 40.0, facility={"type": "yard",
                                        "dwell_h": {"dist": "exponential", "mean": 3}})
    d = node("D", 41.5, 40.0)
    features = [a, b, c, d,
                link("A-B", a, b, mode="rail", gauge_mm=1520, length_km=100, speed_kmh=50),
                link("B-C", b, c, mode="rail", gauge_mm=1520, length_km=100, speed_kmh=50),
                link("C-D", c, d, mode="rail", gauge_mm=1520, length_km=100, speed_kmh=50)]
    (folder / "net.geojson").write_text(json.dumps(collection(features)), encoding="utf-8")
    doc = {
        "name": "corridor", "network": "net.geojson", "horizon_days": 20, "replications": 4,
        "seed": 3, "target_days": 1,
        "cargo": {"box": {"tonnes_per_wagon": 50}},
        "shipments": [
            {"id": "flow", "cargo": "box", "origin": "A", "destination": "D", "wagons": 5,
             "interarrival_h": {"dist": "exponential", "mean": 4}},
            {"id": "single", "cargo": "box", "origin": "A", "destination": "D", "wagons": 2,
             "depart_h": 5},
        ],
    }
    path = folder / "corridor.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return load_scenario(path)


def assert_same_results(one: SimulationResult, two: SimulationResult) -> None:
    assert [r.replication for r in one.replications] == [r.replication for r in two.replications]
    for a, b in zip(one.replications, two.replications, strict=True):
        for key in a.consignments:
            np.testing.assert_array_equal(a.consignments[key], b.consignments[key], err_msg=key)
        for key in a.legs:
            np.testing.assert_array_equal(a.legs[key], b.legs[key], err_msg=key)
        assert a.labels == b.labels
        assert a.facilities == b.facilities
        assert a.ferries == b.ferries
    assert json.dumps(one.summary()) == json.dumps(two.summary())


def test_jobs_1_and_2_give_equal_results(tiny: Scenario) -> None:
    assert_same_results(simulate(tiny, replications=6, seed=5, jobs=1),
                        simulate(tiny, replications=6, seed=5, jobs=2))


def test_jobs_beyond_replications_and_uneven_chunks(corridor: Scenario) -> None:
    serial = simulate(corridor, replications=7, jobs=1)
    assert_same_results(serial, simulate(corridor, replications=7, jobs=2))
    assert_same_results(simulate(corridor, replications=2, jobs=1),
                        simulate(corridor, replications=2, jobs=5))


def test_several_jobs_run_on_the_local_executor(
    corridor: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Replications go to the same local process pool as sweeps, in its tasks."""
    seen: list[tuple[int, list[list[int]]]] = []
    real = executors.LocalExecutor.run

    def run(self: executors.LocalExecutor, fn: Any, shared: Any, tasks: Any) -> Any:
        seen.append((self.workers, [list(t) for t in tasks]))
        return real(self, fn, shared, tasks)

    monkeypatch.setattr(executors.LocalExecutor, "run", run)
    result = simulate(corridor, replications=9, jobs=2)
    ((workers, tasks),) = seen
    assert workers == 2
    assert tasks == executors.batches(list(range(9)), 2, max_batch=16)
    assert [r.replication for r in result.replications] == list(range(9))


def test_replications_are_a_prefix_of_more_replications(corridor: Scenario) -> None:
    five, ten = simulate(corridor, replications=5), simulate(corridor, replications=10)
    for a, b in zip(five.replications, ten.replications[:5], strict=True):
        np.testing.assert_array_equal(a.consignments["arrive"], b.consignments["arrive"])


def test_first_replication_picks_the_same_streams(corridor: Scenario) -> None:
    tail = simulate(corridor, replications=2, first_replication=3)
    full = simulate(corridor, replications=5)
    assert [r.replication for r in tail.replications] == [3, 4]
    for a, b in zip(tail.replications, full.replications[3:], strict=True):
        np.testing.assert_array_equal(a.consignments["arrive"], b.consignments["arrive"])


def test_defaults_come_from_the_scenario(corridor: Scenario) -> None:
    result = simulate(corridor)
    assert result.seed == 3
    assert len(result.replications) == 4
    summary = result.summary()
    assert (summary["seed"], summary["replications"]) == (3, 4)


def test_seed_changes_results(corridor: Scenario) -> None:
    one = simulate(corridor, replications=2, seed=1).summary()
    two = simulate(corridor, replications=2, seed=2).summary()
    assert one["shipments"]["flow"]["transit_days"] != two["shipments"]["flow"]["transit_days"]


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"replications": 0}, "replications"), ({"jobs": 0}, "jobs"), ({"jobs": -1}, "jobs"),
])
def test_bad_counts_are_parameter_errors(corridor: Scenario, kwargs: dict[str, Any],
                                         param: str) -> None:
    got = next(iter(kwargs.values()))
    with pytest.raises(ParameterError, match=rf"^{param}: must be at least 1 \(got {got}\)$"):
        simulate(corridor, **kwargs)


def test_jobs_none_means_every_core(corridor: Scenario) -> None:
    assert_same_results(simulate(corridor, replications=3, jobs=None),
                        simulate(corridor, replications=3, jobs=1))


def test_ci_half_width_shrinks_with_more_replications(corridor: Scenario) -> None:
    widths = []
    for count in (4, 16, 64):
        transit = simulate(corridor, replications=count, jobs=2).summary()["shipments"]["flow"]
        lo, hi = transit["transit_days"]["ci95"]
        widths.append(hi - lo)
    assert widths[0] > widths[1] > widths[2] > 0
    # Roughly 1/sqrt(n) (and the t quantile falling): 16x the replications, a quarter of the
    # width or less, within a generous factor for the spread of the sample sd.
    assert widths[2] < widths[0] / 2.5


def test_summary_statistics_are_computed_from_the_replications(corridor: Scenario) -> None:
    result = simulate(corridor, replications=8)
    summary = result.summary()["shipments"]["flow"]
    means, pooled = [], []
    for rep in result.replications:
        c = rep.consignments
        done = (c["shipment"] == 0) & ~np.isnan(c["arrive"])
        days = (c["arrive"][done] - c["depart"][done]) / 24
        means.append(days.mean())
        pooled.extend(days)
    mean, lo, hi = mean_ci(means)
    assert mean == pytest.approx(np.mean(means))
    half = stats.t.ppf(0.975, 7) * np.std(means, ddof=1) / math.sqrt(8)
    assert (lo, hi) == (pytest.approx(np.mean(means) - half), pytest.approx(np.mean(means) + half))
    transit = summary["transit_days"]
    assert transit["mean"] == pytest.approx(np.mean(means), abs=1e-6)
    assert transit["ci95"] == [pytest.approx(lo, abs=1e-6), pytest.approx(hi, abs=1e-6)]
    assert transit["sd"] == pytest.approx(np.std(pooled, ddof=1), abs=1e-6)
    for p in (50, 90, 95):
        assert transit[f"p{p}"] == pytest.approx(np.percentile(pooled, p), abs=1e-6)
    within = np.mean(np.asarray(pooled) <= 1)
    # p_within_target also counts consignments still in transit past their target as late.
    assert summary["p_within_target"] <= within + 1e-9
    assert summary["p_within_target"] > 0


def test_summary_percentiles_are_ordered(tiny: Scenario, corridor: Scenario) -> None:
    for scenario in (tiny, corridor):
        summary = simulate(scenario, replications=5).summary()
        for shipment_id, s in summary["shipments"].items():
            for metric in ("transit_days", "usd_per_tonne", "co2_kg_per_tonne"):
                d = s[metric]
                assert d["p50"] <= d["p90"] <= d["p95"], (shipment_id, metric, d)
                assert d["ci95"][0] <= d["mean"] <= d["ci95"][1]


def test_single_replication_has_no_interval(corridor: Scenario) -> None:
    transit = simulate(corridor, replications=1).summary()["shipments"]["flow"]["transit_days"]
    assert transit["mean"] is not None
    assert transit["ci95"] == [None, None]  # JSON has no nan


def test_summary_is_json_without_nan(tiny: Scenario) -> None:
    text = json.dumps(simulate(tiny, replications=2).summary(), allow_nan=False)
    assert "NaN" not in text


def test_library_api_runs_a_scenario_file() -> None:
    by_path = corridorsim.simulate(TINY_YAML, replications=2, seed=4)
    by_object = corridorsim.simulate(corridorsim.load_scenario(TINY_YAML), replications=2, seed=4)
    assert by_path.summary() == by_object.summary()
