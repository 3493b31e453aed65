"""Run the corridorsim benchmarks and print one table: ``python -m benchmarks [--quick | --smoke]
[--only GROUP] [--json FILE]`` (or ``python benchmarks/run.py ...``). A report, never a test:
the exit code is 1 only when a group could not run at all."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback
from pathlib import Path

#: The groups, in order: each a module ``benchmarks.bench_<group>`` with ``run(settings)``.
GROUPS = (
    "load",
    "routes",
    "cli-import",
    "engine",
    "tandem",
    "scale",
    "replications",
    "sweep",
    "assign",
)
REPETITIONS = {"full": 7, "quick": 3, "smoke": 1}


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="corridorsim performance harness: medians of repeated runs, each next to "
        "a reference timed in the same loop. A report, never a pass/fail test.",
    )
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--quick", action="store_true", help="3 repetitions, smaller inputs")
    modes.add_argument(
        "--smoke", action="store_true", help="every group once on the smallest inputs (seconds)"
    )
    parser.add_argument("--only", metavar="NAME", choices=list(GROUPS), help=", ".join(GROUPS))
    parser.add_argument("--json", metavar="FILE", help="also write every sample as JSON")
    parser.add_argument("--repetitions", type=int, metavar="N", help="repetitions per figure")
    args = parser.parse_args(argv)
    if args.repetitions is not None and args.repetitions < 1:
        parser.error("--repetitions must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if __package__ in (None, ""):  # run as a script: benchmarks/run.py
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.report import environment, load_average, render, write_json
    from benchmarks.timing import Settings

    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    settings = Settings(args.repetitions or REPETITIONS[mode], mode)
    load_start, results, took, failed = load_average(), [], {}, False
    for name in [args.only] if args.only else GROUPS:
        print(f"benchmarks: running {name} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            group = importlib.import_module(f"benchmarks.bench_{name.replace('-', '_')}")
            results += group.run(settings)
        except Exception as exc:  # a report goes on with the other groups
            traceback.print_exc()
            failed = True
            settings.note(f"{name}: FAILED, not measured: {type(exc).__name__}: {exc}")
        took[name] = round(time.perf_counter() - start, 1)
        print(f"benchmarks: {name} took {took[name]:g} s", file=sys.stderr, flush=True)
    env = environment(settings.repetitions, mode)
    env.update(load_average_start=load_start, load_average=load_average(), group_seconds=took)
    # Our own benchmarks keep up to ``cpus`` busy at times; more than that is someone else.
    loads = [load[0] for load in (load_start, env["load_average"]) if load]
    cpus, busiest = os.cpu_count() or 1, max(loads, default=0.0)
    if busiest > cpus:
        settings.note(
            f"the machine was busy (1-minute load average up to {busiest:g} on {cpus} CPUs): "
            "figures are noisy, and parallel speed-ups and overheads suffer most"
        )
    print(render(results, settings.notes, env))
    if args.json:
        write_json(args.json, results, settings.notes, env)
        print(f"benchmarks: wrote {args.json}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
