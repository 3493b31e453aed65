"""Assignment with congestion feedback (``corridorsim assign``, DESIGN §13): analytic checks
against the logit stochastic user equilibrium of two M/M/1 routes, the static cases, the
method of successive averages, conservation, resuming, the executors and bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.optimize import brentq

from cliguard import cli, one_line
from corridorsim.experiment.assignment import assign, next_split
from corridorsim.experiment.executors import LocalExecutor
from corridorsim.routing.choice import target_shares
from corridorsim.scenario.load import load_scenario
from netgen import link, node
from scenariogen import write_scenario

TINY = {"mode": "rail", "gauge_mm": 1520, "length_km": 0.001, "speed_kmh": 1000}
#: Trains per hour of the Poisson flow, and the borders' service rate per hour.
RATE_PER_H = 0.8
SERVICE_PER_H = 1.0
#: Hours route 2 runs longer than route 1 (100 km at 100 km/h).
EXTRA_H = 1.0


def two_borders() -> list[dict[str, Any]]:
    """O - B1 - D and O - B2 - D: each border one server, exponential dwell of mean 1 h; the
    second route runs 1 h longer."""
    o = node("O", 40.0, 40.0)
    facility = {"type": "border", "servers": 1,
                "dwell_h": {"dist": "exponential", "mean": 1 / SERVICE_PER_H}}
    b1 = node("B1", 40.001, 40.001, kind="border", country="YA", facility=facility)
    b2 = node("B2", 40.001, 39.999, kind="border", country="YB", facility=facility)
    d = node("D", 40.002, 40.0, country="XZ")
    return [o, b1, b2, d, link("O-B1", o, b1, **TINY), link("B1-D", b1, d, **TINY),
            link("O-B2", o, b2, **TINY),
            link("B2-D", b2, d, mode="rail", gauge_mm=1520, length_km=100 * EXTRA_H,
                 speed_kmh=100)]


def flow(**keys: Any) -> dict[str, Any]:
    """One-wagon trains of 50 t, a Poisson flow of RATE_PER_H an hour, over two routes."""
    return {"id": "flow", "cargo": "box", "origin": "O", "destination": "D", "wagons": 1,
            "tonnes_per_year": RATE_PER_H * 50 * 8760, "routes": 2, **keys}


def mm1_scenario(tmp_path: Path, horizon_days: float = 200, **assignment: Any) -> Path:
    return write_scenario(
        tmp_path, two_borders(), horizon_days=horizon_days, warmup_days=10,
        demand=[flow()],
        assignment={"model": "logit", "theta": 24.0, "cost": "days", **assignment})


def sue_share(theta_per_day: float) -> float:
    """Route 1's share at the logit stochastic user equilibrium: p = logit(C2 - C1) with
    each route's cost its M/M/1 sojourn (1 / (mu - lambda p)) plus its running time."""

    def cost_days(share: float, extra_h: float) -> float:
        return (1 / (SERVICE_PER_H - RATE_PER_H * share) + extra_h) / 24

    def gap(p: float) -> float:
        c1, c2 = cost_days(p, 0.0), cost_days(1 - p, EXTRA_H)
        return p - 1 / (1 + math.exp(theta_per_day * (c1 - c2)))

    # Any share is stable: even the whole flow (0.8 an hour) is below a border's 1 an hour.
    return float(brentq(gap, 1e-9, 1 - 1e-9))


# --------------------------------------------------------------------------------------------
# Analytic


def test_the_split_of_two_mm1_routes_is_the_logit_equilibrium(tmp_path: Path) -> None:
    scenario = load_scenario(mm1_scenario(tmp_path))
    outcome = assign(scenario)
    (index, _plan), = outcome.demand
    expected = sue_share(24.0)
    share = outcome.split[index][0]
    lo, hi = outcome.share_ci95[index][0]
    assert lo <= expected <= hi, (share, (lo, hi), expected)
    assert share == pytest.approx(expected, abs=0.03)
    assert outcome.converged
    # The static split (no queue at all) is far from it: congestion moved the split.
    assert scenario.shipments[0].shares[0] == pytest.approx(1 / (1 + math.exp(-1.0)))
    assert abs(scenario.shipments[0].shares[0] - expected) > 0.1


