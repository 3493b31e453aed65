"""The page of a capacity search's folder (``corridorsim capacity -o``): capacity.json, the
capacity found, its binding element and every tonnage tried.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from corridorsim.report.html.format import (
    _DASH,
    _cell,
    _dict,
    _float,
    _list,
    _ncell,
    _str,
    num,
    pct,
    plain,
    signed,
    whole,
)
from corridorsim.report.html.inputs import _first_scenario, _optional_json, read_json, read_question
from corridorsim.report.html.model import Card, Cards, Column, Report, Section, Table
from corridorsim.report.html.provenance import _with_manifest_facts, files_table, manifest_blocks
from corridorsim.report.html.render import figures

#: Each criterion as a sentence, from its limit.
CRITERIA: dict[str, Callable[[float | None], str]] = {
    "max_p90_days": lambda v: f"90% of consignments arrive within {num(v, 1)} days",
    "max_mean_wait_h": lambda v: f"mean queueing at most {num(v, 1)} h per consignment",
    "max_utilisation": lambda v: f"no element on its routes used beyond {pct(v, 0)}",
}


def _criterion(document: Mapping[str, Any]) -> tuple[str, str]:
    criterion = _dict(document.get("criterion"))
    name = _str(criterion.get("name"))
    limit = _float(criterion.get("limit"))
    sentence = CRITERIA[name](limit) if name in CRITERIA else f"{name} {num(limit)}"
    return name, sentence


#: Each criterion as a short figure, from its limit.
CRITERION_FIGURES: dict[str, Callable[[float | None], tuple[str, str]]] = {
    "max_p90_days": lambda v: (f"≤ {plain(v)}", "days, p90"),
    "max_mean_wait_h": lambda v: (f"≤ {plain(v)}", "h mean wait"),
    "max_utilisation": lambda v: (f"≤ {pct(v, 0)}", "used"),
}


def _capacity_cards(document: Mapping[str, Any]) -> Cards:
    name, sentence = _criterion(document)
    limit = _float(_dict(document.get("criterion")).get("limit"))
    figure, unit = CRITERION_FIGURES[name](limit) if name in CRITERION_FIGURES else (name, "")
    binding = _dict(document.get("binding"))
    capacity = _float(document.get("capacity_tonnes_per_year"))
    cards = [
        Card("Capacity", num(capacity, 0), "t/year",
             "the largest tonnage tried that met the criterion (bisection to 1%)",
             tone="bad" if not capacity else "strong"),
    ]
    points = [_dict(p) for p in _list(document.get("points"))]
    start = _float(points[0].get("tonnes_per_year")) if points else None
    if start and capacity is not None:
        cards.append(Card("Against the scenario's tonnage",
                          signed(100 * (capacity / start - 1), 0) + "%",
                          "", f"the scenario runs {num(start, 0)} t/year (the first tried)",
                          tone="bad" if capacity < start else ""))
    cards.append(Card("Binding element", _str(binding.get("element")) or _DASH, "",
                      f"{_str(binding.get('kind'))}, {pct(binding.get('utilisation'), 1)} used "
                      "at the capacity" if binding else "none recorded"))
    cards.append(Card("Criterion", figure, unit, f"{sentence} ({name})"))
    return Cards(f"Shipment {_str(document.get('shipment'))}", cards)


def _capacity_table(document: Mapping[str, Any]) -> Table:
    points = sorted((_dict(p) for p in _list(document.get("points"))),
                    key=lambda p: _float(p.get("tonnes_per_year")) or 0)
    capacity = _float(document.get("capacity_tonnes_per_year"))
    rows, marked = [], set()
    for i, p in enumerate(points):
        tonnes = _float(p.get("tonnes_per_year"))
        if capacity is not None and tonnes is not None and math.isclose(tonnes, capacity):
            marked.add(i)
        meets = p.get("meets")
        rows.append([
            _ncell(num(tonnes, 0)), _ncell(num(p.get("p50_days"))),
            _ncell(num(p.get("p90_days"))), _ncell(num(p.get("mean_wait_h"), 2)),
            _ncell(pct(p.get("utilisation"), 1)),
            _cell("yes" if meets else "no", tone="good" if meets else "bad"),
        ])
    return Table("Every tonnage tried", [
        Column("tonnes", "per year", True), Column("p50", "days", True),
        Column("p90", "days", True), Column("mean wait", "h per consignment", True),
        Column("utilisation", "busiest element", True), Column("meets")], rows,
        note="In order of tonnage; the highlighted row is the capacity.",
        marked=frozenset(marked))


def build_capacity(folder: Path) -> Report:
    """The report of a capacity search's folder."""
    document = read_json(folder / "capacity.json")
    manifest = _optional_json(folder / "manifest.json")
    recorded, digest = _first_scenario(manifest)
    question = read_question("", recorded, folder, sha256=digest)
    _, sentence = _criterion(document)
    warnings = []
    if not _float(document.get("capacity_tonnes_per_year")):
        warnings.append("no tonnage above zero met the criterion")
    facts = [
        ("Shipment", _str(document.get("shipment")) or _DASH),
        ("Criterion", sentence),
        ("Seed", whole(document.get("seed"))),
        ("Replications", f"{num(document.get('replications'), 0)} per tonnage"),
        ("Tonnages tried", num(len(_list(document.get("points"))), 0)),
    ]
    figs, skipped = figures(folder, {})
    title = question.name or f"Capacity of {_str(document.get('shipment'))}"
    return Report(
        kind="capacity", title=title, folder=str(folder.absolute()),
        facts=_with_manifest_facts(facts, folder), questions=[question] if question.file else [],
        headline=[_capacity_cards(document)], warnings=warnings,
        sections=[Section("Details", "details", [_capacity_table(document)])], figures=figs,
        files=files_table(folder), provenance=manifest_blocks(folder / "manifest.json", folder),
        skipped_images=skipped,
    )
