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

The modules, each importing only those above it:

- :mod:`~corridorsim.network.gmns.tables`: the GMNS tables and their fields, as the schemas
  define them;
- :mod:`~corridorsim.network.gmns.columns`: corridorsim's own ``u_`` columns, and the column
  order of each table written;
- :mod:`~corridorsim.network.gmns.read`: a table read and checked against its schema;
- :mod:`~corridorsim.network.gmns.units`: units of length, speed and currency;
- :mod:`~corridorsim.network.gmns.crs`: coordinate systems converted to longitude/latitude;
- :mod:`~corridorsim.network.gmns.config`: config.csv;
- :mod:`~corridorsim.network.gmns.modes`: modes and uses (use_definition.csv, use_group.csv);
- :mod:`~corridorsim.network.gmns.lines`: link shapes (WKT, GeoJSON, geometry.csv);
- :mod:`~corridorsim.network.gmns.export`: a network written as GMNS tables;
- :mod:`~corridorsim.network.gmns.build`: the rows of node.csv and link.csv turned into nodes
  and links;
- :mod:`~corridorsim.network.gmns.import_`: a GMNS folder read into a network.
"""

from __future__ import annotations

from corridorsim.network.gmns.build import DEFAULT_COUNTRY, DEFAULT_KIND
from corridorsim.network.gmns.columns import (
    CONFIG_COLUMNS,
    LINK_COLUMNS,
    NODE_COLUMNS,
    USE_DEFINITION_COLUMNS,
)
from corridorsim.network.gmns.crs import Transform, crs_transform, utm_to_lonlat
from corridorsim.network.gmns.export import export_gmns
from corridorsim.network.gmns.import_ import import_gmns
from corridorsim.network.gmns.lines import parse_line_geometry
from corridorsim.network.gmns.modes import DEFAULT_GAUGE_MM, MODE_USES, USE_MODES
from corridorsim.network.gmns.tables import (
    GMNS_VERSION,
    MISSING_VALUES,
    PRIMARY_KEYS,
    TABLES,
    FieldType,
    GmnsField,
)
from corridorsim.network.gmns.units import CURRENCY_USD, LENGTH_UNITS_KM, SPEED_UNITS_KMH

__all__ = [
    "CONFIG_COLUMNS",
    "CURRENCY_USD",
    "DEFAULT_COUNTRY",
    "DEFAULT_GAUGE_MM",
    "DEFAULT_KIND",
    "GMNS_VERSION",
    "LENGTH_UNITS_KM",
    "LINK_COLUMNS",
    "MISSING_VALUES",
    "MODE_USES",
    "NODE_COLUMNS",
    "PRIMARY_KEYS",
    "SPEED_UNITS_KMH",
    "TABLES",
    "USE_DEFINITION_COLUMNS",
    "USE_MODES",
    "FieldType",
    "GmnsField",
    "Transform",
    "crs_transform",
    "export_gmns",
    "import_gmns",
    "parse_line_geometry",
    "utm_to_lonlat",
]
