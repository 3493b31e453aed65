"""The page of a comparison's folder (``corridorsim compare -o``): compare.json, with a run
folder per scenario.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from corridorsim.report.html.format import (
    _DASH,
    _dict,
    _float,
    _kcell,
    _list,
    _ncell,
    _str,
    interval,
    num,
    pct,
    signed,
    whole,
)
from corridorsim.report.html.inputs import _optional_json, read_json, read_question
from corridorsim.report.html.model import (
    Block,
    Card,
    Cards,
    Cell,
    Column,
    Facts,
    Report,
    Section,
    Table,
    Text,
)
from corridorsim.report.html.places import read_places
from corridorsim.report.html.provenance import (
    _command_line,
    _inputs_table,
    files_table,
    manifest_date,
)
from corridorsim.report.html.render import figures
from corridorsim.report.html.shipments import _cost_table, _routes_text, _time_table


def _significance(diff: Mapping[str, Any]) -> str:
    if diff.get("significant") is None:
        return "n/a"
    return "significant" if diff.get("significant") else "not significant"


def _diff_card(what: str, unit: str, diff: Mapping[str, Any], digits: int) -> Card:
    significant = bool(diff.get("significant"))
    return Card(
        f"Δ {what}", signed(diff.get("mean"), digits), unit,
        f"95% CI {interval(diff.get('ci95'), digits, signed)} · {_significance(diff)}",
        tone="strong" if significant else "muted",
    )


def _level_cards(s: Mapping[str, Any]) -> list[Card]:
    """One scenario's own figures for a shipment (compare.json's per_scenario entry)."""
    t = _dict(s.get("transit_days"))
    return [
        Card("Mean transit", num(t.get("mean")), "days",
             f"95% CI {interval(t.get('ci95'))} d · p90 {num(t.get('p90'))} d"),
        Card("Cost", num(s.get("usd_per_tonne")), "USD/t",
             f"CO2 {num(s.get('co2_kg_per_tonne'), 1)} kg/t"),
        Card("Within target", pct(s.get("p_within_target")), "",
             f"{num(s.get('arrived'), 0)} arrived, {num(s.get('in_transit'), 0)} in transit"),
    ]


def _compare_cards(sid: str, entry: Mapping[str, Any], labels: Sequence[str]) -> list[Cards]:
    """Per shipment: the reference scenario's figures, then each other scenario's own
    transit and its paired differences to the reference."""
    per = _dict(entry.get("per_scenario"))
    diffs = _dict(entry.get("diff_vs_first"))
    present = [lab for lab in labels if lab in per]
    if not present:
        return []
    reference = present[0]
    groups = [Cards(f"Shipment {sid} · {reference} (the reference)",
                    _level_cards(_dict(per.get(reference))))]
    for label in present[1:]:
        diff = _dict(diffs.get(label))
        own = _level_cards(_dict(per.get(label)))[0]
        cards = [own]
        if diff:
            cards += [
                _diff_card("transit", "days", diff, 2),
                _diff_card("cost", "USD/t", _dict(diff.get("usd_per_tonne")), 2),
                _diff_card("CO2", "kg/t", _dict(diff.get("co2_kg_per_tonne")), 1),
            ]
        groups.append(Cards(f"Shipment {sid} · {label} against {reference}", cards))
    groups[-1].note = ("Δ: paired difference under common random numbers, mean and 95% CI "
                       "over replications; significant where the CI excludes 0 (grey: not).")
    return groups


def _diff_text(diff: Mapping[str, Any], digits: int) -> Cell:
    if not diff:
        return _ncell("ref", tone="muted")
    star = "*" if diff.get("significant") else ""
    return _ncell(signed(diff.get("mean"), digits) + star, tone="strong" if star else "",
                  sub=f"[{interval(diff.get('ci95'), digits, signed)}]")


def _compare_table(sid: str, entry: Mapping[str, Any], labels: Sequence[str]) -> Table:
    per = _dict(entry.get("per_scenario"))
    diffs = _dict(entry.get("diff_vs_first"))
    rows = []
    for label in labels:
        if label not in per:
            continue
        s = _dict(per.get(label))
        t = _dict(s.get("transit_days"))
        diff = _dict(diffs.get(label))
        rows.append([
            _kcell(label), _ncell(num(t.get("mean"))), _ncell(interval(t.get("ci95"))),
            _ncell(num(t.get("p50"))), _ncell(num(t.get("p90"))), _ncell(num(t.get("p95"))),
            _ncell(pct(s.get("p_within_target"))), _ncell(num(s.get("usd_per_tonne"))),
            _ncell(num(s.get("co2_kg_per_tonne"), 1)),
            _ncell(f"{num(s.get('arrived'), 0)} / {num(s.get('in_transit'), 0)}"),
            _diff_text(diff, 2), _diff_text(_dict(diff.get("usd_per_tonne")), 2),
            _diff_text(_dict(diff.get("co2_kg_per_tonne")), 1),
        ])
    columns = [
        Column("scenario"), Column("mean", "days", True), Column("95% CI", "days", True),
        Column("p50", "days", True), Column("p90", "days", True), Column("p95", "days", True),
        Column("within target", "share", True), Column("cost", "USD/t", True),
        Column("CO2", "kg/t", True), Column("arrived / in transit", "consignments", True),
        Column("Δ transit", "days [95% CI]", True), Column("Δ cost", "USD/t [95% CI]", True),
        Column("Δ CO2", "kg/t [95% CI]", True),
    ]
    return Table(f"Shipment {sid}", columns, rows,
                 note="Δ: paired difference to the first scenario; * where its 95% CI "
                 "excludes 0.")


def build_compare(folder: Path) -> Report:
    """The report of a comparison's folder (compare.json and a run folder per scenario)."""
    document = read_json(folder / "compare.json")
    scenarios = [_dict(s) for s in _list(document.get("scenarios"))]
    labels = [_str(s.get("label")) for s in scenarios]
    runs = {label: _optional_json(folder / label / "summary.json") for label in labels}
    manifests = {label: _optional_json(folder / label / "manifest.json") for label in labels}
    questions = []
    for s, label in zip(scenarios, labels, strict=True):
        recorded = _str(s.get("file"))
        digest = _str(_dict(_dict(manifests[label].get("inputs")).get(recorded)).get("sha256"))
        questions.append(read_question(_str(s.get("name")), recorded, folder, label=label,
                                       sha256=digest or None))
    shipments = {str(k): _dict(v) for k, v in _dict(document.get("shipments")).items()}
    details = Section("Details", "details",
                      [_compare_table(sid, e, labels) for sid, e in shipments.items()])
    pairs = [(f"{label} · {sid}", _dict(s)) for label in labels
             for sid, s in _dict(runs[label].get("shipments")).items()]
    if pairs:
        details.blocks.append(_time_table(pairs, "scenario · shipment"))
        details.blocks.append(_cost_table(pairs, "scenario · shipment"))
    for label in labels:
        ships = {str(k): _dict(v) for k, v in _dict(runs[label].get("shipments")).items()}
        if ships:
            places = read_places(manifests[label], folder)
            details.blocks.append(_routes_text(ships, places, f"Planned routes: {label}"))
    warnings = [_str(w) for w in _list(document.get("warnings"))]
    for sid, missing in _dict(document.get("missing")).items():
        warnings.append(f"shipment {sid} is missing from: {', '.join(map(str, _list(missing)))}")
    figs, skipped = figures(folder, {})
    for label in labels:
        if (folder / label).is_dir():
            more, left = figures(folder / label, {}, prefix=f"{label}/")
            figs.extend(more)
            skipped.extend(left)
    facts = [
        ("Scenarios", f"{len(labels)}, compared to the first ({labels[0] if labels else _DASH})"),
        ("Seed", f"{whole(document.get('seed'))} (common random numbers)"),
        ("Replications", num(document.get("replications"), 0)),
    ]
    warmups = _dict(document.get("warmup_days"))
    if len({_float(v) for v in warmups.values()}) == 1:
        facts.append(("Warm-up", f"{num(next(iter(warmups.values())), 0)} days (every scenario)"))
    elif warmups:
        facts.append(("Warm-up", ", ".join(f"{k} {num(v, 0)} d" for k, v in warmups.items())))
    if labels and (folder / labels[0] / "manifest.json").is_file():
        path = folder / labels[0] / "manifest.json"
        facts.append(("Manifest written", manifest_date(path, manifests[labels[0]]) or _DASH))
    return Report(
        kind="compare",
        # The scenarios' names are long sentences, given under the question; their file
        # stems are what every table and chart of a comparison calls them.
        title=" vs ".join(labels) or "Scenario comparison",
        folder=str(folder.absolute()),
        facts=facts,
        questions=questions,
        headline=[g for sid, e in shipments.items() for g in _compare_cards(sid, e, labels)],
        warnings=warnings,
        sections=[details],
        figures=figs,
        files=files_table(folder),
        provenance=_compare_provenance(folder, labels, manifests),
        skipped_images=skipped,
    )


def _compare_provenance(
    folder: Path, labels: Sequence[str], manifests: Mapping[str, Mapping[str, Any]]
) -> list[Block]:
    present = [lab for lab in labels if manifests[lab]]
    if not present:
        return [Text(["No manifest.json in the scenarios' folders."])]
    first = manifests[present[0]]
    commands = {_command_line(manifests[lab]) for lab in present}
    facts = [
        ("corridorsim", _str(first.get("corridorsim")) or _DASH),
        ("Python", _str(first.get("python")) or _DASH),
        ("Command line", " | ".join(sorted(commands)) or _DASH),
    ]
    inputs: dict[str, dict[str, str]] = {}
    for lab in present:
        for path, entry in _dict(manifests[lab].get("inputs")).items():
            seen = inputs.setdefault(str(path), {"sha256": _str(_dict(entry).get("sha256")),
                                                 "by": ""})
            seen["by"] = f"{seen['by']}, {lab}" if seen["by"] else lab
    return [Facts(facts, code=frozenset({"Command line"})), _inputs_table(inputs, folder)]
