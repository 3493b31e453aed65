"""MSER-5 and the trend test on hand-made series with a known transient."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridorsim.experiment.steady import mean_series, mser5, trend


def test_a_flat_series_needs_no_cut() -> None:
    rng = np.random.default_rng(1)
    cut = mser5(10 + rng.normal(0, 1, 500))
    assert cut.observations <= 25 and cut.reliable


@pytest.mark.parametrize("transient", [50, 100, 200])
def test_a_linear_ramp_is_cut_near_its_end(transient: int) -> None:
    """A ramp from 0 to 10 over ``transient`` values, then 10 with noise: the cut falls
    within a few batches of the ramp's end."""
    rng = np.random.default_rng(transient)
    series = np.concatenate([np.linspace(0, 10, transient), np.full(600, 10.0)])
    series += rng.normal(0, 0.5, len(series))
    cut = mser5(series)
    assert cut.reliable
    assert transient * 0.6 <= cut.observations <= transient + 25


def test_an_exponential_approach_is_cut_where_it_has_settled() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(1000)
    series = 7.5 * (1 - np.exp(-t / 60)) + rng.normal(0, 0.3, len(t))
    cut = mser5(series)
    assert cut.reliable
    assert 100 <= cut.observations <= 400


def test_a_series_still_rising_at_its_end_is_not_reliable() -> None:
    cut = mser5(np.linspace(0, 10, 300))
    assert not cut.reliable


def test_short_series_are_not_cut() -> None:
    assert mser5([1.0, 2.0, 3.0]).observations == 0
    assert not mser5([]).reliable


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=0, max_size=300))
def test_the_cut_is_a_whole_number_of_batches_in_the_first_half(values: list[float]) -> None:
    cut = mser5(values)
    assert cut.observations % 5 == 0
    assert cut.observations <= max(0, len(values) // 5 // 2) * 5


def test_a_rising_transit_is_a_significant_trend() -> None:
    rng = np.random.default_rng(5)
    departures = [np.sort(rng.uniform(0, 30, 80)) for _ in range(10)]
    rising = [2 + 0.1 * d + rng.normal(0, 0.3, len(d)) for d in departures]
    found = trend(departures, rising)
    assert found is not None and found.significant
    assert found.ci95[0] <= 0.1 <= found.ci95[1]
    flat = [np.full(len(d), 2.0) + rng.normal(0, 0.3, len(d)) for d in departures]
    steady = trend(departures, flat)
    assert steady is not None and abs(steady.slope) < 0.02


def test_too_little_data_gives_no_trend() -> None:
    assert trend([np.array([1.0, 2.0])], [np.array([3.0, 4.0])]) is None
    same_time = [np.zeros(5), np.zeros(5)]
    assert trend(same_time, [np.ones(5), np.ones(5)]) is None


def test_mean_series_averages_the_i_th_values_up_to_the_shortest() -> None:
    out = mean_series([np.array([1.0, 2.0, 3.0]), np.array([3.0, 4.0])])
    assert out.tolist() == [2.0, 3.0]
    assert mean_series([]).size == 0
