"""GMNS, the General Modeling Network Specification (version 0.96): export and import.

:func:`export_gmns` writes a network as the GMNS tables ``node.csv``, ``link.csv``,
``config.csv`` and ``use_definition.csv``, following their table schemas (spec/*.schema.json
in github.com/zephyr-data-specs/GMNS); what GMNS has no field for rides in ``u_`` columns
(user-defined fields), so that :func:`import_gmns` gives the same network back.

:func:`import_gmns` reads any GMNS network, not only ours: links are road links unless their
``allowed_uses`` or ``u_mode`` say otherwise, and what corridorsim needs that GMNS lacks (a
node's country, a rail link's gauge) gets a documented default. Bad input raises
:class:`~corridorsim.errors.InputError` with one line per problem, ``FILE:LINE: what``, every
problem of every table at once. The mapping, field by field, is in ``docs/gmns.md``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import ValidationError

from corridorsim._files import MAX_FILE_BYTES, naming, read_user_bytes, write_text_atomic
from corridorsim._schema import error_lines, field_vocabulary, short_repr, shown_key
from corridorsim.errors import InputError
from corridorsim.network.geometry import haversine_km
from corridorsim.network.io import (
    ENDPOINT_TOLERANCE_KM,
    MAX_INT_DIGITS,
    decode_json,
    load_network,
    network_to_geojson,
    parse_network,
    write_network,
)
from corridorsim.network.model import Link, Mode, Network, Node, NodeKind

#: The GMNS version written to config.csv and whose table schemas are followed.
GMNS_VERSION = "0.96"

FieldType = Literal["any", "string", "number", "integer", "boolean"]


@dataclass(frozen=True)
class GmnsField:
    """One field of a GMNS table as its table schema defines it (the parts that constrain
    values: type, ``required``, an ``enum`` constraint or ``categories``, a range)."""

    name: str
    type: FieldType = "any"
    required: bool = False
    #: The values allowed (the ``enum`` constraint or the field's ``categories``); None: any.
    allowed: tuple[str | int, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None


_F = GmnsField

#: The GMNS 0.96 tables read or written here, field by field in schema order, as
#: spec/<table>.schema.json defines them (tests/test_gmns.py checks them against the
#: vendored schema files). Import validates every row against them.
TABLES: Mapping[str, tuple[GmnsField, ...]] = {
    "node": (
        _F("node_id", required=True),
        _F("name", "string"),
        _F("x_coord", "number", required=True),
        _F("y_coord", "number", required=True),
        _F("z_coord", "number"),
        _F("node_type", "string"),
        _F("ctrl_type", "string", allowed=("none", "yield", "stop", "4_stop", "signal")),
        _F("zone_id"),
        _F("parent_node_id"),
    ),
    "link": (
        _F("link_id", required=True),
        _F("name", "string"),
        _F("from_node_id", required=True),
        _F("to_node_id", required=True),
        _F("directed", "boolean", required=True),
        _F("geometry_id"),
        _F("geometry"),
        _F("parent_link_id"),
        _F("dir_flag", "integer", allowed=(1, -1, 0)),
        _F("length", "number", minimum=0),
        _F("grade", "number", minimum=-100, maximum=100),
        _F("facility_type", "string"),
        _F("capacity", "number", minimum=0),
        _F("free_speed", "number", minimum=0, maximum=200),
        _F("lanes", "integer", minimum=0),
        _F(
            "bike_facility",
            "string",
            allowed=(
                "unseparated bike lane",
                "buffered bike lane",
                "separated bike lane",
                "counter-flow bike lane",
                "paved shoulder",
                "shared lane",
                "shared use path",
                "off-road unpaved trail",
                "other",
                "none",
            ),
        ),
        _F(
            "ped_facility",
            "string",
            allowed=("unknown", "none", "shoulder", "sidewalk", "offstreet_path"),
        ),
        _F("parking", "string", allowed=("unknown", "none", "parallel", "angle", "other")),
        _F("allowed_uses", "string"),
        _F("toll", "number"),
        _F("jurisdiction", "string"),
        _F("row_width", "number", minimum=0),
    ),
    "geometry": (_F("geometry_id", required=True), _F("geometry")),
    "config": (
        _F("dataset_name"),
        _F("short_length"),
        _F("long_length"),
        _F("speed"),
        _F("crs"),
        _F("geometry_field_format"),
        _F("currency"),
        _F("version_number", "number"),
        _F("id_type", "string", allowed=("string", "integer")),
    ),
    "use_definition": (
        _F("use", "string", required=True),
        _F("persons_per_vehicle", "number", required=True, minimum=0),
        _F("pce", "number", required=True, minimum=0),
        _F("special_conditions", "string"),
        _F("description", "string"),
    ),
    "use_group": (
        _F("use_group", "string", required=True),
        _F("uses", "string", required=True),
        _F("description", "string"),
    ),
}

#: Each table's primary key (its schema's ``primaryKey``): unique in the table.
PRIMARY_KEYS: Mapping[str, str] = {
    "node": "node_id",
    "link": "link_id",
    "geometry": "geometry_id",
    "use_definition": "use",
    "use_group": "use_group",
}

#: What every GMNS schema lists as ``missingValues``: such a cell holds no value.
MISSING_VALUES = frozenset({"", "NaN"})
_TRUE = frozenset({"true", "True", "TRUE", "1"})
_FALSE = frozenset({"false", "False", "FALSE", "0"})
# Table Schema numbers: decimal digits with an optional sign and exponent, or NaN / INF.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?i:inf|nan)")
_INTEGER = re.compile(r"[+-]?\d+")

# --------------------------------------------------------------------------------------------
# corridorsim's own columns (GMNS user-defined fields start with u_)

#: Node columns holding a JSON value: column -> node field.
_NODE_JSON = {"u_aliases": "aliases", "u_facilities": "facility", "u_source": "source"}
#: Link columns holding a JSON value (numbers are JSON numbers: 1520, 12.5): column -> field.
_LINK_JSON = {
    "u_gauge_mm": "gauge_mm",
    "u_opens_year": "opens_year",
    "u_capacity_per_day": "capacity_per_day",
    "u_tracks": "tracks",
    "u_max_train_wagons": "max_train_wagons",
    "u_speed_kmh": "speed_kmh",
    "u_delay_h": "delay_h",
    "u_emissions_g_per_tonne_km": "emissions_g_per_tonne_km",
    "u_tariff": "tariff",
    "u_ferry": "ferry",
    "u_source": "source",
}
#: Plain text columns: column -> field.
_NODE_TEXT = {"u_country": "country", "u_note": "note"}
_LINK_TEXT = {"u_status": "status", "u_note": "note"}

#: A JSON object of the text values a GMNS reader would take for missing ("" and "NaN",
#: the schemas' missingValues), which therefore cannot be written in their own column:
#: ``{"name": "NaN"}``. Written only when needed.
_VERBATIM = "u_text"

NODE_COLUMNS = (
    *(f.name for f in TABLES["node"]),
    "u_country",
    *_NODE_JSON,
    "u_note",
    _VERBATIM,
)
LINK_COLUMNS = (
    *(f.name for f in TABLES["link"]),
    "u_mode",
    "u_status",
    *(c for c in _LINK_JSON if c != "u_source"),
    "u_length_from_geometry",
    "u_source",
    "u_note",
    _VERBATIM,
)
CONFIG_COLUMNS = (
    *(f.name for f in TABLES["config"]),
    "u_description",
    "u_sources",
    _VERBATIM,
)
USE_DEFINITION_COLUMNS = (*(f.name for f in TABLES["use_definition"]), "u_mode")

#: The use (vehicle type) written in allowed_uses for each mode, and its use_definition row:
#: persons per vehicle, passenger car equivalents, description. Freight trains, ferries and
#: ships carry no travellers and take no road capacity (0, 0); a truck is GMNS's own
#: example row (1 person, 2 pce).
MODE_USES: Mapping[str, tuple[str, float, float, str]] = {
    "rail": ("rail", 0, 0, "freight train"),
    "road": ("truck", 1, 2, "truck"),
    "ferry": ("ferry", 0, 0, "rail and road ferry: wagons and trucks rolled on"),
    "sea": ("ship", 0, 0, "cargo ship"),
}

#: Use names (any case) that mean a mode other than road when use_definition gives no
#: ``u_mode`` for them; every other use (auto, truck, bus, walk, ALL...) travels by road.
USE_MODES: Mapping[str, str] = {
    "rail": "rail",
    "train": "rail",
    "railway": "rail",
    "freight_rail": "rail",
    "rail_freight": "rail",
    "freight_train": "rail",
    "ferry": "ferry",
    "rail_ferry": "ferry",
    "roro": "ferry",
    "ro-ro": "ferry",
    "ship": "sea",
    "sea": "sea",
    "vessel": "sea",
}

#: The gauge of an imported rail link that gives no u_gauge_mm: standard gauge.
DEFAULT_GAUGE_MM = 1435
#: The country of an imported node without u_country: ISO 3166 user-assigned "unknown".
DEFAULT_COUNTRY = "XX"
#: The kind of an imported node whose node_type is not a corridorsim kind.
DEFAULT_KIND = "junction"

_MODES: tuple[str, ...] = get_args(Mode)
_KINDS: tuple[str, ...] = get_args(NodeKind)
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
_MAX_ID = 120
_VOCABULARY = field_vocabulary(Node, Link)

# --------------------------------------------------------------------------------------------
# Export


def export_gmns(
    network: Network | str | os.PathLike[str], out_dir: str | os.PathLike[str]
) -> list[Path]:
    """Write ``network`` (or the network file at that path) as a GMNS network in ``out_dir``.

    Writes node.csv, link.csv, config.csv and use_definition.csv (each atomically; the folder
    is created if needed, other files in it are left alone) and returns their paths.
    """
    if not isinstance(network, Network):
        network = load_network(network)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "node.csv": (NODE_COLUMNS, [_node_row(n) for n in network.nodes.values()]),
        "link.csv": (LINK_COLUMNS, [_link_row(lk) for lk in network.links.values()]),
        "config.csv": (CONFIG_COLUMNS, [_config_row(network)]),
        "use_definition.csv": (USE_DEFINITION_COLUMNS, _use_definition_rows()),
    }
    written = []
    for name, (columns, rows) in tables.items():
        path = folder / name
        with naming(path):
            write_text_atomic(path, _csv_text(columns, rows))
        written.append(path)
    return written


def _csv_text(columns: tuple[str, ...], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    # CRLF (RFC 4180, the csv default): a value holding a bare CR or LF is then quoted.
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return out.getvalue()


def _number(value: float) -> str:
    """A number as Table Schema reads it: the shortest text giving the same float back,
    with the exponent as ``E`` (``1E-05``)."""
    if isinstance(value, int):
        return str(value)
    return repr(float(value)).replace("e", "E")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _wkt(coords: tuple[tuple[float, float], ...]) -> str:
    return "LINESTRING (" + ", ".join(f"{_number(x)} {_number(y)}" for x, y in coords) + ")"


def _node_row(node: Node) -> dict[str, str]:
    dumped = node.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    row = {
        "node_id": node.id,
        "x_coord": _number(node.coords[0]),
        "y_coord": _number(node.coords[1]),
        "node_type": node.kind,
        "u_country": node.country,
    }
    for column, name in _NODE_JSON.items():
        if name in dumped:
            row[column] = _json(dumped[name])
    _put_text(row, {"name": node.name, "u_note": node.note})
    return row


def _link_row(link: Link) -> dict[str, str]:
    dumped = link.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    row = {
        "link_id": link.id,
        "from_node_id": link.from_,
        "to_node_id": link.to,
        "directed": "false" if link.bidirectional else "true",
        "geometry": _wkt(link.coords),
        "dir_flag": "1",  # the shape points run from from_node_id to to_node_id
        # GMNS tools want a length on every link: the geodesic length when the link gives
        # none, marked so that import leaves it to the geometry again.
        "length": _number(link.km),
        "facility_type": link.mode,
        "allowed_uses": MODE_USES[link.mode][0],
        "u_mode": link.mode,
        "u_status": link.status,
    }
    if link.length_km is None:
        row["u_length_from_geometry"] = "true"
    for column, name in _LINK_JSON.items():
        if name in dumped:
            row[column] = _json(dumped[name])
    # free_speed is at most 200 in the GMNS schema: a faster link keeps its speed in
    # u_speed_kmh only.
    if link.speed_kmh is not None and link.speed_kmh <= 200:
        row["free_speed"] = _number(link.speed_kmh)
        row.pop("u_speed_kmh", None)
    if link.tariff.usd_per_wagon:
        row["toll"] = _number(link.tariff.usd_per_wagon)  # per wagon or truck, in USD
    _put_text(row, {"name": link.name, "u_note": link.note})
    return row


def _put_text(row: dict[str, str], texts: Mapping[str, str | None]) -> None:
    """Put each text in its column, or in ``u_text`` when a reader would take it for
    missing; None (no value) is left out."""
    verbatim = {}
    for column, text in texts.items():
        if text is None:
            continue
        if text in MISSING_VALUES:
            verbatim[column] = text
        else:
            row[column] = text
    if verbatim:
        row[_VERBATIM] = _json(verbatim)


def _config_row(network: Network) -> dict[str, str]:
    row = {
        "short_length": "m",
        "long_length": "km",
        "speed": "km/h",
        "crs": "EPSG:4326",
        "geometry_field_format": "WKT",
        "currency": "USD",
        "version_number": GMNS_VERSION,
        "id_type": "string",
    }
    # "" is what a network without a name or description holds: nothing to write then.
    texts = {"dataset_name": network.name, "u_description": network.description}
    _put_text(row, {column: text or None for column, text in texts.items()})
    if network.sources:
        row["u_sources"] = _json(list(network.sources))
    return row


def _use_definition_rows() -> list[dict[str, str]]:
    return [
        {
            "use": use,
            "persons_per_vehicle": _number(persons),
            "pce": _number(pce),
            "description": f"{text} (corridorsim mode {mode})",
            "u_mode": mode,
        }
        for mode, (use, persons, pce, text) in MODE_USES.items()
    ]


# --------------------------------------------------------------------------------------------
# Reading tables


class _Problems(list[str]):
    """Problem lines, each naming the file (and the line) it is about."""

    def at(self, where: str, line: int | None, text: str) -> None:
        self.append(f"{where}:{line}: {text}" if line else f"{where}: {text}")

    def once(self, text: str) -> None:
        if text not in self:
            self.append(text)


@dataclass
class _Row:
    line: int
    #: Schema fields typed (a number, a bool, text); other columns as text; None: missing.
    values: dict[str, Any]
    ok: bool = True


@dataclass
class _Table:
    where: str
    columns: tuple[str, ...]
    rows: list[_Row] = field(default_factory=list)
    #: False when a required column is missing: its rows cannot be turned into anything.
    usable: bool = True


def _read_table(folder: Path, table: str, problems: _Problems) -> _Table | None:
    """``folder/<table>.csv`` read and checked against the table's schema (None if absent)."""
    path = folder / f"{table}.csv"
    where = str(path)
    if not path.exists():
        return None
    try:
        data = read_user_bytes(path)
    except InputError as exc:
        problems.extend(exc.problems)
        return None
    try:
        # Decoded here, not by read_user_text: a CR inside a quoted value stays a CR.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.at(where, None, f"byte {exc.start}: not UTF-8 text: {exc.reason}")
        return None
    try:
        lines = list(_csv_rows(text))
    except csv.Error as exc:
        problems.at(where, None, f"not valid CSV: {exc}")
        return None
    if not lines:
        problems.at(where, None, "empty (a GMNS table starts with a header row)")
        return None
    (_, header), body = lines[0], lines[1:]
    result = _Table(where, tuple(name.strip() for name in header))
    _check_header(result, table, problems)
    fields = {f.name: f for f in TABLES[table]}
    for line, cells in body:
        result.rows.append(_typed_row(result, line, cells, fields, problems))
    _check_primary_key(result, table, problems)
    return result


