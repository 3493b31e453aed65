"""Where a page's figures come from: the manifest (versions, command line, seed, inputs with
their sha256 and whether they still match) and the files of the folder, with what each
holds.
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from corridorsim.report.html.format import (
    _DASH,
    _cell,
    _dict,
    _kcell,
    _list,
    _ncell,
    _size,
    _str,
    num,
    whole,
)
from corridorsim.report.html.inputs import _count_rows, _sha256, find_input, read_json
from corridorsim.report.html.model import REPORT_NAME, Block, Column, Facts, Table, Text

# --------------------------------------------------------------------------------------------
# The manifest: versions, command line, inputs with their sha256 (and whether they still match)

#: Keys a manifest may carry its date under (a manifest written before dates were recorded
#: has none: the page then gives the file's modification time, and says so).
_DATE_KEYS = ("created", "created_utc", "date", "written", "timestamp", "started")


def manifest_date(path: Path, manifest: Mapping[str, Any]) -> str:
    """When the manifest was written: its own date if it records one, else the file's time."""
    for key in _DATE_KEYS:
        if _str(manifest.get(key)):
            return _str(manifest.get(key))
    try:
        stamp = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
    except OSError:
        return ""
    return f"{stamp:%Y-%m-%d %H:%M} UTC (time of the file)"


def _command_line(manifest: Mapping[str, Any]) -> str:
    words = [_str(w) for w in _list(manifest.get("command"))]
    return shlex.join(words) if words else ""


def _inputs_table(
    inputs: Mapping[str, Mapping[str, str]], folder: Path, title: str = "Input files"
) -> Table:
    """Each input file with its sha256 and whether the file found now still has it."""
    rows = []
    for recorded, seen_by in inputs.items():
        digest = seen_by.get("sha256", "")
        path = find_input(recorded, folder)
        if path is None:
            status, tone = "not found here", "muted"
        elif _sha256(path) == digest:
            status, tone = "unchanged", "good"
        else:
            status, tone = "changed since", "bad"
        row = [_kcell(recorded), _cell(digest, tone="mono"), _cell(status, tone=tone)]
        if "by" in seen_by:
            row.insert(1, _cell(seen_by["by"]))
        rows.append(row)
    columns = [Column("file (as recorded)"), Column("sha256"), Column("file now")]
    if any("by" in v for v in inputs.values()):
        columns.insert(1, Column("read by"))
    return Table(title, columns, rows,
                 note="“file now”: the file found today, relative to the folder or the "
                 "current directory, compared by its sha256.")


def manifest_blocks(path: Path, folder: Path) -> list[Block]:
    """The provenance of a folder with a manifest.json; a sentence if it has none."""
    if not path.is_file():
        return [Text([f"No manifest.json in {path.parent}."])]
    manifest = read_json(path)
    facts = [
        ("corridorsim", _str(manifest.get("corridorsim")) or _DASH),
        ("Python", _str(manifest.get("python")) or _DASH),
        ("Seed", whole(manifest.get("seed"))),
        ("Replications", num(manifest.get("replications"), 0)),
        ("Written", manifest_date(path, manifest) or _DASH),
        ("Command line", _command_line(manifest) or _DASH),
    ]
    inputs = {
        str(k): {"sha256": _str(_dict(v).get("sha256"))}
        for k, v in _dict(manifest.get("inputs")).items()
    }
    return [Facts(facts, code=frozenset({"Command line"})), _inputs_table(inputs, folder)]


def _with_manifest_facts(facts: list[tuple[str, str]], folder: Path) -> list[tuple[str, str]]:
    path = folder / "manifest.json"
    if path.is_file():
        facts.append(("Manifest written", manifest_date(path, read_json(path)) or _DASH))
    return facts


# --------------------------------------------------------------------------------------------
# The files of the folder, with what each holds

FILE_ROLES: dict[str, str] = {
    "summary.json": "KPIs per shipment, warnings (the figures above)",
    "shipments.csv": "one row per consignment per replication",
    "legs.csv": "one row per leg (link, facility, formation, fleet) of every consignment",
    "facilities.csv": "utilisation, queue and wait of every facility",
    "manifest.json": "versions, command line, seed, sha256 of every input",
    "compare.json": "each scenario's KPIs and the paired differences to the first",
    "results.sqlite": "the results store, kept to resume",
    "points.csv": "one row per design point: parameters and KPIs",
    "points.parquet": "points.csv as Parquet",
    "indices.csv": "sensitivity indices per shipment, KPI and parameter",
    "indices.json": "indices.csv as JSON",
    "study.json": "what the study ran: method, points, seed, parameters, KPIs",
    "assignment.json": "the split of every flow over its routes, iterations, bottlenecks",
    "flows.csv": "tonnes, trains, utilisation and wait on every link and facility used",
    "capacity.json": "the capacity, the binding element and every tonnage tried",
    "results.xlsx": "the tables as an Excel workbook",
}


def files_table(folder: Path) -> Table:
    """The folder's files (and subfolders) with their size, rows and what each holds."""
    rows = []
    for entry in sorted(folder.iterdir(), key=lambda p: (p.is_dir(), p.name)):
        if entry.name.startswith(".") or entry.name == REPORT_NAME:
            continue  # hidden temporary files of an interrupted write; this page itself
        if entry.is_dir():
            inner = sum(1 for p in entry.iterdir() if not p.name.startswith("."))
            rows.append([_kcell(f"{entry.name}/"), _ncell(_DASH), _ncell(_DASH),
                         _cell(f"a run folder ({inner} files)")])
            continue
        role = FILE_ROLES.get(entry.name, "chart, shown above" if entry.suffix == ".png" else "")
        count = _count_rows(entry) if entry.suffix == ".csv" else None
        try:
            size = _size(entry.stat().st_size)
        except OSError:
            size = _DASH
        rows.append([_kcell(entry.name), _ncell(size),
                     _ncell(_DASH if count is None else f"{count:,}"), _cell(role)])
    return Table("Files in this folder", [Column("file"), Column("size", numeric=True),
                                          Column("rows", numeric=True), Column("holds")], rows,
                 note=f"Folder: {folder.absolute()}")
