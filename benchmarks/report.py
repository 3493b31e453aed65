"""The report: result rows, one plain-text table with aligned columns, and the same as JSON."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

COLUMNS = ("benchmark", "what", "median", "unit", "ratio", "reps", "goal")
#: Columns whose cells are right-aligned (figures).
NUMERIC = {"median", "ratio", "reps"}
RATIO_HELP = (
    "ratio: time / time of the benchmark's reference row, median over repetitions timed "
    "in turn with it (>1: slower than the reference; for rates (/s), reference rate / rate). "
    "goal: the target a row is read against, and whether this run met it (never a failure)."
)


@dataclass
class Result:
    """One row of the report."""

    group: str
    benchmark: str
    what: str
    #: Per-repetition values, in ``unit``.
    samples: list[float]
    unit: str
    #: Cost relative to the reference row of the same benchmark (>1: slower); None if none.
    ratio: float | None = None
    is_reference: bool = False
    #: A non-numeric figure (``no``, ``YES``) shown instead of the median.
    text: str | None = None
    #: The target this row is read against (``ratio <= 2x``, ``>= 1.7x``), if it has one.
    goal: str | None = None
    #: Whether the measured figure meets ``goal`` (reported, never enforced).
    goal_met: bool | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    def to_dict(self) -> dict[str, Any]:
        row = dataclasses.asdict(self)
        row.update(median=row.pop("text") or self.median, repetitions=len(self.samples))
        return row

    def cells(self) -> dict[str, str]:
        shown = self.text or ("-" if self.median is None else figure(self.median))
        ratio = "" if self.ratio is None else f"{figure(self.ratio)}x"
        goal = self.goal or ""
        if self.goal and self.goal_met is not None:
            goal += f": {'met' if self.goal_met else 'NOT met'}"
        cells = {"benchmark": self.benchmark, "what": self.what, "median": shown, "goal": goal}
        cells.update(unit=self.unit, ratio="ref" if self.is_reference else ratio)
        return cells | {"reps": str(len(self.samples))}


class Rows:
    """The rows of one benchmark, in the order they are added."""

    def __init__(self, group: str, benchmark: str) -> None:
        self.group, self.benchmark = group, benchmark
        self.results: list[Result] = []

    def add(
        self, what: str, samples: Sequence[float], unit: str, *, ref: bool = False, **more: Any
    ) -> None:
        """One row; ``more``: ``ratio``, ``text``, ``goal`` or ``goal_met``."""
        row = Result(self.group, self.benchmark, what, list(samples), unit, is_reference=ref)
        self.results.append(dataclasses.replace(row, **more))


def figure(value: float) -> str:
    """A number with three or four significant digits, never in exponent form."""
    for floor, spec in ((1000, ",.0f"), (100, ".0f"), (10, ".1f"), (1, ".2f")):
        if abs(value) >= floor:
            return format(value, spec)
    return f"{value:.3f}"


def table(results: Sequence[Result]) -> str:
    rows = [r.cells() for r in results]
    widths = {c: max([len(c), *(len(row[c]) for row in rows)]) for c in COLUMNS}

    def line(cells: dict[str, str]) -> str:
        parts = [(str.rjust if c in NUMERIC else str.ljust)(cells[c], widths[c]) for c in COLUMNS]
        return "  ".join(parts).rstrip()

    out = [line({c: c for c in COLUMNS}), line({c: "-" * widths[c] for c in COLUMNS})]
    for i, (result, cells) in enumerate(zip(results, rows, strict=True)):
        if i and result.group != results[i - 1].group:
            out.append("")
        out.append(line(cells))
    return "\n".join(out)


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages now (None where the OS has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def environment(repetitions: int, mode: str) -> dict[str, Any]:
    env: dict[str, Any] = {"date": datetime.now(UTC).isoformat(timespec="seconds")}
    env.update(python=platform.python_version(), platform=platform.platform())
    for dist in ("corridorsim", "networkx", "pydantic"):
        try:
            env[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            env[dist] = "not installed"
    return env | {"cpus": os.cpu_count(), "repetitions": repetitions, "mode": mode}


def header(env: dict[str, Any]) -> str:
    mode = "" if env["mode"] == "full" else f" (--{env['mode']})"
    load = ""
    if env["load_average"]:
        load = f"; load average {env['load_average'][0]:g} at the end"
        if env["load_average_start"]:
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
    rows = [r.to_dict() for r in results]
    document = {"environment": env, "ratio": RATIO_HELP, "results": rows, "notes": list(notes)}
    Path(path).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