def _csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """The non-empty rows of ``text`` with the line each starts on."""
    # A long WKT geometry is one value: allow any value the file size allows (and restore
    # the process-wide limit for other readers).
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, MAX_FILE_BYTES))
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        start = 1
        for cells in reader:
            if cells:
                yield start, cells
            start = reader.line_num + 1
    finally:
        csv.field_size_limit(limit)


def _check_header(table: _Table, name: str, problems: _Problems) -> None:
    seen: set[str] = set()
    for column in table.columns:
        if column in seen:
            problems.at(table.where, 1, f"column {shown_key(column)} appears twice")
        seen.add(column)
    for spec in TABLES[name]:
        if spec.required and spec.name not in seen:
            problems.at(table.where, 1, f"no column {spec.name} (required)")
            table.usable = False


def _typed_row(
    table: _Table, line: int, cells: list[str], fields: Mapping[str, GmnsField], problems: _Problems
) -> _Row:
    row = _Row(line, {})
    if len(cells) > len(table.columns):
        problems.at(table.where, line, f"{len(cells)} values for {len(table.columns)} columns")
        row.ok = False
    wrong = set()
    for column, text in zip(table.columns, cells, strict=False):
        value = None if text in MISSING_VALUES else text
        spec = fields.get(column)
        if spec is not None and value is not None:
            value, problem = _cast(spec, value)
            if problem is not None:
                problems.at(table.where, line, f"{column}: {problem}")
                row.ok = False
                wrong.add(column)
        row.values[column] = value
    for spec in fields.values():
        if spec.name in wrong or spec.name not in table.columns:
            continue
        if spec.required and row.values.get(spec.name) is None:
            problems.at(table.where, line, f"{spec.name}: missing (required)")
            row.ok = False
    return row


