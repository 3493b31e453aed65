"""``results.xlsx``: the tables of a run, a comparison, an assignment or a capacity search as
one spreadsheet, a sheet per table.

Cells are typed (numbers are numbers, text is text, a value that cannot be computed is an
empty cell), and each header says its unit: ``transit_h`` becomes ``transit (h)``,
``usd_per_tonne`` ``USD per tonne``. The workbook is built in memory and written in one step.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from corridorsim._files import write_bytes_atomic

if TYPE_CHECKING:
    from corridorsim.experiment.assignment import AssignmentOutcome
    from corridorsim.experiment.capacity import CapacityOutcome
    from corridorsim.experiment.compare import Comparison
    from corridorsim.experiment.results import SimulationResult

#: The file's name in an output folder.
FILE_NAME = "results.xlsx"
#: Excel's limits: sheet names of 31 characters, 1,048,576 rows a sheet.
SHEET_NAME_CHARS = 31
MAX_ROWS = 1_048_576
#: Column-name endings and the unit a header shows for them, longest first.
_UNIT_SUFFIXES = (
    ("_usd_per_tonne", "USD per tonne"),
    ("_kg_per_tonne", "kg per tonne"),
    ("_per_replication", "per replication"),
    ("_tonnes_per_year", "t per year"),
    ("_trains_per_day", "trains per day"),
    ("_days", "days"),
    ("_h", "h"),
    ("_usd", "USD"),
    ("_kg", "kg"),
    ("_km", "km"),
)
#: Whole names with a clearer wording, and their units.
_HEADERS = {
    "usd_per_tonne": ("cost", "USD per tonne"),
    "co2_kg_per_tonne": ("CO2", "kg per tonne"),
    "co2_kg": ("CO2", "kg"),
    "tonnes": ("tonnes", "t"),
    "tonnes_per_year": ("tonnes per year", "t"),
    "trains_per_day": ("trains per day", ""),
    "utilisation": ("utilisation", "share"),
    "share": ("share", "0-1"),
    "p_within_target": ("P(within target)", "share"),
    "km": ("distance", "km"),
}


def header(name: str) -> str:
    """A column's header with its unit: ``transit_h`` -> ``transit (h)``, ``wait_h_ferry``
    -> ``wait ferry (h)``, ``transit_days.mean`` -> ``transit mean (days)``."""
    head, *rest = name.split(".")
    label, unit = _label_and_unit(head)
    words = " ".join([label, *(part.replace("_", " ") for part in rest)]).strip()
    return f"{words} ({unit})" if unit else words


def _label_and_unit(head: str) -> tuple[str, str]:
    for bound in ("_ci95_lo", "_ci95_hi"):
        if head.endswith(bound):  # utilisation_ci95_lo: the unit of what it bounds
            label, unit = _label_and_unit(head[: -len(bound)])
            return f"{label} {bound[1:].replace('_', ' ')}", unit
    if head in _HEADERS:
        return _HEADERS[head]
    for suffix, unit in _UNIT_SUFFIXES:
        if head.endswith(suffix):
            return head[: -len(suffix)].replace("_", " "), unit
        marker = suffix + "_"
        if marker in head:  # wait_h_ferry: the unit sits inside the name
            before, after = head.split(marker, 1)
            return f"{before} {after}".replace("_", " "), unit
    return head.replace("_", " "), ""


def flatten(document: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested JSON object as one row: ``{"a": {"b": 1}, "c": [2, 3]}`` -> ``{"a.b": 1,
    "c.lo": 2, "c.hi": 3}`` (a pair is an interval: lo, hi); other lists as text."""
    out: dict[str, Any] = {}
    for key, value in document.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{name}."))
        elif isinstance(value, list | tuple) and len(value) == 2 and all(
            v is None or isinstance(v, int | float) for v in value
        ):
            out[f"{name}.lo"], out[f"{name}.hi"] = value
        elif isinstance(value, list | tuple):
            out[name] = ", ".join(str(v) for v in value)
        else:
            out[name] = value
    return out


Sheet = tuple[str, Sequence[str], Iterable[Mapping[str, Any]]]


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An .xlsx holding ``(name, columns, rows)`` sheets (rows past Excel's limit are cut,
    with a last row saying so)."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_numbers": False, "nan_inf_to_errors": False}
    )
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    number = book.add_format({"num_format": "#,##0.00##"})
    whole = book.add_format({"num_format": "#,##0"})
    for name, columns, rows in sheets:
        sheet = book.add_worksheet(name[:SHEET_NAME_CHARS])
        for col, column in enumerate(columns):
            sheet.write_string(0, col, header(column), bold)
            sheet.set_column(col, col, max(10, min(40, len(header(column)) + 2)))
        sheet.freeze_panes(1, 0)
        r = 0
        for r, row in enumerate(rows, 1):
            if r >= MAX_ROWS - 1:
                sheet.write_string(r, 0, "more rows than a sheet holds: see the CSV files")
                break
            for col, column in enumerate(columns):
                _write(sheet, r, col, row.get(column), number, whole)
        if r:
            sheet.autofilter(0, 0, r, max(len(columns) - 1, 0))
    book.close()
    return buffer.getvalue()


