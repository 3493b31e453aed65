"""Statistics of replications: means with Student-t confidence intervals, percentiles."""

from __future__ import annotations

import math
from collections.abc import Sequence
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


def describe(replication_means: np.ndarray, pooled: np.ndarray) -> dict[str, Any]:
    """Mean and CI across replications (the replications are the independent units); sd and
    percentiles of the pooled individual values (the spread a planner sees)."""
    mean, lo, hi = mean_ci(replication_means)
    out: dict[str, Any] = {
        "mean": mean,
        "sd": float(pooled.std(ddof=1)) if pooled.size > 1 else math.nan,
        "ci95": [lo, hi],
        "half_width": (hi - lo) / 2 if not math.isnan(lo) else math.nan,
    }
    values = np.percentile(pooled, PERCENTILES) if pooled.size else [math.nan] * len(PERCENTILES)
    for p, value in zip(PERCENTILES, values, strict=True):
        out[f"p{p}"] = float(value)
    out["n"] = int(pooled.size)
    return out


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
