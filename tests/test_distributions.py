"""Durations: a number of hours, or a distribution in the planner's own terms.

Every distribution gives ``mean()`` (what routing uses), ``variance()`` (what the analytic checks
use) and ``sample(rng, size)`` (what the engine uses, from a numpy ``Generator``). These tests
check the first two against their textbook formulas and against large samples.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from pydantic import ValidationError

from corridorsim.network.distributions import (
    Fixed,
    NormalTrunc,
    parse_duration,
)
from corridorsim.network.model import Facility
from netgen import duration_specs

#: Draws per sample check; a standard error of the mean is then sd / ~450.
N = 200_000


def _phi(x: float) -> float:
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


#: (spec as written in a file, expected mean, expected variance), each worked out by hand.
FORMULAS = [
    pytest.param(7.5, 7.5, 0.0, id="number"),
    pytest.param({"dist": "exponential", "mean": 6}, 6.0, 36.0, id="exponential"),
    pytest.param({"dist": "lognormal", "mean": 24, "sd": 12}, 24.0, 144.0, id="lognormal"),
    pytest.param({"dist": "gamma", "mean": 18, "sd": 9}, 18.0, 81.0, id="gamma"),
    # (a + c + b) / 3 and (a² + b² + c² - ab - ac - bc) / 18 with a=6, c=10, b=24
    pytest.param({"dist": "triangular", "min": 6, "mode": 10, "max": 24}, 40 / 3,
                 (36 + 576 + 100 - 144 - 60 - 240) / 18, id="triangular"),
    # (a + b) / 2 and (b - a)² / 12
    pytest.param({"dist": "uniform", "min": 4, "max": 8}, 6.0, 16 / 12, id="uniform"),
    # values 2, 4, 10 with weights 1, 2, 1: mean (2 + 8 + 10) / 4 = 5,
    # variance (9 + 2 * 1 + 25) / 4 = 9
    pytest.param({"dist": "empirical", "values": [2, 4, 10], "weights": [1, 2, 1]}, 5.0, 9.0,
                 id="empirical-weighted"),
    pytest.param({"dist": "empirical", "values": [1, 3]}, 2.0, 1.0, id="empirical-equal"),
]


def _truncated_normal_moments(loc: float, sd: float, lo: float, hi: float) -> tuple[float, float]:
    """Mean and variance of N(loc, sd²) truncated to [lo, hi] (hi may be inf), from the formula."""
    a, b = (lo - loc) / sd, (hi - loc) / sd
    z = _cdf(b) - _cdf(a)
    phi_b = 0.0 if math.isinf(b) else _phi(b)
    b_phi_b = 0.0 if math.isinf(b) else b * phi_b
    mean = loc + sd * (_phi(a) - phi_b) / z
    variance = sd**2 * (1 + (a * _phi(a) - b_phi_b) / z - ((_phi(a) - phi_b) / z) ** 2)
    return mean, variance


TRUNCATED = [
    pytest.param({"dist": "normal_trunc", "mean": 21, "sd": 2, "min": 16}, id="tiny-ferry"),
    pytest.param({"dist": "normal_trunc", "mean": 2, "sd": 4}, id="bites-at-zero"),
    pytest.param({"dist": "normal_trunc", "mean": 10, "sd": 5, "min": 8, "max": 20},
                 id="two-sided"),
]
for _param in TRUNCATED:
    _spec = _param.values[0]
    FORMULAS.append(pytest.param(
        _spec, *_truncated_normal_moments(_spec["mean"], _spec["sd"], _spec.get("min", 0.0),
                                          _spec.get("max", math.inf)),
        id=f"normal_trunc-{_param.id}",
    ))


@pytest.mark.parametrize(("spec", "mean", "variance"), FORMULAS)
def test_mean_and_variance_follow_the_formula(spec: Any, mean: float, variance: float) -> None:
    dist = parse_duration(spec)
    assert dist.mean() == pytest.approx(mean, rel=1e-12)
    assert dist.variance() == pytest.approx(variance, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(("spec", "mean", "variance"), FORMULAS)
def test_a_large_sample_agrees_with_mean_and_variance(
    spec: Any, mean: float, variance: float
) -> None:
    """Within 5 standard errors, for the mean and for the variance."""
    dist = parse_duration(spec)
    draws = np.asarray(dist.sample(np.random.default_rng(20251001), N), dtype=float)
    assert draws.shape == (N,)
    assert (draws >= 0).all()
    se_mean = math.sqrt(variance / N)
    assert abs(draws.mean() - dist.mean()) <= 5 * se_mean + 1e-12
    # Standard error of the sample variance: sqrt((m4 - s⁴) / n), m4 estimated from the sample.
    centred = draws - draws.mean()
    m4 = float(np.mean(centred**4))
    se_var = math.sqrt(max(m4 - variance**2, 0.0) / N)
    assert abs(draws.var() - dist.variance()) <= 5 * se_var + 1e-9


def test_the_truncated_normal_agrees_with_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    dist = NormalTrunc(dist="normal_trunc", mean=10, sd=5, min=8, max=20)
    reference = stats.truncnorm((8 - 10) / 5, (20 - 10) / 5, loc=10, scale=5)
    assert dist.mean() == pytest.approx(reference.mean(), rel=1e-9)
    assert dist.variance() == pytest.approx(reference.var(), rel=1e-9)


def test_a_truncated_normal_mean_is_computed_not_its_mean_parameter() -> None:
    """Truncation at 0 cuts off the left tail, so the mean moves right of ``mean``."""
    bites = parse_duration({"dist": "normal_trunc", "mean": 2, "sd": 4})
    assert bites.mean() > 2 + 1  # 2 + 4 φ(-0.5) / (1 - Φ(-0.5)) ≈ 4.28
    assert bites.mean() == pytest.approx(2 + 4 * _phi(-0.5) / (1 - _cdf(-0.5)))
    assert bites.variance() < 4**2
    no_bite = parse_duration({"dist": "normal_trunc", "mean": 100, "sd": 5})
    assert no_bite.mean() == pytest.approx(100, abs=1e-9)
    assert no_bite.variance() == pytest.approx(25, rel=1e-9)


def test_draws_stay_inside_the_bounds() -> None:
    rng = np.random.default_rng(7)
    for spec, lo, hi in [
        ({"dist": "normal_trunc", "mean": 10, "sd": 5, "min": 8, "max": 20}, 8, 20),
        ({"dist": "triangular", "min": 6, "mode": 10, "max": 24}, 6, 24),
        ({"dist": "uniform", "min": 4, "max": 8}, 4, 8),
    ]:
        draws = parse_duration(spec).sample(rng, 10_000)
        assert draws.min() >= lo
        assert draws.max() <= hi


def test_one_draw_without_size_and_an_array_with_it() -> None:
    rng = np.random.default_rng(1)
    for spec in [3, {"dist": "exponential", "mean": 6},
                 {"dist": "normal_trunc", "mean": 5, "sd": 1},
                 {"dist": "empirical", "values": [1, 2]}]:
        dist = parse_duration(spec)
        assert np.ndim(dist.sample(rng)) == 0
        assert float(dist.sample(rng)) >= 0
        assert dist.sample(rng, 5).shape == (5,)


def test_the_same_seed_gives_the_same_draws() -> None:
    dist = parse_duration({"dist": "lognormal", "mean": 24, "sd": 12})
    first = dist.sample(np.random.default_rng(42), 100)
    second = dist.sample(np.random.default_rng(42), 100)
    assert (first == second).all()


def test_a_zero_sd_lognormal_or_gamma_is_deterministic() -> None:
    rng = np.random.default_rng(3)
    for kind in ("lognormal", "gamma"):
        dist = parse_duration({"dist": kind, "mean": 12, "sd": 0})
        assert dist.is_deterministic
        assert dist.variance() == 0
        assert (dist.sample(rng, 10) == 12).all()
        assert dist.sample(rng) == 12


# --------------------------------------------------------------------------------------------
# Bare numbers


def test_a_bare_number_is_fixed_and_is_written_back_as_a_number() -> None:
    dist = parse_duration(4)
    assert isinstance(dist, Fixed)
    assert dist.value == 4.0
    assert dist.mean() == 4.0
    assert dist.variance() == 0.0
    assert dist.is_deterministic
    assert dist.model_dump() == 4.0
    assert dist.sample(np.random.default_rng(0)) == 4.0
    facility = Facility(type="terminal", dwell_h=4)
    assert facility.model_dump(by_alias=True, exclude_defaults=True) == {
        "type": "terminal", "dwell_h": 4.0}


def test_booleans_are_not_durations() -> None:
    with pytest.raises(ValidationError):
        parse_duration(True)


def test_a_distribution_is_written_back_with_the_file_names_of_its_parameters() -> None:
    spec = {"dist": "triangular", "min": 6.0, "mode": 10.0, "max": 24.0}
    assert parse_duration(spec).model_dump(by_alias=True) == spec


@settings(max_examples=100, deadline=None)
@given(duration_specs())
def test_every_valid_spec_survives_a_dump_and_reload(spec: Any) -> None:
    dist = parse_duration(spec)
    again = parse_duration(dist.model_dump(by_alias=True, exclude_defaults=True))
    assert again == dist
    assert again.mean() == dist.mean()
    assert dist.mean() >= 0
    assert dist.variance() >= -1e-9 * max(1.0, dist.mean() ** 2)


# --------------------------------------------------------------------------------------------
# Impossible parameters


@pytest.mark.parametrize("spec", [
    pytest.param(-1, id="negative-number"),
    pytest.param({"dist": "lognormal", "mean": 10, "sd": -1}, id="lognormal-negative-sd"),
    pytest.param({"dist": "gamma", "mean": 10, "sd": -1}, id="gamma-negative-sd"),
    pytest.param({"dist": "normal_trunc", "mean": 10, "sd": -1}, id="normal_trunc-negative-sd"),
    pytest.param({"dist": "normal_trunc", "mean": 10, "sd": 0}, id="normal_trunc-zero-sd"),
    pytest.param({"dist": "lognormal", "mean": 0, "sd": 1}, id="lognormal-zero-mean"),
    pytest.param({"dist": "gamma", "mean": -3, "sd": 1}, id="gamma-negative-mean"),
    pytest.param({"dist": "exponential", "mean": 0}, id="exponential-zero-mean"),
    pytest.param({"dist": "exponential", "mean": -2}, id="exponential-negative-mean"),
    pytest.param({"dist": "triangular", "min": 6, "mode": 2, "max": 24}, id="min>mode"),
    pytest.param({"dist": "triangular", "min": 6, "mode": 30, "max": 24}, id="mode>max"),
    pytest.param({"dist": "triangular", "min": 6, "mode": 6, "max": 6}, id="triangular-min=max"),
    pytest.param({"dist": "triangular", "min": -1, "mode": 2, "max": 4}, id="triangular-min<0"),
    pytest.param({"dist": "uniform", "min": 8, "max": 4}, id="uniform-min>max"),
    pytest.param({"dist": "uniform", "min": 4, "max": 4}, id="uniform-min=max"),
    pytest.param({"dist": "uniform", "min": -4, "max": 4}, id="uniform-min<0"),
    pytest.param({"dist": "normal_trunc", "mean": 5, "sd": 1, "min": -1}, id="normal_trunc-min<0"),
    pytest.param({"dist": "normal_trunc", "mean": 5, "sd": 1, "min": 6, "max": 6},
                 id="normal_trunc-min=max"),
    pytest.param({"dist": "normal_trunc", "mean": -500, "sd": 10}, id="normal_trunc-no-mass"),
    pytest.param({"dist": "normal_trunc", "mean": 5, "sd": 1, "min": 50}, id="normal_trunc-far"),
    pytest.param({"dist": "empirical", "values": [1, 2], "weights": [1]}, id="weights-mismatch"),
    pytest.param({"dist": "empirical", "values": [1, 2], "weights": [0, 0]}, id="weights-zero"),
    pytest.param({"dist": "empirical", "values": [1, 2], "weights": [-1, 2]},
                 id="weights-negative"),
    pytest.param({"dist": "empirical", "values": [-1, 2]}, id="empirical-negative-value"),
    pytest.param({"dist": "empirical", "values": []}, id="empirical-empty"),
    pytest.param({"dist": "lognormal", "mean": 5}, id="missing-sd"),
    pytest.param({"dist": "lognormal", "mean": 5, "sd": 1, "shape": 2}, id="unknown-key"),
    pytest.param({"dist": "weibull", "mean": 5}, id="unknown-dist"),
    pytest.param({"mean": 5}, id="no-dist"),
    pytest.param("12h", id="string"),
    pytest.param(None, id="null"),
])
def test_impossible_parameters_are_rejected(spec: Any) -> None:
    with pytest.raises(ValidationError):
        parse_duration(spec)


def test_a_rejected_spec_is_a_value_error() -> None:
    """Library users can catch bad parameters like any ValueError."""
    with pytest.raises(ValueError, match="min <= mode <= max"):
        parse_duration({"dist": "triangular", "min": 6, "mode": 2, "max": 24})
