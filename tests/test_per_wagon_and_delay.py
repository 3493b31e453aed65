"""Per-wagon facility dwell (``dwell_per_wagon_h``) and link running-time delay (``delay_h``).

DESIGN section 10: a facility dwells ``dwell_h`` + wagons x ``dwell_per_wagon_h`` (the per-wagon
duration drawn once per visit), a link's passage takes km / speed + a ``delay_h`` draw. Static
routing expects the means, so with every duration fixed a transit is exactly the route's time;
the router weighs the per-wagon dwell by the consignment's wagons.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from corridorsim.errors import InputError
from corridorsim.experiment.replications import simulate
from corridorsim.network.io import parse_network
from corridorsim.routing.graph import CostModel
from corridorsim.routing.plan import clear_plan_cache, plan_cache_info, plan_route, routing_key
from corridorsim.scenario.load import Scenario, load_scenario
from corridorsim.sim.engine import Engine
from corridorsim.sim.records import CAUSES
from netgen import collection, link, node
from scenariogen import write_scenario

#: A line of 100 km at 50 km/h: 2 h of running.
LINE = {"mode": "rail", "gauge_mm": 1520, "length_km": 100.0, "speed_kmh": 50.0}
#: A link that takes a negligible, constant time: 1 m at 1000 km/h.
TINY = {"mode": "rail", "gauge_mm": 1520, "length_km": 0.001, "speed_kmh": 1000}


def ci99(values: list[float]) -> tuple[float, float]:
    """99% Student-t confidence interval of the mean of independent ``values``."""
    x = np.asarray(values)
    half = float(stats.t.ppf(0.995, x.size - 1)) * x.std(ddof=1) / math.sqrt(x.size)
    return float(x.mean()) - half, float(x.mean()) + half


def border_chain(facility: dict[str, Any], **line: Any) -> list[dict[str, Any]]:
    """A -(line)- B border (``facility``) -(tiny)- Z."""
    a = node("A", 40.0, 40.0)
    b = node("B", 40.5, 40.0, kind="border", facility=facility)
    z = node("Z", 41.0, 40.0)
    return [a, b, z, link("A-B", a, b, **{**LINE, **line}), link("B-Z", b, z, **TINY)]


def shipment(wagons: int, **more: Any) -> dict[str, Any]:
    return {"id": "s", "cargo": "box", "origin": "A", "destination": "Z", "wagons": wagons,
            **more}


def flow(wagons: int, count: int) -> dict[str, Any]:
    """Consignments 1 h apart on average (facilities have servers enough: nobody queues)."""
    return shipment(wagons, interarrival_h={"dist": "exponential", "mean": 1.0}, count=count)


def legs_of(scenario: Scenario, leg_id: str, replications: int = 1, seed: int = 1) -> list[Any]:
    """The simulated legs at ``leg_id`` (a node's facility or a link), every replication."""
    result = simulate(scenario, replications=replications, seed=seed)
    return [
        [leg for leg in rep.leg_records() if leg.id == leg_id] for rep in result.replications
    ]


# --------------------------------------------------------------------------------------------
# Per-wagon dwell


def test_fixed_per_wagon_dwell_scales_with_wagons(tmp_path: Path) -> None:
    facility = {"type": "border", "dwell_h": 2, "dwell_per_wagon_h": 0.5}
    path = write_scenario(tmp_path, border_chain(facility), shipments=[shipment(10)])
    scenario = load_scenario(path)
    route = scenario.shipments[0].route
    (leg,) = [leg for leg in route.legs if leg.kind == "facility"]
    assert leg.run_h == 7.0  # 2 + 10 x 0.5
    # The static route of a ten-wagon consignment, and of a one-wagon one.
    cost = CostModel(50.0, 0.5, wagons=10)
    static = plan_route(scenario.network, cost, "A", "Z", "fastest")
    assert static is not None
    assert [x.run_h for x in static.legs if x.kind == "facility"] == [7.0]
    single = plan_route(scenario.network, CostModel(50.0, 0.5), "A", "Z", "fastest")
    assert single is not None
    assert [x.run_h for x in single.legs if x.kind == "facility"] == [2.5]
    (visits,) = legs_of(scenario, "B")
    assert [(v.end_h - v.start_h, v.wait_h) for v in visits] == [(7.0, 0.0)]


@pytest.mark.parametrize(
    ("dwell", "fifo"),
    [(2.0, False), ({"dist": "uniform", "min": 1.0, "max": 3.0}, True)],
    ids=["resource-path", "fifo-path"],
)
def test_random_per_wagon_dwell_mean(tmp_path: Path, dwell: Any, fifo: bool) -> None:
    wagons, per_wagon_mean = 8, 0.5
    facility = {"type": "border", "dwell_h": dwell, "servers": 10_000,
                "dwell_per_wagon_h": {"dist": "exponential", "mean": per_wagon_mean}}
    path = write_scenario(tmp_path, border_chain(facility), horizon_days=120,
                          shipments=[flow(wagons, 1500)])
    scenario = load_scenario(path)
    route = scenario.shipments[0].route
    engine = Engine(scenario, 0)
    (leg,) = [leg for leg in route.legs if leg.kind == "facility"]
    assert engine._fifo(leg) is fifo
    analytic = 2.0 + wagons * per_wagon_mean
    assert leg.run_h == analytic
    means = []
    for visits in legs_of(scenario, "B", replications=8, seed=3):
        assert len(visits) == 1500
        assert all(v.wait_h == 0.0 for v in visits)
        means.append(float(np.mean([v.end_h - v.start_h for v in visits])))
    lo, hi = ci99(means)
    assert lo <= analytic <= hi, (analytic, lo, hi, means)


def test_per_wagon_dwell_has_its_own_stream(tmp_path: Path) -> None:
    """Adding a per-wagon dwell changes no other draw: the base dwell and the rest of the
    legs are those of the run without it, the facility's legs longer by wagons x draw."""
    dwell = {"dist": "lognormal", "mean": 3.0, "sd": 1.0}
    ends = {}
    for name, extra in [("none", {}), ("zero", {"dwell_per_wagon_h": 0}),
                        ("random", {"dwell_per_wagon_h": {"dist": "gamma", "mean": 1, "sd": 1}})]:
        facility = {"type": "border", "dwell_h": dwell, "servers": 10_000, **extra}
        path = write_scenario(tmp_path / name, border_chain(facility), shipments=[flow(4, 200)])
        (visits,) = legs_of(load_scenario(path), "B", seed=7)
        visits.sort(key=lambda v: v.consignment)  # recorded as they end
        ends[name] = [(v.arrive_h, v.start_h, v.end_h - v.start_h) for v in visits]
    # Fixed 0 is a valid duration: nothing changes (the visits run through the SimPy resource
    # instead of the one-event path, to the same times).
    assert ends["zero"] == ends["none"]
    extra_h = [r[2] - n[2] for r, n in zip(ends["random"], ends["none"], strict=True)]
    assert [r[:2] for r in ends["random"]] == [n[:2] for n in ends["none"]]
    assert min(extra_h) > 0
    assert len(set(np.round(extra_h, 9))) == len(extra_h)  # drawn afresh per visit


def test_absent_and_zero_per_wagon_dwell_give_identical_legs(tmp_path: Path) -> None:
    columns = {}
    for name, extra in [("absent", {}), ("zero", {"dwell_per_wagon_h": 0})]:
        facility = {"type": "border", "dwell_h": 4.5, "servers": 2, **extra}
        path = write_scenario(tmp_path / name, border_chain(facility), shipments=[flow(5, 300)])
        rep = simulate(load_scenario(path), replications=1, seed=5).replications[0]
        columns[name] = rep.legs
    assert columns["absent"].keys() == columns["zero"].keys()
    for key in columns["absent"]:
        np.testing.assert_array_equal(columns["absent"][key], columns["zero"][key])
    # Some consignments did queue: the comparison covers waits too.
    assert columns["absent"]["wait"].max() > 0


def test_router_weighs_per_wagon_dwell_by_wagons(tmp_path: Path) -> None:
    """A -> Z via B (1 h + 0.5 h per wagon) or via C (10 h a train): a one-wagon consignment
    goes through B (1.5 h), a 40-wagon train through C (10 h rather than 21 h)."""
    a = node("A", 40.0, 40.0)
    b = node("B", 40.5, 40.1, kind="border",
             facility={"type": "border", "dwell_h": 1, "dwell_per_wagon_h": 0.5})
    c = node("C", 40.5, 39.9, kind="border", facility={"type": "border", "dwell_h": 10})
    z = node("Z", 41.0, 40.0)
    features = [a, b, c, z, link("A-B", a, b, **LINE), link("B-Z", b, z, **LINE),
                link("A-C", a, c, **LINE), link("C-Z", c, z, **LINE)]
    shipments = [{**shipment(1), "id": "one"}, {**shipment(40), "id": "train"}]
    path = write_scenario(tmp_path, features, shipments=shipments)
    scenario = load_scenario(path)
    assert scenario.shipment("one").route.nodes == ("A", "B", "Z")
    assert scenario.shipment("train").route.nodes == ("A", "C", "Z")
    for policy in ("fastest", "generalized"):
        for wagons, via in [(1, "B"), (40, "C")]:
            route = plan_route(scenario.network, CostModel(50.0, 0.5, wagons), "A", "Z", policy)
            assert route is not None
            assert route.nodes == ("A", via, "Z")


def test_plans_are_shared_between_train_lengths_without_per_wagon_dwell() -> None:
    a, z = node("A", 40.0, 40.0), node("Z", 41.0, 40.0)
    network = parse_network(collection([a, z, link("A-Z", a, z, **LINE)]))
    clear_plan_cache()
    one = plan_route(network, CostModel(50.0, 0.5, 1), "A", "Z", "fastest")
    long = plan_route(network, CostModel(50.0, 0.5, 57), "A", "Z", "fastest")
    assert one == long
    assert plan_cache_info().searches == 1


def test_routing_key_reads_per_wagon_and_delay_means() -> None:
    def network(per_wagon: Any, delay: Any) -> Any:
        facility = {"type": "border", "dwell_h": 2}
        if per_wagon is not None:
            facility["dwell_per_wagon_h"] = per_wagon
        line = {} if delay is None else {"delay_h": delay}
        return parse_network(collection(border_chain(facility, **line)))

    keys = [
        routing_key(network(per_wagon, delay))
        for per_wagon, delay in [(None, None), (0.5, None), (0.7, None), (None, 3), (None, 4)]
    ]
    assert len(set(keys)) == len(keys)
    # The spread is not what routing reads.
    assert routing_key(network({"dist": "gamma", "mean": 0.5, "sd": 0.1}, None)) == keys[1]
    assert routing_key(network(None, {"dist": "exponential", "mean": 3})) == keys[3]


# --------------------------------------------------------------------------------------------
# Link delay


def test_fixed_delay_adds_to_each_passage_and_to_the_route(tmp_path: Path) -> None:
    facility = {"type": "border", "dwell_h": 0}
    path = write_scenario(tmp_path, border_chain(facility, delay_h=3),
                          shipments=[flow(2, 20)])
    scenario = load_scenario(path)
    route = scenario.shipments[0].route
    (leg,) = [leg for leg in route.legs if leg.id == "A-B"]
    assert leg.run_h == 5.0  # 100 km at 50 km/h, and the delay
    static = plan_route(scenario.network, CostModel(50.0, 0.5), "A", "Z", "fastest")
    assert static is not None
    assert static.hours == route.hours
    (passages,) = legs_of(scenario, "A-B")
    assert len(passages) == 20
    for p in passages:
        assert p.end_h - p.start_h == pytest.approx(5.0, rel=0, abs=1e-9)


def test_exponential_delay_mean(tmp_path: Path) -> None:
    delay_mean = 3.0
    path = write_scenario(
        tmp_path,
        border_chain({"type": "border", "dwell_h": 0},
                     delay_h={"dist": "exponential", "mean": delay_mean}),
        horizon_days=120, shipments=[flow(1, 1500)],
    )
    scenario = load_scenario(path)
    (leg,) = [leg for leg in scenario.shipments[0].route.legs if leg.id == "A-B"]
    assert leg.run_h == 2.0 + delay_mean
    means = []
    for passages in legs_of(scenario, "A-B", replications=8, seed=4):
        assert len(passages) == 1500
        delays = [p.end_h - p.start_h - 2.0 for p in passages]
        assert min(delays) > 0
        means.append(float(np.mean(delays)))
    lo, hi = ci99(means)
    assert lo <= delay_mean <= hi, (lo, hi, means)


def test_delay_keeps_capacity_headways(tmp_path: Path) -> None:
    """A delayed line still spaces its trains by its capacity: the delay is the running
    part's, not the headway's."""
    path = write_scenario(
        tmp_path,
        border_chain({"type": "border", "dwell_h": 0}, delay_h=1, capacity_per_day=4),
        shipments=[shipment(1, interarrival_h=1.0, count=3)],
    )
    (passages,) = legs_of(load_scenario(path), "A-B")
    assert [p.start_h for p in passages] == [0.0, 6.0, 12.0]
    assert {p.end_h - p.start_h for p in passages} == {3.0}


def test_ferry_with_delay_is_refused() -> None:
    p = node("P", 40.0, 40.0, kind="port", facility={"type": "port", "dwell_h": 1})
    q = node("Q", 41.0, 40.0, kind="port", facility={"type": "port", "dwell_h": 1})
    ferry = {"capacity_wagons": 10, "sailing_h": 9, "every_h": 24}
    doc = collection([p, q, link("P-Q", p, q, mode="ferry", ferry=ferry, delay_h=2)])
    with pytest.raises(InputError) as caught:
        parse_network(doc, filename="net.geojson")
    (problem,) = caught.value.problems
    assert problem.startswith("net.geojson: feature P-Q: ")
    assert "delay_h" in problem and "ferry.sailing_h" in problem
    assert "\n" not in problem


def test_delay_on_a_sea_link_is_accepted() -> None:
    p = node("P", 40.0, 40.0, kind="port", facility={"type": "port", "dwell_h": 1})
    q = node("Q", 41.0, 40.0, kind="port", facility={"type": "port", "dwell_h": 1})
    network = parse_network(collection([p, q, link("P-Q", p, q, mode="sea", delay_h=2)]))
    assert network.link("P-Q").delay_mean_h() == 2.0


# --------------------------------------------------------------------------------------------
# Zero variance with both keys: simulated time == static route time


def deterministic_features() -> list[dict[str, Any]]:
    """The chain of tests/test_validation_queueing.py with per-wagon dwell at two facilities
    and delays on two lines, every figure fixed and odd."""
    a = node("A", 40.0, 40.0)
    b = node("B", 40.5, 40.0, kind="border",
             facility={"type": "border", "dwell_h": 7.3, "dwell_per_wagon_h": 0.37,
                       "fee_usd_per_wagon": 40})
    y = node("Y", 41.0, 40.0, kind="junction", facility={"type": "yard", "dwell_h": 3.7})
    g = node("G", 41.5, 40.0, kind="terminal",
             facility=[{"type": "gauge_change", "dwell_h": 5.9, "dwell_per_wagon_h": 0.113,
                        "fee_usd_per_wagon": 300},
                       {"type": "border", "dwell_h": 2.2}])
    k = node("K", 42.0, 40.0, kind="border", facility={"type": "border", "dwell_h": 11.1})
    z = node("Z", 42.5, 40.0, kind="city")
    return [
        a, b, y, g, k, z,
        link("A-B", a, b, mode="rail", gauge_mm=1520, length_km=123.4, speed_kmh=47.0,
             delay_h=1.9, tariff={"usd_per_wagon_km": 0.9}),
        link("B-Y", b, y, mode="rail", gauge_mm=1520, length_km=61.7, speed_kmh=33.0),
        link("Y-G", y, g, mode="rail", gauge_mm=1520, length_km=17.3, speed_kmh=51.0),
        link("G-K", g, k, mode="rail", gauge_mm=1435, length_km=88.8, speed_kmh=71.0,
             delay_h=0.77, tariff={"usd_per_tonne_km": 0.02}),
        link("K-Z", k, z, mode="rail", gauge_mm=1435, length_km=45.5, speed_kmh=29.0),
    ]


def test_zero_variance_transit_equals_static_route_time_with_both_keys(tmp_path: Path) -> None:
    shipments = [
        {"id": "single", "cargo": "box", "origin": "A", "destination": "Z", "wagons": 12},
        {"id": "flow", "cargo": "box", "origin": "A", "destination": "Z", "wagons": 3,
         "depart_h": 50.5, "interarrival_h": 200.0, "count": 4},
    ]
    path = write_scenario(tmp_path, deterministic_features(), horizon_days=60,
                          shipments=shipments)
    scenario = load_scenario(path)
    routes = [plan.route for plan in scenario.shipments]
    for plan in scenario.shipments:
        cargo = plan.cargo
        cost = CostModel(cargo.tonnes_per_wagon, cargo.value_of_time_usd_per_tonne_day,
                         plan.wagons)
        static = plan_route(scenario.network, cost, "A", "Z", plan.spec.route.effective_policy)
        assert static is not None
        assert static.hours == plan.route.hours
    # The per-wagon dwells make the 12-wagon consignment's route the longer one.
    assert routes[0].hours - routes[1].hours == pytest.approx(9 * (0.37 + 0.113), abs=1e-12)
    result = simulate(scenario, replications=2, seed=9)
    for rep in result.replications:
        consignments = list(rep.consignment_records())
        assert len(consignments) == 5
        for c in consignments:
            route = routes[c.shipment]
            if c.depart_h == 0.0:
                assert c.transit_h == route.hours  # exactly: the same sums in the same order
            assert c.transit_h == pytest.approx(route.hours, rel=0, abs=1e-9)
            assert c.wait_h == (0.0,) * len(CAUSES)
            assert c.cost_usd == pytest.approx(route.usd_per_wagon * c.wagons, rel=1e-12, abs=0)
