"""The engine's first-come-first-served facilities: a visit to a facility whose node no
disruption can slow down is one scheduled event (start and end known on arrival), and it must
record exactly what the SimPy-resource path records (request, headway, dwell, release) for
the same scenario. Also the exact-time wake-up those visits sleep on, and the leg buffer that
takes their rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import simpy
from hypothesis import HealthCheck, given, settings

from corridorsim.scenario.load import Scenario, load_scenario
from corridorsim.sim import engine as engine_module
from corridorsim.sim.components import Wake
from corridorsim.sim.engine import Engine, ReplicationResult
from corridorsim.sim.records import CHUNK, LegBuffer
from netgen import link, node
from scenariogen import write_scenario
from test_engine import load_random, random_scenarios

# --------------------------------------------------------------------------------------------
# Wake: an event at an absolute time


def test_wake_fires_at_the_absolute_time_where_a_timeout_would_be_off_by_a_bit() -> None:
    now, then = 7.319, 15.981
    assert now + (then - now) != then  # what env.timeout(then - now) would fire at
    env = simpy.Environment()
    fired: list[tuple[str, float]] = []

    def sleeper() -> Any:
        yield env.timeout(now)
        yield Wake(env).at(then)
        fired.append(("wake", env.now))

    env.process(sleeper())
    env.run()
    assert fired == [("wake", then)]


def test_wake_can_be_rearmed_after_it_fired() -> None:
    env = simpy.Environment()
    times: list[float] = []

    def sleeper() -> Any:
        wake = Wake(env).at
        for t in (1.5, 1.5, 4.0, 10.25):
            yield wake(t)
            times.append(env.now)

    env.process(sleeper())
    env.run()
    assert times == [1.5, 1.5, 4.0, 10.25]


def test_wake_keeps_the_order_of_scheduling_at_equal_times() -> None:
    env = simpy.Environment()
    order: list[str] = []

    def first() -> Any:
        yield Wake(env).at(2.0)
        order.append("wake")

    def second() -> Any:
        yield env.timeout(2.0)
        order.append("timeout")

    env.process(first())
    env.process(second())
    env.run()
    assert order == ["wake", "timeout"]


def test_wake_refuses_a_time_already_past() -> None:
    env = simpy.Environment()
    env.run(until=3.0)
    with pytest.raises(ValueError, match="already"):
        Wake(env).at(2.0)


# --------------------------------------------------------------------------------------------
# The fast path records what the resource path records


def _rail(link_id: str, a: dict[str, Any], b: dict[str, Any], km: float) -> dict[str, Any]:
    return link(link_id, a, b, mode="rail", gauge_mm=1520, length_km=km, speed_kmh=50.0)


def _busy(tmp_path: Path, disruptions: list[dict[str, Any]] | None = None) -> Scenario:
    """Two flows merging on a chain of busy border posts: two servers with random dwell, one
    of them with a capacity per day (a headway between starts), queues most of the time."""
    exp = {"dist": "exponential", "mean": 3.0}
    a = node("A", 40.0, 40.0)
    b = node("B", 40.5, 40.0, kind="border",
             facility={"type": "border", "servers": 2, "dwell_h": exp, "capacity_per_day": 14})
    c = node("C", 41.0, 40.0, kind="border",
             facility={"type": "border", "servers": 2,
                       "dwell_h": {"dist": "lognormal", "mean": 4.0, "sd": 2.0}})
    e = node("E", 40.5, 40.5)
    d = node("D", 41.5, 40.0, kind="border",
             facility={"type": "border", "servers": 1,
                       "dwell_h": {"dist": "uniform", "min": 0.5, "max": 2.0}})
    features = [a, b, c, d, e, _rail("A-B", a, b, 40), _rail("E-B", e, b, 55),
                _rail("B-C", b, c, 60), _rail("C-D", c, d, 45)]
    flow = {"cargo": "box", "destination": "D", "wagons": 3, "count": 150}
    shipments = [
        {"id": "west", "origin": "A", **flow, "interarrival_h": {"dist": "exponential",
                                                               "mean": 2.5}},
        {"id": "north", "origin": "E", **flow, "interarrival_h": 3.0, "depart_h": 1.0},
    ]
    extra = {"disruptions": disruptions} if disruptions else {}
    return load_scenario(write_scenario(tmp_path, features, shipments=shipments,
                                        horizon_days=40, **extra))


def _run(scenario: Scenario, *, resources_everywhere: bool = False) -> ReplicationResult:
    engine = Engine(scenario, 0)
    if resources_everywhere:  # as if a disruption could slow every node down
        engine._degradable = frozenset(scenario.network.nodes)
    return engine.run()


def _assert_same_records(fast: ReplicationResult, slow: ReplicationResult) -> None:
    assert fast.labels == slow.labels
    for name, column in slow.legs.items():
        assert fast.legs[name].dtype == column.dtype, name
        np.testing.assert_array_equal(fast.legs[name], column, err_msg=name)
    for name, column in slow.consignments.items():
        np.testing.assert_array_equal(fast.consignments[name], column, err_msg=name)
    assert_same_facilities(fast, slow)


def assert_same_facilities(fast: ReplicationResult, slow: ReplicationResult) -> None:
    """The facility totals of both paths: counts exactly, hours up to rounding (the resource
    path adds a visit's headway and its dwell to busy_h apart, at grant and at start)."""
    assert len(fast.facilities) == len(slow.facilities)
    for f, s in zip(fast.facilities, slow.facilities, strict=True):
        assert (f.node, f.position, f.label, f.servers, f.served, f.waited) == (
            s.node, s.position, s.label, s.servers, s.served, s.waited), (f, s)
        for name in ("window_h", "busy_h", "queue_h", "wait_h"):
            assert getattr(f, name) == pytest.approx(getattr(s, name), rel=1e-9, abs=1e-9), (
                name, f, s)


def test_fifo_visits_record_exactly_what_the_resource_path_records(tmp_path: Path) -> None:
    scenario = _busy(tmp_path)
    fast, slow = _run(scenario), _run(scenario, resources_everywhere=True)
    _assert_same_records(fast, slow)
    # The scenario queues (else the comparison proves little), and the fast path needs fewer
    # events: one per visit instead of a request, a timeout and a release.
    waits = fast.consignments["waits"]
    assert waits[:, 0].sum() > 100 and waits[:, 2].sum() > 10  # facility queues, headways
    assert fast.events < 0.7 * slow.events


def test_closures_keep_the_fast_path_and_block_before_the_queue(tmp_path: Path) -> None:
    closures = [{"target": "C", "from_h": 30, "to_h": 55}, {"target": "B", "from_h": 100,
                                                           "to_h": 112}]
    scenario = _busy(tmp_path, closures)
    engine = Engine(scenario, 0)
    kinds = {step[2].id: step[0] for step in engine.plan("west", scenario.shipments[0].route)}
    assert kinds["C"] == kinds["B"] == engine_module._FIFO
    fast, slow = engine.run(), _run(scenario, resources_everywhere=True)
    _assert_same_records(fast, slow)
    assert fast.consignments["waits"][:, 3].sum() > 0  # someone waited for a reopening


def test_a_node_a_disruption_slows_down_keeps_its_resource(tmp_path: Path) -> None:
    slower = [{"target": "C", "from_h": 20, "to_h": 200, "effect": {"capacity_factor": 0.5}}]
    scenario = _busy(tmp_path, slower)
    engine = Engine(scenario, 0)
    kinds = {step[2].id: step[0] for step in engine.plan("west", scenario.shipments[0].route)}
    assert kinds["C"] == engine_module._FACILITY
    assert kinds["B"] == kinds["D"] == engine_module._FIFO
    _assert_same_records(engine.run(), _run(scenario, resources_everywhere=True))


def test_a_fixed_dwell_keeps_the_resource_and_makes_the_sailing_at_its_end(
    tmp_path: Path,
) -> None:
    # 22 h of rail, 2 h at the port: the dwell ends at 24 h, on a sailing of the two-hourly
    # ferry. A fixed dwell keeps the resource path (an end at the time of another event);
    # the sailing comes after everything else at its time, so the consignment makes it.
    a, d = node("A", 40.0, 40.0), node("D", 42.5, 40.0)
    port = {"type": "port", "servers": 1, "dwell_h": 2}
    p = node("P", 41.0, 40.0, kind="port", facility=port)
    q = node("Q", 42.0, 40.0, kind="port", facility=port)
    ferry = {"capacity_wagons": 10, "every_h": 2, "sailing_h": 5}
    features = [a, p, q, d, _rail("A-P", a, p, 1100), _rail("Q-D", q, d, 100),
                link("P-Q", p, q, mode="ferry", ferry=ferry)]
    shipments = [{"id": "s", "cargo": "box", "origin": "A", "destination": "D", "wagons": 1}]
    scenario = load_scenario(write_scenario(tmp_path, features, shipments=shipments,
                                            horizon_days=5))
    engine = Engine(scenario, 0)
    kinds = {step[2].id: step[0] for step in engine.plan("s", scenario.shipments[0].route)}
    assert kinds["P"] == kinds["Q"] == engine_module._FACILITY
    legs = {leg.id: leg for leg in engine.run().leg_records()}
    assert (legs["P"].end_h, legs["P-Q"].start_h) == (24.0, 24.0)


# --------------------------------------------------------------------------------------------
# The leg buffer


def test_leg_buffer_moves_rows_into_typed_columns_in_chunks() -> None:
    buffer = LegBuffer()
    n = CHUNK + 7
    for i in range(n):
        buffer.add(i, i % 9, i % 4, i * 1.5, i * 1.5 + 0.25, i * 1.5 + 1.0, 0.25, i % 3 - 1,
                   10.0 * i, 0.5)
        if len(buffer.pending) >= CHUNK:
            buffer.flush()
    assert len(buffer) == n and len(buffer.pending) == 7
    columns = buffer.freeze()
    assert list(columns) == list(LegBuffer.FIELDS)
    assert {name: c.dtype.char for name, c in columns.items()} == {
        "consignment": "l", "seq": "l", "label": "l", "arrive": "d", "start": "d", "end": "d",
        "wait": "d", "cause": "b", "cost_usd": "d", "co2_kg": "d", "hire_usd": "d",
        "demurrage_usd": "d",
    }
    np.testing.assert_array_equal(columns["consignment"], np.arange(n))
    np.testing.assert_array_equal(columns["cause"], np.arange(n) % 3 - 1)
    np.testing.assert_array_equal(columns["end"], np.arange(n) * 1.5 + 1.0)
    # The columns are the buffer's memory, not a copy of it: the buffer cannot grow now.
    with pytest.raises(BufferError):
        buffer.seq.append(1)


def test_leg_buffer_freezes_empty() -> None:
    columns = LegBuffer().freeze()
    assert all(c.size == 0 for c in columns.values())


# --------------------------------------------------------------------------------------------
# The same on random scenarios (ferries, closures, re-planning, slowed nodes among them)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(random_scenarios())
def test_random_scenarios_record_the_same_on_either_path(
    tmp_path: Path, case: tuple[list[dict[str, Any]], dict[str, Any]]
) -> None:
    features, spec = case
    scenario = load_random(tmp_path, features, spec)
    _assert_same_records(_run(scenario), _run(scenario, resources_everywhere=True))
