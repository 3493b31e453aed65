"""Random streams: one per stochastic component, drawn in bulk.

Each component (a facility, a ferry, a shipment's departures) gets its own numpy ``Generator``
seeded from ``SeedSequence([seed, replication, key(component id)])``. Two scenarios run with the
same seed therefore draw the same numbers wherever they share a component (common random
numbers), and a replication's results do not depend on which worker ran it or in what order.
"""

from __future__ import annotations

import zlib

import numpy as np

from corridorsim.network.distributions import Distribution

#: Draws fetched from numpy per refill: large enough that the per-draw cost is numpy's, small
#: enough that short runs do not waste time drawing numbers they never use.
BLOCK = 64


def component_key(component_id: str) -> int:
    """A stable 32-bit key for a component id (Python's hash() changes between processes)."""
    return zlib.crc32(component_id.encode("utf-8"))


def generator(seed: int, replication: int, component_id: str) -> np.random.Generator:
    """The random stream of one component in one replication (the same in every scenario
    that has the component: common random numbers)."""
    sequence = np.random.SeedSequence([seed, replication, component_key(component_id)])
    return np.random.Generator(np.random.PCG64(sequence))


class Sampler:
    """Draws from one distribution on one stream, a block at a time."""

    __slots__ = ("_buffer", "_dist", "_fixed", "_next", "rng")

    def __init__(self, dist: Distribution, rng: np.random.Generator) -> None:
        self._dist = dist
        self.rng = rng
        # A deterministic duration needs no stream at all: the common case stays cheap.
        self._fixed: float | None = dist.mean() if dist.is_deterministic else None
        self._buffer: list[float] = []
        self._next = 0

    def __call__(self) -> float:
        """The next draw."""
        if self._fixed is not None:
            return self._fixed
        if self._next >= len(self._buffer):
            self._buffer = np.asarray(self._dist.sample(self.rng, BLOCK), dtype=float).tolist()
            self._next = 0
        value = self._buffer[self._next]
        self._next += 1
        return value


class Uniforms:
    """Uniform(0, 1) draws in blocks (weather cancellations)."""

    __slots__ = ("_buffer", "_next", "rng")

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self._buffer: list[float] = []
        self._next = 0

    def __call__(self) -> float:
        """The next draw."""
        if self._next >= len(self._buffer):
            self._buffer = self.rng.random(BLOCK).tolist()
            self._next = 0
        value = self._buffer[self._next]
        self._next += 1
        return value
