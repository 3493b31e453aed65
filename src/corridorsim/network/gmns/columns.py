"""corridorsim's own columns (GMNS user-defined fields start with ``u_``) and the
column order of each table written.
"""

from __future__ import annotations

from corridorsim.network.gmns.tables import TABLES

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

#: The columns of node.csv and link.csv whose text u_text may hold: column -> field.
_VERBATIM_FIELDS = {"name": "name", "u_note": "note"}
