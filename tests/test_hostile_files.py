"""Hostile input files: each gives exit code 2 and one line naming the file, quickly and in
little memory, through the command line as a user would meet it.

The big inputs are made at test time; an alarm turns a hang into a failure instead of a
blocked test run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from corridorsim._files import MAX_FILE_BYTES, read_user_text
from corridorsim._schema import SHOWN_CHARS, short_repr
from corridorsim.cli import main
from corridorsim.errors import InputError
from corridorsim.network.io import MAX_INT_DIGITS, MAX_JSON_DEPTH
from corridorsim.scenario.yaml_source import (
    MAX_YAML_BYTES,
    MAX_YAML_DEPTH,
    MAX_YAML_VALUES,
    read_yaml,
)

FIXTURES = Path(__file__).parent / "fixtures"
SECONDS = 10
MEGABYTES = 200

#: 700 bytes that PyYAML shares but a naive walk expands to 10**9 values.
LAUGHS = "\n".join(
    ['lol0: &lol0 "lol"']
    + [f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 10)}]" for i in range(1, 10)]
)


class _Hung(BaseException):
    """Raised by the alarm: a BaseException, so that the CLI runner does not swallow it."""


def _on_alarm(signum: int, frame: object) -> None:
    raise _Hung(f"no answer within {SECONDS} s")


@pytest.fixture
def bounded() -> Iterator[Callable[..., Result]]:
    """Run the CLI under an alarm and tracemalloc; assert the time and memory it took."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)

    def invoke(*args: str | Path) -> Result:
        tracemalloc.start()
        started = time.monotonic()
        signal.alarm(SECONDS)
        try:
            result = CliRunner().invoke(main, [str(a) for a in args])
        finally:
            signal.alarm(0)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        assert time.monotonic() - started < SECONDS
        assert peak < MEGABYTES * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"
        return result

    yield invoke
    signal.signal(signal.SIGALRM, previous)


def _one_line_naming(result: Result, path: Path | str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}:")
    assert len(lines[0]) < len(str(path)) + 5 * SHOWN_CHARS
    return lines[0]


def _network(edit: Callable[[dict], object] | None = None) -> dict:
    doc: dict = json.loads((FIXTURES / "tiny.geojson").read_text(encoding="utf-8"))
    if edit is not None:
        edit(doc)
    return doc


def _scenario_text(extra: str = "") -> str:
    return (FIXTURES / "tiny.yaml").read_text(encoding="utf-8") + extra


# --- network files ---------------------------------------------------------------------


def _deep_json(tmp: Path) -> Path:
    path = tmp / "deep.geojson"
    path.write_text('{"type": "FeatureCollection", "features": ' + "[" * 100_000 + "]" * 100_000
                    + "}", encoding="utf-8")
    return path


def _long_integer(tmp: Path) -> Path:
    path = tmp / "long-int.geojson"
    text = json.dumps(_network())
    text = text.replace('"length_km": 610', '"length_km": ' + "9" * 5000, 1)
    assert "9" * 5000 in text
    path.write_text(text, encoding="utf-8")
    return path


def _duplicate_json_key(tmp: Path) -> Path:
    path = tmp / "duplicate.geojson"
    text = json.dumps(_network(), indent=1)
    text = text.replace('"name": "Origin Yard",', '"name": "Origin Yard",\n"name": "Other",', 1)
    path.write_text(text, encoding="utf-8")
    return path


def _long_value(tmp: Path) -> Path:
    path = tmp / "long-value.geojson"

    def edit(doc: dict) -> None:
        doc["features"][0]["type"] = "x" * 2500 + "\n" + "y" * 2500

    path.write_text(json.dumps(_network(edit)), encoding="utf-8")
    return path


def _fifo(tmp: Path) -> Path:
    path = tmp / "pipe.geojson"
    os.mkfifo(path)
    return path