def test_all_or_nothing_without_congestion_is_the_static_fastest_route(tmp_path: Path) -> None:
    # No facility: each route takes its running time whatever the flow.
    o, m, d = node("O", 40.0, 40.0), node("M", 40.5, 40.3), node("D", 41.0, 40.0)
    n = node("N", 40.5, 39.7)
    rail = {"mode": "rail", "gauge_mm": 1520, "speed_kmh": 50}
    features = [o, m, n, d, link("O-M", o, m, length_km=100, **rail),
                link("M-D", m, d, length_km=100, **rail),
                link("O-N", o, n, length_km=120, **rail), link("N-D", n, d, length_km=120, **rail)]
    path = write_scenario(tmp_path, features, horizon_days=30, demand=[flow(wagons=10)],
                          assignment={"model": "all_or_nothing", "cost": "days",
                                      "replications": 2})
    outcome = assign(load_scenario(path))
    (index, plan), = outcome.demand
    fastest = min(range(2), key=lambda r: plan.choices[r].days)
    assert plan.choices[fastest].links == ("O-M", "M-D")
    assert outcome.split[index][fastest] == 1.0
    assert outcome.measures[index][fastest].transit_days == pytest.approx(
        plan.choices[fastest].days)
    assert outcome.converged and len(outcome.iterations) == 1


def test_no_iterations_keeps_logit_on_the_static_costs_computed_by_hand(tmp_path: Path) -> None:
    # A - M - Z: 100 USD a wagon; A - N - Z: 60 USD a wagon; 50 t wagons: 2.0 and 1.2 USD/t.
    rail = {"mode": "rail", "gauge_mm": 1520, "speed_kmh": 50}
    a, m, n, z = (node("O", 40.0, 40.0), node("M", 40.5, 40.3), node("N", 40.5, 39.7),
                  node("D", 41.0, 40.0))
    features = [a, m, n, z,
                link("O-M", a, m, length_km=100, tariff={"usd_per_wagon": 100}, **rail),
                link("M-D", m, z, length_km=100, **rail),
                link("O-N", a, n, length_km=150, tariff={"usd_per_wagon": 60}, **rail),
                link("N-D", n, z, length_km=150, **rail)]
    path = write_scenario(tmp_path, features, horizon_days=20, demand=[flow(wagons=10)],
                          assignment={"theta": 0.5, "cost": "usd", "iterations": 0,
                                      "replications": 1})
    outcome = assign(load_scenario(path))
    (index, plan), = outcome.demand
    assert [r.links for r in plan.choices] == [("O-N", "N-D"), ("O-M", "M-D")]
    by_hand = 1 / (1 + math.exp(-0.5 * (2.0 - 1.2)))
    assert outcome.split[index] == pytest.approx((by_hand, 1 - by_hand), abs=1e-12)
    assert outcome.iterations == ()
    # Simulated: each route charges its tariff, exactly.
    assert [m.usd_per_tonne for m in outcome.measures[index]] == pytest.approx([1.2, 2.0])


def test_successive_averages_reach_a_known_fixed_point(tmp_path: Path) -> None:
    # next_split driven by the M/M/1 costs of the split itself (no simulation): the fixed
    # point is the equilibrium found by root finding.
    scenario = load_scenario(mm1_scenario(tmp_path))
    split = {0: scenario.shipments[0].shares}

    def costs(shares: tuple[float, ...]) -> tuple[float, ...]:
        p = shares[0]
        return ((1 / (SERVICE_PER_H - RATE_PER_H * p)) / 24,
                (1 / (SERVICE_PER_H - RATE_PER_H * (1 - p)) + EXTRA_H) / 24)

    for n in range(1, 200):
        target, split, change, gap = next_split(scenario, split, {0: costs(split[0])}, n)
    assert split[0][0] == pytest.approx(sue_share(24.0), abs=2e-3)
    assert change < 1e-3 and gap < 1e-2
    assert sum(split[0]) == pytest.approx(1.0)
    assert target[0] == pytest.approx(tuple(target_shares(costs(split[0]), "logit", 24.0)),
                                      abs=1e-2)


