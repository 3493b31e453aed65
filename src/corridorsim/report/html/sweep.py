"""The page of a sweep's folder (``corridorsim sweep -o``): study.json, the sensitivity
indices and the design points.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corridorsim.errors import InputError
from corridorsim.report.html.format import (
    _DASH,
    _cell,
    _cut,
    _dict,
    _float,
    _kcell,
    _kpi_unit,
    _list,
    _ncell,
    _short_parameter,
    _str,
    num,
    plain,
    whole,
)
from corridorsim.report.html.inputs import (
    _optional_json,
    _read_csv,
    _scan_csv,
    find_input,
    read_json,
    read_question,
)
from corridorsim.report.html.model import (
    Block,
    Card,
    Cards,
    Column,
    Facts,
    Report,
    Section,
    Table,
    Text,
)
from corridorsim.report.html.provenance import files_table
from corridorsim.report.html.render import figures

#: Top parameters per KPI shown on a sweep's cards.
TOP_PARAMETERS = 3


#: The index a method's parameters are ranked by, and whether by its absolute value.
RANKING = {
    "morris": ("mu_star", False),
    "sobol": ("ST", False),
    "lhs": ("spearman_rho", True),
    "grid": ("effect_range", True),
}

#: How each index column is headed, with its unit ("KPI" is the KPI's own unit).
_INDEX_COLUMNS = {
    "mu": ("mu", "KPI"), "mu_star": ("mu*", "KPI"), "mu_star_conf": ("mu* 95% CI ±", "KPI"),
    "sigma": ("sigma", "KPI"),
    "S1": ("S1", "share of variance"), "S1_conf": ("S1 95% CI ±", ""),
    "ST": ("ST", "share of variance"), "ST_conf": ("ST 95% CI ±", ""),
    "spearman_rho": ("Spearman ρ", ""), "p_value": ("p-value", ""),
    "levels": ("levels", ""), "level_means": ("mean at each level", "KPI"),
    "effect_range": ("effect range", "KPI"),
}


def _index_value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(num(v, 3) if _float(v) is not None else _str(v) for v in value)
    if _float(value) is None:
        return _str(value) or _DASH
    return num(value, 3 if abs(_float(value) or 0) >= 0.001 or value == 0 else 5)


def _ranked(rows: list[dict[str, Any]], method: str) -> list[dict[str, Any]]:
    key, absolute = RANKING.get(method, ("", False))
    if not key:
        return rows

    def score(r: dict[str, Any]) -> float:
        value = _float(r.get(key))
        return -1.0 if value is None else (abs(value) if absolute else value)

    return sorted(rows, key=score, reverse=True)


def _grouped_indices(indices: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in indices:
        groups.setdefault((_str(row.get("shipment")), _str(row.get("kpi"))), []).append(row)
    return groups


def _sweep_card(shipment: str, kpi: str, rows: list[dict[str, Any]], method: str) -> Card:
    key = RANKING.get(method, ("", False))[0]
    head, unit = _INDEX_COLUMNS.get(key, (key, ""))
    unit = _kpi_unit(kpi) if unit == "KPI" else unit
    if any("note" in r for r in rows):
        return Card(f"{shipment} · {kpi}", "no indices", "",
                    _str(rows[0].get("note")), tone="bad")
    ranked = _ranked(rows, method)[:TOP_PARAMETERS]
    items = tuple(
        f"{_short_parameter(_str(r.get('parameter')))} — {head} {_index_value(r.get(key))}"
        for r in ranked
    )
    return Card(f"{shipment} · {kpi}", "", "",
                f"ranked by {head}" + (f", in {unit}" if unit else ""), items=items)


def _index_table(shipment: str, kpi: str, rows: list[dict[str, Any]], method: str) -> Table:
    keys = [k for k in _INDEX_COLUMNS if any(k in r for r in rows)]
    columns = [Column("#", "", True), Column("parameter")]
    for k in keys:
        label, unit = _INDEX_COLUMNS[k]
        columns.append(Column(label, _kpi_unit(kpi) if unit == "KPI" else unit, True))
    cells = []
    for i, r in enumerate(_ranked(rows, method), start=1):
        name = _str(r.get("parameter"))
        line = [_ncell(str(i)), _cell(_short_parameter(name), title=name)]
        line.extend(_ncell(_index_value(r.get(k))) for k in keys)
        if "note" in r:
            line.append(_cell(_str(r.get("note")), tone="bad"))
        cells.append(line)
    if any("note" in r for r in rows):
        columns.append(Column("note"))
    return Table(f"Indices: {shipment} · {kpi}", columns, cells)


@dataclass
class _Ranges:
    """Running minimum, maximum and mean of a column of points.csv, streamed."""

    low: float = math.inf
    high: float = -math.inf
    total: float = 0.0
    count: int = 0
    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.low = min(self.low, value)
        self.high = max(self.high, value)
        self.total += value
        self.count += 1
        if len(self.values) < 100_000:  # enough for a median; a design rarely has more
            self.values.append(value)


def _points_summary(
    folder: Path, parameters: Sequence[str], kpi_columns: Sequence[str]
) -> tuple[int, dict[str, _Ranges], list[tuple[str, str]]]:
    """Rows of points.csv, each parameter's and KPI's range over them, and failed points."""
    ranges = {c: _Ranges() for c in (*parameters, *kpi_columns)}
    failed: list[tuple[str, str]] = []

    def visit(row: dict[str, str]) -> None:
        for column, seen in ranges.items():
            value = _float(row.get(column))
            if value is not None:
                seen.add(value)
        if row.get("error"):
            failed.append((row.get("point", ""), row.get("error", "")))

    count = _scan_csv(folder / "points.csv", visit)
    return count, ranges, failed


def _study_spec(question_file: Path | None) -> dict[str, Any]:
    if question_file is None:
        return {}
    from corridorsim.scenario.yaml_source import read_yaml

    try:
        return read_yaml(question_file).data
    except InputError:
        return {}


def _spec_range(spec: Any) -> str:
    """A study file's parameter spec as a planner reads it."""
    if isinstance(spec, list):
        return "levels " + ", ".join(_str(v) for v in spec)
    d = _dict(spec)
    if "dist" in d:
        return ", ".join(f"{k} {_str(v)}" for k, v in d.items())
    if "min" in d or "max" in d:
        extra = f", {_str(d['steps'])} steps" if "steps" in d else ""
        return f"{_str(d.get('min'))} – {_str(d.get('max'))}{extra}"
    return _str(spec)


