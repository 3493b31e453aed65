"""The CLI answers at once: ``--help`` and ``network validate`` never import the heavy modules.

Each check runs in a fresh interpreter, so nothing imported by other tests can hide an import.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("numpy", "shapely", "matplotlib", "simpy")

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
