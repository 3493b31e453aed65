"""Facility statistics over the measured window [W, H] (W = warm-up, H = horizon).

``FacilityTotals`` holds time integrals over the window, work in progress at the horizon
included: ``busy_h`` (each visit's [grant, end] clipped to the window), ``queue_h`` (each
visit's [arrive, grant] clipped, those still waiting at H too), and the completed queue waits
of visits arriving in the window (``wait_h`` over ``waited``). A hand-made case works them
out by hand on both engine paths (one event per visit, and the SimPy resource), a long M/M/1
run checks Little's law, and random scenarios the bounds every run keeps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridorsim.errors import InputError
from corridorsim.scenario.load import Scenario, load_scenario
from corridorsim.sim import engine as engine_module
from corridorsim.sim.engine import Engine, ReplicationResult
from corridorsim.sim.records import FacilityTotals
from netgen import node
from scenariogen import write_scenario
from test_engine import load_random, rail, random_scenarios, shipment
from test_engine_fifo import assert_same_facilities


def _run(scenario: Scenario, *, resources: bool = False) -> ReplicationResult:
    engine = Engine(scenario, 0)
    if resources:  # as if a disruption could slow every node down: the SimPy resource path
        engine._degradable = frozenset(scenario.network.nodes)
    return engine.run()


def _facility(rep: ReplicationResult, node_id: str) -> FacilityTotals:
    (found,) = [f for f in rep.facilities if f.node == node_id]
    return found


# --------------------------------------------------------------------------------------------
# The scenario key


def _chain(tmp_path: Path, dwell: Any, **scenario: Any) -> Scenario:
    """A -> B -> C on rail, 50 km at 50 km/h each (1 h), a one-server border at B with
    ``dwell``; twelve consignments leave A every 2 h from 0, so reach B at 1, 3, ..., 23."""
    a, c = node("A", 40.0, 40.0), node("C", 41.0, 40.0)
    b = node("B", 40.5, 40.0, kind="border",
             facility={"type": "border", "servers": 1, "dwell_h": dwell})
    features = [a, b, c, rail("A-B", a, b, 50), rail("B-C", b, c, 50)]
    flow = shipment("s", "A", "C", interarrival_h=2.0, count=12)
    return load_scenario(write_scenario(tmp_path, features, shipments=[flow], **scenario))


def test_warmup_defaults_to_zero_and_is_in_hours(tmp_path: Path) -> None:
    assert _chain(tmp_path / "a", 3.0).warmup_h == 0.0
    scenario = _chain(tmp_path / "b", 3.0, horizon_days=1, warmup_days=0.5)
    assert (scenario.warmup_h, scenario.horizon_h) == (12.0, 24.0)


@pytest.mark.parametrize("warmup", [1, 2, -0.5])
def test_warmup_must_be_non_negative_and_before_the_horizon(tmp_path: Path, warmup: float
                                                            ) -> None:
    with pytest.raises(InputError, match=r"scenario\.yaml:\d+: warmup_days: must be "):
        _chain(tmp_path, 3.0, horizon_days=1, warmup_days=warmup)


# --------------------------------------------------------------------------------------------
# By hand


def test_window_totals_by_hand_on_both_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    # Arrivals at B at 1 + 2k (k = 0..11), 3 h of service each, one server, W = 12, H = 24:
    # consignment k starts at 1 + 3k, ends at 4 + 3k and queued k hours.
    scenario = _chain(tmp_path, 3.0, horizon_days=1, warmup_days=0.5)
    expected = FacilityTotals(
        node="B", position=0, label="B:border", servers=1,
        window_h=12.0,
        # Ends at 13, 16, 19, 22 fall in the window (7 is before it, 25 after the horizon).
        served=4,
        # The server is busy without a break from 1 to 25 (k = 7 in service at H).
        busy_h=12.0,
        # [1 + 2k, 1 + 3k] clipped to [12, 24]: k = 4: [12, 13] 1, k = 5: [12, 16] 4,
        # k = 6: [13, 19] 6, k = 7: [15, 22] 7, and those still waiting at H: k = 8 (from 17)
        # 7, k = 9 (19) 5, k = 10 (21) 3, k = 11 (23) 1.
        queue_h=1 + 4 + 6 + 7 + 7 + 5 + 3 + 1,
        # Arrived in the window and granted before H: k = 6 (6 h) and k = 7 (7 h).
        wait_h=13.0,
        waited=2,
    )
    slow = _run(scenario)  # a fixed dwell takes the SimPy resource
    arrivals = [leg.arrive_h for leg in slow.leg_records() if leg.kind == "facility"]
    assert arrivals == [1.0 + 2 * k for k in range(7)]  # the seven that left B before H
    assert slow.facilities == [expected]
    # The one-event path, as if a fixed dwell could not coincide with other events.
    monkeypatch.setattr(engine_module, "_CONTINUOUS", engine_module._CONTINUOUS | {"fixed"})
    engine = Engine(scenario, 0)
    kinds = {step[2].id: step[0] for step in engine.plan("s", scenario.shipments[0].route)}
    assert kinds["B"] == engine_module._FIFO
    fast = engine.run()
    assert fast.facilities == [expected]
    np.testing.assert_array_equal(fast.legs["end"], slow.legs["end"])


def test_a_headway_holds_the_server_and_is_not_queue(tmp_path: Path) -> None:
    # 6 a day: starts at least 4 h apart. The same arrivals and 3 h dwell: k starts at 1 + 4k
    # (granted at 4k, when k - 1 leaves: 1 h of headway, k = 0 none), ends at 4 + 4k.
    a, c = node("A", 40.0, 40.0), node("C", 41.0, 40.0)
    b = node("B", 40.5, 40.0, kind="border",
             facility={"type": "border", "servers": 1, "dwell_h": 3, "capacity_per_day": 6})
    features = [a, b, c, rail("A-B", a, b, 50), rail("B-C", b, c, 50)]
    flow = shipment("s", "A", "C", interarrival_h=2.0, count=12)
    scenario = load_scenario(write_scenario(tmp_path, features, shipments=[flow],
                                            horizon_days=1, warmup_days=0.5))
    totals = _facility(_run(scenario), "B")
    # Held without a break from 1 (k = 0) on; ends 12, 16 and 20 in the window, 24 is not.
    assert (totals.busy_h, totals.served) == (12.0, 3)
    # Queue [1 + 2k, 4k] for k >= 1 clipped to [12, 24]: k = 3 [7, 12] 0, k = 4 [12, 16] 4,
    # k = 5 [12, 20] 8, k = 6 [13, 24] 11 (granted at 24 = H: still waiting), k = 7 (15) 9,
    # k = 8 (17) 7, k = 9 (19) 5, k = 10 (21) 3, k = 11 (23) 1.
    assert totals.queue_h == 4 + 8 + 11 + 9 + 7 + 5 + 3 + 1
    # Completed waits of arrivals in the window: only k = 6 (13) could be, granted at H: none.
    assert (totals.wait_h, totals.waited) == (0.0, 0)


def test_the_warmup_changes_no_leg_or_consignment(tmp_path: Path) -> None:
    exp = {"dist": "exponential", "mean": 1.7}
    base = _run(_chain(tmp_path / "a", exp, horizon_days=2))
    later = _run(_chain(tmp_path / "b", exp, horizon_days=2, warmup_days=0.75))
    for name, column in base.legs.items():
        np.testing.assert_array_equal(later.legs[name], column, err_msg=name)
    for name, column in base.consignments.items():
        np.testing.assert_array_equal(later.consignments[name], column, err_msg=name)
    assert _facility(later, "B").window_h == 48.0 - 18.0
    assert _facility(later, "B").busy_h < _facility(base, "B").busy_h


# --------------------------------------------------------------------------------------------
# Little's law on a long M/M/1 run


def _mm1(tmp_path: Path) -> Scenario:
    # Poisson arrivals every 5 h on average, exponential service of 4 h: rho = 0.8.
    a, c = node("A", 40.0, 40.0), node("C", 41.0, 40.0)
    b = node("B", 40.5, 40.0, kind="border",
             facility={"type": "border", "servers": 1,
                       "dwell_h": {"dist": "exponential", "mean": 4.0}})
    features = [a, b, c, rail("A-B", a, b, 50), rail("B-C", b, c, 50)]
    flow = shipment("s", "A", "C", interarrival_h={"dist": "exponential", "mean": 5.0})
    return load_scenario(write_scenario(tmp_path, features, shipments=[flow],
                                        horizon_days=3000, warmup_days=100, seed=7))


@pytest.mark.parametrize("resources", [False, True], ids=["fifo", "resource"])
def test_littles_law_on_a_long_mm1_run(tmp_path: Path, resources: bool) -> None:
    totals = _facility(_run(_mm1(tmp_path), resources=resources), "B")
    window = totals.window_h
    assert window == (3000 - 100) * 24.0
    mean_queue = totals.queue_h / window
    little = (totals.waited / window) * (totals.wait_h / totals.waited)
    assert mean_queue == pytest.approx(little, rel=0.02)
    # And near the M/M/1 figures: utilisation rho = 0.8, mean queue rho^2 / (1 - rho) = 3.2.
    assert totals.busy_h / window == pytest.approx(0.8, rel=0.05)
    assert mean_queue == pytest.approx(3.2, rel=0.3)
    assert totals.waited == pytest.approx(window / 5.0, rel=0.05)


def test_mm1_paths_agree(tmp_path: Path) -> None:
    scenario = _mm1(tmp_path)
    assert_same_facilities(_run(scenario), _run(scenario, resources=True))


# --------------------------------------------------------------------------------------------
# Random scenarios


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(random_scenarios(), st.floats(0, 0.95))
def test_random_scenarios_keep_the_window_bounds(
    tmp_path: Path, case: tuple[list[dict[str, Any]], dict[str, Any]], share: float
) -> None:
    features, spec = case
    spec = {**spec, "warmup_days": spec["horizon_days"] * share}
    scenario = load_random(tmp_path, features, spec)
    window = scenario.horizon_h - scenario.warmup_h
    engine = Engine(scenario, 0)
    fast = engine.run()
    assert_same_facilities(fast, _run(scenario, resources=True))
    # In the order the engine first used them.
    assert [(f.node, f.position) for f in fast.facilities] == list(engine._facilities)
    for f in fast.facilities:
        assert f.window_h == window
        assert -1e-9 <= f.busy_h <= f.servers * window * (1 + 1e-12) + 1e-9, f
        assert f.queue_h >= -1e-9 and f.wait_h >= -1e-9, f
        assert f.waited >= 0, f
    # Served: the facility legs that ended in the window, as the leg records have them (where
    # no trains run: a train's visit is one, the legs of each block it carries are many).
    if fast.trains is not None:
        return
    served: dict[str, int] = {}
    for f in fast.facilities:
        served[f.node] = served.get(f.node, 0) + f.served
    legs = fast.legs
    for node_id, count in served.items():
        mine = (legs["label"] == fast.labels.index(f"facility:{node_id}")) & (
            legs["end"] >= scenario.warmup_h)
        assert int(mine.sum()) == count, node_id
