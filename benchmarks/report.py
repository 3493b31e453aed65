"""The report: one plain-text table with aligned columns, and the same as JSON."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from .timing import Result

COLUMNS = ("benchmark", "what", "median", "unit", "ratio", "reps", "goal")
#: Columns whose cells are right-aligned (figures).
NUMERIC = {"median", "ratio", "reps"}
RATIO_HELP = (
    "ratio: time / time of the benchmark's reference row, median over repetitions timed "
    "in turn with it (>1: slower than the reference; for rates (/s), reference rate / rate). "
    "goal: the target a row is read against, and whether this run met it (never a failure)."
)


def figure(value: float) -> str:
    """A number with three or four significant digits, never in exponent form."""
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _cells(result: Result) -> dict[str, str]:
    median = result.median
    shown = "-" if median is None else figure(median)
    if result.text is not None:
        shown = result.text
    if result.is_reference:
        ratio = "ref"
    elif result.ratio is None:
        ratio = ""
    else:
        ratio = f"{figure(result.ratio)}x"
    return {
        "benchmark": result.benchmark,
        "what": result.what,
        "median": shown,
        "unit": result.unit,
        "ratio": ratio,
        "reps": str(result.repetitions),
        "goal": _goal(result),
    }


def _goal(result: Result) -> str:
    if not result.goal:
        return ""
    if result.goal_met is None:
        return result.goal
    return f"{result.goal}: {'met' if result.goal_met else 'NOT met'}"


def table(results: Sequence[Result]) -> str:
    rows = [_cells(r) for r in results]
    widths = {c: max([len(c), *(len(row[c]) for row in rows)]) for c in COLUMNS}

    def line(cells: dict[str, str]) -> str:
        parts = [
            cells[c].rjust(widths[c]) if c in NUMERIC else cells[c].ljust(widths[c])
            for c in COLUMNS
        ]
        return "  ".join(parts).rstrip()

    out = [line({c: c for c in COLUMNS}), line({c: "-" * widths[c] for c in COLUMNS})]
    previous = None
    for result, cells in zip(results, rows, strict=True):
        if previous is not None and result.group != previous:
            out.append("")
        previous = result.group
        out.append(line(cells))
    return "\n".join(out)


def environment(repetitions: int, quick: bool) -> dict[str, Any]:
    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "executable": sys.executable,
        "corridorsim": version("corridorsim"),
        "networkx": version("networkx"),
        "pydantic": version("pydantic"),
        "repetitions": repetitions,
        "quick": quick,
        "load_average": _load_average(),
    }


def _load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages now (None where the OS has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def header(env: dict[str, Any]) -> str:
    mode = " (--quick)" if env["quick"] else ""
    load = ""
    if env.get("load_average"):
        load = f"; load average {env['load_average'][0]:g} at the end"
        if env.get("load_average_start"):
            load += f" ({env['load_average_start'][0]:g} at the start)"
    return (
        f"corridorsim {env['corridorsim']} benchmarks{mode}: Python {env['python']}, "
        f"networkx {env['networkx']}, pydantic {env['pydantic']}, {env['platform']}, "
        f"{env['cpus']} CPUs; median of {env['repetitions']} repetitions{load}"
    )


def render(results: Sequence[Result], notes: Sequence[str], env: dict[str, Any]) -> str:
    parts = [header(env), "", table(results), "", RATIO_HELP]
    if notes:
        parts += ["", "notes:", *(f"- {n}" for n in notes)]
    return "\n".join(parts)


def write_json(
    path: str | Path, results: Sequence[Result], notes: Sequence[str], env: dict[str, Any]
) -> None:
    document = {
        "environment": env,
        "ratio": RATIO_HELP,
        "results": [r.to_dict() for r in results],
        "notes": list(notes),
    }
    Path(path).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
