"""The CLI answers at once and stays thin.

``--help`` and ``network validate`` never import the heavy modules; each check runs in a fresh
interpreter, so nothing imported by other tests can hide an import. The command line reaches
the model only through ``corridorsim.api``, and the library's messages never name a flag.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("numpy", "shapely", "matplotlib", "simpy", "networkx", "scipy")

#: Runs ``corridorsim ARGS`` in-process, then prints which heavy top-level modules got imported.
PROBE = """
import json, sys
args, watched = json.loads(sys.argv[1]), set(json.loads(sys.argv[2]))
from corridorsim.cli import main
sys.argv = ["corridorsim", *args]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
heavy = sorted({name.split(".")[0] for name in sys.modules} & watched)
print(json.dumps({"exit": code, "heavy": heavy}), file=sys.stderr)
"""


def _probe(*args: str) -> dict[str, object]:
    run = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(HEAVY)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert "Traceback" not in run.stderr, run.stderr
    result: dict[str, object] = json.loads(run.stderr.strip().splitlines()[-1])
    return result


def test_importing_the_cli_imports_nothing_heavy() -> None:
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import corridorsim.cli"],
        capture_output=True, text=True, timeout=60, check=True,
    )
    # -X importtime writes "import time: self | cumulative | module" lines to stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines()
                if line.startswith("import time:")}
    assert "corridorsim.cli" in imported
    assert not {name.split(".")[0] for name in imported} & set(HEAVY)


def test_help_imports_nothing_heavy() -> None:
    assert _probe("--help") == {"exit": 0, "heavy": []}


def test_network_validate_imports_nothing_heavy(tiny_path: Path) -> None:
    assert _probe("network", "validate", str(tiny_path)) == {"exit": 0, "heavy": []}


def test_the_console_script_answers_help() -> None:
    script = Path(sys.executable).parent / "corridorsim"
    if not script.exists():
        pytest.skip("no corridorsim console script beside this interpreter")
    run = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60,
                         check=False)
    assert run.returncode == 0
    assert "network" in run.stdout and "routes" in run.stdout


SRC = Path(__file__).resolve().parents[1] / "src" / "corridorsim"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_cli_reaches_the_model_only_through_the_api() -> None:
    """DESIGN section 1: the command line parses, calls the library, renders."""
    ours = {m for m in _imported_modules(SRC / "cli.py") if m.startswith("corridorsim")}
    allowed = re.compile(r"^corridorsim(\.api|\.errors|\.report(\..+)?)?$")
    assert ours and not {m for m in ours if not allowed.match(m)}


def test_report_never_imports_the_engine() -> None:
    for path in (SRC / "report").glob("*.py"):
        assert not {m for m in _imported_modules(path) if m.startswith("corridorsim.sim")}, path


#: The packages in the order data flows (docs/architecture.md): each imports only those left of it.
FLOW = ("network", "routing", "scenario", "sim", "experiment", "report")


@pytest.mark.parametrize("package", FLOW)
def test_a_package_imports_only_the_packages_to_its_left(package: str) -> None:
    later = FLOW[FLOW.index(package) + 1 :]
    for path in (SRC / package).rglob("*.py"):
        wrong = {
            m for m in _imported_modules(path)
            if any(m == f"corridorsim.{p}" or m.startswith(f"corridorsim.{p}.") for p in later)
        }
        assert not wrong, (path, wrong)


#: A command-line flag inside a message: ``--by``, ``-k``, ``-o``.
FLAG = re.compile(r"(^|[\s'\"(])--?[a-z][a-z-]*\b")


def _messages_raised(path: Path) -> list[str]:
    """The literal text of every exception raised in ``path``."""
    texts = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Raise) and node.exc is not None:
            for part in ast.walk(node.exc):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    texts.append(part.value)
    return texts


def test_no_library_message_names_a_flag() -> None:
    """The library names its own parameters; only the CLI speaks of flags."""
    offending = {
        str(path.relative_to(SRC)): [t for t in _messages_raised(path) if FLAG.search(t)]
        for path in SRC.rglob("*.py")
        if path.name != "cli.py"
    }
    assert {k: v for k, v in offending.items() if v} == {}
