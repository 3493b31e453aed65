"""The GMNS 0.96 tables read or written, as their table schemas define them.

Each table's fields (type, ``required``, the values allowed, a range), its primary key,
the cells that hold no value, and the syntax of a number, a whole number and a boolean.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

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
