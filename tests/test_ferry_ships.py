"""Ferry lines with ships (``vessels``, ``turnaround_h``), space in lane metres
(``capacity_m`` and the cargo's ``wagon_length_m``) and the tariff per running metre.

The network is A -rail 1 h- P port (no time) == ferry == Q port (no time) -rail 1 h- B, so a
consignment leaving A at 0 reaches the ferry at 1 h; the departure times below follow by hand
from the timetable, the sailing time and the turnaround.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from corridorsim.errors import InputError
from corridorsim.experiment.replications import simulate
from corridorsim.network.io import parse_network
from corridorsim.network.model import Ferry
from corridorsim.scenario.load import Scenario, load_scenario
from corridorsim.sim.engine import ReplicationResult
from corridorsim.sim.records import FerryTotals, LegRecord
from netgen import collection, link, node
from scenariogen import write_scenario


def features(ferry: dict[str, Any], *, bidirectional: bool = True,
             tariff: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """A -rail 1 h- P port == ferry ``P-Q`` (the ``ferry`` block) == Q port -rail 1 h- B."""
    a = node("A", 40.0, 40.0)
    port = {"type": "port", "dwell_h": 0, "servers": 100}
    p = node("P", 40.1, 40.0, kind="port", facility=port)
    q = node("Q", 41.0, 40.0, kind="port", facility=port)
    b = node("B", 41.1, 40.0)
    extra: dict[str, Any] = {} if tariff is None else {"tariff": tariff}
    return [
        a, p, q, b,
        link("A-P", a, p, mode="rail", gauge_mm=1520, length_km=50, speed_kmh=50),
        link("P-Q", p, q, mode="ferry", ferry=ferry, bidirectional=bidirectional, **extra),
        link("Q-B", q, b, mode="rail", gauge_mm=1520, length_km=50, speed_kmh=50),
    ]


def ships(vessels: int, every_h: float, sailing_h: float, turnaround_h: float = 0.0,
          **extra: Any) -> dict[str, Any]:
    """A ferry block with ships, room for 100 wagons a sailing unless ``extra`` says."""
    return {"capacity_wagons": 100, "sailing_h": sailing_h, "every_h": every_h,
            "vessels": vessels, "turnaround_h": turnaround_h, **extra}


def shipment(sid: str, origin: str, destination: str, wagons: int = 1, **extra: Any
             ) -> dict[str, Any]:
    return {"id": sid, "cargo": "box", "origin": origin, "destination": destination,
            "wagons": wagons, **extra}


def load(tmp_path: Path, feats: list[dict[str, Any]], **scenario: Any) -> Scenario:
    return load_scenario(write_scenario(tmp_path, feats, **scenario))


def run(scenario: Scenario) -> ReplicationResult:
    (rep,) = simulate(scenario, replications=1, seed=1).replications
    return rep


def stats(rep: ReplicationResult, from_node: str) -> FerryTotals:
    """The sailings made and cancelled from ``from_node`` (the loads are tested elsewhere)."""
    (found,) = [f for f in rep.ferries if f.link == "P-Q" and f.from_node == from_node]
    return found._replace(used=0.0, offered=0.0)


def crossings(rep: ReplicationResult) -> dict[str, LegRecord]:
    """The ferry leg of each consignment, by its shipment's id."""
    found = {}
    for c in rep.consignment_records():
        (leg,) = [leg for leg in rep.leg_records(c.row) if leg.id == "P-Q"]
        found[rep.shipment_ids[c.shipment]] = leg
    return found


# --------------------------------------------------------------------------------------------
# Ships


