"""Coordinate systems: the conversion of config.csv's ``crs`` to longitude/latitude
(geographic systems, Web Mercator, UTM zones).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from corridorsim._schema import short_repr

Transform = Callable[[float, float], tuple[float, float]]

# Geographic systems whose lon/lat differ from WGS 84 by a metre or two at most.
_GEOGRAPHIC_EPSG = frozenset({4326, 4269, 4258})
_GEOGRAPHIC_NAMES = frozenset(
    {"wgs84", "wgs 84", "crs84", "ogc:crs84", "urn:ogc:def:crs:ogc:1.3:crs84", "lonlat"}
)
_WGS84_A_M = 6378137.0
_WGS84_F = 1 / 298.257223563
_UTM_K0 = 0.9996
_UTM_FALSE_EASTING_M = 500_000.0
_UTM_FALSE_NORTHING_SOUTH_M = 10_000_000.0


def crs_transform(crs: str) -> tuple[Transform, bool]:
    """The conversion from coordinates in ``crs`` (as config.csv gives it) to (lon, lat), and
    whether ``crs`` is geographic; ValueError naming what is converted when it is none of them.

    Converted: longitude/latitude (EPSG 4326, 4269, 4258, CRS84, ``+proj=longlat``), Web
    Mercator (EPSG 3857) and UTM zones on WGS 84, NAD83 or ETRS89 (EPSG 326xx, 327xx,
    269xx, 258xx, ``+proj=utm +zone=N``).
    """
    text = " ".join(crs.strip().lower().split())
    if text.startswith("+proj="):
        found = _proj_transform(text)
    else:
        match = re.fullmatch(r"(?:epsg::?|urn:ogc:def:crs:epsg:[0-9.]*:)?(\d+)", text)
        if match:
            found = _epsg_transform(int(match.group(1)))
        else:
            found = (_identity, True) if text in _GEOGRAPHIC_NAMES else None
    if found is None:
        raise ValueError(
            f"crs {short_repr(crs)}: not a coordinate system corridorsim converts (it reads "
            "longitude/latitude EPSG:4326, 4269 or 4258, Web Mercator EPSG:3857 and UTM "
            "zones EPSG:326xx, 327xx, 269xx or 258xx): give node and link coordinates as "
            "longitude/latitude, EPSG:4326"
        )
    return found


def _identity(x: float, y: float) -> tuple[float, float]:
    return x, y


def _epsg_transform(code: int) -> tuple[Transform, bool] | None:
    if code in _GEOGRAPHIC_EPSG:
        return _identity, True
    if code in (3857, 900913):
        return _web_mercator, False
    for base, first, last, south in (
        (32600, 1, 60, False),  # WGS 84 / UTM zone N
        (32700, 1, 60, True),  # WGS 84 / UTM zone S
        (26900, 1, 23, False),  # NAD83 / UTM zone N (GRS 80: within a millimetre of WGS 84)
        (25800, 28, 38, False),  # ETRS89 / UTM zone N
    ):
        if first <= code - base <= last:
            return utm_to_lonlat(code - base, south=south), False
    return None


def _proj_transform(text: str) -> tuple[Transform, bool] | None:
    params = dict(
        (part[1:].partition("=")[0], part.partition("=")[2]) for part in text.split()
    )
    datum = params.get("datum") or params.get("ellps") or "wgs84"
    if datum not in ("wgs84", "nad83", "grs80", "etrs89"):
        return None
    if params.get("proj") in ("longlat", "lonlat", "latlong", "latlon"):
        return _identity, True
    if params.get("proj") == "utm" and params.get("zone", "").isdigit():
        zone = int(params["zone"])
        if 1 <= zone <= 60:
            return utm_to_lonlat(zone, south="south" in params), False
    return None


def _web_mercator(x: float, y: float) -> tuple[float, float]:
    return math.degrees(x / _WGS84_A_M), math.degrees(math.atan(math.sinh(y / _WGS84_A_M)))


def utm_to_lonlat(zone: int, *, south: bool = False) -> Transform:
    """The conversion from UTM ``zone`` (WGS 84) easting and northing in metres to (lon, lat).

    The Krüger series of the inverse transverse Mercator projection to third order in the
    third flattening n, within a millimetre across a zone.
    """
    n = _WGS84_F / (2 - _WGS84_F)
    rectifying_radius_m = _WGS84_A_M / (1 + n) * (1 + n**2 / 4 + n**4 / 64)
    beta = (n / 2 - 2 * n**2 / 3 + 37 * n**3 / 96, n**2 / 48 + n**3 / 15, 17 * n**3 / 480)
    delta = (2 * n - 2 * n**2 / 3 - 2 * n**3, 7 * n**2 / 3 - 8 * n**3 / 5, 56 * n**3 / 15)
    central_meridian = math.radians(zone * 6 - 183)
    false_northing_m = _UTM_FALSE_NORTHING_SOUTH_M if south else 0.0
    scale_m = _UTM_K0 * rectifying_radius_m

    def convert(easting_m: float, northing_m: float) -> tuple[float, float]:
        xi = (northing_m - false_northing_m) / scale_m
        eta = (easting_m - _UTM_FALSE_EASTING_M) / scale_m
        terms = list(enumerate(beta, start=1))
        xi1 = xi - sum(b * math.sin(2 * j * xi) * math.cosh(2 * j * eta) for j, b in terms)
        eta1 = eta - sum(b * math.cos(2 * j * xi) * math.sinh(2 * j * eta) for j, b in terms)
        chi = math.asin(math.sin(xi1) / math.cosh(eta1))
        lat = chi + sum(d * math.sin(2 * j * chi) for j, d in enumerate(delta, start=1))
        lon = central_meridian + math.atan2(math.sinh(eta1), math.cos(xi1))
        return math.degrees(lon), math.degrees(lat)

    return convert
