"""Dealing a flow's trains to its routes: the n-th train of a flow goes the same way whenever
the split is the same, so that scenarios (and the iterations of an assignment) that split a
flow alike share their random draws train by train."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def interleave(shares: Sequence[float], trains: int) -> list[int]:
    """The route of each of a flow's first ``trains`` trains for the split ``shares``.

    Balinski and Young's quota method: train j goes to the route with the highest share per
    train it would then have, among those that would not pass their share of the first j + 1
    trains rounded up (the lowest index on a tie). It is prefix-stable (a longer run starts
    with the shorter one) and keeps every route within one train of its share after any
    number of trains, so the same split deals the same trains the same way in every
    iteration.
    """
    if len(shares) == 0 or trains <= 0:
        return []
    dealer = Dealer(shares)
    return [dealer.next() for _ in range(trains)]


class Dealer:
    """The routes of a flow's trains one at a time, as :func:`interleave` deals them."""

    __slots__ = ("_given", "_shares", "_trains")

    def __init__(self, shares: Sequence[float]) -> None:
        s = np.asarray(shares, dtype=float)
        if s.size == 0 or not s.sum() > 0:
            raise ValueError("a split needs at least one route with a share above 0")
        self._shares = s / s.sum()
        self._given = np.zeros(s.size)
        self._trains = 0

    def next(self) -> int:
        """The route of the next train."""
        self._trains += 1
        s, given = self._shares, self._given
        upper = np.ceil(s * self._trains - 1e-9)
        priority = np.where(given + 1 <= upper, s / (given + 1), -np.inf)
        route = int(np.argmax(priority))
        given[route] += 1
        return route