def _cast(spec: GmnsField, text: str) -> tuple[Any, str | None]:
    """The value of a cell as the field's type reads it, and what is wrong with it (or None)."""
    value: Any = text
    if spec.type == "number":
        if not _NUMBER.fullmatch(text.strip()):
            return None, f"must be a number (got {short_repr(text)})"
        value = float(text)
        if _INTEGER.fullmatch(text.strip()) and len(text) <= MAX_INT_DIGITS:
            value = int(text)  # kept whole: 1520 stays 1520
    elif spec.type == "integer":
        if not _INTEGER.fullmatch(text.strip()):
            return None, f"must be a whole number (got {short_repr(text)})"
        if len(text.strip().lstrip("+-")) > MAX_INT_DIGITS:
            return None, f"a whole number of more than {MAX_INT_DIGITS} digits"
        value = int(text)
    elif spec.type == "boolean":
        if text.strip() not in _TRUE | _FALSE:
            return None, f"must be true or false (true, 1, false, 0; got {short_repr(text)})"
        value = text.strip() in _TRUE
    if spec.allowed is not None and value not in spec.allowed:
        known = ", ".join(map(str, spec.allowed))
        return None, f"must be one of {known} (got {short_repr(text)})"
    if spec.minimum is not None and value < spec.minimum:
        return None, f"must be at least {spec.minimum:g} (got {short_repr(text)})"
    if spec.maximum is not None and value > spec.maximum:
        return None, f"must be at most {spec.maximum:g} (got {short_repr(text)})"
    return value, None