def test_one_vessel_alternates_ends_with_its_turnaround(tmp_path: Path) -> None:
    # One ship, slots every 24 h, 20 h at sea and 4 h in port: it leaves P at 0, is ready at Q
    # at 24 (a slot) and leaves then, is back at P ready at 48, ... So P sees departures at 0,
    # 48, 96, 144, 192 and Q at 24, 72, 120, 168, 216 (horizon 9.5 days = 228 h). Each sailing
    # with nothing aboard still counts: the ship repositions.
    scenario = load(
        tmp_path, features(ships(1, 24, 20, 4)), horizon_days=9.5,
        shipments=[shipment("east", "A", "B", depart_h=0), shipment("west", "B", "A", depart_h=0),
                   shipment("east-late", "A", "B", depart_h=50)],
    )
    rep = run(scenario)
    assert stats(rep, "P") == FerryTotals(link="P-Q", from_node="P", sailings=5, cancelled=0)
    assert stats(rep, "Q") == FerryTotals(link="P-Q", from_node="Q", sailings=5, cancelled=0)
    legs = crossings(rep)
    # At P at 1 h: the ship left at 0, the next departure from P is at 48.
    assert (legs["east"].arrive_h, legs["east"].start_h, legs["east"].end_h) == (
        pytest.approx(1.0), pytest.approx(48.0), pytest.approx(68.0))
    assert legs["east"].wait_h == pytest.approx(47.0)
    # At Q at 1 h: the ship is at sea towards Q and leaves Q at 24.
    assert (legs["west"].start_h, legs["west"].wait_h) == (pytest.approx(24.0), pytest.approx(23.0))
    # At P at 51 h: the ship left at 48; the next from P is at 96.
    assert legs["east-late"].start_h == pytest.approx(96.0)
    rows = {rep.shipment_ids[c.shipment]: c for c in rep.consignment_records()}
    assert rows["east"].wait("ferry") == pytest.approx(47.0)
    assert rows["west"].wait("ferry") == pytest.approx(23.0)


def test_two_vessels_give_a_departure_from_each_end_at_every_slot(tmp_path: Path) -> None:
    # s + t = 24 h <= every_h: each ship is ready at the other end by the next slot, so with
    # one ship starting at each end both ends see a departure at 0, 24, ..., 216.
    scenario = load(
        tmp_path, features(ships(2, 24, 20, 4)), horizon_days=9.5,
        shipments=[shipment("east", "A", "B"), shipment("west", "B", "A")],
    )
    rep = run(scenario)
    assert stats(rep, "P").sailings == 10
    assert stats(rep, "Q").sailings == 10
    legs = crossings(rep)
    assert legs["east"].start_h == pytest.approx(24.0)
    assert legs["west"].start_h == pytest.approx(24.0)


def test_without_turnaround_enough_ships_sail_like_a_plain_timetable(tmp_path: Path) -> None:
    # The same line without vessels: a sailing at each slot with something aboard.
    plain = {"capacity_wagons": 100, "sailing_h": 20, "every_h": 24}
    with_ships = load(tmp_path / "ships", features(ships(2, 24, 20)), horizon_days=9.5,
                      shipments=[shipment("east", "A", "B", interarrival_h=24, count=8)])
    without = load(tmp_path / "plain", features(plain), horizon_days=9.5,
                   shipments=[shipment("east", "A", "B", interarrival_h=24, count=8)])
    a, b = crossings(run(with_ships)), crossings(run(without))
    assert {k: (v.start_h, v.end_h) for k, v in a.items()} == {
        k: (v.start_h, v.end_h) for k, v in b.items()}


def test_a_cancelled_slot_keeps_the_ship_in_port_until_the_next(tmp_path: Path) -> None:
    # start 2025-01-31: the slot at 0 h is in January, where (almost) every sailing is
    # cancelled; from February 1st (24 h) none is. One ship, 10 h at sea, no turnaround: it
    # stays at P at 0 and leaves P at 24 instead, reaching Q for the slot at 48, P again for
    # 72 and Q for 96 (horizon 108 h). A consignment at P at 1 h goes at 24 (without the
    # cancellation the ship would have left at 0 and been back at P for 48).
    january = [0.999999] + [0.0] * 11
    scenario = load(
        tmp_path, features(ships(1, 24, 10, cancel_prob=january)), start="2025-01-31",
        horizon_days=4.5, shipments=[shipment("east", "A", "B"), shipment("west", "B", "A")],
    )
    rep = run(scenario)
    # From P: cancelled at 0, sailings at 24 and 72; from Q: at 48 and 96 (no ship at Q at 0,
    # so no sailing was cancelled there).
    assert stats(rep, "P") == FerryTotals(link="P-Q", from_node="P", sailings=2, cancelled=1)
    assert stats(rep, "Q") == FerryTotals(link="P-Q", from_node="Q", sailings=2, cancelled=0)
    legs = crossings(rep)
    assert legs["east"].start_h == pytest.approx(24.0)
    assert legs["west"].start_h == pytest.approx(48.0)


