"""The shape of a link: a line written as WKT or GeoJSON, and geometry.csv."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from corridorsim._schema import short_repr
from corridorsim.network.gmns.read import _Problems, _read_table
from corridorsim.network.gmns.tables import _NUMBER

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