def build_sweep(folder: Path) -> Report:
    """The report of a sweep's folder (study.json, indices, points)."""
    study = read_json(folder / "study.json")
    method = _str(study.get("method"))
    indices_doc = _optional_json(folder / "indices.json")
    indices = [_dict(r) for r in _list(indices_doc.get("indices"))] or [
        dict(r) for r in _read_csv(folder / "indices.csv")
    ]
    parameters = [_str(p) for p in _list(study.get("parameters"))]
    shipments = [_str(s) for s in _list(study.get("shipments"))]
    kpis = [_str(k) for k in _list(study.get("kpis"))]
    recorded = _str(study.get("file"))
    question = read_question(_str(study.get("study")), recorded, folder)
    study_path = find_input(recorded, folder)
    spec = _study_spec(study_path)
    questions = [question]
    base = _str(spec.get("base"))
    if base and study_path is not None:
        base_path = study_path.parent / base
        base_q = read_question("", f"{base} (beside the study file)", folder,
                               label="base scenario", path=base_path)
        if base_q.name:
            questions.append(base_q)
    groups = _grouped_indices(indices)
    headline = [Cards("Which parameters move each KPI most",
                      [_sweep_card(s, k, rows, method) for (s, k), rows in groups.items()],
                      note=f"The top {TOP_PARAMETERS} by the {method} index; all in the "
                      "tables below and in indices.csv.")] if groups else []
    kpi_columns = [f"{s}.{k}" for s in shipments for k in kpis]
    count, ranges, failed = _points_summary(folder, parameters, kpi_columns)
    details = Section("Details", "details", [
        _parameters_table(parameters, ranges, _dict(spec.get("parameters"))),
        *(_index_table(s, k, rows, method) for (s, k), rows in groups.items()),
        _kpi_ranges_table(kpi_columns, ranges, count),
    ])
    if failed:
        rows = [[_ncell(p), _cell(e)] for p, e in failed]
        shown, note = _cut(rows, len(rows), "failed points", "points.csv")
        details.blocks.append(Table("Failed points", [Column("point", "", True),
                                                      Column("error")], shown, note=note))
    warnings = []
    failed_points = _float(study.get("failed_points")) or len(failed)
    if failed_points:
        warnings.append(f"{num(failed_points, 0)} design points failed: the KPIs with a failed "
                        "point have no indices (see the failed points below)")
    notes = {(_str(r.get("shipment")), _str(r.get("kpi")), _str(r.get("note")))
             for r in indices if r.get("note")}
    warnings.extend(f"{s} {k}: {n}" for s, k, n in sorted(notes))
    context = {"method": method, "sweep_charts": {
        f"sensitivity_{s}_{k.replace('.', '_')}.png": (s, k) for s in shipments for k in kpis}}
    figs, skipped = figures(folder, context)
    facts = [
        ("Method", method or _DASH),
        ("Design points", f"{num(study.get('points'), 0)} ({num(failed_points, 0)} failed)"),
        ("Replications per point", num(study.get("replications_per_point"), 0)),
        ("Seed", f"{whole(study.get('seed'))} (every point: common random numbers)"),
        ("Parameters", num(len(parameters), 0)),
        ("KPIs", ", ".join(f"{s} {k}" for s in shipments for k in kpis) or _DASH),
    ]
    provenance: list[Block] = [
        Facts([("Study file", recorded or _DASH),
               ("Fingerprint", _str(study.get("fingerprint")) or _DASH)],
              code=frozenset({"Fingerprint"})),
        Text(["A sweep keeps no manifest.json: the fingerprint of the study, its base scenario "
              "and network (the sha256 of what ran) is in study.json and results.sqlite, and "
              "resuming with changed inputs is refused."]),
    ]
    return Report(
        kind="sweep", title=question.name or "Sensitivity study",
        folder=str(folder.absolute()), facts=facts, questions=questions, headline=headline,
        warnings=warnings, sections=[details], figures=figs, files=files_table(folder),
        provenance=provenance, skipped_images=skipped,
    )


