"""Golden outputs: every shipped scenario at ``-r 4 --seed 1`` writes exactly these files.

The files in ``tests/golden/`` were written by ``corridorsim run`` (and ``compare``) before the
results layer was restructured; any change to a number, a key or the formatting fails here.
To accept a deliberate change of the outputs, rewrite them with ``python tests/test_golden.py``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from corridorsim.cli import main

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
SCENARIOS = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
COMPARED = ("kz-wheat-ayrum-2025", "kz-wheat-ayrum-ferry", "kz-wheat-tripp-open")
CSV_FILES = ("shipments.csv", "legs.csv", "facilities.csv")


def _run(args: list[str]) -> None:
    result = CliRunner().invoke(main, [*args, "-r", "4", "--seed", "1", "--jobs", "1", "--quiet"])
    assert result.exit_code == 0, result.output


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    # Summaries name the scenario file as given: run from the repository root, as users do.
    monkeypatch.chdir(ROOT)
    return ROOT


@pytest.mark.parametrize("stem", SCENARIOS)
def test_run_outputs_are_byte_identical(stem: str, at_root: Path, tmp_path: Path) -> None:
    out = tmp_path / stem
    _run(["run", f"scenarios/{stem}.yaml", "-o", str(out)])
    golden = (GOLDEN / f"{stem}.summary.json").read_text(encoding="utf-8")
    assert (out / "summary.json").read_text(encoding="utf-8") == golden
    digests = json.loads((GOLDEN / "csv_sha256.json").read_text(encoding="utf-8"))[stem]
    assert {name: _sha256(out / name) for name in CSV_FILES} == digests


def test_compare_output_is_byte_identical(at_root: Path, tmp_path: Path) -> None:
    _run(["compare", *(f"scenarios/{s}.yaml" for s in COMPARED), "-o", str(tmp_path)])
    golden = (GOLDEN / "compare-kz-wheat.compare.json").read_text(encoding="utf-8")
    assert (tmp_path / "compare.json").read_text(encoding="utf-8") == golden


def _rewrite() -> None:  # pragma: no cover - run by hand to accept a deliberate change
    import os
    import tempfile

    os.chdir(ROOT)
    digests = {}
    with tempfile.TemporaryDirectory() as tmp:
        for stem in SCENARIOS:
            out = Path(tmp) / stem
            _run(["run", f"scenarios/{stem}.yaml", "-o", str(out)])
            (GOLDEN / f"{stem}.summary.json").write_bytes((out / "summary.json").read_bytes())
            digests[stem] = {name: _sha256(out / name) for name in CSV_FILES}
        _run(["compare", *(f"scenarios/{s}.yaml" for s in COMPARED), "-o", f"{tmp}/compare"])
        (GOLDEN / "compare-kz-wheat.compare.json").write_bytes(
            (Path(tmp) / "compare" / "compare.json").read_bytes()
        )
    (GOLDEN / "csv_sha256.json").write_text(json.dumps(digests, indent=2) + "\n")


if __name__ == "__main__":  # pragma: no cover
    _rewrite()
    sys.exit(0)
