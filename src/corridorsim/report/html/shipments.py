"""Tables of shipments shared by the pages of runs and comparisons: where the time goes, what
it costs by category, and the planned routes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from corridorsim.report.html.format import _dict, _float, _kcell, _list, _ncell, _str, num
from corridorsim.report.html.model import Column, Table, Text
from corridorsim.report.html.places import Places

_CAUSES = ("facility", "ferry", "headway", "disruption", "formation", "fleet")
_CAUSE_LABELS = {
    "facility": "facility queue", "ferry": "ferry wait", "headway": "headway",
    "disruption": "disruption", "formation": "formation", "fleet": "fleet",
}


def _time_table(rows_in: Iterable[tuple[str, Mapping[str, Any]]], first: str) -> Table:
    """Where the time goes: mean hours running, processing, waiting (by cause)."""
    rows = []
    for label, s in rows_in:
        time_h = _dict(s.get("time_h"))
        waits = _dict(s.get("wait_h_by_cause"))
        total = sum(_float(time_h.get(k)) or 0 for k in ("running", "processing", "waiting"))
        rows.append([
            _kcell(label),
            *(_ncell(num(time_h.get(k), 1)) for k in ("running", "processing", "waiting")),
            *(_ncell(num(waits.get(c), 1)) for c in _CAUSES),
            _ncell(num(total, 1), tone="strong"),
        ])
    columns = [
        Column(first), Column("running", "h", True), Column("processing", "h", True),
        Column("waiting", "h", True),
        *(Column(_CAUSE_LABELS[c], "h", True) for c in _CAUSES),
        Column("door to door", "h", True),
    ]
    return Table("Where the time goes", columns, rows,
                 note="Mean hours per arrived consignment; the waiting columns split "
                 "“waiting” by cause.")


_CATEGORIES = ("tariff", "facility_fees", "ferry", "wagon_hire", "demurrage")


def _cost_table(rows_in: Iterable[tuple[str, Mapping[str, Any]]], first: str) -> Table:
    rows = []
    for label, s in rows_in:
        by = _dict(s.get("usd_per_tonne_by_category"))
        rows.append([
            _kcell(label), *(_ncell(num(by.get(c))) for c in _CATEGORIES),
            _ncell(num(_dict(s.get("usd_per_tonne")).get("mean")), tone="strong"),
        ])
    columns = [Column(first), *(Column(c.replace("_", " "), "USD/t", True) for c in _CATEGORIES),
               Column("total", "USD/t", True)]
    return Table("What it costs, by category", columns, rows)


def _routes_text(shipments: Mapping[str, Any], places: Places, title: str) -> Text:
    """Each shipment's planned route: its key places (when the network is found) and every
    node."""
    paragraphs = []
    for sid, s in shipments.items():
        nodes = [_str(n) for n in _list(_dict(s).get("route"))]
        if nodes:
            key = places.describe(nodes, [])
            paragraphs.append(f"{sid}: {key + '; ' if key else ''}{len(nodes)} nodes: "
                              f"{' → '.join(nodes)}")
    return Text(paragraphs or ["No route recorded."], title=title)