def test_a_one_way_line_brings_its_ship_back_empty(tmp_path: Path) -> None:
    # One way P -> Q, 20 h at sea, 4 h in port: out at 0, ready at Q at 24, back at P at 44,
    # ready at 48: departures from P at 0, 48, 96, 144, 192.
    scenario = load(
        tmp_path, features(ships(1, 24, 20, 4), bidirectional=False), horizon_days=9.5,
        shipments=[shipment("east", "A", "B")],
    )
    rep = run(scenario)
    assert [f.from_node for f in rep.ferries if f.link == "P-Q"] == ["P"]
    assert stats(rep, "P").sailings == 5
    assert crossings(rep)["east"].start_h == pytest.approx(48.0)


def test_depart_when_full_sails_as_soon_as_a_ship_is_ready(tmp_path: Path) -> None:
    # One ship, slots every 100 h, 10 h at sea, full at 10 wagons. It sails from P at the 0 h
    # slot with nothing aboard and is ready at Q at 10 h, where a full load waits since 1 h:
    # it sails then, and is ready at P at 20 h, where a full load waits too: it sails at 20,
    # not at the 100 h slot.
    scenario = load(
        tmp_path, features(ships(1, 100, 10, capacity_wagons=10, depart_when_full=True)),
        horizon_days=3, shipments=[shipment("east", "A", "B", wagons=10),
                                   shipment("west", "B", "A", wagons=10)],
    )
    legs = crossings(run(scenario))
    assert (legs["west"].start_h, legs["west"].end_h) == (
        pytest.approx(10.0), pytest.approx(20.0))
    assert (legs["east"].start_h, legs["east"].end_h) == (
        pytest.approx(20.0), pytest.approx(30.0))


def test_expected_wait_with_vessels_follows_the_documented_formula() -> None:
    def ferry(**keys: Any) -> Ferry:
        return Ferry.model_validate({"capacity_wagons": 10, "every_h": 24, **keys})

    p = 0.1
    # Without vessels: half an interval, plus an interval per cancelled sailing (unchanged).
    assert ferry(sailing_h=20, cancel_prob=p).expected_wait_h() == pytest.approx(
        12 + 24 * p / (1 - p))
    # Legs of ceil((s + t) / e) x e, a ship leaving an end every 2 legs, n ships alternating:
    # the interval is max(e, 2 L / n).
    cases = [  # (vessels, sailing_h, turnaround_h, interval_h)
        (1, 20, 4, 48.0), (2, 20, 4, 24.0), (3, 20, 4, 24.0),
        (1, 30, 0, 96.0), (2, 30, 0, 48.0), (3, 30, 0, 32.0), (8, 30, 0, 24.0),
        (1, 20, 5, 96.0),
    ]
    for vessels, sailing_h, turnaround_h, interval_h in cases:
        line = ferry(sailing_h=sailing_h, vessels=vessels, turnaround_h=turnaround_h,
                     cancel_prob=p)
        assert line.departure_interval_h() == pytest.approx(interval_h)
        assert line.expected_wait_h() == pytest.approx(
            interval_h / 2 + interval_h * p / (1 - p))


def test_the_static_route_waits_for_a_ship(tmp_path: Path) -> None:
    scenario = load(tmp_path, features(ships(1, 24, 20, 4)), shipments=[shipment("e", "A", "B")])
    (leg,) = [leg for leg in scenario.shipments[0].route.legs if leg.id == "P-Q"]
    assert leg.wait_h == pytest.approx(24.0)  # half of the 48 h between departures from P


# --------------------------------------------------------------------------------------------
# Lane metres and the tariff per metre


def metres(capacity_m: float, **extra: Any) -> dict[str, Any]:
    return {"capacity_m": capacity_m, "sailing_h": 5, "every_h": 24, **extra}


def cargo(wagon_length_m: float) -> dict[str, Any]:
    return {"box": {"tonnes_per_wagon": 50, "wagon_length_m": wagon_length_m}}


def test_wagons_per_sailing_in_lane_metres() -> None:
    line = Ferry.model_validate(metres(100))
    assert line.wagons_per_sailing(14.7) == 6
    assert line.wagons_per_sailing(20) == 5
    assert Ferry.model_validate(metres(44.1)).wagons_per_sailing(14.7) == 3  # exactly full
    assert Ferry.model_validate({"capacity_wagons": 52, "sailing_h": 5,
                                 "every_h": 24}).wagons_per_sailing(20) == 52


