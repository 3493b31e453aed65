"""The typed results of a run: what ``corridorsim.simulate`` gives back.

Every KPI is computed once, into records: a ``ShipmentResult`` per shipment with an
``Estimate`` per distribution, a ``FacilityResult`` per facility, and the rows of the CSV
files. ``summary()`` is those records rounded, so a script that reads the records and one that
reads ``summary.json`` see the same numbers.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import corridorsim
from corridorsim.experiment.results import (
    TIME_PARTS,
    WAIT_CAUSES,
    ConsignmentRow,
    FacilityResult,
    LegRow,
    ShipmentResult,
    SimulationResult,
)
from corridorsim.experiment.stats import Estimate, PairedDifference, clean

TINY = Path(__file__).parent / "fixtures" / "tiny.yaml"


@pytest.fixture(scope="module")
def result() -> SimulationResult:
    return corridorsim.simulate(TINY, replications=4, seed=3)


# --------------------------------------------------------------------------------------------
# Estimates


def test_an_estimate_takes_its_ci_over_replications_and_its_spread_over_consignments() -> None:
    per_replication = np.array([4.0, np.nan, 6.0])  # the second replication had no value
    pooled = np.array([3.0, 5.0, 6.0, 6.0])
    estimate = Estimate.of(per_replication, pooled)
    assert estimate.mean == pytest.approx(5.0)
    lo, hi = estimate.ci95
    assert lo < 5.0 < hi
    assert estimate.half_width == pytest.approx((hi - lo) / 2)
    assert estimate.sd == pytest.approx(float(np.std(pooled, ddof=1)))
    assert estimate.p50 == pytest.approx(5.5)
    assert estimate.n == 4


def test_an_estimate_of_one_replication_has_no_interval() -> None:
    estimate = Estimate.of(np.array([2.0]), np.array([2.0]))
    assert estimate.mean == 2.0
    assert all(math.isnan(x) for x in estimate.ci95)
    assert math.isnan(estimate.sd)


def test_an_estimate_of_nothing_is_nan_throughout() -> None:
    estimate = Estimate.of(np.array([np.nan, np.nan]), np.zeros(0))
    assert math.isnan(estimate.mean) and math.isnan(estimate.p90)
    assert estimate.n == 0
    assert clean(estimate.to_dict())["mean"] is None  # JSON has no nan


def test_a_paired_difference_is_significant_only_when_its_ci_excludes_zero() -> None:
    shifted = PairedDifference.of(np.array([1.0, 2.0, 3.0]), np.array([2.1, 3.0, 3.9]))
    assert shifted.mean == pytest.approx(1.0) and shifted.significant is True
    noise = PairedDifference.of(np.array([1.0, 2.0, 3.0]), np.array([1.5, 1.5, 3.0]))
    assert noise.significant is False
    assert PairedDifference.of(np.array([1.0]), np.array([2.0])).significant is None


# --------------------------------------------------------------------------------------------
# Shipments


def test_every_shipment_has_its_results_in_scenario_order(result: SimulationResult) -> None:
    assert list(result.shipments) == ["pilot", "weekly", "fixed-road"]
    assert all(isinstance(s, ShipmentResult) for s in result.shipments.values())
    assert result.shipment("weekly") is result.shipments["weekly"]
    with pytest.raises(KeyError):
        result.shipment("nope")


def test_results_are_computed_once(result: SimulationResult) -> None:
    assert result.shipments is result.shipments
    assert result.summary() is result.summary()


def test_the_summary_is_the_records_rounded(result: SimulationResult) -> None:
    summary = result.summary()["shipments"]
    for shipment_id, shipment in result.shipments.items():
        assert summary[shipment_id] == clean(shipment.to_dict())


def test_per_replication_values_are_the_replication_means(result: SimulationResult) -> None:
    weekly = result.shipment("weekly")
    rows = [r for r in result.consignment_rows() if r.shipment == "weekly" and r.transit_h]
    for replication, mean in enumerate(weekly.transit_days.per_replication):
        mine = [r.transit_h / 24 for r in rows if r.replication == replication]
        assert mean == pytest.approx(np.mean(mine))
    assert weekly.transit_days.n == len(rows) == weekly.arrived


def test_time_parts_and_waits_are_per_arrived_consignment(result: SimulationResult) -> None:
    pilot = result.shipment("pilot")
    assert tuple(pilot.time_h) == TIME_PARTS
    assert tuple(pilot.wait_h_by_cause) == WAIT_CAUSES
    assert pilot.time_h["waiting"] == pytest.approx(sum(pilot.wait_h_by_cause.values()))
    # Door to door = running + processing + waiting, on average.
    assert sum(pilot.time_h.values()) / 24 == pytest.approx(pilot.transit_days.mean)


def test_counts_add_up(result: SimulationResult) -> None:
    for shipment in result.shipments.values():
        assert shipment.in_transit == shipment.consignments - shipment.arrived >= 0
        assert shipment.wagons_arrived <= shipment.wagons_departed


# --------------------------------------------------------------------------------------------
# Rows and journeys


def test_consignment_rows_are_one_per_consignment_per_replication(
    result: SimulationResult,
) -> None:
    rows = list(result.consignment_rows())
    assert all(isinstance(r, ConsignmentRow) for r in rows)
    assert len(rows) == sum(s.consignments for s in result.shipments.values())
    for row in rows:
        assert (row.arrive_h is None) == (row.transit_h is None) == (row.cost_usd is None)
        assert tuple(row.wait_h) == WAIT_CAUSES


def test_leg_rows_name_their_shipment_and_consignment(result: SimulationResult) -> None:
    consignments = {(r.shipment, r.replication, r.consignment) for r in result.consignment_rows()}
    legs = list(result.leg_rows())
    assert all(isinstance(leg, LegRow) for leg in legs)
    assert {(leg.shipment, leg.replication, leg.consignment) for leg in legs} <= consignments
    assert {leg.kind for leg in legs} == {"facility", "link"}
    assert {leg.cause for leg in legs} <= {"", *WAIT_CAUSES}


def test_a_journey_is_a_consignment_and_its_legs_in_order(result: SimulationResult) -> None:
    for consignment, legs in result.journeys(replication=1):
        assert [leg.seq for leg in legs] == list(range(len(legs)))
        assert all(leg.consignment == consignment.consignment for leg in legs)
        if consignment.arrive_h is not None:
            assert legs[-1].end_h == pytest.approx(consignment.arrive_h)
            assert sum(leg.wait_h for leg in legs) == pytest.approx(
                sum(consignment.wait_h.values())
            )


def test_facilities_are_averaged_over_replications(result: SimulationResult) -> None:
    assert result.facilities
    for facility in result.facilities:
        assert isinstance(facility, FacilityResult)
        assert 0 <= facility.utilisation <= 1
        assert facility.facility.startswith(facility.node)
        assert facility.mean_wait_h >= 0
