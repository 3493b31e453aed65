"""Trains formed at yards: scenario ``services`` and links' ``max_train_wagons`` (DESIGN §10).

Hand-computed cases on one line, A -2 h- Y (yard, 1 h) -10 h- B (border, 2 h + 0.1 h a wagon)
-5 h- Z (yard, 1 h): blocks boarding a service at Y at known times, with and without
``depart_when_full``, at times of day; a 60-wagon consignment split for a short line and
re-joined. Then the static wait for a departure, the errors, the invariants on a busy run, and
the bulk-service queue a service with Poisson block arrivals is.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import corridorsim
from corridorsim.errors import InputError
from corridorsim.experiment.replications import simulate
from corridorsim.scenario.load import load_scenario
from corridorsim.sim.records import CAUSES, LegRecord, ReplicationResult
from corridorsim.sim.trains import split_wagons
from netgen import link, node
from scenariogen import write_scenario
from test_engine import check_invariants
from test_validation_queueing import assert_in_ci

RAIL = {"mode": "rail", "gauge_mm": 1520}
BORDER = {"type": "border", "dwell_h": 2, "dwell_per_wagon_h": 0.1}


def line(y_b: dict[str, Any] | None = None, border: dict[str, Any] | None = None,
         yard_servers: int = 1) -> list[dict[str, Any]]:
    """A -2 h- Y yard (1 h) -10 h- B border (2 h + 0.1 h/wagon) -5 h- Z yard (1 h)."""
    yard = {"type": "yard", "dwell_h": 1, "servers": yard_servers}
    a = node("A", 40.0, 40.0)
    y = node("Y", 40.2, 40.0, facility=yard)
    b = node("B", 40.5, 40.0, kind="border", facility=border or BORDER)
    z = node("Z", 41.0, 40.0, facility=yard)
    return [
        a, y, b, z,
        link("A-Y", a, y, **RAIL, length_km=20, speed_kmh=10),
        link("Y-B", y, b, **RAIL, length_km=100, speed_kmh=10, **(y_b or {})),
        link("B-Z", b, z, **RAIL, length_km=50, speed_kmh=10),
    ]


def block(shipment_id: str, wagons: int, depart_h: float = 0.0) -> dict[str, Any]:
    return {"id": shipment_id, "cargo": "box", "origin": "A", "destination": "Z",
            "wagons": wagons, "depart_h": depart_h}


def service(**keys: Any) -> dict[str, Any]:
    return {"id": "yz", "from": "Y", "to": "Z", "max_wagons": 40, **keys}


def run(tmp_path: Path, features: list[dict[str, Any]], shipments: list[dict[str, Any]],
        **scenario: Any) -> ReplicationResult:
    path = write_scenario(tmp_path, features, shipments=shipments, **scenario)
    rep = simulate(load_scenario(path), replications=1, seed=1).replications[0]
    check_invariants(load_scenario(path), rep)
    return rep


def journey(rep: ReplicationResult, row: int) -> list[tuple[str, str, float, float, float]]:
    """(kind, id, arrive, start, end) of each leg of the consignment in ``row``."""
    return [(leg.kind, leg.id, leg.arrive_h, leg.start_h, leg.end_h)
            for leg in rep.leg_records(row)]


def formation_legs(rep: ReplicationResult, row: int) -> list[LegRecord]:
    return [leg for leg in rep.leg_records(row) if leg.kind == "formation"]


# --------------------------------------------------------------------------------------------
# Services: hand-computed


def test_blocks_board_a_daily_service_and_the_one_that_does_not_fit_is_split(
    tmp_path: Path,
) -> None:
    # s1 (15 wagons) is ready at Y at 3 h (2 h run + 1 h yard), s2 (30) at 4 h. The 6 h train
    # takes 15 + 25 = 40; the other 5 wagons of s2 leave at 30 h.
    rep = run(tmp_path, line(), [block("s1", 15), block("s2", 30, depart_h=1)],
              services=[service(every_h=24, offset_h=6)])
    s1, s2 = rep.consignment_records()
    # Train 1, 40 wagons: Y-B 6 -> 16, border 2 + 40 x 0.1 = 6 h -> 22, B-Z -> 27.
    assert journey(rep, s1.row) == [
        ("link", "A-Y", 0, 0, 2), ("facility", "Y", 2, 2, 3), ("formation", "Y", 3, 6, 6),
        ("link", "Y-B", 6, 6, 16), ("facility", "B", 16, 16, 22), ("link", "B-Z", 22, 22, 27),
        ("facility", "Z", 27, 27, 28),
    ]
    # Train 2, 5 wagons: Y-B 30 -> 40, border 2.5 h -> 42.5, B-Z -> 47.5: s2 re-joins then.
    assert journey(rep, s2.row) == [
        ("link", "A-Y", 1, 1, 3), ("facility", "Y", 3, 3, 4), ("formation", "Y", 4, 6, 6),
        ("link", "Y-B", 6, 6, 16), ("facility", "B", 16, 16, 22), ("link", "B-Z", 22, 22, 27),
        ("formation", "Z", 27, 47.5, 47.5), ("facility", "Z", 47.5, 47.5, 48.5),
    ]
    assert (s1.arrive_h, s2.arrive_h) == (28.0, 48.5)
    assert s1.wait("formation") == 3.0
    assert s2.wait("formation") == 2.0 + 20.5
    assert sum(s1.wait_h) == 3.0 and sum(s2.wait_h) == 22.5
    trains = list(rep.train_records())
    assert [(t.name, t.wagons, t.blocks, t.depart_h, t.arrive_h) for t in trains] == [
        ("yz", 40, 2, 6.0, 27.0), ("yz", 5, 1, 30.0, 47.5)
    ]
    # The border processed two trains, not three blocks.
    (border,) = [f for f in rep.facilities if f.node == "B"]
    assert border.served == 2
    assert border.busy_h == pytest.approx(6.0 + 2.5)


def test_a_full_train_leaves_at_once_with_depart_when_full(tmp_path: Path) -> None:
    # At 4 h 45 wagons wait: a 40-wagon train leaves then; the 5 left take the 6 h slot.
    rep = run(tmp_path, line(), [block("s1", 15), block("s2", 30, depart_h=1)],
              services=[service(every_h=24, offset_h=6, depart_when_full=True)])
    s1, s2 = rep.consignment_records()
    trains = [(t.wagons, t.depart_h, t.arrive_h) for t in rep.train_records()]
    # Train 1: Y-B 4 -> 14, border 6 h -> 20, -> Z 25. Train 2 (5 wagons): Y-B 6 -> 16,
    # waits for the border until 20, 2.5 h -> 22.5, -> Z 27.5.
    assert trains == [(40, 4.0, 25.0), (5, 6.0, 27.5)]
    assert s1.arrive_h == 26.0 and s1.wait("formation") == 1.0
    # s2 rides the first train; it waits at Z for its last 5 wagons (2.5 h), then the yard.
    assert s2.arrive_h == 28.5
    assert s2.wait("formation") == 2.5
    assert [(leg.id, leg.wait_h) for leg in formation_legs(rep, s2.row)] == [("Y", 0.0),
                                                                           ("Z", 2.5)]


def test_departures_at_times_of_day_run_on_the_calendar(tmp_path: Path) -> None:
    # Ready at Y at 3 h (03:00) and at 21 h: the 06:00 and 18:00 trains; the second waits
    # until 06:00 the next day (30 h).
    rep = run(tmp_path, line(), [block("s1", 10), block("s2", 10, depart_h=18)],
              start="2026-03-02", services=[service(departures=["18:00", "06:00"])])
    s1, s2 = rep.consignment_records()
    assert s1.wait("formation") == 3.0
    assert s2.wait("formation") == 9.0
    assert [t.depart_h for t in rep.train_records()] == [6.0, 30.0]


def test_a_train_keeps_the_line_headway_once_for_all_its_blocks(tmp_path: Path) -> None:
    # Four blocks in one train on a line taking 2 trains a day: no headway between blocks.
    # The last is ready at Y at 6 h, the departure time: it makes the train.
    shipments = [block(f"s{i}", 10, depart_h=i) for i in range(4)]
    rep = run(tmp_path, line(y_b={"capacity_per_day": 2}, yard_servers=4), shipments,
              services=[service(every_h=24, offset_h=6)])
    assert [t.blocks for t in rep.train_records()] == [4]
    assert {c.arrive_h for c in rep.consignment_records()} == {6 + 10 + 6 + 5 + 1}
    assert all(c.wait("headway") == 0 for c in rep.consignment_records())


def test_routes_outside_a_service_section_run_on_their_own(tmp_path: Path) -> None:
    # A block to B does not reach Z: the service does not carry it.
    rep = run(tmp_path, line(), [{**block("s1", 10), "destination": "B"}, block("s2", 10, 2)],
              services=[service(every_h=24)])
    c, carried = rep.consignment_records()
    assert c.wait("formation") == 0 and carried.wait("formation") > 0
    assert [t.blocks for t in rep.train_records()] == [1]
    assert all(leg.kind != "formation" for leg in rep.leg_records(c.row))


# --------------------------------------------------------------------------------------------
# max_train_wagons: hand-computed


def test_a_60_wagon_consignment_is_split_at_the_yard_and_re_joined(tmp_path: Path) -> None:
    # Y-B takes 40 wagons at most and 12 trains a day (2 h apart): trains of 40 and 20 leave
    # Y at 3 and 5 h and reach B at 13 and 15; the consignment re-joins at 15 (2 h formation),
    # then its border (2 + 60 x 0.1 = 8 h), B-Z and the yard: 29 h door to door.
    rep = run(tmp_path, line(y_b={"max_train_wagons": 40, "capacity_per_day": 12}),
              [block("s1", 60)])
    (c,) = rep.consignment_records()
    assert journey(rep, c.row) == [
        ("link", "A-Y", 0, 0, 2), ("facility", "Y", 2, 2, 3), ("link", "Y-B", 3, 3, 13),
        ("formation", "B", 13, 15, 15), ("facility", "B", 15, 15, 23),
        ("link", "B-Z", 23, 23, 28), ("facility", "Z", 28, 28, 29),
    ]
    assert c.wait("formation") == 2.0 and sum(c.wait_h) == 2.0
    assert [(t.name, t.wagons, t.depart_h, t.arrive_h) for t in rep.train_records()] == [
        ("split:Y-B", 40, 3.0, 13.0), ("split:Y-B", 20, 3.0, 15.0)
    ]
    # Static routing expects no self-congestion: the route of the whole consignment.
    scenario = load_scenario(tmp_path / "scenario.yaml")
    assert scenario.shipments[0].route.hours == 27.0


def test_consignments_that_fit_are_not_split(tmp_path: Path) -> None:
    rep = run(tmp_path, line(y_b={"max_train_wagons": 40}), [block("s1", 40)])
    (c,) = rep.consignment_records()
    assert c.arrive_h == 2 + 1 + 10 + 6 + 5 + 1
    assert not list(rep.train_records())


def test_the_split_runs_from_the_last_yard_over_every_short_link_before_the_next(
    tmp_path: Path,
) -> None:
    # Y-B takes 30 wagons and B-Z 25; with no yard at B, one split from Y to Z in trains of
    # the shorter line's 25.
    features = line(y_b={"max_train_wagons": 30})
    features[-1]["properties"]["max_train_wagons"] = 25
    rep = run(tmp_path, features, [block("s1", 60)])
    (c,) = rep.consignment_records()
    trains = list(rep.train_records())
    assert [t.wagons for t in trains] == [25, 25, 10]
    assert {t.name for t in trains} == {"split:B-Z"}
    # Each train passes the border on its own (servers 1): 4.5, 4.5 and 3 h, one after the
    # other from 13 h; the last reaches Z at 13 + 4.5 + 4.5 + 3 + 5 = 30 h.
    assert [t.arrive_h for t in trains] == [22.5, 27.0, 30.0]
    (rejoin,) = formation_legs(rep, c.row)
    assert (rejoin.id, rejoin.arrive_h, rejoin.start_h) == ("Z", 22.5, 30.0)
    assert c.arrive_h == 31.0


def test_split_wagons_fills_trains_first() -> None:
    assert split_wagons(60, 40) == [40, 20]
    assert split_wagons(80, 40) == [40, 40]
    assert split_wagons(7, 3) == [3, 3, 1]


# --------------------------------------------------------------------------------------------
# Static routing: the expected wait for a departure


@pytest.mark.parametrize(
    ("timetable", "wait_h"),
    [
        ({"every_h": 24, "offset_h": 6}, 12.0),
        ({"departures": ["06:00", "18:00"]}, 6.0),
        # Gaps of 2 h and 22 h: (2^2 + 22^2) / 48.
        ({"departures": ["06:00", "08:00"]}, (4 + 484) / 48),
    ],
)
def test_routes_expect_the_wait_for_a_departure(
    tmp_path: Path, timetable: dict[str, Any], wait_h: float
) -> None:
    path = write_scenario(tmp_path, line(), shipments=[block("s1", 10)], start="2026-03-02",
                          services=[service(**timetable)])
    scenario = load_scenario(path)
    route = scenario.shipments[0].route
    assert [leg.wait_h for leg in route.legs if leg.id == "Y-B"] == [pytest.approx(wait_h)]
    assert route.hours == pytest.approx(2 + 1 + 10 + 3 + 5 + 1 + wait_h)
    # The routes command on the scenario file reads the same services, and prices the
    # shipment's own cargo and wagons: ten wagons at the border, as the shipment's route.
    (found,) = corridorsim.routes(path, "A", "Z")
    assert found.hours == pytest.approx(route.hours)
    # With a wagon load given, the cargo is still the shipment's.
    (one,) = corridorsim.routes(path, "A", "Z", tonnes_per_wagon=10)
    assert one.hours == pytest.approx(route.hours)


def test_simulated_formation_waits_average_the_static_half_interval(tmp_path: Path) -> None:
    # Blocks ready at Y at 12 phases spread evenly over the 24 h interval (a block every
    # 26 h: each meets an empty train) wait 24 - phase, or nothing when ready at the
    # departure time; their mean is the half interval less half a phase step, and tends to
    # the static wait.
    shipments = [{**block("s", 5), "interarrival_h": 26.0, "count": 12}]
    path = write_scenario(tmp_path, line(), shipments=shipments, horizon_days=20,
                          services=[service(every_h=24, offset_h=5)])
    rep = simulate(load_scenario(path), replications=1, seed=1).replications[0]
    waits = [c.wait("formation") for c in rep.consignment_records()]
    phases = [(3 + 26 * n - 5) % 24 for n in range(12)]
    assert waits == pytest.approx([(24 - p) % 24 for p in phases])
    assert np.mean(waits) == pytest.approx(24 / 2 - 24 / 12 / 2)


# --------------------------------------------------------------------------------------------
# Errors


def test_departures_need_the_scenario_start(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, line(), shipments=[block("s1", 10)],
                          services=[service(departures=["06:00"])])
    with pytest.raises(InputError, match=r"scenario.yaml:\d+: services\[0\]\.departures: "
                                         r"times of day run on the scenario's calendar"):
        load_scenario(path)


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({}, "give one of every_h or departures"),
        ({"every_h": 24, "departures": ["06:00"]}, "give one of every_h or departures"),
        ({"departures": ["6:00"]}, "a time of day is 'HH:MM'"),
        ({"departures": ["24:00"]}, "a time of day is from 00:00 to 23:59"),
        ({"departures": ["06:00", "06:00"]}, "departures lists a time twice"),
        ({"departures": ["06:00"], "offset_h": 2}, "offset_h goes with every_h"),
        ({"every_h": 24, "max_wagons": 0}, "max_wagons"),
        ({"every_h": 24, "to": "Y"}, "a service runs between two different nodes"),
        ({"every_h": 24, "to": "Nowhere"}, r"services\[0\]\.to: no node"),
    ],
)
def test_bad_services_are_named(tmp_path: Path, keys: dict[str, Any], message: str) -> None:
    path = write_scenario(tmp_path, line(), shipments=[block("s1", 10)], start="2026-03-02",
                          services=[service(**keys)])
    with pytest.raises(InputError, match=message):
        load_scenario(path)


def cli_error(path: Path) -> str:
    from click.testing import CliRunner

    from corridorsim.cli import main

    result = CliRunner().invoke(main, ["run", str(path), "--quiet"])
    assert result.exit_code == 2, result.output
    (line_,) = result.output.strip().splitlines()
    return line_


def test_a_service_no_route_runs_in_is_an_error(tmp_path: Path) -> None:
    # Z to Y is the wrong way round for a shipment from A to Z.
    path = write_scenario(tmp_path, line(), shipments=[block("s1", 10)],
                          services=[{**service(every_h=24), "from": "Z", "to": "Y"}])
    assert re.fullmatch(
        r".*scenario\.yaml:\d+: services\[0\]: no shipment's route runs from Z to Y in that "
        r"order by rail: the service would carry nothing", cli_error(path))


def test_a_block_too_long_for_the_trains_needs_a_yard_to_be_split(tmp_path: Path) -> None:
    features = line()
    features[2]["properties"]["facility"] = BORDER  # no yard at B
    b_to_z = {"id": "bz", "from": "B", "to": "Z", "max_wagons": 20, "every_h": 24}
    path = write_scenario(tmp_path, features, shipments=[block("s1", 30)], services=[b_to_z])
    assert re.fullmatch(
        r".*scenario\.yaml:\d+: services\[0\]\.max_wagons: trains of 20 wagons cannot take "
        r"shipment s1's 30, and B has no yard to split its blocks at \(add a yard, or raise "
        r"max_wagons\)", cli_error(path))
    # At a yard (Y), or at the block's own origin, it is split.
    for start in ("Y", "A"):
        path = write_scenario(tmp_path, features, shipments=[block("s1", 30)],
                              services=[{**b_to_z, "from": start}])
        assert load_scenario(path).services[0].from_ == start


def test_max_train_wagons_is_for_rail_links(tmp_path: Path) -> None:
    features = line()
    features[-1]["properties"].update(mode="road", max_train_wagons=20)
    del features[-1]["properties"]["gauge_mm"]
    path = write_scenario(tmp_path, features, shipments=[block("s1", 10)])
    with pytest.raises(InputError, match="max_train_wagons is only for rail links"):
        load_scenario(path)


# --------------------------------------------------------------------------------------------
# A busy run


def test_a_busy_service_keeps_every_invariant(tmp_path: Path) -> None:
    # Poisson blocks of 1-30 wagons from two shipments, a when-full service with splits, a
    # short line behind the border and a closure: wagons conserved, journeys without gaps.
    features = line(y_b={"capacity_per_day": 8},
                    border={**BORDER, "dwell_h": {"dist": "exponential", "mean": 2}})
    features[-1]["properties"]["max_train_wagons"] = 25
    shipments = [
        {**block("big", 30), "interarrival_h": {"dist": "exponential", "mean": 9}},
        {**block("small", 7), "interarrival_h": {"dist": "exponential", "mean": 5}},
    ]
    path = write_scenario(tmp_path, features, shipments=shipments, horizon_days=40,
                          services=[service(every_h=12, max_wagons=45, depart_when_full=True)],
                          disruptions=[{"target": "B", "from_h": 200, "to_h": 260}])
    scenario = load_scenario(path)
    result = simulate(scenario, replications=3, seed=5)
    for rep in result.replications:
        check_invariants(scenario, rep)
        trains = list(rep.train_records())
        assert trains and max(t.wagons for t in trains) <= 25  # the short line caps the train
        assert sum(c.wait("formation") for c in rep.consignment_records()) > 0
        # Every train's legs run without gaps from its departure.
        for train in trains:
            t = train.depart_h
            for _kind, _id, arrive, _start, end in train.legs:
                assert arrive == pytest.approx(t)
                t = end
    summary = result.summary()["shipments"]["big"]
    assert set(summary["wait_h_by_cause"]) == set(CAUSES)
    assert summary["wait_h_by_cause"]["formation"] > 0


# --------------------------------------------------------------------------------------------
# Analytic: a bulk-service queue


def bulk_queue_wait_h(rate_per_h: float, every_h: float, capacity: int) -> float:
    """Mean wait of Poisson arrivals for departures every ``every_h`` taking ``capacity``.

    Q, the number left behind by a departure, is a Markov chain: Q' = max(Q + A - capacity, 0)
    with A ~ Poisson(rate x every_h). Within an interval the mean number waiting is
    E[Q] + rate x every_h / 2, and by Little's law the mean wait is that over the rate.
    """
    from scipy import stats

    size = 40 * capacity + 200  # far beyond any probable queue
    arrivals = stats.poisson(rate_per_h * every_h).pmf(np.arange(size))
    left = np.zeros(size)
    left[0] = 1.0
    for _ in range(20_000):
        waiting = np.convolve(left, arrivals)[:size]  # Q + A
        new = np.zeros(size)
        new[0] = waiting[: capacity + 1].sum()
        new[1 : size - capacity] = waiting[capacity + 1 :]
        if np.abs(new - left).sum() < 1e-13:
            break
        left = new
    mean_left = float((np.arange(size) * left).sum())
    return mean_left / rate_per_h + every_h / 2


def test_bulk_queue_helper_matches_known_values() -> None:
    # Room for everyone: the half interval; a capacity far above the load changes nothing.
    assert bulk_queue_wait_h(0.25, 24, 10_000 // 40) == pytest.approx(12.0)
    # Capacity 1 and rare arrivals: the second of two arrivals in an interval (probability
    # about (rate x 24)^2 / 2) waits a whole interval more: 12 + rate x 24^2 / 2.
    assert bulk_queue_wait_h(0.001, 24, 1) == pytest.approx(12 + 0.001 * 24**2 / 2, rel=0.03)
    # Heavier load, less room: more wait.
    assert bulk_queue_wait_h(0.25, 24, 7) > bulk_queue_wait_h(0.25, 24, 8) > 12.0


@pytest.mark.parametrize("capacity", [250, 7])
def test_service_wait_of_poisson_blocks_is_the_bulk_queue_wait(
    tmp_path: Path, capacity: int
) -> None:
    # One-wagon blocks starting at the yard as a Poisson process, one train every 24 h taking
    # ``capacity``: a bulk-service queue (6 arrivals per interval on average; with 7 a train
    # the load is 6/7).
    rate, every_h, count = 0.25, 24.0, 3000
    y = node("Y", 40.0, 40.0)
    z = node("Z", 41.0, 40.0)
    features = [y, z, link("Y-Z", y, z, **RAIL, length_km=10, speed_kmh=10)]
    shipments = [{"id": "flow", "cargo": "box", "origin": "Y", "destination": "Z", "wagons": 1,
                  "interarrival_h": {"dist": "exponential", "mean": 1 / rate}, "count": count}]
    path = write_scenario(
        tmp_path, features, shipments=shipments, horizon_days=(count / rate + 2000) / 24,
        warmup_days=30,
        services=[{"id": "yz", "from": "Y", "to": "Z", "max_wagons": capacity,
                   "every_h": every_h}],
    )
    scenario = load_scenario(path)
    result = simulate(scenario, replications=8, seed=13, jobs=2)
    means = []
    for rep in result.replications:
        rows = [c for c in rep.consignment_records() if c.depart_h >= 30 * 24]
        assert all(c.arrived for c in rows)
        means.append(float(np.mean([c.wait("formation") for c in rows])))
    analytic = bulk_queue_wait_h(rate, every_h, capacity)
    if capacity > 100:
        assert analytic == pytest.approx(every_h / 2)
    else:
        assert analytic > every_h / 2 + 2  # the queue left behind adds hours
    assert_in_ci(analytic, means, f"service wait, capacity {capacity}")
    assert math.isfinite(analytic)


# --------------------------------------------------------------------------------------------
# Outputs


def test_run_reports_the_trains_and_draws_them(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from corridorsim.cli import main

    path = write_scenario(tmp_path, line(), shipments=[block("s1", 15), block("s2", 30, 1)],
                          services=[service(every_h=24, offset_h=6)])
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(path), "-r", "2", "-o", str(out),
                                       "--plots", "--jobs", "1"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Trains (per replication" in result.output
    import json

    summary = json.loads((out / "summary.json").read_text())
    assert summary["trains"]["yz"] == {
        "trains": 2.0, "wagons_per_train": 22.5, "blocks_per_train": 1.5,
        "load_factor": 22.5 / 40, "run_days": pytest.approx((21 + 17.5) / 2 / 24),
    }
    assert summary["shipments"]["s2"]["wait_h_by_cause"]["formation"] == 22.5
    legs = (out / "legs.csv").read_text().splitlines()
    assert sum(",formation,Z," in row for row in legs) == 2  # s2's re-join, both replications
    assert (out / "time_distance.png").stat().st_size > 10_000