def _check_primary_key(table: _Table, name: str, problems: _Problems) -> None:
    key = PRIMARY_KEYS.get(name)
    if key is None:
        return
    first: dict[Any, int] = {}
    for row in table.rows:
        value = row.values.get(key)
        if value is None:
            continue
        if value in first:
            problems.at(
                table.where,
                row.line,
                f"{key} {shown_key(value)}: used twice (first on line {first[value]})",
            )
            row.ok = False
        else:
            first[value] = row.line


# --------------------------------------------------------------------------------------------
# config.csv: units and the coordinate system

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

Transform = Callable[[float, float], tuple[float, float]]


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


#: The columns of node.csv and link.csv whose text u_text may hold: column -> field.
_VERBATIM_FIELDS = {"name": "name", "u_note": "note"}


def _verbatim(where: str, row: _Row, problems: _Problems) -> dict[str, str]:
    """The texts of the row's ``u_text`` (column -> text); {} when none or after a problem."""
    text = row.values.get(_VERBATIM)
    if text is None:
        return {}
    try:
        found = decode_json(text, filename=f"{where}:{row.line}: {_VERBATIM}")
    except InputError as exc:
        problems.extend(exc.problems)
        return {}
    if not isinstance(found, dict) or not all(isinstance(v, str) for v in found.values()):
        problems.at(where, row.line, f"{_VERBATIM}: must be a JSON object of texts")
        return {}
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


# --------------------------------------------------------------------------------------------
# Uses, modes and geometry


@dataclass
class _Uses:
    """What the allowed uses of a link mean: modes from use_definition, groups from
    use_group (names compared ignoring case)."""

    modes: dict[str, str] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)

    def modes_of(self, allowed_uses: str | None) -> list[str]:
        """The corridorsim modes of a link's allowed_uses, in the order they first appear."""
        found: list[str] = []
        expanded: set[str] = set()

        def visit(use: str) -> None:
            key = use.strip().casefold()
            if not key:
                return
            if key in self.groups:
                if key not in expanded:  # groups may name groups; never loop
                    expanded.add(key)
                    for part in self.groups[key]:
                        visit(part)
                return
            mode = self.modes.get(key) or USE_MODES.get(key, "road")
            if mode not in found:
                found.append(mode)

        for use in (allowed_uses or "").split(","):
            visit(use)
        return found or ["road"]


