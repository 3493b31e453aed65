"""``cli-import``: what starting the ``corridorsim`` command costs.

- ``python -X importtime -c "import corridorsim.cli"`` in a fresh process: the cumulative import
  time of ``corridorsim.cli``, against ``import click`` (which the CLI cannot avoid) in another
  fresh process; and whether heavy modules came in with it. numpy, shapely, matplotlib and simpy
  must not (DESIGN.md: ``--help`` and ``network validate`` answer at once); networkx and
  pydantic are shown for information.
- Wall time of ``corridorsim --help`` and ``corridorsim network validate <shipped network>`` as
  subprocesses, against a bare ``python -c pass`` (interpreter start-up and exit).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .inputs import REPO, relative, shipped
from .timing import Result, Settings, ms, paired_ratio

GROUP = "cli-import"
MUST_NOT_IMPORT = ("numpy", "shapely", "matplotlib", "simpy")
ALSO_SHOWN = ("networkx", "pydantic")


def run(settings: Settings) -> list[Result]:
    return [*_import_time(settings), *_wall_times(settings)]


# --- import time ----------------------------------------------------------------------------


def _import_profile(module: str) -> tuple[float, set[str]]:
    """Cumulative import time of ``module`` in a fresh interpreter (s), and every module seen."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    if proc.returncode != 0:
        last = proc.stderr.strip().splitlines()[-1:] or ["(no output)"]
        raise RuntimeError(f"import {module} failed (exit {proc.returncode}): {last[0]}")
    cumulative_us = None
    modules = set()
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        _self_us, cumulative, name = line[len("import time:") :].split("|")
        name = name.strip()
        if not cumulative.strip().isdigit():
            continue  # the header line
        modules.add(name)
        if name == module:
            cumulative_us = int(cumulative)
    if cumulative_us is None:
        raise RuntimeError(f"-X importtime did not report {module} (imported at start-up?)")
    return cumulative_us / 1e6, modules


def _import_time(settings: Settings) -> list[Result]:
    modules_timed = ("click", "corridorsim.cli", "corridorsim.network.io")
    seconds: dict[str, list[float]] = {m: [] for m in modules_timed}
    seen: list[set[str]] = []
    for module in modules_timed:  # warm-up: .pyc files written, disk cache filled
        _import_profile(module)
    for rep in range(settings.repetitions):
        for module in modules_timed if rep % 2 == 0 else reversed(modules_timed):
            took, modules = _import_profile(module)
            seconds[module].append(took)
            if module == "corridorsim.cli":
                seen.append(modules)
    benchmark = "import time (fresh process)"
    results = [
        Result(
            GROUP,
            benchmark,
            "import click (reference)",
            ms(seconds["click"]),
            "ms",
            is_reference=True,
        ),
        Result(
            GROUP,
            benchmark,
            "import corridorsim.cli (cumulative)",
            ms(seconds["corridorsim.cli"]),
            "ms",
            ratio=paired_ratio(seconds["corridorsim.cli"], seconds["click"]),
        ),
        Result(
            GROUP,
            benchmark,
            "import corridorsim.network.io (what validate imports)",
            ms(seconds["corridorsim.network.io"]),
            "ms",
            ratio=paired_ratio(seconds["corridorsim.network.io"], seconds["click"]),
        ),
    ]
    for package in (*MUST_NOT_IMPORT, *ALSO_SHOWN):
        hits = sum(1 for modules in seen if _has(modules, package))
        imported = hits > 0
        must_not = package in MUST_NOT_IMPORT
        text = "no" if not imported else ("YES (must not)" if must_not else "yes")
        if imported and must_not:
            settings.note(
                f"{GROUP}: import corridorsim.cli imports {package} "
                f"(in {hits} of {len(seen)} runs); it must not"
            )
        # Samples: 1.0 for each run that imported it, 0.0 for each that did not.
        samples = [float(_has(modules, package)) for modules in seen]
        results.append(
            Result(
                GROUP, benchmark, f"{package} imported by corridorsim.cli?", samples, "", text=text
            )
        )
    return results


def _has(modules: set[str], package: str) -> bool:
    return any(m == package or m.startswith(package + ".") for m in modules)


# --- wall time ------------------------------------------------------------------------------


def _corridorsim_command() -> list[str]:
    script = Path(sys.executable).with_name("corridorsim")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from corridorsim.cli import main; sys.exit(main())"]


def _wall(argv: Sequence[str]) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, cwd=REPO, check=False)
    return time.perf_counter() - start, proc.returncode


def _wall_times(settings: Settings) -> list[Result]:
    source = shipped()
    if source.note:
        settings.note(source.note)
    cli = _corridorsim_command()
    commands = {
        "python -c pass (reference)": [sys.executable, "-c", "pass"],
        "corridorsim --help": [*cli, "--help"],
        f"corridorsim network validate {relative(source.path)}": [
            *cli,
            "network",
            "validate",
            str(source.path),
        ],
    }
    names = list(commands)
    for name in names:  # warm-up
        _wall(commands[name])
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(settings.repetitions):
        for name in names if rep % 2 == 0 else reversed(names):
            took, code = _wall(commands[name])
            seconds[name].append(took)
            if code != 0:
                settings.note(f"{GROUP}: `{name}` exited with {code}")
    reference, *measured = names
    benchmark = "cli wall time (subprocess)"
    return [
        Result(GROUP, benchmark, reference, ms(seconds[reference]), "ms", is_reference=True),
        *(
            Result(
                GROUP,
                benchmark,
                name,
                ms(seconds[name]),
                "ms",
                ratio=paired_ratio(seconds[name], seconds[reference]),
            )
            for name in measured
        ),
    ]
