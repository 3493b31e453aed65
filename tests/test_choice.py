"""Route choice models, the successive averages and the dealing of trains to routes."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridorsim.errors import InputError
from corridorsim.experiment.replications import simulate
from corridorsim.routing import Router
from corridorsim.routing.choice import path_sizes, successive_average, target_shares
from corridorsim.scenario.load import load_scenario
from corridorsim.sim.dealing import Dealer, deal
from corridorsim.sim.streams import generator
from netgen import link, node
from scenariogen import write_scenario


def test_logit_of_two_routes_is_the_textbook_formula() -> None:
    # P_1 = 1 / (1 + exp(theta (C_1 - C_2))).
    shares = target_shares([100.0, 110.0], "logit", 0.05)
    assert shares[0] == pytest.approx(1 / (1 + math.exp(0.05 * (100 - 110))))
    assert shares.sum() == pytest.approx(1)


def test_logit_is_stable_for_large_costs_and_equal_for_equal_costs() -> None:
    assert target_shares([1e6, 1e6 + 1], "logit", 10.0).tolist() == pytest.approx(
        [1 / (1 + math.exp(-10)), 1 / (1 + math.exp(10))])
    assert target_shares([5.0, 5.0, 5.0], "logit", 1.0).tolist() == pytest.approx([1 / 3] * 3)


def test_all_or_nothing_takes_the_cheapest_and_splits_ties() -> None:
    assert target_shares([3.0, 1.0, 2.0], "all_or_nothing", 0.0).tolist() == [0, 1, 0]
    assert target_shares([1.0, 1.0, 2.0], "all_or_nothing", 0.0).tolist() == [0.5, 0.5, 0]


def test_path_sizes_count_shared_length_once() -> None:
    # Two routes sharing all their length, and a third of its own: PS = 1/2, 1/2, 1.
    a = [("x", 100.0), ("y", 50.0)]
    sizes = path_sizes([a, list(a), [("z", 120.0)]])
    assert sizes.tolist() == pytest.approx([0.5, 0.5, 1.0])
    # Half shared: 0.5 x 1 + 0.5 x 1/2 = 0.75 each.
    half = path_sizes([[("s", 50.0), ("p", 50.0)], [("s", 50.0), ("q", 50.0)]])
    assert half.tolist() == pytest.approx([0.75, 0.75])


def test_path_size_logit_treats_duplicates_as_one_alternative() -> None:
    # Plain logit gives the two copies of one route 2/3 between them; the path-size logit
    # gives them together what one route gets against the other: 1/2.
    sizes = path_sizes([[("x", 1.0)], [("x", 1.0)], [("z", 1.0)]])
    plain = target_shares([1.0, 1.0, 1.0], "logit", 1.0)
    sized = target_shares([1.0, 1.0, 1.0], "path_size_logit", 1.0, sizes)
    assert plain[:2].sum() == pytest.approx(2 / 3)
    assert sized[:2].sum() == pytest.approx(1 / 2)


def test_unknown_models_and_missing_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown route choice model 'probit'"):
        target_shares([1.0], "probit", 1.0)
    with pytest.raises(ValueError, match="needs the routes' path sizes"):
        target_shares([1.0, 2.0], "path_size_logit", 1.0)


def test_successive_averages_reach_the_logit_equilibrium_of_a_congested_pair() -> None:
    # Route costs rise with their share (C = a + b x share); the stochastic user equilibrium is
    # the split s where s = logit(C(s)). MSA from an even split converges to it.
    a, b, theta = np.array([10.0, 12.0]), np.array([8.0, 2.0]), 0.8

    def costs(s: np.ndarray) -> np.ndarray:
        return a + b * s

    s = np.array([0.5, 0.5])
    for n in range(1, 400):
        s = successive_average(s, target_shares(costs(s), "logit", theta), n)
    assert s == pytest.approx(target_shares(costs(s), "logit", theta), abs=1e-3)
    assert 0.2 < s[0] < 0.8  # congestion keeps the cheap-when-empty route from taking all


def test_successive_averages_count_from_one() -> None:
    with pytest.raises(ValueError, match="count from 1"):
        successive_average(np.array([1.0]), np.array([1.0]), 0)


def test_each_train_takes_the_route_whose_interval_holds_its_number() -> None:
    assert deal([0.5, 0.5], [0.1, 0.6, 0.5, 0.49]) == [0, 1, 1, 0]
    # A route of share 0 holds no interval: the number at its boundary goes on.
    assert deal([0.25, 0.0, 0.75], [0.0, 0.25, 0.999999]) == [0, 2, 2]
    assert deal([1.0, 0.0], [0.0, 0.5, 0.9999]) == [0, 0, 0]
    assert deal([], [0.3]) == [] and deal([1.0], []) == []
    with pytest.raises(ValueError, match="share"):
        deal([0.0, 0.0], [0.5])


def test_the_dealt_shares_are_the_split_within_binomial_noise() -> None:
    u = np.random.default_rng(7).random(40_000)
    counts = np.bincount(deal([0.2, 0.5, 0.3], u), minlength=3)
    for share, count in zip([0.2, 0.5, 0.3], counts, strict=True):
        sd = math.sqrt(40_000 * share * (1 - share))
        assert abs(count - 40_000 * share) < 4 * sd


splits = st.lists(st.floats(0.0, 1.0), min_size=1, max_size=5).filter(lambda s: sum(s) > 0.01)


@settings(max_examples=300, deadline=None)
@given(splits, st.data())
def test_a_train_changes_route_only_where_the_split_moved_a_boundary_across_its_number(
    shares: list[float], data: st.DataObject
) -> None:
    other = data.draw(st.lists(st.floats(0.0, 1.0), min_size=len(shares),
                               max_size=len(shares)).filter(lambda s: sum(s) > 0.01))
    u = data.draw(st.lists(st.floats(0.0, 1.0, exclude_max=True), min_size=1, max_size=50))
    before, after = deal(shares, u), deal(other, u)
    lo = np.cumsum(np.asarray(shares) / sum(shares))
    hi = np.cumsum(np.asarray(other) / sum(other))
    for x, r, q in zip(u, before, after, strict=True):
        if r != q:
            assert any(min(a, b) - 1e-12 <= x <= max(a, b) + 1e-12
                       for a, b in zip(lo, hi, strict=True)), (x, lo, hi)
    # The same split deals the same numbers the same way, one train at a time too.
    dealer = Dealer(shares, iter(u).__next__)
    assert [dealer.next() for _ in u] == before


# --------------------------------------------------------------------------------------------
# The engine deals a flow's trains to its routes


def test_the_engine_sends_each_train_the_way_the_split_deals_it(tmp_path: Path) -> None:
    # A - M - Z (2 h + 2 h) and A - N - Z (3 h + 3 h); a flow of 8 trains split 3 : 1.
    rail = {"mode": "rail", "gauge_mm": 1520, "speed_kmh": 50}
    a, m, n, z = (node("A", 40.0, 40.0), node("M", 40.5, 40.3), node("N", 40.5, 39.7),
                  node("Z", 41.0, 40.0))
    features = [a, m, n, z,
                link("A-M", a, m, length_km=100, **rail), link("M-Z", m, z, length_km=100, **rail),
                link("A-N", a, n, length_km=150, **rail), link("N-Z", n, z, length_km=150, **rail)]
    path = write_scenario(tmp_path, features, shipments=[{
        "id": "flow", "cargo": "box", "origin": "A", "destination": "Z", "wagons": 5,
        "interarrival_h": 10.0, "count": 8}])
    scenario = load_scenario(path)
    plan = scenario.shipments[0]
    fast, slow = Router(scenario.network).routes("A", "Z", k=2)
    split = dataclasses.replace(plan, choices=(fast, slow), shares=(0.75, 0.25))
    rep = simulate(dataclasses.replace(scenario, shipments=(split,)), replications=1,
                   seed=1).replications[0]
    taken = [tuple(leg.id for leg in rep.leg_records(c.row) if leg.kind == "link")
             for c in rep.consignment_records()]
    dealt = deal([0.75, 0.25], generator(1, 0, "shipment:flow:routes").random(8))
    assert taken == [(fast, slow)[r].links for r in dealt]
    assert [c.transit_h for c in rep.consignment_records()] == [
        (4.0, 6.0)[r] for r in dealt]
    assert rep.consignments["route"].tolist() == dealt


# --------------------------------------------------------------------------------------------
# Demand flows in a scenario: the first split, logit on the static route costs


def two_ways() -> list[dict[str, Any]]:
    """A - M - Z (100 + 100 km, 100 USD a wagon) and A - N - Z (150 + 150 km, 60 USD)."""
    rail = {"mode": "rail", "gauge_mm": 1520, "speed_kmh": 50}
    a, m, n, z = (node("A", 40.0, 40.0), node("M", 40.5, 40.3), node("N", 40.5, 39.7),
                  node("Z", 41.0, 40.0))
    return [a, m, n, z,
            link("A-M", a, m, length_km=100, tariff={"usd_per_wagon": 100}, **rail),
            link("M-Z", m, z, length_km=100, **rail),
            link("A-N", a, n, length_km=150, tariff={"usd_per_wagon": 60}, **rail),
            link("N-Z", n, z, length_km=150, **rail)]


def flow(**keys: Any) -> dict[str, Any]:
    return {"id": "flow", "cargo": "box", "origin": "A", "destination": "Z", "wagons": 10,
            "tonnes_per_year": 200_000, **keys}


def test_a_demand_flow_starts_split_by_logit_on_its_static_costs(tmp_path: Path) -> None:
    # 1.2 against 2.0 USD a tonne (50 t wagons), theta 0.5 per USD a tonne.
    path = write_scenario(tmp_path, two_ways(), horizon_days=60, demand=[flow(routes=2)],
                          assignment={"theta": 0.5, "cost": "usd"})
    (plan,) = load_scenario(path).shipments
    assert [route.links for route in plan.choices] == [("A-N", "N-Z"), ("A-M", "M-Z")]
    assert plan.shares[0] == pytest.approx(1 / (1 + math.exp(-0.5 * (2.0 - 1.2))))
    rep = simulate(load_scenario(path), replications=1, seed=1).replications[0]
    routes = rep.consignments["route"].tolist()
    assert routes == deal(plan.shares, generator(1, 0, "shipment:flow:routes").random(len(routes)))


def test_fixed_routes_are_the_choice_set_as_given(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, two_ways(), demand=[flow(fixed_routes=[["A", "M", "Z"]])],
                          assignment={"model": "all_or_nothing"})
    (plan,) = load_scenario(path).shipments
    assert [route.nodes for route in plan.choices] == [("A", "M", "Z")]
    assert plan.shares == (1.0,)


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ({"demand": []}, r"give shipments, demand or both"),
        ({"demand": [flow(cargo="ore")]}, r"demand\[0\]\.cargo: no cargo 'ore'"),
        ({"demand": [flow(destination="Q")]}, r"demand\[0\]\.destination: no "),
        ({"demand": [flow(fixed_routes=[["A", "X", "Z"]])]},
         r"demand\[0\]\.fixed_routes\[0\]\[1\]: no node 'X'"),
        ({"demand": [flow(fixed_routes=[["A", "Z"]])]},
         r"demand\[0\]\.fixed_routes\[0\]: no route from A to Z through these nodes"),
        ({"demand": [flow(), flow()]}, r"two shipments and demand flows have the id 'flow'"),
        ({"demand": [flow(tonnes_per_month=10.0)]}, r"give one of tonnes_per_year or "),
    ],
)
def test_bad_demand_is_named(tmp_path: Path, scenario: dict[str, Any], message: str) -> None:
    path = write_scenario(tmp_path, two_ways(), shipments=[], **scenario)
    with pytest.raises(InputError, match=message):
        load_scenario(path)
