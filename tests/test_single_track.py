"""Single-track links (``tracks: 1``, DESIGN sections 10 and 16).

On a single-track link a train running one way blocks the other way until it has cleared the
link; trains of one direction follow each other at the line's headway. The wait is cause
``headway``. First come first served per direction, and no train overtakes an opposing one
already waiting; when the link clears, the direction whose first waiting train came first goes
next. Two-track links (the default) are what they always were.

The hand-made cases run on one link A - Z of 500 km at 50 km/h: 10 h a passage, no
facilities, so each consignment's only leg is the link and every time is worked out by hand.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import corridorsim
from corridorsim.errors import InputError
from corridorsim.experiment.replications import simulate
from corridorsim.network.io import parse_network
from corridorsim.scenario.load import load_scenario
from corridorsim.sim.engine import Engine
from corridorsim.sim.records import LegRecord
from netgen import collection, link, node
from scenariogen import write_scenario
from test_engine import check_invariants, check_summary, load_random, random_scenarios

#: 500 km at 50 km/h: 10 h on the link.
RUN_H = 10.0
LINE = {"mode": "rail", "gauge_mm": 1520, "length_km": 500.0, "speed_kmh": 50.0}


def features(**line: Any) -> list[dict[str, Any]]:
    a = node("A", 40.0, 40.0)
    z = node("Z", 45.0, 40.0)
    return [a, z, link("A-Z", a, z, **{**LINE, **line})]


def trains(*departures: tuple[str, float]) -> list[dict[str, Any]]:
    """One consignment per (``"AZ"`` or ``"ZA"``, departure hour), ids ``t0``, ``t1``..."""
    return [
        {"id": f"t{i}", "cargo": "box", "origin": way[0], "destination": way[1], "wagons": 1,
         "depart_h": depart}
        for i, (way, depart) in enumerate(departures)
    ]


def passages(directory: Path, *departures: tuple[str, float], disruptions: Any = None,
             **line: Any) -> dict[str, LegRecord]:
    """The link leg of each train, by shipment id, one replication."""
    extra = {"disruptions": disruptions} if disruptions else {}
    path = write_scenario(directory, features(**line), shipments=trains(*departures), **extra)
    rep = simulate(load_scenario(path), replications=1, seed=1).replications[0]
    legs = [leg for leg in rep.leg_records() if leg.kind == "link"]
    assert len(legs) == len(departures)  # the link is every train's only leg
    return {leg.shipment: leg for leg in legs}


def times(legs: dict[str, LegRecord]) -> dict[str, tuple[float, float, float, str]]:
    return {k: (v.start_h, v.end_h, v.wait_h, v.cause) for k, v in sorted(legs.items())}


# --------------------------------------------------------------------------------------------
# The file format


def test_tracks_defaults_to_two_and_takes_one_on_rail_and_road() -> None:
    a, z = node("A", 40.0, 40.0), node("Z", 41.0, 40.0)
    network = parse_network(collection([
        a, z,
        link("R2", a, z, mode="rail", gauge_mm=1520),
        link("R1", a, z, mode="rail", gauge_mm=1520, tracks=1),
        link("D1", a, z, mode="road", tracks=1),
        link("D2", a, z, mode="road", tracks=2),
    ]))
    assert [network.link(x).tracks for x in ("R2", "R1", "D1", "D2")] == [2, 1, 1, 2]


@pytest.mark.parametrize("value", [0, 3, 1.0, True, "1", None])
def test_tracks_must_be_one_or_two(value: Any) -> None:
    a, z = node("A", 40.0, 40.0), node("Z", 41.0, 40.0)
    doc = collection([a, z, link("L", a, z, mode="rail", gauge_mm=1520, tracks=value)])
    with pytest.raises(InputError) as caught:
        parse_network(doc, filename="net.geojson")
    (problem,) = caught.value.problems
    assert problem.startswith("net.geojson: feature L: ")
    assert "tracks" in problem


@pytest.mark.parametrize("mode", ["ferry", "sea"])
@pytest.mark.parametrize("value", [1, 2])
def test_tracks_on_ferry_and_sea_links_is_refused(mode: str, value: int) -> None:
    p = node("P", 40.0, 40.0, kind="port", facility={"type": "port", "dwell_h": 1})
    q = node("Q", 41.0, 40.0, kind="port", facility={"type": "port", "dwell_h": 1})
    ferry = {"capacity_wagons": 10, "sailing_h": 9, "every_h": 24}
    doc = collection([p, q, link("P-Q", p, q, mode=mode, ferry=ferry, tracks=value)])
    with pytest.raises(InputError) as caught:
        parse_network(doc, filename="net.geojson")
    (problem,) = caught.value.problems
    assert problem.startswith("net.geojson: feature P-Q: ")
    assert "tracks is only for rail and road links" in problem and mode in problem
    assert "\n" not in problem


# --------------------------------------------------------------------------------------------
# Hand-computed cases


def test_two_trains_the_same_way_follow(tmp_path: Path) -> None:
    legs = passages(tmp_path / "free", ("AZ", 0.0), ("AZ", 1.0), tracks=1)
    assert times(legs) == {"t0": (0.0, 10.0, 0.0, ""), "t1": (1.0, 11.0, 0.0, "")}
    # With a headway of 24 / 12 = 2 h the follower waits for the headway only.
    legs = passages(tmp_path / "headway", ("AZ", 0.0), ("AZ", 1.0), tracks=1,
                    capacity_per_day=12)
    assert times(legs) == {"t0": (0.0, 10.0, 0.0, ""), "t1": (2.0, 12.0, 1.0, "headway")}


def test_an_opposing_train_waits_until_the_link_is_clear(tmp_path: Path) -> None:
    legs = passages(tmp_path, ("AZ", 0.0), ("ZA", 3.0), tracks=1)
    # t0 is on the link 0-10; t1, ready at 3, enters when it is out.
    assert times(legs) == {"t0": (0.0, 10.0, 0.0, ""), "t1": (10.0, 20.0, 7.0, "headway")}
    assert legs["t1"].arrive_h == 3.0


def test_an_opposing_train_arriving_as_the_link_clears_goes_at_once(tmp_path: Path) -> None:
    legs = passages(tmp_path, ("AZ", 0.0), ("ZA", 10.0), tracks=1)
    assert times(legs) == {"t0": (0.0, 10.0, 0.0, ""), "t1": (10.0, 20.0, 0.0, "")}


def test_three_trains_alternating_directions(tmp_path: Path) -> None:
    legs = passages(tmp_path, ("AZ", 0.0), ("ZA", 1.0), ("AZ", 2.0), tracks=1)
    # t0 0-10. t1 waits from 1. t2 would follow t0, but t1 was waiting first: no overtaking
    # an opposing train already waiting, so t2 waits for t1 to clear (2 -> 20).
    assert times(legs) == {
        "t0": (0.0, 10.0, 0.0, ""),
        "t1": (10.0, 20.0, 9.0, "headway"),
        "t2": (20.0, 30.0, 18.0, "headway"),
    }


def test_a_follower_joins_while_nobody_waits_the_other_way(tmp_path: Path) -> None:
    legs = passages(tmp_path, ("AZ", 0.0), ("AZ", 2.0), ("ZA", 3.0), tracks=1)
    # t1 follows t0 (nobody waits at Z yet); t2 waits for both to clear: 3 -> 12.
    assert times(legs) == {
        "t0": (0.0, 10.0, 0.0, ""),
        "t1": (2.0, 12.0, 0.0, ""),
        "t2": (12.0, 22.0, 9.0, "headway"),
    }


def test_the_waiting_trains_of_a_direction_go_together(tmp_path: Path) -> None:
    legs = passages(tmp_path, ("AZ", 0.0), ("ZA", 1.0), ("AZ", 2.0), ("ZA", 3.0), ("ZA", 12.0),
                    tracks=1)
    # At 10 the link clears: Z's first waiting train (1) came before A's (2), so both trains
    # waiting at Z go (10-20). t4, ready at 12, does not overtake t2, waiting since 2.
    assert times(legs) == {
        "t0": (0.0, 10.0, 0.0, ""),
        "t1": (10.0, 20.0, 9.0, "headway"),
        "t2": (20.0, 30.0, 18.0, "headway"),
        "t3": (10.0, 20.0, 7.0, "headway"),
        "t4": (30.0, 40.0, 18.0, "headway"),
    }


def test_the_same_trains_on_two_tracks_do_not_wait(tmp_path: Path) -> None:
    departures = (("AZ", 0.0), ("ZA", 1.0), ("AZ", 2.0), ("ZA", 3.0), ("ZA", 12.0))
    for name, extra in [("default", {}), ("two", {"tracks": 2})]:
        legs = passages(tmp_path / name, *departures, **extra)
        assert {k: v[2] for k, v in times(legs).items()} == dict.fromkeys(legs, 0.0)
        assert [legs[f"t{i}"].start_h for i in range(5)] == [d for _, d in departures]


def test_a_closure_holds_the_turn_until_the_reopening(tmp_path: Path) -> None:
    closure = [{"target": "A-Z", "from_h": 5, "to_h": 30, "effect": "closed"}]
    legs = passages(tmp_path, ("AZ", 0.0), ("ZA", 3.0), ("AZ", 4.0), ("AZ", 6.0), ("ZA", 12.0),
                    disruptions=closure, tracks=1)
    # t0 is on the link when it closes and runs on (0-10). t1 (ready at 3) and t2 (4) wait
    # at the link; the link is clear at 10 but closed, so the turn waits for 30. t3 and t4
    # wait for the reopening at the closure (cause disruption), then at the link. At 30 Z's
    # first waiting train (t1, 3) came before A's (t2, 4): t1 30-40; t4 (Z) does not overtake
    # t2 and t3; A's trains go at 40 (together), then t4 at 50.
    assert times(legs) == {
        "t0": (0.0, 10.0, 0.0, ""),
        "t1": (30.0, 40.0, 27.0, "headway"),
        "t2": (40.0, 50.0, 36.0, "headway"),
        "t3": (40.0, 50.0, 34.0, "disruption"),  # 24 h closed, then 10 h for t1
        "t4": (50.0, 60.0, 38.0, "headway"),  # 18 h closed, then 20 h for t1 and t2, t3
    }


def test_a_train_arriving_at_a_closed_single_track_link_waits_for_the_reopening(
    tmp_path: Path,
) -> None:
    closure = [{"target": "A-Z", "from_h": 5, "to_h": 20, "effect": "closed"}]
    legs = passages(tmp_path, ("AZ", 0.0), ("ZA", 6.0), disruptions=closure, tracks=1)
    assert times(legs) == {"t0": (0.0, 10.0, 0.0, ""), "t1": (20.0, 30.0, 14.0, "disruption")}


def test_capacity_factor_and_extra_dwell_still_apply(tmp_path: Path) -> None:
    # Capacity halved: the 2 h headway becomes 4 h. Extra dwell of 3 h a passage.
    degraded = [
        {"target": "A-Z", "from_h": 0, "to_h": 100, "effect": {"capacity_factor": 0.5}},
        {"target": "A-Z", "from_h": 0, "to_h": 100, "effect": {"extra_dwell_h": 3}},
    ]
    legs = passages(tmp_path, ("AZ", 0.5), ("AZ", 1.0), ("ZA", 2.0), disruptions=degraded,
                    tracks=1, capacity_per_day=12)
    assert times(legs) == {
        "t0": (0.5, 13.5, 0.0, ""),
        "t1": (4.5, 17.5, 3.5, "headway"),
        "t2": (17.5, 30.5, 15.5, "headway"),
    }


def test_single_track_keeps_the_static_route_time(tmp_path: Path) -> None:
    """No congestion in static routing: alone on the link a train takes the route's time."""
    path = write_scenario(tmp_path, features(tracks=1), shipments=[
        {"id": "flow", "cargo": "box", "origin": "A", "destination": "Z", "wagons": 2,
         "depart_h": 0.5, "interarrival_h": 50.0, "count": 5},
    ])
    scenario = load_scenario(path)
    route = scenario.shipments[0].route
    static = corridorsim.routes(scenario.network, "A", "Z", by="fastest", k=1)[0]
    assert route.hours == static.hours == RUN_H
    rep = simulate(scenario, replications=1, seed=2).replications[0]
    records = list(rep.consignment_records())
    assert len(records) == 5
    assert {c.transit_h for c in records} == {RUN_H}


