"""Demand through the year (``monthly_factors``): the time change that spaces a flow's
departures by its normalised monthly factors, the engine's departures that follow them, the
annual tonnage they keep, and the errors that refuse them."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cliguard import cli, one_line
from corridorsim.errors import InputError
from corridorsim.experiment.replications import simulate
from corridorsim.scenario.load import Scenario, build_scenario, load_scenario
from corridorsim.scenario.paths import apply_scenario_sets
from corridorsim.scenario.seasons import DAYS_IN_MONTH, MonthlyDemand, normalised_factors
from corridorsim.scenario.yaml_source import read_yaml
from netgen import link, node
from scenariogen import write_scenario

JAN1 = dt.date(2025, 1, 1)  # 2025 and 2026 are not leap years
YEAR_H = 8760.0
TONNES_PER_WAGON = 50.0  # scenariogen's cargo ``box``
JAN_ONLY = [2.0] + [0.0] * 11
HARVEST = [2.0, 0.0] + [1.0] * 10


def features() -> list[dict[str, Any]]:
    a, b = node("A", 0.0, 0.0), node("B", 1.0, 0.0)
    return [a, b, link("AB", a, b, mode="rail", gauge_mm=1520, length_km=100, speed_kmh=50)]


def flow(**extra: Any) -> dict[str, Any]:
    """A flow of one-wagon trains (50 t) from A to B."""
    return {"id": "grain", "cargo": "box", "origin": "A", "destination": "B", "wagons": 1,
            **extra}


def load(tmp_path: Path, shipment: dict[str, Any], **scenario: Any) -> Scenario:
    scenario.setdefault("start", JAN1.isoformat())
    scenario.setdefault("horizon_days", 365)
    return load_scenario(write_scenario(tmp_path, features(), shipments=[shipment], **scenario))


def departures_h(scenario: Scenario, replications: int = 1, seed: int = 1) -> list[list[float]]:
    """The departure hours of each replication."""
    result = simulate(scenario, replications=replications, seed=seed)
    return [sorted(r.depart_h for r in rep.consignment_records()) for rep in result.replications]


def month_of(start: dt.date, t_h: float) -> int:
    return (dt.datetime.combine(start, dt.time()) + dt.timedelta(hours=t_h)).month


# --------------------------------------------------------------------------------------------
# The time change, by hand


def test_factors_are_normalised_by_the_days_of_each_month() -> None:
    # 2 in January only: its 31 days carry the whole year, so its factor is 365 / 31.
    assert normalised_factors(JAN_ONLY)[0] == pytest.approx(365 / 31)
    # Any list: the day-weighted mean of the normalised factors is 1 (a 365-day year keeps
    # the annual tonnage), and scaling the list changes nothing.
    factors = normalised_factors(HARVEST)
    assert sum(f * d for f, d in zip(factors, DAYS_IN_MONTH, strict=True)) == pytest.approx(365)
    assert normalised_factors([3 * f for f in HARVEST]) == pytest.approx(factors)
    assert MonthlyDemand(JAN1, HARVEST).demand_h(0.0, YEAR_H) == pytest.approx(YEAR_H)
    # From any date: a 365-day span without 29 February covers each month's days once.
    assert MonthlyDemand(dt.date(2025, 7, 15), HARVEST).demand_h(0.0, YEAR_H) == (
        pytest.approx(YEAR_H)
    )


def test_january_only_puts_every_departure_in_january() -> None:
    demand = MonthlyDemand(JAN1, JAN_ONLY)
    # 12 trains a year (730 h apart at factor 1): each 730 h of demand is 62 h of January.
    assert demand.advance_h(0.0, 730.0) == pytest.approx(62.0)
    times = [0.0]
    for _ in range(35):
        times.append(demand.advance_h(times[-1], 730.0))
    assert all(month_of(JAN1, t) == 1 for t in times)
    # Twelve a January: the 13th lands on the end of January, the start of the next one.
    assert times[12] == pytest.approx(YEAR_H)
    assert [sum(1 for t in times if k * YEAR_H <= t < (k + 1) * YEAR_H) for k in range(3)] == [
        12, 12, 12
    ]
    # A first departure in a month without demand waits for the next month with some.
    assert demand.advance_h(24.0 * 40, 0.0) == YEAR_H
    assert demand.advance_h(24.0 * 40, 0.0, end_h=YEAR_H - 1) == math.inf


def test_equal_factors_change_nothing(tmp_path: Path) -> None:
    for factors in ([1.0] * 12, [0.3] * 12):
        demand = MonthlyDemand(JAN1, factors)
        assert demand.advance_h(100.0, 730.0) == 830.0
    # A flow of 12 trains a year departs at the very same times with [1] * 12 as without.
    base = flow(tonnes_per_year=12 * TONNES_PER_WAGON)
    plain = departures_h(load(tmp_path / "plain", base), replications=2)
    ones = departures_h(load(tmp_path / "ones", {**base, "monthly_factors": [1] * 12}),
                        replications=2)
    assert plain == ones
    assert len(plain[0]) >= 12  # hours 0, 730, ...


def test_uneven_factors_walk_month_by_month() -> None:
    demand = MonthlyDemand(JAN1, HARVEST)
    jan, others = normalised_factors(HARVEST)[0], normalised_factors(HARVEST)[2]
    # From 1 January: a gap of one January's demand ends exactly on 1 February, which has no
    # demand: the time moves on to 1 March; a little more is a little into March.
    assert demand.advance_h(0.0, 744.0 * jan + 5.0) == pytest.approx(59 * 24 + 5.0 / others)
    # advance_h and demand_h are inverse of each other.
    rng = np.random.default_rng(3)
    for t_h, gap_h in zip(rng.uniform(0, 3 * YEAR_H, 50), rng.exponential(500, 50), strict=True):
        t2 = demand.advance_h(t_h, gap_h)
        assert demand.demand_h(t_h, t2) == pytest.approx(gap_h)
        assert demand.factor_at(t2) > 0


# --------------------------------------------------------------------------------------------
# The engine


def test_regular_arrivals_follow_the_factors(tmp_path: Path) -> None:
    # One train a day at factor 1: January (factor 2) has twice the trains of March, and
    # February (factor 0) none.
    scenario = load(tmp_path, flow(tonnes_per_year=365 * TONNES_PER_WAGON,
                                   monthly_factors=HARVEST))
    (times,) = departures_h(scenario)
    per_month = Counter(month_of(JAN1, t) for t in times)
    assert per_month[2] == 0
    assert abs(per_month[1] - 2 * per_month[3]) <= 2
    jan_factor = normalised_factors(HARVEST)[0]
    assert abs(per_month[1] - 31 * jan_factor) <= 1
    for month in range(3, 13):
        assert abs(per_month[month] - DAYS_IN_MONTH[month - 1] * jan_factor / 2) <= 1


@pytest.mark.parametrize("factors", [None, HARVEST, [5, 1, 0, 0, 0.5, 3, 1, 1, 0, 2, 7, 1]])
@pytest.mark.parametrize("start", [JAN1, dt.date(2025, 7, 15)])
def test_a_year_carries_the_annual_tonnage(
    tmp_path: Path, factors: list[float] | None, start: dt.date
) -> None:
    tonnes_per_year = 100_000.0
    extra = {} if factors is None else {"monthly_factors": factors}
    scenario = load(tmp_path, flow(wagons=37, tonnes_per_year=tonnes_per_year, **extra),
                    start=start.isoformat())
    result = simulate(scenario, replications=1, seed=2)
    tonnes = sum(r.tonnes for r in result.replications[0].consignment_records())
    assert abs(tonnes - tonnes_per_year) <= 37 * TONNES_PER_WAGON


def test_poisson_arrivals_follow_the_factors(tmp_path: Path) -> None:
    # Five trains a day at factor 1 over a year, 8 replications: about 14,600 trains, each
    # month's count Poisson with mean days x factor x 5 x 8. A chi-square over the months
    # with demand (10 degrees of freedom: 29.6 is its 0.999 quantile).
    factors = [2.0, 0.0, 1.0, 1.0, 0.5, 0.5, 1.0, 3.0, 3.0, 1.5, 1.0, 1.0]
    scenario = load(tmp_path, flow(tonnes_per_year=5 * 365 * TONNES_PER_WAGON,
                                   arrivals="poisson", monthly_factors=factors))
    replications = 8
    counts: Counter[int] = Counter()
    for times in departures_h(scenario, replications=replications, seed=5):
        counts.update(month_of(JAN1, t) for t in times)
    assert counts[2] == 0
    normalised = normalised_factors(factors)
    chi2 = 0.0
    for month in range(1, 13):
        expected = DAYS_IN_MONTH[month - 1] * normalised[month - 1] * 5 * replications
        if expected:
            chi2 += (counts[month] - expected) ** 2 / expected
    assert chi2 < 29.6


def test_until_h_and_count_still_end_the_flow(tmp_path: Path) -> None:
    base = flow(tonnes_per_year=365 * TONNES_PER_WAGON, monthly_factors=HARVEST)
    (times,) = departures_h(load(tmp_path / "until", {**base, "until_h": 24 * 90}))
    assert times and max(times) <= 24 * 90
    (times,) = departures_h(load(tmp_path / "count", {**base, "count": 70}))
    assert len(times) == 70 and all(month_of(JAN1, t) != 2 for t in times)


def test_the_departure_limit_counts_the_hours_of_demand(tmp_path: Path) -> None:
    # A train every 0.005 h at factor 1: 148,800 in a 31-day horizon without factors, but
    # with January carrying the whole year, a year's 1,752,000 fall in that January.
    base = flow(tonnes_per_year=TONNES_PER_WAGON * YEAR_H / 0.005)
    assert load(tmp_path / "plain", base, horizon_days=31).shipments[0].gap_h is not None
    with pytest.raises(InputError, match=r"shipments\[0\]\.tonnes_per_year: about 1\.75e\+06 "
                       r"departures in 744 h, more than the 1,000,000"):
        load(tmp_path / "january", {**base, "monthly_factors": JAN_ONLY}, horizon_days=31)


def test_a_sweep_sets_one_factor(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, features(), start=JAN1.isoformat(), horizon_days=365,
                          shipments=[flow(tonnes_per_year=365 * TONNES_PER_WAGON,
                                          monthly_factors=[1] * 12)])
    doc = read_yaml(path)
    data = apply_scenario_sets(doc.data, {"shipments.grain.monthly_factors[1]": 0})
    assert data["shipments"][0]["monthly_factors"] == [1, 0, *[1] * 10]
    assert doc.data["shipments"][0]["monthly_factors"] == [1] * 12  # the original stays
    scenario = build_scenario(doc, data)
    (times,) = departures_h(scenario)
    assert not any(month_of(JAN1, t) == 2 for t in times)


# --------------------------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize(
    ("shipment", "with_start", "message"),
    [
        (flow(tonnes_per_year=1000, monthly_factors=HARVEST), False,
         r": months run on the scenario's calendar; give the date of hour 0 \(start: YYYY-MM-DD\)"),
        (flow(tonnes_per_year=1000, monthly_factors=[1, 2, 3]), True,
         r": needs 12 numbers, one a month from January to December \(got 3\)"),
        (flow(tonnes_per_year=1000, monthly_factors=[1] * 13), True,
         r": needs 12 numbers.* \(got 13\)"),
        (flow(tonnes_per_year=1000, monthly_factors=[1, 1, -1, *[1] * 9]), True,
         r"\[2\]: must be greater than or equal to 0 \(got -1\)"),
        (flow(tonnes_per_month=100, monthly_factors=[0] * 12), True,
         r": needs a factor above 0 in some month"),
        (flow(interarrival_h=168, monthly_factors=HARVEST), True,
         r": scales a flow's tonnage: give tonnes_per_year or tonnes_per_month "
         r"\(an interarrival_h flow has none\)"),
        (flow(monthly_factors=HARVEST), True,
         r": scales a flow's tonnage.* \(a single consignment has none\)"),
        (flow(tonnes_per_year=1000, monthly_factors=[1, "x", *[1] * 10]), True,
         r"\[1\]: must be a valid number"),
    ],
)
def test_errors_name_the_line_and_the_factors(
    tmp_path: Path, shipment: dict[str, Any], with_start: bool, message: str
) -> None:
    start = {"start": JAN1.isoformat()} if with_start else {}
    path = write_scenario(tmp_path, features(), horizon_days=365, shipments=[shipment], **start)
    with pytest.raises(InputError, match=r"scenario\.yaml:\d+: shipments\[0\]\.monthly_factors"
                       + message) as info:
        load_scenario(path)
    (problem,) = info.value.problems
    assert problem.startswith(f"{path}:")
    # The line named is that of the key, or of the one factor that is wrong.
    line = int(problem[len(f"{path}:"):].split(":")[0])
    text = path.read_text(encoding="utf-8").splitlines()[line - 1].strip()
    if message.startswith(":"):
        assert text == "monthly_factors:"
    else:
        index = int(message[2])
        assert text == f"- {shipment['monthly_factors'][index]}"


def test_the_cli_refuses_a_bad_factor_list_in_one_line(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, features(), start=JAN1.isoformat(), horizon_days=365,
                          shipments=[flow(tonnes_per_year=1000, monthly_factors=[1] * 11)])
    line = one_line(cli("run", path, "--quiet"), 2)
    assert "scenario.yaml:" in line
    assert "shipments[0].monthly_factors: needs 12 numbers" in line
