"""Dealing a flow's trains to its routes by common random numbers.

Train j of a flow draws the j-th number u_j of the flow's own stream, whatever the split, and
takes the route whose interval of the cumulative split holds it (route r covers [S_(r-1),
S_r), S_r the sum of the first r shares). Three things follow:

- the same split sends every train the same way in every iteration of an assignment, so
  iterations differ only where the split does (common random numbers);
- a split that moves by d moves only about d of the trains: the others keep their route and
  the draws that go with it;
- a Poisson flow splits into independent Poisson flows per route (a Bernoulli thinning), so a
  route's queues are the ones queueing theory gives for its share of the flow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def cumulative_split(shares: Sequence[float]) -> np.ndarray:
    """The upper ends S_r of the routes' intervals of [0, 1) (the last is exactly 1)."""
    s = np.asarray(shares, dtype=float)
    if s.size == 0 or not s.sum() > 0 or np.any(s < 0):
        raise ValueError("a split needs shares of at least 0, one of them above 0")
    upper = np.cumsum(s / s.sum())
    upper[-1] = 1.0
    return upper


def route_for(upper: np.ndarray, u: float) -> int:
    """The route whose interval [S_(r-1), S_r) holds ``u`` (a route of share 0 holds none)."""
    return min(int(np.searchsorted(upper, u, side="right")), upper.size - 1)


class Dealer:
    """The routes of a flow's trains one at a time, each from the next number of ``draw``
    (uniform on [0, 1), the flow's own stream)."""

    __slots__ = ("_draw", "_upper")

    def __init__(self, shares: Sequence[float], draw: Callable[[], float]) -> None:
        self._upper = cumulative_split(shares)
        self._draw = draw

    def next(self) -> int:
        """The route of the next train."""
        return route_for(self._upper, self._draw())


def deal(shares: Sequence[float], uniforms: Sequence[float]) -> list[int]:
    """The route of each train whose number is in ``uniforms`` for the split ``shares``."""
    if len(shares) == 0:
        return []
    upper = cumulative_split(shares)
    return [route_for(upper, u) for u in uniforms]