def _read_uses(folder: Path, problems: _Problems) -> _Uses:
    uses = _Uses()
    definitions = _read_table(folder, "use_definition", problems)
    for row in definitions.rows if definitions else []:
        mode = row.values.get("u_mode")
        if mode is None or row.values.get("use") is None:
            continue
        if mode not in _MODES:
            assert definitions is not None
            problems.at(
                definitions.where,
                row.line,
                f"u_mode {short_repr(mode)}: must be one of {', '.join(_MODES)}",
            )
            continue
        uses.modes[row.values["use"].strip().casefold()] = mode
    groups = _read_table(folder, "use_group", problems)
    for row in groups.rows if groups else []:
        if row.ok:
            members = [part.strip() for part in row.values["uses"].split(",")]
            uses.groups[row.values["use_group"].strip().casefold()] = members
    return uses


_WKT_HEAD = re.compile(
    r"\s*(?:SRID=\d+\s*;)?\s*(MULTILINESTRING|LINESTRING)\s*(?:ZM|Z|M)?\s*(.*?)\s*", re.I | re.S
)
_WKT_LINE = re.compile(r"\(\s*([^()]*?)\s*\)")
#: The parentheses of each kind of line: one list of points, or a list of lists.
_WKT_SHAPES = {
    "LINESTRING": r"\(\s*[^()]*\)",
    "MULTILINESTRING": r"\(\s*\([^()]*\)(?:\s*,\s*\([^()]*\))*\s*\)",
}


def parse_line_geometry(text: str) -> list[tuple[float, float]]:
    """The vertices (x, y) of a line written as WKT (``LINESTRING (x y, ...)``, with Z or M
    values dropped; a MULTILINESTRING's parts in order) or as a GeoJSON LineString or
    MultiLineString; ValueError saying what is wrong."""
    if text.lstrip().startswith("{"):
        return _geojson_line(text)
    head = _WKT_HEAD.fullmatch(text)
    if head is None:
        raise ValueError("must be a WKT LINESTRING (x y, x y, ...)")
    kind, body = head.group(1).upper(), head.group(2)
    parts = _WKT_LINE.findall(body)
    shape = _WKT_SHAPES[kind]
    if body.upper() == "EMPTY" or not re.fullmatch(shape, body):
        raise ValueError(f"must be a {kind} with at least two points")
    lines: list[list[tuple[float, float]]] = []
    for part in parts:
        lines.append([])
        for vertex in part.split(","):
            numbers = vertex.split()
            if not 2 <= len(numbers) <= 4 or not all(_NUMBER.fullmatch(v) for v in numbers):
                raise ValueError(f"{short_repr(vertex.strip())} is not a point (x y)")
            lines[-1].append((float(numbers[0]), float(numbers[1])))
    return _joined(lines)


def _geojson_line(text: str) -> list[tuple[float, float]]:
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise ValueError("not valid GeoJSON") from None
    kind = doc.get("type") if isinstance(doc, dict) else None
    lines = doc.get("coordinates") if isinstance(doc, dict) else None
    if kind == "LineString":
        lines = [lines]
    elif kind != "MultiLineString":
        raise ValueError("must be a GeoJSON LineString or MultiLineString")
    parts: list[list[tuple[float, float]]] = []
    try:
        for line in lines or []:
            parts.append([])
            for x, y, *_ in line:
                if isinstance(x, bool) or isinstance(y, bool):
                    raise TypeError
                parts[-1].append((float(x), float(y)))
    except (TypeError, ValueError):
        raise ValueError("coordinates: must be lists of [x, y] numbers") from None
    return _joined(parts)


