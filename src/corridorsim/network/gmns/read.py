"""Reading a GMNS table: ``<table>.csv`` parsed and checked against its schema.

Every cell is typed by its field (a number, a bool, text; None when missing), and each
problem is one line naming the file and the line it is about (``FILE:LINE: what``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corridorsim._files import MAX_FILE_BYTES, read_user_bytes
from corridorsim._schema import short_repr, shown_key
from corridorsim.errors import InputError
from corridorsim.network.gmns.columns import _VERBATIM
from corridorsim.network.gmns.tables import (
    _FALSE,
    _INTEGER,
    _NUMBER,
    _TRUE,
    MISSING_VALUES,
    PRIMARY_KEYS,
    TABLES,
    GmnsField,
)
from corridorsim.network.io import MAX_INT_DIGITS, decode_json


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
