"""``cli-import``: what starting ``corridorsim`` costs. Import times in fresh processes against
``import click``, which heavy modules the CLI imports, and the wall time of ``--help`` and
``network validate`` against a bare ``python -c pass``."""

from __future__ import annotations

import re
import subprocess
import sys
from functools import partial
from pathlib import Path

from .inputs import REPO, relative, shipped_network
from .report import Result, Rows
from .subjects import CLI_MODULE, VALIDATE_MODULE
from .timing import Settings, alternating, ms, paired_ratio

GROUP = "cli-import"
#: ``--help`` and ``network validate`` must answer at once: the CLI must not import these.
MUST_NOT_IMPORT = ("numpy", "shapely", "matplotlib", "simpy")
ALSO_SHOWN = ("networkx", "pydantic")
IMPORT_TIME = re.compile(r"^import time: +\d+ \| +(\d+) \| +(\S+)$", re.MULTILINE)


def run(settings: Settings) -> list[Result]:
    return [*_import_time(settings), *_wall_times(settings)]


def import_profile(module: str) -> tuple[float, set[str]]:
    """Cumulative import time of ``module`` in a fresh interpreter (s), and every module seen."""
    argv = [sys.executable, "-X", "importtime", "-c", f"import {module}"]
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, check=False)
    if proc.returncode != 0:
        last = proc.stderr.strip().splitlines()[-1:] or ["(no output)"]
        raise RuntimeError(f"import {module} failed (exit {proc.returncode}): {last[0]}")
    lines = IMPORT_TIME.findall(proc.stderr)  # import time: self [us] | cumulative | name
    cumulative = {name: int(us) for us, name in lines}
    if module not in cumulative:
        raise RuntimeError(f"-X importtime did not report {module} (imported at start-up?)")
    return cumulative[module] / 1e6, set(cumulative)


def _import_time(settings: Settings) -> list[Result]:
    modules = ("click", CLI_MODULE, VALIDATE_MODULE)
    seconds: dict[str, list[float]] = {m: [] for m in modules}
    seen: list[set[str]] = []
    for module in () if settings.smoke else modules:  # warm-up: .pyc files, disk cache
        import_profile(module)
    for _rep, module in alternating(modules, settings.repetitions):
        took, imported = import_profile(module)
        seconds[module].append(took)
        if module == CLI_MODULE:
            seen.append(imported)
    rows = Rows(GROUP, "import time (fresh process)")
    rows.add("import click (reference)", ms(seconds["click"]), "ms", ref=True)
    for module, what in ((CLI_MODULE, "cumulative"), (VALIDATE_MODULE, "what validate imports")):
        ratio = paired_ratio(seconds[module], seconds["click"])
        rows.add(f"import {module} ({what})", ms(seconds[module]), "ms", ratio=ratio)
    for package in (*MUST_NOT_IMPORT, *ALSO_SHOWN):
        # Samples: 1.0 for each run that imported it, 0.0 for each that did not.
        samples = [float(any(m.split(".")[0] == package for m in s)) for s in seen]
        must_not = package in MUST_NOT_IMPORT
        text = "YES (must not)" if must_not else "yes"
        if any(samples) and must_not:
            settings.note(
                f"{GROUP}: import {CLI_MODULE} imports {package} "
                f"(in {int(sum(samples))} of {len(seen)} runs); it must not"
            )
        what = f"{package} imported by {CLI_MODULE}?"
        rows.add(what, samples, "", text=text if any(samples) else "no")
    return rows.results


def _wall_times(settings: Settings) -> list[Result]:
    source = shipped_network()
    if source.note:
        settings.note(source.note)
    script = Path(sys.executable).with_name("corridorsim")  # the console script
    main = f"import sys; from {CLI_MODULE} import main; sys.exit(main())"
    cli = [str(script)] if script.exists() else [sys.executable, "-c", main]
    validate = [*cli, "network", "validate", str(source.path)]
    commands = {
        "python -c pass (reference)": [sys.executable, "-c", "pass"],
        "corridorsim --help": [*cli, "--help"],
        f"corridorsim network validate {relative(source.path)}": validate,
    }

    def call(name: str) -> None:
        code = subprocess.run(commands[name], capture_output=True, cwd=REPO).returncode
        if code != 0:
            settings.note(f"{GROUP}: `{name}` exited with {code}")

    seconds = settings.timed({name: partial(call, name) for name in commands}, min_seconds=0.0)
    reference = next(iter(commands))
    rows = Rows(GROUP, "cli wall time (subprocess)")
    for name, times in seconds.items():
        ratio = None if name == reference else paired_ratio(times, seconds[reference])
        rows.add(name, ms(times), "ms", ref=name == reference, ratio=ratio)
    return rows.results
