"""Opening hours of facilities (``open_hours``, ``closed_weekdays``, ``closed_dates``): the
calendar that says when service may start, the network keys that give it, and the engine's
consignments waiting for the opening (first come first served, the wait is queue) on both the
one-event path and the SimPy-resource path."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cliguard import cli, one_line
from corridorsim.errors import InputError
from corridorsim.network.calendar import WEEKDAYS, OpeningCalendar, parse_window
from corridorsim.network.io import network_to_geojson, parse_network
from corridorsim.network.model import Facility
from corridorsim.routing.plan import routing_key
from corridorsim.scenario.load import Scenario, load_scenario
from corridorsim.sim import engine as engine_module
from corridorsim.sim.engine import Engine, ReplicationResult
from netgen import collection, link, node
from scenariogen import write_scenario
from test_engine_fifo import _assert_same_records

MONDAY = dt.date(2025, 11, 3)  # hour 0 is 00:00 on a Monday
assert MONDAY.weekday() == 0
FRI, SAT, MON2 = 4 * 24, 5 * 24, 7 * 24  # 00:00 of Friday, Saturday and the next Monday


# --------------------------------------------------------------------------------------------
# The calendar, by hand


def test_weekdays_and_a_window() -> None:
    cal = OpeningCalendar(MONDAY, [parse_window("08:00-16:00")], ["sat", "sun"])
    assert cal.next_open(0.0) == 8.0  # Monday before opening
    assert cal.next_open(8.0) == 8.0  # exactly at the opening: open
    assert cal.next_open(12.5) == 12.5  # inside: itself
    assert cal.next_open(16.0) == 24 + 8.0  # exactly at the closing: closed, Tuesday 08:00
    assert cal.next_open(FRI + 15) == FRI + 15
    assert cal.next_open(FRI + 17) == MON2 + 8  # Friday evening: Monday morning
    assert cal.next_open(SAT + 10) == MON2 + 8
    assert cal.next_open(SAT + 24 + 23.99) == MON2 + 8
    assert cal.is_open(FRI + 8) and not cal.is_open(SAT + 9) and not cal.is_open(FRI + 16)


def test_several_windows_and_a_window_to_midnight() -> None:
    windows = [parse_window(w) for w in ("13:00-17:30", "06:00-11:00", "22:00-24:00")]
    cal = OpeningCalendar(MONDAY, windows)
    assert cal.windows == ((6.0, 11.0), (13.0, 17.5), (22.0, 24.0))
    assert cal.next_open(5.0) == 6.0
    assert cal.next_open(11.0) == 13.0
    assert cal.next_open(17.5) == 22.0
    assert cal.next_open(23.75) == 23.75
    assert cal.next_open(24.0) == 30.0  # midnight belongs to the next day: 06:00
    # Touching windows are one.
    assert OpeningCalendar(MONDAY, [(0.0, 12.0), (12.0, 24.0)]).windows == ((0.0, 24.0),)


def test_closed_dates_and_a_long_closure_are_jumped_in_one_step() -> None:
    # Closed on Wednesday 5 Nov, and for all of 2026 (365 dates) besides weekends.
    year = [dt.date(2026, 1, 1) + dt.timedelta(days=k) for k in range(365)]
    cal = OpeningCalendar(
        MONDAY, [(8.0, 16.0)], ["sat", "sun"], [dt.date(2025, 11, 5), *year]
    )
    assert cal.next_open(24 + 17) == 3 * 24 + 8  # Tuesday evening: Thursday (Wednesday shut)
    dec31 = (dt.date(2025, 12, 31) - MONDAY).days * 24
    jan1_2027 = (dt.date(2027, 1, 1) - MONDAY).days * 24  # a Friday, the first day after 2026
    assert dt.date(2027, 1, 1).weekday() == 4
    assert cal.next_open(dec31 + 17) == jan1_2027 + 8
    # No day-by-day walk: a query a century out answers as fast as one today.
    century = 100 * 8760.0 + 3.0
    assert cal.next_open(century) >= century
    assert cal.is_open(cal.next_open(century))


def test_closed_dates_on_closed_weekdays_and_before_the_start_change_nothing() -> None:
    plain = OpeningCalendar(MONDAY, [(8.0, 16.0)], ["sun"])
    extra = OpeningCalendar(
        MONDAY, [(8.0, 16.0)], ["sun"], [dt.date(2025, 11, 9), dt.date(2025, 1, 1)]
    )
    for t in range(0, 24 * 30, 5):
        assert plain.next_open(float(t)) == extra.next_open(float(t))


def test_a_calendar_never_open_is_refused() -> None:
    with pytest.raises(ValueError, match="never open"):
        OpeningCalendar(MONDAY, [(8.0, 16.0)], WEEKDAYS)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("8-16", "HH:MM-HH:MM"),
        ("08:00-16:00-18:00", "HH:MM-HH:MM"),
        ("08:00-08:00", "start before it ends"),
        ("22:00-06:00", "past midnight"),
        ("08:60-09:00", "no such time"),
        ("24:30-25:00", "no such time"),
    ],
)
def test_malformed_windows_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_window(text)


# --------------------------------------------------------------------------------------------
# The network keys


def _facility(**keys: Any) -> Facility:
    return Facility.model_validate({"type": "yard", "dwell_h": 2, **keys})


def test_the_keys_validate_on_every_facility_type_and_round_trip() -> None:
    for kind in ("border", "yard", "port", "gauge_change", "terminal"):
        f = Facility.model_validate({"type": kind, "dwell_h": 2, "open_hours": "08:00-20:00"})
        assert f.opening_windows == ((8.0, 20.0),)
    f = _facility(open_hours=["13:00-18:00", "06:00-12:00"], closed_weekdays=["sun"],
                  closed_dates=["2025-12-25"])
    assert f.has_opening_hours and not _facility().has_opening_hours
    assert f.opening_windows == ((6.0, 12.0), (13.0, 18.0))
    assert f.closed_dates == (dt.date(2025, 12, 25),)
    assert _facility(closed_weekdays=["sat"]).opening_windows == ((0.0, 24.0),)
    a, b = node("A", 40.0, 40.0, facility=f.model_dump(exclude_defaults=True)), node("B", 41, 40)
    net = parse_network(collection([a, b, link("A-B", a, b, mode="road")]))
    again = parse_network(network_to_geojson(net))
    assert again.nodes["A"].facility == net.nodes["A"].facility
    # Routing does not read them.
    plain = parse_network(collection([node("A", 40.0, 40.0, facility={"type": "yard",
                                                                      "dwell_h": 2}),
                                      b, link("A-B", a, b, mode="road")]))
    assert routing_key(plain) == routing_key(net)


@pytest.mark.parametrize(
    ("keys", "words"),
    [
        ({"open_hours": "8-16"}, "HH:MM-HH:MM"),
        ({"open_hours": "20:00-08:00"}, "past midnight"),
        ({"open_hours": ["08:00-12:00", "12:00"]}, "HH:MM-HH:MM"),
        ({"closed_weekdays": ["sa"]}, "'sat'"),
        ({"closed_dates": [20251107]}, "ISO date"),
        ({"closed_dates": ["2025-13-01"]}, "ISO date"),
        ({"closed_dates": ["7.11.2025"]}, "ISO date"),
        ({"closed_weekdays": list(WEEKDAYS)}, "never open"),
    ],
)
def test_bad_keys_are_refused_naming_the_place(keys: dict[str, Any], words: str) -> None:
    a = node("A", 40.0, 40.0, facility={"type": "border", "dwell_h": 2, **keys})
    b = node("B", 41.0, 40.0)
    with pytest.raises(InputError) as caught:
        parse_network(collection([a, b, link("A-B", a, b, mode="road")]))
    text = "\n".join(caught.value.problems)
    assert "facility" in text and words in text, text


# --------------------------------------------------------------------------------------------
# The engine: a border open 08:00-16:00 Monday to Friday


def _rail(link_id: str, a: dict[str, Any], b: dict[str, Any], km: float) -> dict[str, Any]:
    return link(link_id, a, b, mode="rail", gauge_mm=1520, length_km=km, speed_kmh=50.0)


def _office_hours_border(
    tmp_path: Path, dwell: Any = 2, departures: tuple[float, ...] = (), **scenario: Any
) -> Path:
    """A -> B (a border open 08:00-16:00 Mon-Fri, one server) -> C, 1 h of rail either side;
    one single consignment per departure time (hours from Monday 00:00)."""
    a = node("A", 40.0, 40.0, country="XA")
    border = {"type": "border", "servers": 1, "dwell_h": dwell,
              "open_hours": "08:00-16:00", "closed_weekdays": ["sat", "sun"]}
    b = node("B", 40.5, 40.0, country="XB", kind="border", facility=border)
    c = node("C", 41.0, 40.0, country="XB")
    features = [a, b, c, _rail("A-B", a, b, 50), _rail("B-C", b, c, 50)]
    shipments = [
        {"id": f"s{k}", "cargo": "box", "origin": "A", "destination": "C", "wagons": 2,
         "depart_h": t}
        for k, t in enumerate(departures)
    ]
    scenario.setdefault("start", MONDAY.isoformat())
    return write_scenario(tmp_path, features, shipments=shipments, horizon_days=14, **scenario)


def _border_legs(result: ReplicationResult) -> list[Any]:
    legs = [leg for leg in result.leg_records() if leg.kind == "facility" and leg.id == "B"]
    return sorted(legs, key=lambda leg: leg.arrive_h)


def _run(scenario: Scenario, *, resources_everywhere: bool = False) -> ReplicationResult:
    engine = Engine(scenario, 0)
    if resources_everywhere:  # as if a disruption could slow every node down
        engine._degradable = frozenset(scenario.network.nodes)
    return engine.run()


@pytest.mark.parametrize("path", ["resource", "fifo"])
def test_friday_afternoon_friday_evening_and_saturday(tmp_path: Path, path: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # Arrivals at B: Friday 15:00, Friday 17:00, Saturday 10:00 (1 h after departing A).
    scenario = load_scenario(
        _office_hours_border(tmp_path, departures=(FRI + 14, FRI + 16, SAT + 9))
    )
    if path == "fifo":  # the fixed dwell takes the resource path; force the one-event path
        monkeypatch.setattr(Engine, "_fifo", lambda self, leg: True)
    engine = Engine(scenario, 0)
    kinds = {step[2].id: step[0] for step in engine.plan("s0", scenario.shipments[0].route)}
    assert kinds["B"] == (engine_module._FIFO if path == "fifo" else engine_module._FACILITY)
    result = engine.run()
    legs = _border_legs(result)
    assert [leg.arrive_h for leg in legs] == [FRI + 15, FRI + 17, SAT + 10]
    # Friday 15:00: open, served at once; the 2 h dwell runs past the 16:00 closing.
    # Friday 17:00: closed, starts Monday 08:00; Saturday 10:00: behind it, Monday 10:00.
    assert [leg.start_h for leg in legs] == [FRI + 15, MON2 + 8, MON2 + 10]
    assert [leg.end_h for leg in legs] == [FRI + 17, MON2 + 10, MON2 + 12]
    assert [leg.wait_h for leg in legs] == [0.0, MON2 + 8 - (FRI + 17), MON2 + 10 - (SAT + 10)]
    assert [leg.cause for leg in legs] == ["", "facility", "facility"]
    waits = result.consignments["waits"]
    assert waits[:, 0].tolist() == [0.0, 63.0, 48.0] and waits[:, 1:].sum() == 0
    (border,) = [f for f in result.facilities if f.node == "B"]
    assert border.served == 3 and border.waited == 3
    assert border.busy_h == 6.0 and border.queue_h == 63.0 + 48.0 and border.wait_h == 111.0


def test_a_facility_without_the_keys_takes_todays_path(tmp_path: Path) -> None:
    scenario = load_scenario(_office_hours_border(tmp_path, departures=(1.0,)))
    engine = Engine(scenario, 0)
    engine.run()
    runtimes = {key[0]: runtime for key, runtime in engine._facilities.items()}
    assert runtimes["B"].calendar is not None
    a = node("A", 40.0, 40.0)
    b = node("B", 40.5, 40.0, facility={"type": "yard", "dwell_h": 2})
    plain = load_scenario(write_scenario(
        tmp_path / "plain", [a, b, _rail("A-B", a, b, 50)],
        shipments=[{"id": "s", "cargo": "box", "origin": "A", "destination": "B", "wagons": 1,
                    "route": {"fixed": ["A", "B"]}}]))
    other = Engine(plain, 0)
    other.run()
    assert all(r.calendar is None for r in other._facilities.values())


def _busy_with_hours(tmp_path: Path, servers: int = 2, capacity: float | None = 10,
                     **scenario: Any) -> Scenario:
    """Two merging flows on a border with two servers, random dwell, a headway, opening
    hours, weekends and a closed date; queues most of the time."""
    exp = {"dist": "exponential", "mean": 2.0}
    a, e = node("A", 40.0, 40.0, country="XA"), node("E", 40.5, 40.5, country="XA")
    facility: dict[str, Any] = {
        "type": "border", "servers": servers, "dwell_h": exp,
        "open_hours": ["06:00-12:00", "13:00-21:30"], "closed_weekdays": ["sun"],
        "closed_dates": ["2025-11-12", "2025-11-13"],
    }
    if capacity is not None:
        facility["capacity_per_day"] = capacity
    b = node("B", 40.5, 40.0, country="XB", kind="border", facility=facility)
    d = node("D", 41.5, 40.0, country="XB")
    features = [a, b, d, e, _rail("A-B", a, b, 40), _rail("E-B", e, b, 55),
                _rail("B-D", b, d, 60)]
    flow = {"cargo": "box", "destination": "D", "wagons": 3, "count": 120}
    shipments = [
        {"id": "west", "origin": "A", **flow,
         "interarrival_h": {"dist": "exponential", "mean": 4.0}},
        {"id": "north", "origin": "E", **flow, "interarrival_h": 5.0, "depart_h": 1.0},
    ]
    scenario.setdefault("start", MONDAY.isoformat())
    return load_scenario(write_scenario(tmp_path, features, shipments=shipments,
                                        horizon_days=30, **scenario))


def test_both_paths_record_the_same_with_opening_hours(tmp_path: Path) -> None:
    scenario = _busy_with_hours(tmp_path, warmup_days=3)
    fast, slow = _run(scenario), _run(scenario, resources_everywhere=True)
    _assert_same_records(fast, slow)
    legs = _border_legs(fast)
    cal = Engine(scenario, 0)._facility("B", 0).calendar
    assert cal is not None
    assert all(cal.is_open(leg.start_h) for leg in legs)
    closed_waits = [leg for leg in legs if not cal.is_open(leg.arrive_h)]
    assert len(closed_waits) > 10  # plenty of consignments came while it was shut


def test_a_headway_that_runs_into_the_closing_waits_for_the_next_opening(
    tmp_path: Path,
) -> None:
    # Two a day at most (a 12 h headway): the second consignment of Monday would start at
    # 20:00 by the headway, after the 16:00 closing: it starts Tuesday 08:00.
    path = _office_hours_border(tmp_path, departures=(7.0, 8.0))
    text = path.parent.joinpath("net.geojson").read_text(encoding="utf-8")
    path.parent.joinpath("net.geojson").write_text(
        text.replace('"servers": 1', '"servers": 2, "capacity_per_day": 2'), encoding="utf-8"
    )
    scenario = load_scenario(path)
    for resources in (False, True):
        result = _run(scenario, resources_everywhere=resources)
        legs = _border_legs(result)
        assert [leg.start_h for leg in legs] == [8.0, 32.0]
        assert [leg.cause for leg in legs] == ["", "headway"]


# --------------------------------------------------------------------------------------------
# Without a calendar


def test_a_scenario_without_start_is_refused_naming_the_facility(tmp_path: Path) -> None:
    path = _office_hours_border(tmp_path, departures=(1.0,), start=None)
    text = path.read_text(encoding="utf-8")
    path.write_text("\n".join(x for x in text.splitlines() if not x.startswith("start:")),
                    encoding="utf-8")
    with pytest.raises(InputError):
        load_scenario(path)
    line = one_line(cli("run", path, "--quiet", "-o", tmp_path / "out"), 2)
    assert line.startswith(f"{path}: start: "), line
    assert "facility B (border)" in line and "start" in line and "opening hours" in line


# --------------------------------------------------------------------------------------------
# A property: service never starts while closed, and first come first served holds


@st.composite
def _calendars(draw: Any) -> dict[str, Any]:
    windows = []
    for _ in range(draw(st.integers(1, 3))):
        a = draw(st.integers(0, 23 * 4 - 1))
        b = draw(st.integers(a + 1, 24 * 4))
        windows.append(f"{a // 4:02d}:{a % 4 * 15:02d}-{b // 4:02d}:{b % 4 * 15:02d}")
    closed = draw(st.lists(st.sampled_from(WEEKDAYS), max_size=6, unique=True))
    dates = draw(st.lists(st.integers(0, 40), max_size=8, unique=True))
    return {
        "open_hours": windows,
        "closed_weekdays": closed,
        "closed_dates": [(MONDAY + dt.timedelta(days=k)).isoformat() for k in dates],
    }


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=_calendars(), servers=st.integers(1, 3), capacity=st.sampled_from([None, 6, 30]),
       start_day=st.integers(0, 6))
def test_service_never_starts_while_closed_and_fifo_holds(
    tmp_path_factory: pytest.TempPathFactory, keys: dict[str, Any], servers: int,
    capacity: float | None, start_day: int,
) -> None:
    exp = {"dist": "exponential", "mean": 3.0}
    a, d = node("A", 40.0, 40.0, country="XA"), node("D", 41.0, 40.0, country="XB")
    facility: dict[str, Any] = {"type": "border", "servers": servers, "dwell_h": exp, **keys}
    if capacity is not None:
        facility["capacity_per_day"] = capacity
    b = node("B", 40.5, 40.0, country="XB", kind="border", facility=facility)
    features = [a, b, d, _rail("A-B", a, b, 40), _rail("B-D", b, d, 40)]
    shipments = [{"id": "s", "cargo": "box", "origin": "A", "destination": "D", "wagons": 1,
                  "count": 60, "interarrival_h": {"dist": "exponential", "mean": 5.0}}]
    start = MONDAY + dt.timedelta(days=start_day)
    scenario = load_scenario(write_scenario(
        tmp_path_factory.mktemp("hours"), features, shipments=shipments, horizon_days=20,
        start=start.isoformat()))
    f = scenario.network.nodes["B"].facility[0]
    cal = OpeningCalendar(start, f.opening_windows, f.closed_weekdays, f.closed_dates)
    fast, slow = _run(scenario), _run(scenario, resources_everywhere=True)
    _assert_same_records(fast, slow)
    legs = _border_legs(fast)
    for leg in legs:
        assert leg.start_h >= leg.arrive_h
        assert cal.is_open(leg.start_h), leg
        # The start is the first open time at or after the arrival, unless servers were busy
        # or a headway held it: never later than needed when the queue was empty.
    starts = [leg.start_h for leg in legs]
    assert starts == sorted(starts)  # first come, first served
    if servers == 1:
        for before, after in itertools.pairwise(legs):
            assert after.start_h >= before.end_h