def _write(sheet: Any, row: int, col: int, value: Any, number: Any, whole: Any) -> None:
    if value is None or value == "":
        return  # no value: an empty cell, not 0 and not "nan"
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, int):
        sheet.write_number(row, col, value, whole)
    elif isinstance(value, float):
        if math.isfinite(value):
            sheet.write_number(row, col, value, number)
    else:
        sheet.write_string(row, col, str(value))


def _columns(rows: list[dict[str, Any]], first: Sequence[str] = ()) -> list[str]:
    """Every key of ``rows`` in the order met, ``first`` first."""
    seen = dict.fromkeys(first)
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def run_sheets(result: SimulationResult) -> list[Sheet]:
    """A run's sheets: summary (a row per shipment), shipments, legs, facilities."""
    from corridorsim.report.rows import FACILITY_COLUMNS, LEG_COLUMNS, shipment_row

    summary = result.summary()
    rows = [
        {"shipment": sid, **flatten(_without_lists(block))}
        for sid, block in summary["shipments"].items()
    ]
    shipments = [shipment_row(r) for r in result.consignment_rows()]
    return [
        ("summary", _columns(rows, ["shipment"]), rows),
        ("shipments", _columns(shipments), shipments),
        ("legs", list(LEG_COLUMNS), (r._asdict() for r in result.leg_rows())),
        ("facilities", list(FACILITY_COLUMNS), [f._asdict() for f in result.facilities]),
    ]


def _without_lists(block: Mapping[str, Any]) -> dict[str, Any]:
    # top_waits and the route are lists of places: shown as text by flatten, but the waits
    # read better one per column.
    out = dict(block)
    waits = out.pop("top_waits", None) or []
    for i, wait in enumerate(waits, 1):
        out[f"top_wait_{i}"] = f"{wait['place']} ({wait['kind']}) {wait['wait_h']:.1f} h"
    return out


def compare_sheets(comparison: Comparison) -> list[Sheet]:
    """A comparison's sheets: a row per shipment and scenario, and a row per shipment and
    scenario of the paired differences to the first."""
    document = comparison.document()
    kpis, diffs = [], []
    for sid, block in document["shipments"].items():
        for label, values in block.get("per_scenario", {}).items():
            kpis.append({"shipment": sid, "scenario": label, **flatten(values)})
        for label, values in block.get("diff_vs_first", {}).items():
            diffs.append({"shipment": sid, "scenario": label, **flatten(values)})
    return [
        ("scenarios", _columns(kpis, ["shipment", "scenario"]), kpis),
        ("differences", _columns(diffs, ["shipment", "scenario"]), diffs),
    ]


def assign_sheets(outcome: AssignmentOutcome) -> list[Sheet]:
    """An assignment's sheets: routes (a row per route of every flow), flows by element,
    iterations (a row per flow and iteration)."""
    from corridorsim.experiment.flows import FLOW_COLUMNS

    document = outcome.document()
    routes, iterations = [], []
    for fid, flow in document["flows"].items():
        for route in flow["routes"]:
            cells = flatten({k: v for k, v in route.items() if k not in ("nodes", "links")})
            routes.append({"flow": fid, "via": " - ".join(route["nodes"]), **cells})
        for it in flow["iterations"]:
            iterations.append({"flow": fid, **flatten(it)})
    return [
        ("routes", _columns(routes, ["flow"]), routes),
        ("elements", list(FLOW_COLUMNS), [f._asdict() for f in outcome.flows]),
        ("iterations", _columns(iterations, ["flow"]), iterations),
    ]


def capacity_sheets(outcome: CapacityOutcome) -> list[Sheet]:
    """A capacity search's sheets: every tonnage tried, and the result."""
    document = outcome.document()
    points = list(document["points"])
    result = [flatten({k: v for k, v in document.items() if k != "points"})]
    return [
        ("points", _columns(points), points),
        ("capacity", _columns(result), result),
    ]


def write_xlsx(path: str | os.PathLike[str], sheets: Sequence[Sheet]) -> None:
    """Write the workbook of ``sheets`` to ``path`` in one step."""
    write_bytes_atomic(path, workbook_bytes(sheets))
