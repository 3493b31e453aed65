"""Sensitivity indices recover what is known analytically (DESIGN section 7).

The model is a line of five nodes, O - A - B - C - Z, each link 100 km of 1520 mm rail at
50 km/h (2 h), with a border post at A, B and C whose dwell is a fixed number of hours. One
consignment, nothing random: every replication is identical and

    transit_days = (8 + dwell_A + dwell_B + dwell_C) / 24

a linear, additive function of the three dwells. So:

* Morris: every elementary effect of parameter i is (range_i / 24) days, so mu* = mu =
  range_i / 24 and sigma = 0;
* Sobol: S1_i = ST_i = var_i / sum(var) with var_i = range_i^2 / 12, and sum S1 = 1;
* LHS: the dominant dwell has a Spearman rank correlation near 1;
* grid: the main-effect range of parameter i is exactly range_i / 24 days.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from corridorsim.experiment.executors import LocalExecutor
from corridorsim.experiment.replications import simulate
from corridorsim.experiment.sensitivity import indices
from corridorsim.experiment.study import Study, load_study
from corridorsim.experiment.sweep import SweepOutcome, run_sweep
from netgen import collection, link, node

DWELL = {name: f"nodes.{name}.facility.dwell_h" for name in "ABC"}
RUNNING_H = 4 * 100 / 50


def _doc() -> dict[str, Any]:
    o = node("O", 40.0, 40.0)
    posts = [
        node(name, 40.0 + 0.1 * (i + 1), 40.0, kind="border",
             facility={"type": "border", "dwell_h": 1.0})
        for i, name in enumerate("ABC")
    ]
    z = node("Z", 40.4, 40.0)
    chain = [o, *posts, z]
    links = [
        link(f"{a['properties']['id']}-{b['properties']['id']}", a, b, mode="rail",
             gauge_mm=1520, length_km=100, speed_kmh=50)
        for a, b in itertools.pairwise(chain)
    ]
    return collection([*chain, *links], name="Linear test line")


@pytest.fixture(scope="module")
def line_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("linear")
    (folder / "line.geojson").write_text(json.dumps(_doc()), encoding="utf-8")
    scenario = {
        "name": "One block along a line of three border posts",
        "network": "line.geojson",
        "horizon_days": 30,
        "replications": 2,
        "seed": 1,
        "cargo": {"wheat": {"tonnes_per_wagon": 50}},
        "shipments": [
            {"id": "block", "cargo": "wheat", "origin": "O", "destination": "Z", "wagons": 10}
        ],
    }
    (folder / "line.yaml").write_text(yaml.safe_dump(scenario), encoding="utf-8")
    return folder


def run_study(folder: Path, name: str, jobs: int = 1, **spec: Any) -> tuple[Study, SweepOutcome]:
    doc = {
        "name": f"linear {name}",
        "base": "line.yaml",
        "replications": 2,
        "seed": 3,
        "kpis": ["transit_days.mean", "transit_days.p90"],
        **spec,
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    study = load_study(path)
    outcome = run_sweep(study, folder / f"out-{name}", LocalExecutor(jobs))
    assert outcome.ran == len(study.points)
    assert not any(row.error for row in outcome.rows)
    assert outcome.indices == indices(study, outcome.rows)  # the sweep returns its indices
    return study, outcome


def by_parameter(found: list[dict[str, Any]], kpi: str = "transit_days.mean") -> dict[str, Any]:
    rows = [r for r in found if r["kpi"] == kpi]
    assert all("note" not in r for r in rows), rows
    return {str(r["parameter"]): r for r in rows}


def load_study_for(folder: Path) -> Study:
    path = folder / "probe.yaml"
    path.write_text(yaml.safe_dump({
        "name": "probe", "base": "line.yaml", "method": "lhs", "samples": 2,
        "parameters": {DWELL[n]: {"min": 0, "max": 1} for n in "ABC"},
    }), encoding="utf-8")
    return load_study(path)



def test_the_model_is_linear_in_the_dwells(line_dir: Path) -> None:
    study = load_study_for(line_dir)
    values = {DWELL["A"]: 0.5, DWELL["B"]: 7.0, DWELL["C"]: 42.0}
    summary = simulate(study.scenario_for(values)).summary()["shipments"]["block"]
    transit = summary["transit_days"]
    assert transit["mean"] == pytest.approx((RUNNING_H + 0.5 + 7 + 42) / 24, abs=1e-6)
    assert transit["ci95"] == [transit["mean"], transit["mean"]]  # identical replications
    assert transit["p90"] == transit["mean"]


WIDE = {"A": 1.0, "B": 10.0, "C": 100.0}


def test_morris_mu_star_is_the_elementary_effect(line_dir: Path) -> None:
    study, outcome = run_study(
        line_dir, "morris", method="morris", samples=6,
        parameters={DWELL[n]: {"min": 0, "max": r} for n, r in WIDE.items()},
    )
    assert len(outcome.rows) == 6 * (3 + 1)
    for kpi in study.spec.kpis:
        found = by_parameter(outcome.indices, kpi)
        mu_star = {n: found[DWELL[n]]["mu_star"] for n in "ABC"}
        assert mu_star["A"] < mu_star["B"] < mu_star["C"]
        for n, width in WIDE.items():
            row = found[DWELL[n]]
            assert row["mu_star"] == pytest.approx(width / 24, rel=1e-3)
            assert row["mu"] == pytest.approx(width / 24, rel=1e-3)  # all effects positive
            assert row["sigma"] == pytest.approx(0, abs=1e-4)  # linear: no interactions


# Sobol: widths 1, 3, 9 h give variance shares 1 : 9 : 81. Much wider ratios (1 : 100 : 10^4)
# put S1 of the small parameters below the estimator's noise at a few hundred points.
NARROW = {"A": 1.0, "B": 3.0, "C": 9.0}


def test_sobol_indices_rank_and_sum_to_one(line_dir: Path) -> None:
    _, outcome = run_study(
        line_dir, "sobol", jobs=2, method="sobol", samples=32,
        parameters={DWELL[n]: {"min": 0, "max": r} for n, r in NARROW.items()},
    )
    assert len(outcome.rows) == 32 * (3 + 2)
    found = by_parameter(outcome.indices)
    s1 = {n: found[DWELL[n]]["S1"] for n in "ABC"}
    st = {n: found[DWELL[n]]["ST"] for n in "ABC"}
    assert s1["A"] < s1["B"] < s1["C"]
    assert st["A"] < st["B"] < st["C"]
    assert sum(s1.values()) == pytest.approx(1, abs=0.2)  # additive: no interaction share
    total = sum(w**2 for w in NARROW.values())
    for n, width in NARROW.items():
        share = width**2 / total
        assert st[n] == pytest.approx(share, abs=0.1)
        assert s1[n] == pytest.approx(share, abs=0.15)


def test_lhs_spearman_rho_of_the_dominant_parameter_is_near_one(line_dir: Path) -> None:
    _, outcome = run_study(
        line_dir, "lhs", method="lhs", samples=20,
        parameters={DWELL[n]: {"min": 0, "max": r} for n, r in WIDE.items()},
    )
    found = by_parameter(outcome.indices)
    rho = {n: found[DWELL[n]]["spearman_rho"] for n in "ABC"}
    assert rho["C"] > 0.95
    assert found[DWELL["C"]]["p_value"] < 1e-6
    assert abs(rho["A"]) < rho["C"] and abs(rho["B"]) < rho["C"]


def test_grid_main_effect_ranges_are_the_known_differences(line_dir: Path) -> None:
    _, outcome = run_study(
        line_dir, "grid", method="grid",
        parameters={
            DWELL["A"]: [0, 1],
            DWELL["B"]: [0, 10],
            DWELL["C"]: {"min": 0, "max": 100, "steps": 3},
        },
    )
    assert len(outcome.rows) == 2 * 2 * 3
    found = by_parameter(outcome.indices)
    for n, width in WIDE.items():
        assert found[DWELL[n]]["effect_range"] == pytest.approx(width / 24, abs=2e-6)
    c = found[DWELL["C"]]
    assert c["levels"] == [0.0, 50.0, 100.0]
    steps = [b - a for a, b in itertools.pairwise(c["level_means"])]
    assert steps == pytest.approx([50 / 24, 50 / 24], abs=2e-6)


def test_failed_points_make_indices_incomplete_not_wrong(line_dir: Path) -> None:
    doc = {
        "name": "with a failing level", "base": "line.yaml", "method": "grid",
        "replications": 1, "kpis": ["transit_days.mean"],
        # -5 h is not a valid dwell: those points fail; the first level (0) is what load probes.
        "parameters": {DWELL["A"]: [0, 1], DWELL["C"]: [0, 100, -5]},
    }
    path = line_dir / "failing.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    study = load_study(path)
    outcome = run_sweep(study, line_dir / "out-failing", LocalExecutor(1))
    failed = [row for row in outcome.rows if row.error]
    assert len(failed) == 2
    assert all(row.params[DWELL["C"]] == -5 and row.kpis is None for row in failed)
    assert all("dwell_h" in row.error for row in failed)
    found = outcome.indices
    assert found == indices(study, outcome.rows)
    assert len(found) == 2
    assert all("incomplete" in r["note"] for r in found)
