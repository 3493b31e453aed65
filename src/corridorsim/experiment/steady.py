"""Is a run in steady state? The warm-up a transit series needs, and whether it trends.

Two tools of output analysis, on the per-consignment transit series of a shipment:

- :func:`mser5`, the MSER-5 truncation rule (White, 1997): batch the series in means of five
  and cut the first d batches where the marginal standard error of what is left,
  sum((Y_i - mean)^2) / (n - d)^2, is smallest. A cut in the second half of the series means
  the series is too short to tell.
- :func:`trend`, the slope of transit time against departure time, estimated in each
  replication and tested across replications (the replications, not the consignments, are
  independent: consignments in one queue are not).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from corridorsim.experiment.stats import mean_ci

#: Observations per batch in MSER-5.
BATCH = 5


@dataclass(frozen=True)
class Truncation:
    """Where MSER-5 cuts a series: the first ``observations`` are the transient."""

    observations: int
    #: False when the cut falls in the second half of the series: too short to tell.
    reliable: bool


def mser5(series: Sequence[float] | np.ndarray) -> Truncation:
    """The MSER-5 truncation of ``series`` (in observation order); no cut for fewer than two
    batches."""
    data = np.asarray(series, dtype=float)
    data = data[np.isfinite(data)]
    batches = len(data) // BATCH
    if batches < 2:
        return Truncation(0, reliable=False)
    means = data[: batches * BATCH].reshape(batches, BATCH).mean(axis=1)
    # For each cut d, the sum of squares of means[d:] about their mean, from suffix sums.
    tail_sum = np.cumsum(means[::-1])[::-1]
    tail_sq = np.cumsum((means**2)[::-1])[::-1]
    left = np.arange(batches, 0, -1, dtype=float)  # batches - d
    squares = tail_sq - tail_sum**2 / left
    cuts = batches // 2 + 1  # d = 0 .. batches // 2: the rule looks at the first half only
    score = squares[:cuts] / left[:cuts] ** 2
    best = int(np.argmin(score))
    return Truncation(best * BATCH, reliable=best < batches // 2)


@dataclass(frozen=True)
class Trend:
    """Transit time against departure time: the mean over replications of each one's slope."""

    #: Days of transit more per day of later departure, with its 95% CI over replications.
    slope: float
    ci95: tuple[float, float]
    replications: int

    @property
    def significant(self) -> bool:
        """Whether the 95% CI of the slope excludes 0."""
        lo, hi = self.ci95
        return not (math.isnan(lo) or lo <= 0 <= hi)


def trend(
    departures_days: Sequence[np.ndarray], transit_days: Sequence[np.ndarray]
) -> Trend | None:
    """The slope of transit on departure, per replication (least squares), and its CI across
    replications; None with fewer than two replications of at least three consignments
    departing at different times."""
    slopes = []
    for x, y in zip(departures_days, transit_days, strict=True):
        keep = np.isfinite(x) & np.isfinite(y)
        x, y = x[keep], y[keep]
        if len(x) < 3 or np.ptp(x) == 0:
            continue
        slope = np.polyfit(x, y, 1)[0]
        slopes.append(float(slope))
    if len(slopes) < 2:
        return None
    mean, lo, hi = mean_ci(slopes)
    return Trend(mean, (lo, hi), len(slopes))


def mean_series(per_replication: Sequence[np.ndarray]) -> np.ndarray:
    """The mean over replications of the i-th value, for i up to the shortest series (the
    averaging of replications that makes a transient visible, as in Welch's method)."""
    usable = [np.asarray(s, dtype=float) for s in per_replication if len(s)]
    if not usable:
        return np.zeros(0)
    n = min(len(s) for s in usable)
    return np.mean(np.vstack([s[:n] for s in usable]), axis=0)
