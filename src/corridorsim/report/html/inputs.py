"""Reading the folder's documents (JSON, CSV: defensively, a hand-edited file gives a one-line
error or a missing value, never a traceback) and the input files they name: the scenario
or study asked about, read for its name, description and header comment.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from corridorsim._files import read_user_bytes, read_user_text
from corridorsim.errors import InputError
from corridorsim.report.html.format import _dict, _str
from corridorsim.report.html.model import Question

# --------------------------------------------------------------------------------------------
# Reading the folder's documents defensively: a hand-edited file gives a one-line error or a
# missing value, never a traceback


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; :class:`InputError` naming the file if it is not one."""
    text = read_user_text(path)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}: not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise InputError(f"{path}: not valid JSON: nested too deeply") from None
    if not isinstance(document, dict):
        raise InputError(f"{path}: not a JSON object but {type(document).__name__}")
    return document


def _optional_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``, or an empty one when the file is not there."""
    return read_json(path) if path.is_file() else {}


def _read_csv(path: Path) -> list[dict[str, str]]:
    """Every row of a small CSV file (facilities, flows, indices); none if it is missing."""
    if not path.is_file():
        return []
    text = read_user_text(path)
    try:
        return list(csv.DictReader(io.StringIO(text)))
    except csv.Error as exc:
        raise InputError(f"{path}: not valid CSV: {exc}") from None


def _scan_csv(path: Path, visit: Callable[[dict[str, str]], None]) -> int:
    """Call ``visit`` on each row of a CSV file that may be large (legs.csv of a long run,
    points.csv of a big design), streaming it; return the number of rows (0 if missing)."""
    # is_file() is True only for a regular file: a FIFO named legs.csv would block forever.
    if not path.is_file():
        return 0
    count = 0
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                visit(row)
                count += 1
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text: {exc.reason}") from None
    except csv.Error as exc:
        raise InputError(f"{path}: not valid CSV: {exc}") from None
    return count


def _count_rows(path: Path) -> int | None:
    """The data rows of a CSV output (its lines less the header), without parsing it;
    corridorsim's CSV files hold no line breaks inside values."""
    if not path.is_file():
        return None
    lines = 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                lines += chunk.count(b"\n")
    except OSError:
        return None
    return max(lines - 1, 0)


# --------------------------------------------------------------------------------------------
# The question: the scenario (or study) file, still there, read for its description and header


def find_input(recorded: str, folder: Path) -> Path | None:
    """The input file recorded as ``recorded`` (relative to where the command ran), looked
    for relative to ``folder``, to the current directory, then to the folder's parents (an
    output folder usually lies under the directory the command ran in); None if not found."""
    if not recorded:
        return None
    path = Path(recorded)
    if path.is_absolute():
        return path if path.is_file() else None
    bases = [folder.absolute(), Path.cwd(), *list(folder.absolute().parents)[:4]]
    return next((base / path for base in bases if (base / path).is_file()), None)


def header_comment(text: str) -> tuple[tuple[str, ...], ...]:
    """The comment block a YAML file starts with, as paragraphs of lines: wrapped lines are
    joined, a list item ("# - ...", "#   (a) ...") starts a line and its indented
    continuation joins it, an empty "#" starts a paragraph."""
    paragraphs: list[list[str]] = [[]]
    item_indent: int | None = None  # where the text of the list item being read starts
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped and not stripped.startswith("#"):
            break
        body = stripped.lstrip("#")
        words = body.strip()
        if not words:
            paragraphs.append([])
            item_indent = None
            continue
        indent = len(body) - len(body.lstrip())
        current = paragraphs[-1]
        if _is_item(words):
            current.append(words)
            item_indent = indent + len(words.split(" ", 1)[0]) + 1
        elif current and (item_indent is None or indent >= item_indent):
            current[-1] = f"{current[-1]} {words}"
        else:
            # Back at the margin after a list: a sentence of its own.
            current.append(words)
            item_indent = None
    return tuple(tuple(p) for p in paragraphs if p)


def _is_item(words: str) -> bool:
    """Whether a comment line starts a list item: "-", "*", "(a)", "1." or "2)"."""
    first = words.split(" ", 1)[0]
    return (
        first in ("-", "*", "•")
        or (first.startswith("(") and first.endswith(")") and 2 < len(first) <= 5)
        or (first[:-1].isdigit() and first[-1:] in ".)")
    )


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(read_user_bytes(path)).hexdigest()
    except InputError:
        return None


def read_question(
    name: str,
    recorded: str,
    folder: Path,
    *,
    label: str = "",
    sha256: str | None = None,
    path: Path | None = None,
) -> Question:
    """The question of a scenario or study named ``name`` and recorded as file
    ``recorded``: its description and header comment when the file is still found (at
    ``path``, or looked for with :func:`find_input`; nothing said otherwise), with a caveat
    when it has changed since (``sha256`` differs)."""
    from corridorsim.scenario.yaml_source import read_yaml

    path = path if path is not None else find_input(recorded, folder)
    if path is None or path.suffix.lower() not in (".yaml", ".yml"):
        return Question(name=name, file=recorded, label=label)
    try:
        document = read_yaml(path)
    except InputError:
        return Question(name=name, file=recorded, label=label)
    caveat = ""
    if sha256 and _sha256(path) != sha256:
        caveat = f"{path} has changed since the run: its description may not be the run's."
    return Question(
        name=name or _str(document.data.get("name")),
        file=recorded,
        label=label,
        description=" ".join(_str(document.data.get("description")).split()),
        notes=header_comment(document.text),
        caveat=caveat,
    )


def _first_scenario(manifest: Mapping[str, Any]) -> tuple[str, str | None]:
    """The scenario file a manifest names (its first YAML input) and its sha256."""
    for path, entry in _dict(manifest.get("inputs")).items():
        if str(path).lower().endswith((".yaml", ".yml")):
            return str(path), _str(_dict(entry).get("sha256")) or None
    return "", None
