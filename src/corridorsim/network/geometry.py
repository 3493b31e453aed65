"""Distances on the Earth for lon/lat coordinates (WGS84 degrees)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

#: Mean Earth radius (IUGG), the usual radius for haversine distances.
EARTH_RADIUS_KM = 6371.0088

Coord = tuple[float, float]


def haversine_km(a: Coord, b: Coord) -> float:
    """Great-circle distance in km between two (lon, lat) points."""
    lon1, lat1 = map(math.radians, a)
    lon2, lat2 = map(math.radians, b)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def line_length_km(coords: Sequence[Coord]) -> float:
    """Length in km of a polyline of (lon, lat) vertices."""
    return sum(haversine_km(p, q) for p, q in itertools.pairwise(coords))