def test_tonnes_are_conserved_over_the_routes_and_on_the_network(tmp_path: Path) -> None:
    outcome = assign(load_scenario(mm1_scenario(tmp_path, horizon_days=120)),
                     replications=3, iterations=3)
    document = outcome.document()
    (flow_doc,) = document["flows"].values()
    total = outcome.scenario.shipments[0].tonnes_per_year
    assert sum(r["tonnes_per_year"] for r in flow_doc["routes"]) == pytest.approx(total)
    assert sum(r["share"] for r in flow_doc["routes"]) == pytest.approx(1.0)
    assert document["iterations"] == 3 and len(flow_doc["iterations"]) == 3
    for iteration in flow_doc["iterations"]:
        assert sum(iteration["shares"]) == pytest.approx(1.0)
        assert sum(iteration["target"]) == pytest.approx(1.0)
    # What left the origin over its two links is the flow, within Poisson noise (~1%).
    by_element = {f.element: f.tonnes_per_year for f in outcome.flows}
    assert by_element["O-B1"] + by_element["O-B2"] == pytest.approx(total, rel=0.04)
    # And each route's tonnes on the network are its share of them.
    share = outcome.split[0][0]
    assert by_element["O-B1"] == pytest.approx(share * total, rel=0.08)


# --------------------------------------------------------------------------------------------
# Resuming, executors, outputs


def test_a_resumed_assignment_gives_what_an_uninterrupted_one_gives(tmp_path: Path) -> None:
    path = mm1_scenario(tmp_path / "s", horizon_days=60, tolerance=1e-9)
    scenario = load_scenario(path)
    straight = assign(scenario, replications=2, iterations=4).document()
    # Two iterations, stopped; then four, resumed from the store.
    assign(scenario, replications=2, iterations=2, out_dir=tmp_path / "out")
    resumed = assign(scenario, replications=2, iterations=4, out_dir=tmp_path / "out",
                     resume=True)
    assert resumed.document() == straight
    # The store holds every iteration; starting over in it without resume is refused.
    with pytest.raises(Exception, match="resume"):
        assign(scenario, replications=2, iterations=4, out_dir=tmp_path / "out")


def test_the_numbers_do_not_depend_on_the_workers(tmp_path: Path) -> None:
    scenario = load_scenario(mm1_scenario(tmp_path, horizon_days=60))
    one = assign(scenario, replications=3, iterations=2).document()
    with LocalExecutor(2) as pool:
        two = assign(scenario, replications=3, iterations=2, executor=pool).document()
    assert one == two


def test_assign_on_the_command_line_writes_its_folder(tmp_path: Path) -> None:
    path = mm1_scenario(tmp_path / "s", horizon_days=60, replications=2, iterations=3)
    out = tmp_path / "out"
    result = cli("assign", path, "-o", out, "--plots", "--quiet")
    assert result.exit_code == 0, result.output
    assert "flow" in result.stdout and "Bottlenecks" in result.stdout
    for name in ("assignment.json", "flows.csv", "manifest.json", "results.sqlite",
                 "flow_map.png", "convergence.png"):
        assert (out / name).stat().st_size > 0, name
    document = json.loads((out / "assignment.json").read_text())
    assert set(document) >= {"scenario", "model", "theta", "cost", "converged", "flows"}
    flow_doc = document["flows"]["flow"]
    assert set(flow_doc) >= {"origin", "destination", "tonnes_per_year", "routes", "iterations"}
    (route, _) = flow_doc["routes"]
    assert set(route) >= {"nodes", "links", "share", "tonnes_per_year", "transit_days",
                          "usd_per_tonne", "generalized_usd_per_tonne"}
    assert set(route["transit_days"]) == {"mean", "p50", "p90"}
    assert {"iteration", "shares", "max_share_change"} <= set(flow_doc["iterations"][0])
    header = (out / "flows.csv").read_text().splitlines()[0]
    assert header == "element,kind,tonnes_per_year,trains_per_day,utilisation,mean_wait_h"
    again = cli("assign", path, "--json", "--quiet")
    assert again.exit_code == 0
    assert json.loads(again.stdout)["flows"] == document["flows"]
    # The same folder again without --resume is refused, with the flag named.
    assert "--resume" in one_line(cli("assign", path, "-o", out, "--quiet"), 2)
    assert cli("assign", path, "-o", out, "--resume", "--quiet").exit_code == 0


# --------------------------------------------------------------------------------------------
# Bad input: exit 2, one line naming the file and the place


def bad(tmp_path: Path, **keys: Any) -> str:
    scenario = {"horizon_days": 30, "demand": [flow()], "assignment": {}, **keys}
    path = write_scenario(tmp_path, two_borders(), **scenario)
    return one_line(cli("assign", path, "--quiet"), 2)


def test_an_unknown_node_is_refused_with_its_line(tmp_path: Path) -> None:
    line = bad(tmp_path, demand=[flow(origin="NOWHERE")])
    assert "scenario.yaml:" in line and "demand[0].origin" in line and "NOWHERE" in line