def _parameters_table(
    parameters: Sequence[str], ranges: Mapping[str, _Ranges], specs: Mapping[str, Any]
) -> Table:
    rows = []
    for p in parameters:
        seen = ranges.get(p, _Ranges())
        rows.append([
            _cell(_short_parameter(p), title=p),
            _cell(_spec_range(specs[p]) if p in specs else _DASH),
            _ncell(plain(seen.low) if seen.count else _DASH),
            _ncell(plain(seen.high) if seen.count else _DASH),
        ])
    return Table("Parameters", [Column("parameter"), Column("in the study file"),
                                Column("lowest sampled", "", True),
                                Column("highest sampled", "", True)], rows,
                 note="Sampled: over the design points in points.csv.")


def _kpi_ranges_table(columns: Sequence[str], ranges: Mapping[str, _Ranges], count: int) -> Table:
    rows = []
    for c in columns:
        seen = ranges.get(c, _Ranges())
        kpi = c.split(".", 1)[1] if "." in c else c
        digits = 3 if _kpi_unit(kpi) == "share" else 2
        rows.append([
            _kcell(c), _cell(_kpi_unit(kpi)), _ncell(f"{seen.count:,}"),
            _ncell(num(seen.low, digits) if seen.count else _DASH),
            _ncell(num(statistics.median(seen.values), digits) if seen.values else _DASH),
            _ncell(num(seen.high, digits) if seen.count else _DASH),
        ])
    return Table("KPIs over the design points", [
        Column("KPI"), Column("unit"), Column("points", "", True), Column("lowest", "", True),
        Column("median", "", True), Column("highest", "", True)], rows,
        note=f"{count:,} design points, one row each in points.csv and points.parquet "
        "(parameters, KPIs with their CIs), not copied here.")
