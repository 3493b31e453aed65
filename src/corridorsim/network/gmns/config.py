"""config.csv: the units and the coordinate system of a GMNS network, and its name,
description and sources; positions read in that coordinate system.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from corridorsim._schema import short_repr
from corridorsim.errors import InputError
from corridorsim.network.gmns.crs import Transform, crs_transform
from corridorsim.network.gmns.read import _Problems, _read_table, _verbatim
from corridorsim.network.gmns.units import LENGTH_UNITS_KM, SPEED_UNITS_KMH
from corridorsim.network.io import decode_json


@dataclass
class _Config:
    where: str
    line: int | None = None
    name: str = ""
    description: str = ""
    sources: tuple[str, ...] = ()
    long_length: str | None = None
    speed: str | None = None
    currency: str | None = None
    crs: str | None = None
    transform: Transform = field(default=lambda x, y: (x, y))
    geographic: bool = True
    #: False when crs names a system that is not converted: no position can be read then.
    crs_known: bool = True

    def factor(self, column: Literal["long_length", "speed"], problems: _Problems) -> float | None:
        """The km (long_length) or km/h (speed) in one unit of the file's values; None after
        a problem (reported once)."""
        units = LENGTH_UNITS_KM if column == "long_length" else SPEED_UNITS_KMH
        text = self.long_length if column == "long_length" else self.speed
        if text is None and column == "speed" and self.long_length is not None:
            return self.factor("long_length", problems)  # GMNS: "usually long_length per hour"
        if text is None:
            what, example = ("lengths", "km, m, mi, ft") if column == "long_length" else (
                "speeds", "km/h, mph, m/s")
            problems.once(
                f"{self.where}: {column}: missing: link.csv gives {what}, and config.csv's "
                f"{column} says their unit ({example} ...)"
            )
            return None
        found = units.get(" ".join(text.lower().split()))
        if found is None:
            # The first spelling of each unit is its symbol (km, mi, km/h, mph ...).
            symbols: dict[float, str] = {}
            for name, per_unit in units.items():
                symbols.setdefault(per_unit, name)
            known = ", ".join(symbols.values())
            problems.once(
                f"{self.where}:{self.line}: {column} {short_repr(text)}: unknown unit "
                f"(known: {known}, or their names)"
            )
        return found


def _read_config(folder: Path, problems: _Problems) -> _Config:
    table = _read_table(folder, "config", problems)
    config = _Config(str(folder / "config.csv"))
    if table is None:
        return config
    if len(table.rows) != 1:
        problems.at(table.where, None, f"must hold exactly one row (holds {len(table.rows)})")
    if not table.rows:
        return config
    row = table.rows[0]
    values = row.values
    config.line = row.line
    verbatim = _verbatim(table.where, row, problems)
    config.name = verbatim.get("dataset_name", values.get("dataset_name") or "")
    config.description = verbatim.get("u_description", values.get("u_description") or "")
    config.long_length = values.get("long_length")
    config.speed = values.get("speed")
    config.currency = values.get("currency")
    config.crs = values.get("crs")
    sources = values.get("u_sources")
    if sources is not None:
        try:
            parsed = decode_json(sources, filename=f"{table.where}:{row.line}: u_sources")
        except InputError as exc:
            problems.extend(exc.problems)
        else:
            if isinstance(parsed, list) and all(isinstance(s, str) for s in parsed):
                config.sources = tuple(parsed)
            else:
                problems.at(table.where, row.line, "u_sources: must be a JSON list of strings")
    if config.crs is not None:
        try:
            config.transform, config.geographic = crs_transform(config.crs)
        except ValueError as exc:
            problems.at(table.where, row.line, str(exc))
            config.crs_known = False
    return config


def _to_lonlat(config: _Config, x: float, y: float) -> tuple[float, float] | None:
    try:
        lon, lat = config.transform(x, y)
    except (OverflowError, ValueError):
        return None
    if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lat) > 90:
        return None
    if abs(lon) > 180:
        if config.geographic:
            return None
        lon = (lon + 180) % 360 - 180  # a projection's longitude may wrap past 180
    return lon, lat


def _coords_problem(config: _Config, x: float, y: float) -> str:
    if config.crs is None:
        return (
            f"({x:g}, {y:g}) is not a longitude and latitude (config.csv gives no crs, so "
            "longitude/latitude is assumed)"
        )
    return f"({x:g}, {y:g}) is not a position in crs {short_repr(config.crs)}"
