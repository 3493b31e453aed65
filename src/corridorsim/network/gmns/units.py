"""The units of config.csv: of length (long_length), speed and currency, in
corridorsim's (km, km/h, USD).
"""

from __future__ import annotations

from collections.abc import Mapping

#: km per unit of length (config long_length).
LENGTH_UNITS_KM: Mapping[str, float] = {
    **dict.fromkeys(("km", "kilometer", "kilometers", "kilometre", "kilometres"), 1.0),
    **dict.fromkeys(("m", "meter", "meters", "metre", "metres"), 0.001),
    **dict.fromkeys(("mi", "mile", "miles"), 1.609344),
    **dict.fromkeys(("ft", "foot", "feet"), 0.0003048),
    **dict.fromkeys(("nmi", "nautical mile", "nautical miles"), 1.852),
}
#: km/h per unit of speed (config speed).
SPEED_UNITS_KMH: Mapping[str, float] = {
    **dict.fromkeys(
        ("km/h", "kmh", "kph", "kmph", "km/hr", "kilometers per hour", "kilometres per hour"),
        1.0,
    ),
    **dict.fromkeys(("mph", "mi/h", "miles per hour", "mile per hour"), 1.609344),
    **dict.fromkeys(("m/s", "mps", "meters per second", "metres per second"), 3.6),
    **dict.fromkeys(("ft/s", "fps", "feet per second"), 1.09728),
    **dict.fromkeys(("kn", "kt", "knot", "knots"), 1.852),
}
#: USD per unit of currency (config currency), for reading ``toll``.
CURRENCY_USD: Mapping[str, float] = {
    **dict.fromkeys(("usd", "us dollars", "us dollar", "dollars", "dollar", "$", "us$"), 1.0),
    **dict.fromkeys(("us cents", "cents", "us cent", "cent"), 0.01),
}


def _scaled(value: float, factor: float) -> float:
    # A factor of 1 leaves the number exactly as written (round trip of our own files).
    return float(value) if factor == 1 else float(value) * factor
