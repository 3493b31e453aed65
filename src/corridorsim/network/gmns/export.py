"""Export: a corridorsim network written as the GMNS tables node.csv, link.csv,
config.csv and use_definition.csv.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from corridorsim._files import naming, write_text_atomic
from corridorsim.network.gmns.columns import (
    _LINK_JSON,
    _NODE_JSON,
    _VERBATIM,
    CONFIG_COLUMNS,
    LINK_COLUMNS,
    NODE_COLUMNS,
    USE_DEFINITION_COLUMNS,
)
from corridorsim.network.gmns.modes import MODE_USES
from corridorsim.network.gmns.tables import GMNS_VERSION, MISSING_VALUES
from corridorsim.network.io import load_network
from corridorsim.network.model import Link, Network, Node


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