def _joined(parts: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """The parts of a line one after the other; ValueError unless finite, two points or more."""
    points: list[tuple[float, float]] = []
    for part in parts:
        # The end of one part that is the start of the next is one vertex.
        points.extend(part[1:] if points and part and part[0] == points[-1] else part)
    if not all(math.isfinite(x) and math.isfinite(y) for x, y in points):
        raise ValueError("coordinates must be finite numbers")
    if len(points) < 2:
        raise ValueError("a line needs at least two points")
    return points


# --------------------------------------------------------------------------------------------
# Import


def import_gmns(
    in_dir: str | os.PathLike[str], out_geojson: str | os.PathLike[str] | None = None
) -> Network:
    """The network a GMNS folder describes, written to ``out_geojson`` (GeoJSON) if given.

    Reads node.csv and link.csv (required), and config.csv, use_definition.csv,
    use_group.csv and geometry.csv when present, each row checked against its GMNS schema.
    :class:`InputError` lists every problem found, one line each (``FILE:LINE: what``).
    """
    folder = Path(in_dir)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder (a GMNS network is a folder of CSV tables)")
    missing = [
        f"{folder / name}: missing (a GMNS network needs node.csv and link.csv)"
        for name in ("node.csv", "link.csv")
        if not (folder / name).is_file()
    ]
    if missing:
        raise InputError(missing)
    problems = _Problems()
    config = _read_config(folder, problems)
    uses = _read_uses(folder, problems)
    geometries = _read_geometries(folder, problems)
    node_table = _read_table(folder, "node", problems)
    link_table = _read_table(folder, "link", problems)
    reader = _Importer(config, uses, geometries, problems)
    if node_table is not None and node_table.usable and config.crs_known:
        reader.read_nodes(node_table)
    if link_table is not None and link_table.usable and reader.node_ids:
        reader.read_links(link_table)
    if node_table is not None and node_table.usable and not node_table.rows:
        problems.at(node_table.where, None, "no nodes (a network needs at least one)")
    if problems:
        raise InputError(sorted(problems, key=_problem_order(folder)))
    shown = str(out_geojson) if out_geojson is not None else str(folder)
    network = Network(
        nodes=reader.nodes,
        links=reader.links,
        name=config.name,
        description=config.description,
        sources=config.sources,
        path=shown,
    )
    # What only the whole network can tell (a source key missing from u_sources): the same
    # check as reading the GeoJSON file, so the written file loads.
    network = parse_network(network_to_geojson(network), filename=shown)
    if out_geojson is not None:
        with naming(out_geojson):
            write_network(network, out_geojson)
    return network


#: The tables in the order their problems are listed (each file's by line).
_TABLE_ORDER = ("config", "use_definition", "use_group", "geometry", "node", "link")


def _problem_order(folder: Path) -> Callable[[str], tuple[int, int]]:
    """A sort key for problem lines: by table, then by line (a file's own problems first)."""
    prefixes = [f"{folder / table}.csv:" for table in _TABLE_ORDER]

    def key(text: str) -> tuple[int, int]:
        for rank, prefix in enumerate(prefixes):
            if text.startswith(prefix):
                line = re.match(r"(\d+):", text[len(prefix) :])
                return rank, int(line.group(1)) if line else 0
        return len(prefixes), 0

    return key


_Geometries = dict[str, tuple[str, int, str | None]]


def _read_geometries(folder: Path, problems: _Problems) -> _Geometries:
    """geometry.csv: geometry_id -> (file, line, geometry text or None)."""
    table = _read_table(folder, "geometry", problems)
    found: _Geometries = {}
    for row in table.rows if table else []:
        if row.ok:
            assert table is not None
            found[row.values["geometry_id"]] = (table.where, row.line, row.values.get("geometry"))
    return found


def _free_id(raw: str, taken: set[str], prefix: str) -> str:
    """An id for ``raw`` that corridorsim accepts and ``taken`` does not hold (then taken):
    ``raw`` itself when it can be, else with other characters made ``_``, ``prefix`` in front
    when it would not start with a letter or digit, and ``-2``, ``-3`` ... when taken."""
    base = raw
    if not _SLUG.fullmatch(base) or len(base) > _MAX_ID:
        base = re.sub(r"[^A-Za-z0-9_\-]", "_", base)[: _MAX_ID - 10]
        if not _SLUG.fullmatch(base):
            base = prefix + base
    candidate, count = base, 2
    while candidate in taken:
        candidate, count = f"{base}-{count}", count + 1
    taken.add(candidate)
    return candidate


class _Importer:
    """Turns the rows of node.csv and link.csv into nodes and links, reporting by row."""

    def __init__(
        self,
        config: _Config,
        uses: _Uses,
        geometries: _Geometries,
        problems: _Problems,
    ) -> None:
        self.config = config
        self.uses = uses
        self.geometries = geometries
        self.problems = problems
        self.nodes: dict[str, Node] = {}
        self.links: dict[str, Link] = {}
        #: GMNS node_id -> corridorsim id, for every node row with an id (broken ones too, so
        #: that links to them are not reported again).
        self.node_ids: dict[str, str] = {}
        #: Every corridorsim id given so far (nodes first, then links).
        self.taken: set[str] = set()
        self.node_slugs: set[str] = set()

    # ---- nodes

    def read_nodes(self, table: _Table) -> None:
        """The nodes of node.csv, in file order."""
        for row in table.rows:
            raw = row.values.get("node_id")
            if raw is not None and raw not in self.node_ids:
                self.node_ids[raw] = _free_id(raw, self.taken, "N")
        self.node_slugs = set(self.node_ids.values())
        for row in table.rows:
            if row.ok:
                self._node(table, row)

    def _node(self, table: _Table, row: _Row) -> None:
        values = row.values
        raw = values["node_id"]
        node_id = self.node_ids[raw]
        lonlat = _to_lonlat(self.config, values["x_coord"], values["y_coord"])
        if lonlat is None:
            where = "x_coord, y_coord"
            text = _coords_problem(self.config, values["x_coord"], values["y_coord"])
            self.problems.at(table.where, row.line, f"{where}: {text}")
            return
        kind = (values.get("node_type") or "").strip().lower()
        props: dict[str, Any] = {
            "id": node_id,
            "name": values.get("name") or raw,
            "country": DEFAULT_COUNTRY,
            "kind": kind if kind in _KINDS else DEFAULT_KIND,
            "coords": lonlat,
        }
        for column, name in _NODE_TEXT.items():
            if values.get(column) is not None:
                props[name] = values[column]
        for column, text in _verbatim(table.where, row, self.problems).items():
            if column in _VERBATIM_FIELDS:
                props[_VERBATIM_FIELDS[column]] = text
        if not self._json_columns(table, row, _NODE_JSON, props):
            return
        if node_id != raw:
            # The GMNS id stays usable as a name on the command line.
            props["aliases"] = [*props.get("aliases", []), raw]
        rename = {
            "id": "node_id",
            "kind": "node_type",
            "coords": "x_coord, y_coord",
            **{name: column for column, name in (_NODE_TEXT | _NODE_JSON).items()},
        }
        node = self._validate(Node, props, table, row, rename)
        if isinstance(node, Node):
            self.nodes[node.id] = node

    def _json_columns(
        self, table: _Table, row: _Row, columns: Mapping[str, str], props: dict[str, Any]
    ) -> bool:
        """Put the JSON values of ``columns`` into ``props``; False after a problem."""
        ok = True
        for column, name in columns.items():
            text = row.values.get(column)
            if text is None:
                continue
            try:
                props[name] = decode_json(text, filename=f"{table.where}:{row.line}: {column}")
            except InputError as exc:
                if column == "u_source":
                    props[name] = text  # a source written as plain text, not JSON
                    continue
                self.problems.extend(exc.problems)
                ok = False
        return ok

    def _validate(
        self,
        model: type[Node] | type[Link],
        props: dict[str, Any],
        table: _Table,
        row: _Row,
        rename: dict[str, str],
    ) -> Node | Link | None:
        try:
            return model.model_validate(props)
        except ValidationError as exc:
            for line in error_lines(exc, props, vocabulary=_VOCABULARY, rename=rename):
                self.problems.at(table.where, row.line, line)
            return None

    # ---- links

    def read_links(self, table: _Table) -> None:
        """The links of link.csv, in file order (a link allowing several modes gives one
        link per mode)."""
        for row in table.rows:
            # Checked on every row, so that a row's unknown nodes are reported with its
            # other problems.
            ends = self._ends(table, row)
            if row.ok and ends is not None:
                self._link(table, row, row.values["link_id"], ends)

    def _ends(self, table: _Table, row: _Row) -> tuple[str, str] | None:
        found = []
        for column in ("from_node_id", "to_node_id"):
            raw = row.values.get(column)
            if raw is None:
                return None
            if raw not in self.node_ids:
                self.problems.at(table.where, row.line, f"{column} {shown_key(raw)}: no such node")
            elif self.node_ids[raw] in self.nodes:
                found.append(self.node_ids[raw])
        return (found[0], found[1]) if len(found) == 2 else None

    def _link(self, table: _Table, row: _Row, raw: str, ends: tuple[str, str]) -> None:
        props = self._link_props(table, row, ends)
        if props is None:
            return
        modes = self._modes(table, row, props)
        if modes is None:
            return
        rename = {
            "id": "link_id",
            "from": "from_node_id",
            "to": "to_node_id",
            "bidirectional": "directed",
            "length_km": "length",
            "coords": "geometry",
            "mode": "u_mode" if row.values.get("u_mode") else "allowed_uses",
            **{name: column for column, name in (_LINK_TEXT | _LINK_JSON).items()},
        }
        if _FREE_SPEED in props:
            rename["speed_kmh"] = "free_speed"
        if "tariff" in props and row.values.get("u_tariff") is None:
            rename["tariff"] = "toll"
        for index, mode in enumerate(modes):
            # Each mode of a link open to several is a link of its own; the first keeps the id.
            wanted = raw if index == 0 else f"{raw}-{mode}"
            if wanted in self.node_ids or wanted in self.node_slugs:
                wanted = f"L{wanted}"  # node ids are kept, the link gives way
            link_id = _free_id(wanted, self.taken, "L")
            one = _for_mode(props, mode, split=len(modes) > 1)
            one.update(id=link_id, mode=mode)
            if link_id != raw:
                note = f"GMNS link_id {shown_key(raw)}"
                one["note"] = f"{note}. {one['note']}" if "note" in one else note
            link = self._validate(Link, one, table, row, rename)
            if isinstance(link, Link):
                self.links[link.id] = link

    def _link_props(self, table: _Table, row: _Row, ends: tuple[str, str]) -> dict[str, Any] | None:
        """Everything about the link but its id and mode; None after a problem."""
        values = row.values
        coords = self._geometry(table, row, ends)
        props: dict[str, Any] = {
            "from": ends[0],
            "to": ends[1],
            "bidirectional": not values["directed"],
        }
        if values.get("name") is not None:
            props["name"] = values["name"]
        for column, name in _LINK_TEXT.items():
            if values.get(column) is not None:
                props[name] = values[column]
        for column, text in _verbatim(table.where, row, self.problems).items():
            if column in _VERBATIM_FIELDS:
                props[_VERBATIM_FIELDS[column]] = text
        ok = self._json_columns(table, row, _LINK_JSON, props)
        ok = self._measures(table, row, props) and ok
        if coords is None or not ok:
            return None
        props["coords"] = coords
        return props

    def _measures(self, table: _Table, row: _Row, props: dict[str, Any]) -> bool:
        """Length, speed and toll in corridorsim's units; False after a problem."""
        values = row.values
        config, problems = self.config, self.problems
        ok = True
        from_geometry = (values.get("u_length_from_geometry") or "").strip().lower() == "true"
        # A length of 0 (GMNS allows it) is no length: the geometry gives it.
        if values.get("length") and not from_geometry:
            factor = config.factor("long_length", problems)
            ok = factor is not None
            if factor is not None:
                props["length_km"] = _scaled(values["length"], factor)
        speed = values.get("free_speed")
        if speed and "speed_kmh" not in props:
            factor = config.factor("speed", problems)
            ok = ok and factor is not None
            if factor is not None:
                props[_FREE_SPEED] = _scaled(speed, factor)
        toll = values.get("toll")
        if toll and "tariff" not in props and config.currency is not None:
            usd = CURRENCY_USD.get(" ".join(config.currency.lower().split()))
            if usd is not None:
                props["tariff"] = {"usd_per_wagon": _scaled(toll, usd)}
        return ok

    def _modes(self, table: _Table, row: _Row, props: dict[str, Any]) -> list[str] | None:
        explicit = row.values.get("u_mode")
        if explicit is not None:
            if explicit not in _MODES:
                self.problems.at(
                    table.where,
                    row.line,
                    f"u_mode {short_repr(explicit)}: must be one of {', '.join(_MODES)}",
                )
                return None
            if explicit == "ferry" and "ferry" not in props:
                self.problems.at(
                    table.where,
                    row.line,
                    "u_mode ferry needs u_ferry (the ferry service as JSON: "
                    "capacity_wagons, sailing_h, every_h)",
                )
                return None
            return [explicit]
        modes = self.uses.modes_of(row.values.get("allowed_uses"))
        if "ferry" not in props:
            # A ferry use without a timetable (u_ferry) is a ship: sea links need none.
            modes = list(dict.fromkeys("sea" if m == "ferry" else m for m in modes))
        return modes

    def _geometry(
        self, table: _Table, row: _Row, ends: tuple[str, str]
    ) -> list[tuple[float, float]] | None:
        """The link's vertices in lon/lat running from its from node to its to node: its
        geometry (or geometry.csv's), else the straight line between its nodes."""
        values = row.values
        a, b = self.nodes[ends[0]].coords, self.nodes[ends[1]].coords
        text, where, line, column = values.get("geometry"), table.where, row.line, "geometry"
        if text is None and values.get("geometry_id") is not None:
            found = self.geometries.get(values["geometry_id"])
            if found is None:
                self.problems.at(
                    where, line, f"geometry_id {shown_key(values['geometry_id'])}: no such geometry"
                )
                return None
            where, line, text = found
        if text is None:
            return [a, b]
        try:
            points = parse_line_geometry(text)
        except ValueError as exc:
            self.problems.at(where, line, f"{column}: {exc}")
            return None
        coords = []
        for x, y in points:
            lonlat = _to_lonlat(self.config, x, y)
            if lonlat is None:
                self.problems.at(where, line, f"{column}: {_coords_problem(self.config, x, y)}")
                return None
            coords.append(lonlat)
        return self._oriented(table, row, coords, a, b)

    def _oriented(
        self,
        table: _Table,
        row: _Row,
        coords: list[tuple[float, float]],
        a: tuple[float, float],
        b: tuple[float, float],
    ) -> list[tuple[float, float]] | None:
        dir_flag = row.values.get("dir_flag")
        forward = haversine_km(coords[0], a) + haversine_km(coords[-1], b)
        backward = haversine_km(coords[0], b) + haversine_km(coords[-1], a)
        # dir_flag -1: the shape runs from to_node to from_node. Without a flag (0: none
        # given, or an undirected link drawn either way) the ends say which way it runs.
        if dir_flag == -1 or (dir_flag != 1 and backward < forward):
            coords = coords[::-1]
        for end, coord, node in (("starts", coords[0], a), ("ends", coords[-1], b)):
            gap_km = haversine_km(coord, node)
            if gap_km > ENDPOINT_TOLERANCE_KM:
                column = "from_node_id" if end == "starts" else "to_node_id"
                self.problems.at(
                    table.where,
                    row.line,
                    f"geometry {end} {gap_km:.1f} km from its {column} node "
                    "(a wrong node, or dir_flag?)",
                )
                return None
        return coords


def _scaled(value: float, factor: float) -> float:
    # A factor of 1 leaves the number exactly as written (round trip of our own files).
    return float(value) if factor == 1 else float(value) * factor


#: What a link open to several modes keeps on each mode's link: a field here goes only to
#: the links of these modes (a gauge to the rail link, the ferry block to the ferry).
_MODE_ONLY: Mapping[str, frozenset[str]] = {
    "gauge_mm": frozenset({"rail"}),
    "max_train_wagons": frozenset({"rail"}),
    "tracks": frozenset({"rail", "road"}),
    "ferry": frozenset({"ferry", "sea"}),
    "speed_kmh": frozenset({"rail", "road", "sea"}),
    "delay_h": frozenset({"rail", "road", "sea"}),
}


#: Where a link's free_speed waits until its mode is known: a ferry's time at sea is its
#: sailing time (ferry.sailing_h), so free_speed is not read for ferry links.
_FREE_SPEED = "_free_speed_kmh"


def _for_mode(props: dict[str, Any], mode: str, *, split: bool) -> dict[str, Any]:
    one = dict(props)
    free_speed = one.pop(_FREE_SPEED, None)
    if free_speed is not None and mode != "ferry":
        one["speed_kmh"] = free_speed
    if split:
        for name, modes in _MODE_ONLY.items():
            if mode not in modes:
                one.pop(name, None)
    if mode == "rail":
        one.setdefault("gauge_mm", DEFAULT_GAUGE_MM)
    return one
