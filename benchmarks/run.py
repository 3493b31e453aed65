"""Run the corridorsim benchmarks and print one table.

From the repository root::

    python -m benchmarks [--quick] [--only GROUP] [--json FILE]
    python benchmarks/run.py ...            (the same)

This is a report, not a test: nothing here asserts a timing. The exit code is 1 only when a
benchmark group could not run at all.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.timing import Settings

#: Group name -> module with ``run(settings) -> list[Result]``.
GROUPS = {
    "load": "benchmarks.bench_load",
    "routes": "benchmarks.bench_routes",
    "cli-import": "benchmarks.bench_cli_import",
    "engine": "benchmarks.bench_engine",
    "scale": "benchmarks.bench_scale",
    "replications": "benchmarks.bench_replications",
    "sweep": "benchmarks.bench_sweep",
}
REPETITIONS = 7
QUICK_REPETITIONS = 3


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="corridorsim performance harness: medians of repeated runs, each next to "
        "a reference timed in the same loop. A report, never a pass/fail test.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_REPETITIONS} repetitions instead of {REPETITIONS} (a smoke test)",
    )
    parser.add_argument(
        "--only",
        metavar="NAME",
        choices=list(GROUPS),
        help=f"run one benchmark group: {', '.join(GROUPS)}",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument(
        "--repetitions",
        type=int,
        metavar="N",
        help="repetitions per figure (overrides the default and --quick)",
    )
    args = parser.parse_args(argv)
    if args.repetitions is not None and args.repetitions < 1:
        parser.error("--repetitions must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if __package__ in (None, ""):  # run as a script: benchmarks/run.py
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.report import environment, render, write_json
    from benchmarks.timing import Result, Settings

    repetitions = args.repetitions or (QUICK_REPETITIONS if args.quick else REPETITIONS)
    settings = Settings(repetitions=repetitions, quick=args.quick)
    load_start = _load_average()
    results: list[Result] = []
    failed = []
    took: dict[str, float] = {}
    for name in [args.only] if args.only else list(GROUPS):
        print(f"benchmarks: running {name} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            results.extend(importlib.import_module(GROUPS[name]).run(settings))
        except Exception as exc:  # a report goes on with the other groups
            traceback.print_exc()
            failed.append(name)
            settings.note(f"{name}: FAILED, not measured: {type(exc).__name__}: {exc}")
        took[name] = round(time.perf_counter() - start, 1)
        print(f"benchmarks: {name} took {took[name]:g} s", file=sys.stderr, flush=True)
    env = environment(repetitions, args.quick)
    env["load_average_start"] = load_start
    env["group_seconds"] = took
    _note_busy(settings, load_start, env.get("load_average"))
    print(render(results, settings.notes, env))
    if args.json:
        write_json(args.json, results, settings.notes, env)
        print(f"benchmarks: wrote {args.json}", file=sys.stderr)
    return 1 if failed else 0


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _note_busy(settings: Settings, *loads: list[float] | None) -> None:
    """Say so when other work competed for the CPUs: figures, and speed-ups most, suffer."""
    cpus = os.cpu_count() or 1
    # Our own benchmark keeps up to ``cpus`` busy at times; more than that is someone else.
    busiest = max((load[0] for load in loads if load), default=0.0)
    if busiest > cpus:
        settings.note(
            f"the machine was busy (1-minute load average up to {busiest:g} on {cpus} CPUs): "
            "figures are noisy, and parallel speed-ups and overheads suffer most"
        )


if __name__ == "__main__":
    raise SystemExit(main())
