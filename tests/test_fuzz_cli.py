"""Fuzzing the command line with mutated files: whatever a file holds, no traceback, ever.

Hypothesis takes the example network, scenario and study, changes, removes or adds values
anywhere in them (numbers of every size and sign, nan and inf, text, booleans, nulls, lists,
mappings), writes the result and runs the command that reads it. The command either works
(exit 0; exit 1 for a runtime failure such as "no route") or refuses the input the documented
way: exit 2 with every line naming the file. It never shows a traceback and never hangs.
"""

from __future__ import annotations

import copy
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cliguard import time_limit
from corridorsim.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
NETWORK = json.loads((FIXTURES / "tiny.geojson").read_text(encoding="utf-8"))
SCENARIO = yaml.safe_load((FIXTURES / "tiny.yaml").read_text(encoding="utf-8"))
STUDY = yaml.safe_load((FIXTURES / "tiny-study.yaml").read_text(encoding="utf-8"))
#: Seconds one command may take before the case counts as a hang.
HANG_S = 20

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e-9, 1e300, -1e300, 10**20]),
    st.text(max_size=30),
    st.lists(st.integers(-5, 50), max_size=4),
    st.dictionaries(st.text(max_size=8), st.integers(-5, 50), max_size=3),
)


def _places(doc: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside ``doc``."""
    yield here
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _places(value, (*here, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from _places(value, (*here, i))


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


@st.composite
def mutated(draw: st.DrawFn, original: Any) -> Any:
    """``original`` with one to three values changed, removed or added."""
    doc = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 3))):
        places = [p for p in _places(doc) if p]
        if not places:
            break
        path = draw(st.sampled_from(places))
        parent, last = _parent(doc, path), path[-1]
        action = draw(st.sampled_from(["set", "set", "remove", "add"]))
        if action == "set":
            parent[last] = draw(values)
        elif action == "remove":
            del parent[last]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(values)
        else:
            parent.append(draw(values))
    return doc


def _invoke(args: list[str]) -> Result:
    with time_limit(HANG_S):
        return CliRunner().invoke(main, args)


def assert_clean(result: Result, *paths: Path) -> None:
    """Exit 0 or 1, or exit 2 with every message line naming one of ``paths``; never a
    traceback."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"traceback for {paths[0]}") from result.exception
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code == 2:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert lines, result.output
        assert all(line.startswith(tuple(str(p) for p in paths)) for line in lines), lines


def _fresh_folder() -> Path:
    """A new folder for one example (hypothesis runs many examples in one test call)."""
    return Path(tempfile.mkdtemp(prefix="corridorsim-fuzz-"))


SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(doc=mutated(NETWORK))
def test_a_mutated_network_is_validated_or_refused(doc: Any) -> None:
    path = _fresh_folder() / "network.geojson"
    path.write_text(json.dumps(doc, allow_nan=True), encoding="utf-8")
    assert_clean(_invoke(["network", "validate", str(path)]), path)


def _short(scenario: Any) -> Any:
    """A scenario that runs in a moment if it is valid: one replication, a short horizon."""
    if isinstance(scenario, dict):
        scenario = {**scenario, "network": str(FIXTURES / "tiny.geojson")}
    return scenario


@SETTINGS
@given(doc=mutated(SCENARIO))
def test_a_mutated_scenario_runs_or_is_refused(doc: Any) -> None:
    path = _fresh_folder() / "scenario.yaml"
    path.write_text(yaml.safe_dump(_short(doc), sort_keys=False), encoding="utf-8")
    assert_clean(_invoke(["run", str(path), "-r", "1", "--jobs", "1", "--quiet"]), path)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(doc=mutated(STUDY))
def test_a_mutated_study_sweeps_or_is_refused(doc: Any) -> None:
    base = FIXTURES / "tiny.yaml"
    if isinstance(doc, dict):
        # Small enough to run at once when the mutation leaves it valid.
        doc = {**doc, "base": str(base), "replications": 1, "samples": 2}
    folder = _fresh_folder()
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    out = folder / "out"
    result = _invoke(["sweep", str(path), "-o", str(out), "--jobs", "1", "--quiet"])
    assert_clean(result, path, base)


@pytest.mark.parametrize("text", ["", "{", "[]", "null", "42", '"a"', "\x00\x01", "{}" * 3])
def test_files_that_are_not_networks_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "network.geojson"
    path.write_text(text, encoding="utf-8")
    result = _invoke(["network", "validate", str(path)])
    assert result.exit_code == 2
    assert_clean(result, path)