def test_an_unknown_node_in_a_zone_is_refused_with_its_place(tmp_path: Path) -> None:
    line = bad(tmp_path, demand=[flow(destination=["D", "ELSEWHERE"])])
    assert "demand[0].destination[1]" in line and "ELSEWHERE" in line


def test_a_negative_theta_is_refused(tmp_path: Path) -> None:
    line = bad(tmp_path, assignment={"theta": -0.1})
    assert "assignment.theta" in line


def test_a_zero_tolerance_is_refused(tmp_path: Path) -> None:
    line = bad(tmp_path, assignment={"tolerance": 0})
    assert "assignment.tolerance" in line


def test_an_empty_choice_set_is_refused(tmp_path: Path) -> None:
    # The given routes all join other places than the flow's.
    line = bad(tmp_path, demand=[flow(fixed_routes=[["B1", "D"]])])
    assert "demand[0].fixed_routes" in line and "no route from O to D" in line


def test_a_flow_with_no_way_between_its_ends_is_refused(tmp_path: Path) -> None:
    lonely = node("X", 45.0, 45.0)
    path = write_scenario(tmp_path, [*two_borders(), lonely], horizon_days=30,
                          demand=[flow(destination="X")])
    line = one_line(cli("assign", path, "--quiet"), 2)
    assert "demand[0]" in line and "X" in line


def test_a_scenario_without_demand_has_nothing_to_assign(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, two_borders(), shipments=[{
        "id": "one", "cargo": "box", "origin": "O", "destination": "D", "wagons": 1}])
    assert "no demand" in one_line(cli("assign", path, "--quiet"), 2)


def test_resume_needs_an_output_folder(tmp_path: Path) -> None:
    path = mm1_scenario(tmp_path, horizon_days=30)
    assert "--resume" in one_line(cli("assign", path, "--resume", "--quiet"), 2)


# --------------------------------------------------------------------------------------------
# Zones


def test_a_zone_splits_its_tonnage_equally_over_its_pairs(tmp_path: Path) -> None:
    o2 = node("O2", 39.999, 40.0)
    features = [*two_borders(), o2, link("O2-O", o2, node("O", 40.0, 40.0), **TINY)]
    path = write_scenario(tmp_path, features, horizon_days=30,
                          demand=[flow(origin=["O", "O2"])], assignment={"replications": 1})
    scenario = load_scenario(path)
    pairs = [plan for plan in scenario.shipments if plan.flow == "flow"]
    assert [p.id for p in pairs] == ["flow_O_D", "flow_O2_D"]
    assert [p.tonnes_per_year for p in pairs] == pytest.approx([RATE_PER_H * 50 * 8760 / 2] * 2)
    outcome = assign(scenario, iterations=1)
    flows = outcome.document()["flows"]
    assert list(flows) == ["flow_O_D", "flow_O2_D"]
    assert [f["flow"] for f in flows.values()] == ["flow", "flow"]
    assert np.isclose(sum(sum(s) for s in outcome.split.values()), 2.0)


def test_on_a_dask_cluster_the_numbers_are_the_local_ones(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    from corridorsim.experiment.executors import DaskExecutor

    scenario = load_scenario(mm1_scenario(tmp_path, horizon_days=40))
    local = assign(scenario, replications=2, iterations=2).document()
    with DaskExecutor(None, 2) as cluster:
        assert assign(scenario, replications=2, iterations=2, executor=cluster).document() == local


def test_warnings_say_when_the_split_is_not_consistent(tmp_path: Path) -> None:
    import dataclasses

    outcome = assign(load_scenario(mm1_scenario(tmp_path, horizon_days=60)), replications=3,
                     iterations=1)
    # One step of 1 from the static split: it moved too far to have converged.
    assert not outcome.converged
    assert any("not converged after 1 iterations" in w for w in outcome.warnings())
    last = outcome.iterations[-1]
    narrow = {0: ((0.49, 0.51), (0.49, 0.51))}
    far = dataclasses.replace(outcome, converged=True, share_ci95=narrow,
                              iterations=(dataclasses.replace(last, max_gap=0.3),))
    (text,) = far.warnings()
    assert "still 0.300 from the model's split" in text
    # A gap within the replications' noise is no warning.
    noisy = dataclasses.replace(far, share_ci95={0: ((0.0, 0.8), (0.2, 1.0))})
    assert list(noisy.warnings()) == []