NETWORK_CASES = {
    "1-deep-json": (_deep_json, f"nested more than {MAX_JSON_DEPTH} levels"),
    "2-long-integer": (_long_integer, f"more than {MAX_INT_DIGITS} digits"),
    "3-fifo": (_fifo, "not a regular file"),
    "5-duplicate-json-key": (_duplicate_json_key, "line 23: key 'name' appears twice"),
    "7-long-value": (_long_value, "type must be 'Feature' (got 'xxx"),
}


@pytest.mark.parametrize("case", NETWORK_CASES)
def test_hostile_network_file(tmp_path: Path, bounded: Callable[..., Result], case: str) -> None:
    make, words = NETWORK_CASES[case]
    path = make(tmp_path)
    line = _one_line_naming(bounded("network", "validate", path), path)
    assert words in line


def test_brackets_inside_strings_do_not_count_as_nesting(tmp_path: Path) -> None:
    def edit(doc: dict) -> None:
        doc["corridorsim"]["description"] = "[{" * 1000 + '\\"' + "}]" * 10

    path = tmp_path / "brackets.geojson"
    path.write_text(json.dumps(_network(edit)), encoding="utf-8")
    result = CliRunner().invoke(main, ["network", "validate", str(path)])
    assert result.exit_code == 0, result.output


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_device_that_never_ends(bounded: Callable[..., Result]) -> None:
    line = _one_line_naming(bounded("network", "validate", "/dev/zero"), "/dev/zero")
    assert "a character device, not a regular file" in line


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.geojson"
    with path.open("wb") as handle:  # sparse: takes no disk space
        handle.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(InputError, match=r"huge\.geojson: cannot read: larger than 256 MiB"):
        read_user_text(path)
    scenario = tmp_path / "huge.yaml"
    scenario.write_text("name: x\n" + "# padding\n" * (MAX_YAML_BYTES // 10), encoding="utf-8")
    with pytest.raises(InputError, match=r"huge\.yaml: cannot read: larger than 1 MiB"):
        read_yaml(scenario)
    small = tmp_path / "small.txt"
    small.write_bytes(b"a\r\nb\rc\n")
    assert read_user_text(small) == "a\nb\nc\n"  # line ends as open() reads them


# --- scenario and study files ----------------------------------------------------------


def _deep_yaml(tmp: Path) -> Path:
    path = tmp / "deep.yaml"
    path.write_text(_scenario_text("extra: " + "[" * 10_000 + "]" * 10_000 + "\n"),
                    encoding="utf-8")
    return path


def _laughs(tmp: Path) -> Path:
    path = tmp / "laughs.yaml"
    path.write_text(LAUGHS + "\n", encoding="utf-8")
    assert path.stat().st_size < 800
    return path


def _duplicate_yaml_key(tmp: Path) -> Path:
    path = tmp / "duplicate.yaml"
    path.write_text(_scenario_text("seed: 43\n"), encoding="utf-8")
    return path


def _yaml12_number(tmp: Path) -> Path:
    path = tmp / "number.yaml"
    text = _scenario_text().replace("horizon_days: 90", "horizon_days: -1.0e2")
    path.write_text(text, encoding="utf-8")
    return path


def _long_yaml_value(tmp: Path) -> Path:
    path = tmp / "long-value.yaml"
    text = _scenario_text().replace("start: 2025-11-01", "start: !!timestamp " + "9" * 5000)
    path.write_text(text, encoding="utf-8")
    return path


YAML_CASES = {
    "1-deep-yaml": (_deep_yaml, f"nested more than {MAX_YAML_DEPTH} levels"),
    "4-alias-bomb": (_laughs, f"more than {MAX_YAML_VALUES:,} values"),
    "5-duplicate-yaml-key": (_duplicate_yaml_key, "key 'seed' given twice (first on line 7"),
    "6-yaml-1.2-number": (_yaml12_number, "(got -100.0)"),
    "7-long-yaml-value": (_long_yaml_value, "9999... (it does not fit its tag)"),
}


@pytest.mark.parametrize("case", YAML_CASES)
def test_hostile_scenario_file(tmp_path: Path, bounded: Callable[..., Result], case: str) -> None:
    make, words = YAML_CASES[case]
    shutil.copy(FIXTURES / "tiny.geojson", tmp_path)
    path = make(tmp_path)
    line = _one_line_naming(bounded("run", path), path)
    assert words in line


def test_hostile_study_file(tmp_path: Path, bounded: Callable[..., Result]) -> None:
    for name in ("tiny.geojson", "tiny.yaml"):
        shutil.copy(FIXTURES / name, tmp_path)
    study = (FIXTURES / "tiny-study.yaml").read_text(encoding="utf-8")
    path = tmp_path / "study.yaml"
    path.write_text(study + LAUGHS.replace("lol", "x_lol") + "\n", encoding="utf-8")
    result = bounded("sweep", path, "-o", tmp_path / "out")
    assert f"more than {MAX_YAML_VALUES:,} values" in _one_line_naming(result, path)
    assert not (tmp_path / "out").exists()


def test_yaml_numbers_are_read_as_yaml_1_2_reads_them(tmp_path: Path) -> None:
    """YAML 1.2's core schema, as every modern reader has it (PyYAML alone reads 1.1)."""
    path = tmp_path / "numbers.yaml"
    path.write_text(
        "a: 1e3\nb: 1.0e2\nc: -2.5E-3\nd: .5e1\ne: 1_000\nf: 0.5\ng: 12\n"
        "h: yes\ni: off\nj: '1e3'\nk: 1e\nl: 2025-11-01\nm: 010\nn: 1:30\no: 0x1F\n"
        "p: 0o17\nq: true\nr: ~\ns: -.inf\n",
        encoding="utf-8",
    )
    data = read_yaml(path).data
    assert data["a"] == 1000.0 and type(data["a"]) is float
    assert (data["b"], data["c"], data["d"]) == (100.0, -0.0025, 5.0)
    assert (data["f"], data["g"], data["m"], data["o"], data["p"]) == (0.5, 12, 10, 31, 15)
    # YAML 1.1's booleans, sexagesimal numbers and digit separators are text in YAML 1.2.
    assert (data["e"], data["h"], data["i"], data["n"]) == ("1_000", "yes", "off", "1:30")
    assert (data["j"], data["k"]) == ("1e3", "1e")
    assert (data["q"], data["r"], data["s"]) == (True, None, float("-inf"))
    assert str(data["l"]) == "2025-11-01"


def test_shared_values_and_merge_keys_within_limits_still_load(tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    path.write_text(
        "base: &base {a: 1, b: 2}\nmerged:\n  <<: *base\n  b: 3\nagain: [*base, *base]\n",
        encoding="utf-8",
    )
    doc = read_yaml(path)
    assert doc.data["merged"] == {"a": 1, "b": 3}
    assert doc.line_of(("again", 1, "a")) == 1  # where the shared value stands


def test_a_tag_on_the_wrong_kind_of_value_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "tag.yaml"
    path.write_text("a: !!map soon\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"tag\.yaml: line 1 column 4: not valid YAML"):
        read_yaml(path)


def test_a_value_inside_itself_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("a: &a [1, *a]\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"loop\.yaml: an alias \(\*name\) inside the value"):
        read_yaml(path)


def test_aliases_cannot_nest_deeper_than_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "alias-depth.yaml"
    rows = ["l0: &l0 [1]"] + [f"l{i}: &l{i} [*l{i - 1}]" for i in range(1, 200)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=f"nested more than {MAX_YAML_DEPTH} levels"):
        read_yaml(path)


@pytest.mark.parametrize("value", ["x" * 5000, "a\nb" * 2000, b"z" * 5000, list(range(5000))])
def test_short_repr_is_one_short_line(value: object) -> None:
    text = short_repr(value)
    assert len(text) <= SHOWN_CHARS and "\n" not in text and text.endswith("...")


def test_module_stays_quick() -> None:
    assert sys.getrecursionlimit() > 4 * MAX_YAML_DEPTH  # the limits stay far from Python's