def test_two_track_plans_use_the_plain_line_step(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, features(), shipments=trains(("AZ", 0.0)))
    engine = Engine(load_scenario(path), 0)
    scenario = engine.scenario
    ((two_track_kind, line, *_),) = engine.plan("x", scenario.shipments[0].route)
    assert line.track is None
    path = write_scenario(tmp_path / "one", features(tracks=1), shipments=trains(("AZ", 0.0),
                                                                                ("ZA", 0.0)))
    engine = Engine(load_scenario(path), 0)
    (kind, there, *_), (_, back, *_) = (
        engine.plan(p.id, p.route)[0] for p in engine.scenario.shipments
    )
    assert kind != two_track_kind  # a step kind of its own: two-track legs pay nothing
    assert there.track is back.track is not None
    assert (there.side, back.side) == (0, 1)


# --------------------------------------------------------------------------------------------
# Property: random departures on one single-track link


departure_lists = st.lists(
    st.tuples(st.sampled_from(["AZ", "ZA"]),
              st.one_of(st.integers(0, 60).map(float), st.floats(0.0, 60.0))),
    min_size=1, max_size=14,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    departures=departure_lists,
    length_km=st.sampled_from([50.0, 250.0, 500.0, 333.3]),
    capacity=st.sampled_from([None, 4.0, 12.0, 48.0]),
)
def test_opposing_trains_never_share_the_link(
    departures: list[tuple[str, float]], length_km: float, capacity: float | None
) -> None:
    line: dict[str, Any] = {"tracks": 1, "length_km": length_km}
    if capacity is not None:
        line["capacity_per_day"] = capacity
    headway_h = 24.0 / capacity if capacity else 0.0
    with tempfile.TemporaryDirectory() as directory:
        legs = passages(Path(directory), *departures, **line)
    way = {f"t{i}": d for i, (d, _) in enumerate(departures)}
    run_h = length_km / 50.0
    for leg in legs.values():
        assert leg.end_h - leg.start_h == pytest.approx(run_h)
        assert leg.start_h >= leg.arrive_h
        assert leg.wait_h == pytest.approx(leg.start_h - leg.arrive_h, abs=1e-9)
        assert leg.cause == ("headway" if leg.wait_h > 0 else "")
    # No two opposing trains on the link at once: their passages [start, end) are disjoint.
    for a, x in legs.items():
        for b, y in legs.items():
            if way[a] != way[b]:
                assert x.end_h <= y.start_h or y.end_h <= x.start_h, (a, x, b, y)
    # First come first served within a direction, at the direction's headway.
    for direction in ("AZ", "ZA"):
        mine = sorted((leg for k, leg in legs.items() if way[k] == direction),
                      key=lambda leg: (leg.arrive_h, leg.start_h))
        for before, after in itertools.pairwise(mine):
            assert before.start_h <= after.start_h
            assert after.start_h - before.start_h >= headway_h - 1e-9
    # Nobody waits for nothing: a train that waited entered as an opposing train left, or at
    # its headway after the train before it.
    ends = {leg.end_h for leg in legs.values()}
    starts = {leg.start_h for leg in legs.values()}
    for leg in legs.values():
        if leg.wait_h > 0:
            assert any(leg.start_h == pytest.approx(t, abs=1e-9) for t in ends) or any(
                leg.start_h == pytest.approx(t + headway_h, abs=1e-9) for t in starts
            ), leg


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_scenarios())
def test_random_scenarios_with_single_track_links_keep_the_invariants(
    case: tuple[list[dict[str, Any]], dict[str, Any]],
) -> None:
    """The random scenarios of test_engine (facilities, ferries, closures with re-routing,
    degradations) with every rail and road link single track: wagons are conserved, legs
    account for every journey, nothing raises."""
    features, spec = case
    for item in features:
        properties = item["properties"]
        if properties.get("mode") in ("rail", "road"):
            properties["tracks"] = 1
    with tempfile.TemporaryDirectory() as directory:
        scenario = load_random(Path(directory), features, spec)
        result = simulate(scenario, replications=2, seed=spec["seed"])
    for rep in result.replications:
        check_invariants(scenario, rep)
    check_summary(result)
