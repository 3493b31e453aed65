"""Fleets, trucks, units and the cost of time (DESIGN §11 and §16).

Hand-computed: a fleet too small for its flow throttles departures exactly as the cycle time
(loaded run + unload + empty run) allows; hire and demurrage add exactly wagons x days x rate;
a terminal turns 10 wagons x 60 t into 30 trucks paying per-truck tariffs; breakdowns by
category and by country add up to the total. A property: a fleet's wagons are conserved.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import corridorsim
from corridorsim.cli import main
from corridorsim.errors import InputError
from corridorsim.experiment.replications import simulate
from corridorsim.scenario.load import load_scenario
from corridorsim.sim.records import ReplicationResult
from netgen import link, node
from scenariogen import write_scenario
from test_engine import check_invariants

RAIL = {"mode": "rail", "gauge_mm": 1520}


def two_stations(**tariff: float) -> list[dict[str, Any]]:
    """A -100 km at 10 km/h (10 h)- Z."""
    a, z = node("A", 40.0, 40.0), node("Z", 41.0, 40.0)
    return [a, z, link("A-Z", a, z, **RAIL, length_km=100, speed_kmh=10,
                       tariff=tariff or {"usd_per_wagon_km": 1.0})]


def flow(**more: Any) -> dict[str, Any]:
    return {"id": "s", "cargo": "box", "origin": "A", "destination": "Z", "wagons": 10,
            **more}


def run(tmp_path: Path, features: list[dict[str, Any]], **scenario: Any) -> ReplicationResult:
    path = write_scenario(tmp_path, features, **scenario)
    loaded = load_scenario(path)
    rep = simulate(loaded, replications=1, seed=1).replications[0]
    check_invariants(loaded, rep)
    return rep


# --------------------------------------------------------------------------------------------
# Fleets


def test_a_small_fleet_throttles_departures_to_its_cycle(tmp_path: Path) -> None:
    # 20 wagons, trains of 10 every 5 h: a cycle is 10 h loaded + 2 h unloading + 10 h empty =
    # 22 h, so two trains leave at once, the next two when the first sets are home.
    rep = run(tmp_path, two_stations(), horizon_days=10,
              shipments=[flow(interarrival_h=5.0, count=6, fleet="f")],
              fleets=[{"id": "f", "wagons": 20, "home": "A", "unload_h": 2}])
    consignments = list(rep.consignment_records())
    assert [c.depart_h for c in consignments] == [0, 5, 10, 15, 20, 25]  # planned
    assert [c.wait("fleet") for c in consignments] == [0, 0, 12, 12, 24, 24]
    assert [c.arrive_h for c in consignments] == [10, 15, 32, 37, 54, 59]
    cycles = rep.fleet_cycles
    assert cycles is not None
    assert cycles["left_h"].tolist() == [0, 5, 22, 27, 44, 49]
    assert cycles["home_h"].tolist() == [22, 27, 44, 49, 66, 71]
    first = next(iter(rep.leg_records(0)))
    assert (first.kind, first.id) == ("fleet", "A")


def test_fleet_kpis_and_empties_in_the_summary(tmp_path: Path) -> None:
    path = write_scenario(
        tmp_path, two_stations(), horizon_days=10,
        cargo={"box": {"tonnes_per_wagon": 50, "empty_tariff_factor": 0.5,
                       "tare_tonnes_per_wagon": 25}},
        shipments=[flow(interarrival_h=5.0, count=6, fleet="f")],
        fleets=[{"id": "f", "wagons": 20, "home": "A", "unload_h": 2}],
    )
    summary = simulate(load_scenario(path), replications=2, seed=1).summary()
    fleet = summary["fleets"]["f"]
    assert fleet["trips"] == 6
    assert fleet["turnaround_days"] == {"mean": pytest.approx(22 / 24),
                                        "p90": pytest.approx(22 / 24)}
    # 6 trips x 10 wagons x 22 h away, of 20 wagons x 240 h.
    assert fleet["utilisation"] == pytest.approx(6 * 10 * 22 / (20 * 240))
    empties = summary["empties"]["f"]
    assert empties["usd_per_wagon"] == pytest.approx(100 * 0.5)  # half the 100 USD tariff
    assert empties["transit_days"] == pytest.approx(10 / 24)
    # Empties move their tare alone: a third of the loaded wagon's 75 t.
    assert empties["co2_kg_per_wagon"] == pytest.approx(25 * 100 * 25 / 1000)
    assert summary["shipments"]["s"]["co2_kg_per_tonne"]["mean"] == pytest.approx(
        25 * 100 * 75 / 1000 / 50)


@st.composite
def fleet_cases(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "fleet_wagons": draw(st.integers(5, 60)),
        "wagons": draw(st.integers(1, 5)),
        "gap_h": draw(st.floats(0.5, 20)),
        "unload_h": draw(st.floats(0, 10)),
        "servers": draw(st.integers(1, 3)),
    }


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fleet_cases())
def test_fleet_wagons_are_conserved_at_every_instant(tmp_path: Path, case: dict[str, Any]
                                                    ) -> None:
    # A border with a random dwell on the way: trips overlap and queue.
    a, b, z = node("A", 40.0, 40.0), node("B", 40.5, 40.0, kind="border", facility={
        "type": "border", "dwell_h": {"dist": "exponential", "mean": 3},
        "servers": case["servers"]}), node("Z", 41.0, 40.0)
    features = [a, b, z, link("A-B", a, b, **RAIL, length_km=50, speed_kmh=10),
                link("B-Z", b, z, **RAIL, length_km=50, speed_kmh=10)]
    rep = run(tmp_path, features, horizon_days=15,
              shipments=[flow(wagons=case["wagons"], fleet="f",
                              interarrival_h={"dist": "exponential", "mean": case["gap_h"]})],
              fleets=[{"id": "f", "wagons": case["fleet_wagons"], "home": "A",
                       "unload_h": case["unload_h"]}])
    cycles = rep.fleet_cycles
    assert cycles is not None
    arrive = rep.consignments["arrive"][cycles["consignment"]]
    left, empty, home = cycles["left_h"], cycles["empty_h"], cycles["home_h"]
    # Each trip is in one state at a time: loaded, unloading, returning.
    assert np.all(left <= np.nan_to_num(arrive, nan=np.inf))
    assert np.all(np.nan_to_num(arrive, nan=-np.inf) <= np.nan_to_num(empty, nan=np.inf))
    horizon = 15 * 24
    waits = [leg for leg in rep.leg_records() if leg.kind == "fleet" and leg.wait_h > 0]
    for t in np.linspace(0, horizon, 97):
        away = np.where((left <= t) & (t < np.nan_to_num(home, nan=np.inf)), cycles["wagons"], 0)
        at_home = case["fleet_wagons"] - int(away.sum())
        assert at_home >= 0, t
        # A departure waiting for wagons means too few are at home (all trains the same size).
        if any(w.arrive_h < t < w.start_h for w in waits):
            assert at_home < case["wagons"], t


def test_empty_wagons_go_home_by_rail(tmp_path: Path) -> None:
    # A - Z by rail (10 h), or by road through M (0.2 h). The loaded train avoids M; the
    # fastest way back is the road, but the fleet's wagons come back by rail.
    a, z = node("A", 40.0, 40.0), node("Z", 41.0, 40.0)
    m = node("M", 40.5, 41.0)
    features = [a, z, m, link("A-Z", a, z, **RAIL, length_km=100, speed_kmh=10),
                link("Z-M", z, m, mode="road", length_km=10, speed_kmh=100),
                link("M-A", m, a, mode="road", length_km=10, speed_kmh=100)]
    fleets = [{"id": "f", "wagons": 10, "home": "A"}]
    path = write_scenario(tmp_path, features, fleets=fleets,
                          shipments=[flow(fleet="f", route={"avoid": ["M"]})])
    plan = load_scenario(path).shipments[0]
    assert plan.return_route is not None and plan.return_route.modes == ("rail",)
    # A fleet's route that reaches its destination by road is refused.
    path = write_scenario(tmp_path, features, fleets=fleets, shipments=[flow(fleet="f")])
    with pytest.raises(InputError, match=r"shipments\[0\]\.fleet: the route of a fleet's wagons "
                                         r"must reach Z by rail, not in road"):
        load_scenario(path)


def test_bad_fleets_are_named(tmp_path: Path) -> None:
    fleets = [{"id": "f", "wagons": 5, "home": "A"}]
    cases = [
        ({"fleet": "nope"}, fleets, r"shipments\[0\]\.fleet: no fleet 'nope' \(defined: f\)"),
        ({"fleet": "f"}, fleets,
         r"fleets\[0\]\.wagons: 5 wagons, fewer than one consignment of shipment s \(10\)"),
        ({"fleet": "f", "origin": "Z", "destination": "A"}, [{**fleets[0], "wagons": 50}],
         r"shipments\[0\]\.fleet: fleet f's wagons are at A, but the shipment loads at Z"),
    ]
    for shipment, fleet_list, message in cases:
        path = write_scenario(tmp_path, two_stations(), shipments=[flow(**shipment)],
                              fleets=fleet_list)
        result = CliRunner().invoke(main, ["run", str(path), "--quiet"])
        assert result.exit_code == 2, result.output
        (line,) = result.output.strip().splitlines()
        assert re.search(r"scenario\.yaml:\d+: " + message, line), line


# --------------------------------------------------------------------------------------------
# The cost of time


def test_hire_and_demurrage_add_wagons_times_days_times_rate(tmp_path: Path) -> None:
    # 10 wagons at 24 USD a wagon-day: 10 h on the line and 5 h at the yard = 150 USD.
    # Demurrage 48 USD a wagon-day beyond 2 h free: 3 h x 10 wagons x 2 USD/h = 60 USD.
    a = node("A", 40.0, 40.0)
    y = node("Y", 40.5, 40.0, facility={"type": "yard", "dwell_h": 5, "free_time_h": 2,
                                        "demurrage_usd_per_wagon_day": 48})
    z = node("Z", 41.0, 40.0)
    features = [a, y, z, link("A-Y", a, y, **RAIL, length_km=50, speed_kmh=10),
                link("Y-Z", y, z, **RAIL, length_km=50, speed_kmh=10)]
    path = write_scenario(tmp_path, features, shipments=[flow()],
                          cargo={"box": {"tonnes_per_wagon": 50, "wagon_hire_usd_per_day": 24}})
    scenario = load_scenario(path)
    route = scenario.shipments[0].route
    assert route.usd_per_wagon == pytest.approx(15 + 6)  # the static expectation per wagon
    result = simulate(scenario, replications=1, seed=1)
    (c,) = result.replications[0].consignment_records()
    assert c.cost_usd == pytest.approx(150 + 60)
    legs = list(result.replications[0].leg_records(0))
    assert sum(leg.hire_usd for leg in legs) == pytest.approx(150)
    assert sum(leg.demurrage_usd for leg in legs) == pytest.approx(60)
    parts = result.summary()["shipments"]["s"]["usd_per_tonne_by_category"]
    assert parts == {"tariff": 0, "facility_fees": 0, "ferry": 0,
                     "wagon_hire": pytest.approx(150 / 500), "demurrage": pytest.approx(60 / 500)}


def test_generalized_routes_count_the_wagon_hire(tmp_path: Path) -> None:
    # Two ways: 10 h for 100 USD a wagon, or 30 h for 90. At 24 USD a wagon-day of hire the
    # slow way costs 90 + 30 = 120 against 100 + 10 = 110: the fast way is cheaper then.
    a, z, m = node("A", 40.0, 40.0), node("Z", 41.0, 40.0), node("M", 40.5, 41.0)
    features = [
        a, z, m,
        link("A-Z", a, z, **RAIL, length_km=100, speed_kmh=10, tariff={"usd_per_wagon": 100}),
        link("A-M", a, m, **RAIL, length_km=150, speed_kmh=10, tariff={"usd_per_wagon": 45}),
        link("M-Z", m, z, **RAIL, length_km=150, speed_kmh=10, tariff={"usd_per_wagon": 45}),
    ]
    for hire, links in ((0, ("A-M", "M-Z")), (24, ("A-Z",))):
        path = write_scenario(
            tmp_path, features, shipments=[flow(route={"policy": "generalized"})],
            cargo={"box": {"tonnes_per_wagon": 50, "wagon_hire_usd_per_day": hire,
                           "value_of_time_usd_per_tonne_day": 0}})
        assert load_scenario(path).shipments[0].route.links == links


# --------------------------------------------------------------------------------------------
# Trucks and units


def test_a_terminal_turns_wagons_into_trucks_paying_per_truck(tmp_path: Path) -> None:
    # 10 wagons x 60 t at a rail-road terminal: 600 t in 30 trucks of 20 t, each paying
    # 2 USD a truck-km over 100 km and a road border fee of 50 USD a truck.
    a = node("A", 40.0, 40.0)
    t = node("T", 40.5, 40.0, kind="terminal", facility={"type": "terminal", "dwell_h": 1,
                                                         "fee_usd_per_wagon": 10})
    b = node("B", 40.8, 40.0, kind="border", facility={"type": "border", "dwell_h": 1,
                                                       "fee_usd_per_wagon": 50})
    z = node("Z", 41.0, 40.0)
    features = [a, t, b, z,
                link("A-T", a, t, **RAIL, length_km=50, speed_kmh=50),
                link("T-B", t, b, mode="road", length_km=50, speed_kmh=50,
                     tariff={"usd_per_wagon_km": 2}),
                link("B-Z", b, z, mode="road", length_km=50, speed_kmh=50,
                     tariff={"usd_per_wagon_km": 2})]
    path = write_scenario(tmp_path, features, shipments=[flow()],
                          cargo={"box": {"tonnes_per_wagon": 60}})
    scenario = load_scenario(path)
    route = scenario.shipments[0].route
    assert "road" in route.modes
    expected = 10 * 10 + 30 * 2 * 100 + 30 * 50  # terminal per wagon, road per truck
    assert route.usd_per_wagon * 10 == pytest.approx(expected)
    (c,) = simulate(scenario, replications=1, seed=1).replications[0].consignment_records()
    assert c.cost_usd == pytest.approx(expected)


def test_a_gross_weight_tariff_counts_the_tare(tmp_path: Path) -> None:
    # 0.02 USD per gross tonne-km over 100 km for 50 t of load in a 25 t wagon: 150 USD.
    path = write_scenario(tmp_path, two_stations(usd_per_gross_tonne_km=0.02),
                          shipments=[flow(wagons=1)],
                          cargo={"box": {"tonnes_per_wagon": 50, "tare_tonnes_per_wagon": 25}})
    scenario = load_scenario(path)
    assert scenario.shipments[0].route.usd_per_wagon == pytest.approx(150)
    (c,) = simulate(scenario, replications=1, seed=1).replications[0].consignment_records()
    assert c.cost_usd == pytest.approx(150)


def test_costs_per_unit_beside_costs_per_tonne(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, two_stations(), shipments=[flow()],
                          cargo={"box": {"tonnes_per_wagon": 40, "units_per_wagon": 2,
                                         "unit": "FEU"}})
    summary = simulate(load_scenario(path), replications=2, seed=1).summary()["shipments"]["s"]
    assert summary["unit"] == "FEU"
    # 100 USD a wagon of 2 FEU: 50 USD a FEU, 2.5 USD a tonne.
    assert summary["usd_per_unit"]["mean"] == pytest.approx(50)
    assert summary["usd_per_tonne"]["mean"] == pytest.approx(2.5)


def test_unit_needs_units_per_wagon(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, two_stations(), shipments=[flow()],
                          cargo={"box": {"tonnes_per_wagon": 40, "unit": "TEU"}})
    with pytest.raises(InputError, match="units_per_wagon and unit go together"):
        load_scenario(path)


# --------------------------------------------------------------------------------------------
# Breakdowns


def corridor() -> list[dict[str, Any]]:
    """Three countries: a tariff, a fee per wagon and per tonne, a ferry, demurrage."""
    a = node("A", 40.0, 40.0, country="XA")
    p = node("P", 40.5, 40.0, country="XA", kind="port", facility={
        "type": "port", "dwell_h": {"dist": "exponential", "mean": 6}, "fee_usd_per_tonne": 2,
        "free_time_h": 4, "demurrage_usd_per_wagon_day": 30})
    q = node("Q", 41.0, 40.0, country="XB", kind="port", facility={
        "type": "port", "dwell_h": 2, "fee_usd_per_wagon": 40})
    b = node("B", 41.5, 40.0, country="XB", kind="border", facility={
        "type": "border", "dwell_h": 3, "fee_usd_per_wagon": 25})
    z = node("Z", 42.0, 40.0, country="XC")
    return [
        a, p, q, b, z,
        link("A-P", a, p, **RAIL, length_km=80, tariff={"usd_per_tonne_km": 0.03}),
        link("P-Q", p, q, mode="ferry", tariff={"usd_per_wagon": 700}, ferry={
            "capacity_wagons": 30, "sailing_h": 12, "every_h": 24}),
        link("Q-B", q, b, **RAIL, length_km=60, tariff={"usd_per_wagon_km": 0.8}),
        link("B-Z", b, z, **RAIL, length_km=40, tariff={"usd_per_wagon_km": 0.8}),
    ]


def test_breakdowns_add_up_to_the_total(tmp_path: Path) -> None:
    path = write_scenario(
        tmp_path, corridor(), horizon_days=40,
        cargo={"box": {"tonnes_per_wagon": 60, "wagon_hire_usd_per_day": 20}},
        shipments=[flow(interarrival_h={"dist": "exponential", "mean": 20})])
    scenario = load_scenario(path)
    shipment = simulate(scenario, replications=3, seed=2).summary()["shipments"]["s"]
    total = shipment["usd_per_tonne"]["mean"]
    by_category = shipment["usd_per_tonne_by_category"]
    by_country = shipment["usd_per_tonne_by_country"]
    assert all(v > 0 for v in by_category.values()), by_category
    assert set(by_country) == {"XA", "XB"}  # Z, in XC, is where the route ends
    assert sum(by_category.values()) == pytest.approx(total, abs=1e-5)  # rounded to 6 places
    assert sum(by_country.values()) == pytest.approx(total, abs=1e-5)
    # The ferry's tariff goes to the country it leaves.
    assert by_category["ferry"] == pytest.approx(700 / 60)
    # Unrounded, from the result: within 1e-9.
    result = corridorsim.simulate(scenario, replications=3, seed=2).shipment("s")
    assert sum((result.usd_per_tonne_by_category or {}).values()) == pytest.approx(
        result.usd_per_tonne.mean, rel=1e-9)
    # The static breakdown adds up to the route's cost as well.
    out = CliRunner().invoke(main, ["routes", str(path), "--from", "A", "--to", "Z", "--json"])
    (route,) = json.loads(out.output)["routes"][:1]
    assert sum(route["usd_per_tonne_by_category"].values()) == pytest.approx(
        route["usd_per_tonne"], abs=1e-2)
    assert sum(route["usd_per_tonne_by_country"].values()) == pytest.approx(
        route["usd_per_tonne"], abs=1e-2)


def test_trucks_take_their_own_places_on_a_ferry(tmp_path: Path) -> None:
    # 10 wagons x 60 t become 30 trucks at the terminal: a truck ferry of 20 places needs two
    # sailings (every 24 h; the one at 0 h has left as they reach the port), so the
    # consignment crosses with its last trucks at 48 + 5 h (its 10 wagons would fit one).
    a = node("A", 40.0, 40.0)
    t = node("T", 40.2, 40.0, kind="terminal", facility={"type": "terminal", "dwell_h": 0})
    port = {"type": "port", "dwell_h": 0, "servers": 10}
    p = node("P", 40.4, 40.0, kind="port", facility=port)
    q = node("Q", 41.0, 40.0, kind="port", facility=port)
    z = node("Z", 41.2, 40.0)
    features = [a, t, p, q, z,
                link("A-T", a, t, **RAIL, length_km=0.001, speed_kmh=1000),
                link("T-P", t, p, mode="road", length_km=0.001, speed_kmh=1000),
                link("P-Q", p, q, mode="ferry", tariff={"usd_per_wagon": 100}, ferry={
                    "capacity_wagons": 20, "sailing_h": 5, "every_h": 24,
                    "carries": ["road"]}),
                link("Q-Z", q, z, mode="road", length_km=0.001, speed_kmh=1000)]
    path = write_scenario(tmp_path, features, horizon_days=5, shipments=[flow()],
                          cargo={"box": {"tonnes_per_wagon": 60}})
    scenario = load_scenario(path)
    assert "ferry" in scenario.shipments[0].route.modes
    rep = simulate(scenario, replications=1, seed=1).replications[0]
    (crossing,) = [leg for leg in rep.leg_records(0) if leg.id == "P-Q"]
    assert crossing.end_h == pytest.approx(48 + 5, abs=1e-3)
    assert crossing.cost_usd == pytest.approx(30 * 100)  # the ferry charges per truck