@pytest.mark.parametrize(("wagon_length_m", "wagons", "starts"), [
    (14.7, 15, [24.0, 48.0, 72.0]),  # 6 + 6 + 3
    (14.7, 12, [24.0, 48.0]),  # 6 + 6
    (20.0, 12, [24.0, 48.0, 72.0]),  # 5 + 5 + 2
])
def test_capacity_m_takes_the_wagons_that_fit(
    tmp_path: Path, wagon_length_m: float, wagons: int, starts: list[float]
) -> None:
    scenario = load(tmp_path, features(metres(100)), cargo=cargo(wagon_length_m),
                    horizon_days=10, shipments=[shipment("big", "A", "B", wagons=wagons)])
    rep = run(scenario)
    assert stats(rep, "P").sailings == len(starts)
    assert crossings(rep)["big"].start_h == pytest.approx(starts[-1])
    (record,) = rep.consignment_records()
    assert record.arrive_h == pytest.approx(starts[-1] + 5 + 1)


def test_capacity_m_departs_when_full_of_wagons_of_its_length(tmp_path: Path) -> None:
    # 100 m takes 6 wagons of 14.7 m: 6 waiting at 1 h are a full load (it leaves at once),
    # 5 are not (they wait for the 100 h slot).
    line = metres(100, every_h=100, depart_when_full=True)
    full = load(tmp_path / "full", features(line), cargo=cargo(14.7), horizon_days=6,
                shipments=[shipment("s", "A", "B", wagons=6)])
    part = load(tmp_path / "part", features(line), cargo=cargo(14.7), horizon_days=6,
                shipments=[shipment("s", "A", "B", wagons=5)])
    assert crossings(run(full))["s"].start_h == pytest.approx(1.0)
    assert crossings(run(part))["s"].start_h == pytest.approx(100.0)


def test_usd_per_metre_charges_each_wagon_its_length(tmp_path: Path) -> None:
    scenario = load(tmp_path, features(metres(500), tariff={"usd_per_metre": 48}),
                    cargo=cargo(14.7), horizon_days=5,
                    shipments=[shipment("s", "A", "B", wagons=3)])
    (leg,) = [leg for leg in scenario.shipments[0].route.legs if leg.id == "P-Q"]
    assert leg.usd_per_wagon == pytest.approx(705.6)  # 48 USD/m x 14.7 m
    (record,) = run(scenario).consignment_records()
    assert record.cost_usd == pytest.approx(3 * 705.6)  # nothing else on the route is charged


# --------------------------------------------------------------------------------------------
# Bad input


def test_a_ship_shorter_than_one_wagon_is_refused_when_the_scenario_loads(
    tmp_path: Path,
) -> None:
    path = write_scenario(tmp_path, features(metres(10)), shipments=[shipment("s", "A", "B")])
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert re.search(
        rf"{re.escape(str(path))}:\d+: shipments\[0\]: on its route, ferry P-Q's capacity_m "
        r"\(10 m\) is shorter than one wagon of cargo box \(14\.7 m\)",
        message,
    ), message


def network_error(feats: list[dict[str, Any]]) -> str:
    with pytest.raises(InputError) as caught:
        parse_network(collection(feats), filename="net.geojson")
    return str(caught.value)


def test_turnaround_needs_vessels() -> None:
    line = {"capacity_wagons": 10, "sailing_h": 5, "every_h": 24, "turnaround_h": 4}
    message = network_error(features(line))
    assert "net.geojson: feature P-Q" in message
    assert "turnaround_h" in message and "needs vessels" in message


def test_a_ferry_needs_a_capacity() -> None:
    message = network_error(features({"sailing_h": 5, "every_h": 24}))
    assert "capacity_wagons" in message and "capacity_m" in message


def test_vessels_must_be_at_least_one() -> None:
    message = network_error(features(ships(0, 24, 5)))
    assert "vessels" in message


def test_usd_per_metre_only_on_ferry_links() -> None:
    feats = features(metres(100))
    feats[4]["properties"]["tariff"] = {"usd_per_metre": 48}  # the rail link A-P
    message = network_error(feats)
    assert "net.geojson: feature A-P" in message
    assert "usd_per_metre is only for ferry links, this one is rail" in message
