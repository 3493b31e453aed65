"""Formatting for people: a JSON value read defensively (a hand-edited file gives a missing
value, never a traceback), numbers with thousands separators and fixed decimals (a dash
for what could not be computed), units, table cells and long tables cut short.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from corridorsim.report.html.model import Cell

#: Rows of a table shown in full; longer ones are cut, and the note names the file.
MAX_TABLE_ROWS = 15

_DASH = "–"  # what a value that cannot be computed (null in the JSON) shows


# --------------------------------------------------------------------------------------------
# Reading a JSON value defensively: anything not of the type expected reads as empty


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _float(value: Any) -> float | None:
    """A finite number, or None (null, text, a boolean, nan)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):  # text, or an integer beyond any float
        return None
    return number if math.isfinite(number) else None


# --------------------------------------------------------------------------------------------
# Formatting numbers for people: thousands separators, fixed decimals per unit, a dash for
# what could not be computed


def num(value: Any, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals and thousands separators; a dash if it is not a
    number."""
    number = _float(value)
    return _DASH if number is None else f"{number:,.{digits}f}"


def signed(value: Any, digits: int = 2) -> str:
    """``value`` with its sign always shown (a difference)."""
    number = _float(value)
    return _DASH if number is None else f"{number:+,.{digits}f}"


def pct(value: Any, digits: int = 0) -> str:
    """A share (0.42) as a percentage ("42%")."""
    number = _float(value)
    return _DASH if number is None else f"{100 * number:,.{digits}f}%"


def interval(pair: Any, digits: int = 2, fmt: Callable[[Any, int], str] = num) -> str:
    """A ``[lo, hi]`` pair as "lo – hi"; a dash if either end is missing."""
    values = _list(pair)
    if len(values) != 2 or _float(values[0]) is None or _float(values[1]) is None:
        return _DASH
    return f"{fmt(values[0], digits)} – {fmt(values[1], digits)}"


def _cell(text: str, *, tone: str = "", title: str = "") -> Cell:
    return Cell(text, numeric=False, tone=tone, title=title)


def _kcell(text: str, *, title: str = "") -> Cell:
    """A row's key (a shipment, a scenario, an element): kept on one line when it is short,
    as ids break at their hyphens otherwise."""
    return Cell(text, tone="key" if len(text) <= 40 else "", title=title)


def _ncell(text: str, *, tone: str = "", sub: str = "") -> Cell:
    return Cell(text, numeric=True, tone=tone, sub=sub)


def whole(value: Any) -> str:
    """An integer identifier or count as is (a seed of 2025 is not "2,025")."""
    number = _float(value)
    return _DASH if number is None else str(round(number))


def plain(value: Any) -> str:
    """A parameter's value with the digits it has (up to six significant)."""
    number = _float(value)
    return _DASH if number is None else f"{number:,.6g}"


def _cut(rows: list[list[Cell]], total: int, what: str, where: str) -> tuple[list[list[Cell]], str]:
    """The first :data:`MAX_TABLE_ROWS` rows and a note saying what was left out."""
    if total <= MAX_TABLE_ROWS:
        return rows, ""
    return rows[:MAX_TABLE_ROWS], f"The first {MAX_TABLE_ROWS} of {total:,} {what}; all in {where}."


def _kpi_unit(kpi: str) -> str:
    """The unit of a summary.json KPI path (``transit_days.p90`` -> days)."""
    head = kpi.split(".")[0]
    return {
        "transit_days": "days",
        "usd_per_tonne": "USD/t",
        "usd_per_unit": "USD/unit",
        "co2_kg_per_tonne": "kg CO2/t",
        "p_within_target": "share",
        "wait_h_by_cause": "h",
        "time_h": "h",
        "usd_per_tonne_by_category": "USD/t",
        "usd_per_tonne_by_country": "USD/t",
    }.get(head, "")


def _short_parameter(path: str) -> str:
    """``nodes.AZ-YALAMA.facility.border.dwell_h.mean`` -> ``AZ-YALAMA facility.border.
    dwell_h.mean``: the element first, as a planner looks for it."""
    parts = path.split(".")
    if parts[0] in ("links", "nodes") and len(parts) > 2:
        return f"{parts[1]} {'.'.join(parts[2:])}"
    return path


def _size(nbytes: int) -> str:
    """A file size as people read it (``462.5 KB``)."""
    if nbytes < 1024:
        return f"{nbytes:,} bytes"
    size = float(nbytes)
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            break
    return f"{size:,.1f} {unit}"
