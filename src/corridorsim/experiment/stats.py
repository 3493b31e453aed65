"""Statistics of replications: estimates with Student-t confidence intervals, percentiles,
paired differences, and the rounding every output document goes through."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

#: Percentiles reported for every distribution of results.
PERCENTILES = (50, 90, 95)


@lru_cache(maxsize=256)
def t_quantile(confidence: float, dof: int) -> float:
    """Two-sided Student-t quantile, e.g. 2.045 for 95% and 29 degrees of freedom."""
    from scipy.stats import t

    return float(t.ppf(0.5 + confidence / 2, dof))


def mean_ci(
    values: Sequence[float] | np.ndarray, confidence: float = 0.95
) -> tuple[float, float, float]:
    """(mean, lo, hi) of independent values; lo = hi = nan with fewer than two values."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(data.mean())
    if data.size < 2:
        return mean, math.nan, math.nan
    half = t_quantile(confidence, data.size - 1) * float(data.std(ddof=1)) / math.sqrt(data.size)
    return mean, mean - half, mean + half


@dataclass(frozen=True, eq=False)
class Estimate:
    """A KPI estimated from replications: one value per replication and the pooled values.

    The replications are the independent units, so the mean and its 95% CI are taken over
    ``per_replication`` (nan where a replication has no value, e.g. nothing arrived); the
    sd and the percentiles describe the pooled individual values (the spread a planner
    sees), and ``n`` counts them.
    """

    #: One value per replication, in replication order; nan where there is none.
    per_replication: np.ndarray
    #: Every individual value (one per arrived consignment), replication after replication.
    pooled: np.ndarray
    mean: float
    sd: float
    ci95: tuple[float, float]
    half_width: float
    p50: float
    p90: float
    p95: float
    n: int

    @classmethod
    def of(cls, per_replication: np.ndarray, pooled: np.ndarray) -> Estimate:
        """The estimate from per-replication values (nan = none) and the pooled values."""
        reps = np.asarray(per_replication, dtype=float)
        mean, lo, hi = mean_ci(reps[~np.isnan(reps)])
        values = (
            np.percentile(pooled, PERCENTILES) if pooled.size else [math.nan] * len(PERCENTILES)
        )
        p50, p90, p95 = (float(v) for v in values)
        return cls(
            per_replication=reps,
            pooled=pooled,
            mean=mean,
            sd=float(pooled.std(ddof=1)) if pooled.size > 1 else math.nan,
            ci95=(lo, hi),
            half_width=(hi - lo) / 2 if not math.isnan(lo) else math.nan,
            p50=p50,
            p90=p90,
            p95=p95,
            n=int(pooled.size),
        )

    def to_dict(self) -> dict[str, Any]:
        """The block of ``summary.json`` (``mean``, ``sd``, ``ci95``, ``p50`` ... ``n``)."""
        return {
            "mean": self.mean,
            "sd": self.sd,
            "ci95": list(self.ci95),
            "half_width": self.half_width,
            "p50": self.p50,
            "p90": self.p90,
            "p95": self.p95,
            "n": self.n,
        }


@dataclass(frozen=True)
class PairedDifference:
    """The mean of b - a over the replications where both have a value, with its 95% CI."""

    mean: float
    ci95: tuple[float, float]
    #: Whether the CI excludes zero; None where there is no CI (fewer than two pairs).
    significant: bool | None
    n: int

    @classmethod
    def of(cls, a: np.ndarray, b: np.ndarray) -> PairedDifference:
        """Pair ``a`` and ``b`` (one value per replication, nan = none) replication by
        replication."""
        both = ~np.isnan(a) & ~np.isnan(b)
        mean, lo, hi = mean_ci(b[both] - a[both])
        significant = None if math.isnan(lo) else bool(lo > 0 or hi < 0)
        return cls(mean=mean, ci95=(lo, hi), significant=significant, n=int(both.sum()))

    def to_dict(self) -> dict[str, Any]:
        """The block of ``compare.json`` (``mean``, ``ci95``, ``significant``, ``n``)."""
        return {
            "mean": self.mean,
            "ci95": list(self.ci95),
            "significant": self.significant,
            "n": self.n,
        }


def clean(value: Any, digits: int = 6) -> Any:
    """Round floats for stable output and turn nan/inf into None (JSON has no nan)."""
    if isinstance(value, dict):
        return {k: clean(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v, digits) for v in value]
    if isinstance(value, float | np.floating):
        number = float(value)
        return None if not math.isfinite(number) else round(number, digits)
    if isinstance(value, np.integer):
        return int(value)
    return value
