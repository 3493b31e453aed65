"""``report.html``: one self-contained page that tells what an output folder of corridorsim
holds, for a planner who was not at the keyboard when it ran.

Any output folder will do: a run's, a comparison's, a sweep's, an assignment's or a capacity
search's; its kind is read off the files present. The page gives the question (the scenario's
or study's name, its description and header comment when the file can still be found), the
headline figures as cards, the tables (long files such as ``legs.csv`` are summarised, not
copied), every chart of the folder, the warnings, and the manifest of the inputs.

The page asks nothing of any server and runs no script: the style sheet is inline, the charts
are ``data:`` URIs, and a Content-Security-Policy forbids everything else, so it can be mailed,
archived or opened offline and shows the same. All text goes through jinja2's autoescaping:
names and descriptions come from user files.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import json
import math
import os
import shlex
import statistics
import struct
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from corridorsim import __version__
from corridorsim._files import (
    naming,
    read_user_bytes,
    read_user_text,
    write_error,
    write_text_atomic,
)
from corridorsim.errors import InputError

#: The name of the page written into the folder.
REPORT_NAME = "report.html"

#: What each kind of folder is recognised by, in the order tried: a comparison's folder holds
#: run folders, an assignment's a results store like a sweep's, so the specific file decides.
KIND_FILES: tuple[tuple[str, str], ...] = (
    ("compare", "compare.json"),
    ("assign", "assignment.json"),
    ("capacity", "capacity.json"),
    ("sweep", "study.json"),
    ("run", "summary.json"),
)

#: The kinds as the page names them, with the command that makes them.
KIND_TITLES = {
    "run": ("Simulation run", "corridorsim run"),
    "compare": ("Scenario comparison", "corridorsim compare"),
    "sweep": ("Sensitivity study", "corridorsim sweep"),
    "assign": ("Route assignment", "corridorsim assign"),
    "capacity": ("Capacity search", "corridorsim capacity"),
}

#: The policy the page declares: nothing may be fetched; images only from data: URIs, style
#: only from the page itself.
CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

#: Rows of a table shown in full; longer ones are cut, and the note names the file.
MAX_TABLE_ROWS = 15
#: The largest chart embedded: a PNG above it is named, not inlined, as the page would no
#: longer open quickly (corridorsim's own charts and maps are a few hundred KB to a few MB).
MAX_IMAGE_BYTES = 16 * 1024 * 1024
#: Top parameters per KPI shown on a sweep's cards.
TOP_PARAMETERS = 3

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_DASH = "–"  # what a value that cannot be computed (null in the JSON) shows


# --------------------------------------------------------------------------------------------
# What the template is given: plain records of already formatted text


@dataclass(frozen=True)
class Column:
    """A table's column: its label, its unit (shown under the label) and whether it holds
    numbers (right-aligned)."""

    label: str
    unit: str = ""
    numeric: bool = False


@dataclass(frozen=True)
class Cell:
    """A formatted table cell; ``tone`` (``good``, ``bad``, ``strong``, ``muted``) styles it
    and ``title`` is the full text of a shortened one."""

    text: str
    numeric: bool = False
    tone: str = ""
    title: str = ""
    #: A second, smaller line (a difference's CI under the difference).
    sub: str = ""


@dataclass
class Table:
    """A table block with a title, and a note under it (what was left out, where it is)."""

    title: str
    columns: list[Column]
    rows: list[list[Cell]]
    note: str = ""
    #: Indices of rows to highlight (the capacity found among the tonnages tried).
    marked: frozenset[int] = frozenset()
    kind: ClassVar[str] = "table"


@dataclass(frozen=True)
class Card:
    """A headline figure: label, value with its unit, a line of detail and optional items
    (a ranking)."""

    label: str
    value: str
    unit: str = ""
    detail: str = ""
    tone: str = ""
    items: tuple[str, ...] = ()

    @property
    def long(self) -> bool:
        """Whether the value is text too long for the large figure type (an element id)."""
        return len(self.value) > 14


@dataclass
class Cards:
    """A titled group of cards (one shipment, one flow, one KPI)."""

    title: str
    cards: list[Card]
    note: str = ""
    kind: ClassVar[str] = "cards"


@dataclass
class Text:
    """Paragraphs of text, optionally under a small heading."""

    paragraphs: list[str]
    title: str = ""
    kind: ClassVar[str] = "text"


@dataclass
class Facts:
    """Label-value pairs (a definition list); ``code`` values are shown in monospace."""

    items: list[tuple[str, str]]
    title: str = ""
    code: frozenset[str] = frozenset()
    kind: ClassVar[str] = "facts"


Block = Table | Cards | Text | Facts


@dataclass
class Section:
    """A part of the page with its own heading and anchor."""

    title: str
    anchor: str
    blocks: list[Block] = field(default_factory=list)


@dataclass(frozen=True)
class Figure:
    """An embedded chart: its file name, caption and ``data:`` URI (with the pixel size,
    so the page lays out before the image is decoded)."""

    name: str
    caption: str
    uri: str
    width: int | None
    height: int | None


@dataclass(frozen=True)
class Question:
    """What a scenario (or study) asks: its name, the file recorded, and what that file says
    of itself, when it is still there."""

    name: str
    file: str
    label: str = ""
    description: str = ""
    #: The header comment, as paragraphs of lines.
    notes: tuple[tuple[str, ...], ...] = ()
    #: Said when the file found differs from the one the run read (its sha256).
    caveat: str = ""


@dataclass
class Report:
    """Everything the template shows."""

    kind: str
    title: str
    folder: str
    facts: list[tuple[str, str]]
    questions: list[Question]
    headline: list[Cards]
    warnings: list[str]
    sections: list[Section]
    figures: list[Figure]
    files: Table
    provenance: list[Block]
    skipped_images: list[str] = field(default_factory=list)

    @property
    def kind_title(self) -> str:
        """The kind as a heading ("Simulation run")."""
        return KIND_TITLES[self.kind][0]

    @property
    def command(self) -> str:
        """The command that makes this kind of folder."""
        return KIND_TITLES[self.kind][1]

    @property
    def version(self) -> str:
        """The corridorsim version writing the page."""
        return __version__

    @property
    def csp(self) -> str:
        """The page's Content-Security-Policy."""
        return CONTENT_SECURITY_POLICY


# --------------------------------------------------------------------------------------------
# The entry point


def write_report(folder: str | os.PathLike[str]) -> Path:
    """Write ``FOLDER/report.html`` for a corridorsim output folder of any kind (run,
    compare, sweep, assign, capacity) and return its path.

    :class:`InputError` in one line when ``folder`` is not such a folder (naming it and the
    files expected) or when one of its documents cannot be read. The page is written in one
    step, so a failed write (a one-line :class:`~corridorsim.errors.CorridorsimError`
    naming it) leaves any previous report as it was.
    """
    out = Path(folder)
    kind = detect_kind(out)
    report = BUILDERS[kind](out)
    html = render(report)
    target = out / REPORT_NAME
    try:
        with naming(target):
            write_text_atomic(target, html)
    except OSError as exc:
        # A full disk or a read-only folder: one line naming the page, as for every output.
        raise write_error(exc, target) from None
    return target


def detect_kind(folder: Path) -> str:
    """The kind of output folder ``folder`` is (``run``, ``compare``, ``sweep``, ``assign``
    or ``capacity``), from the files present; :class:`InputError` in one line if none."""
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is not a folder"
        raise InputError(f"{folder}: {what}: expected a corridorsim output folder")
    for kind, name in KIND_FILES:
        if (folder / name).is_file():
            return kind
    expected = ", ".join(f"{name} ({kind})" for kind, name in KIND_FILES)
    raise InputError(
        f"{folder}: not a corridorsim output folder: expected one of {expected}"
    )


def render(report: Report) -> str:
    """The page of ``report``, from ``templates/report.html.j2``."""
    # Imported here: commands that never write a report do not pay for the template engine.
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("corridorsim.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env.get_template("report.html.j2").render(report=report)


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


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _float(value: Any) -> float | None:
    """A finite number, or None (null, text, a boolean, nan)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):  # text, or an integer beyond any float
        return None
    return number if math.isfinite(number) else None


# --------------------------------------------------------------------------------------------
# Formatting numbers for people: thousands separators, fixed decimals per unit, a dash for
# what could not be computed


def num(value: Any, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals and thousands separators; a dash if it is not a
    number."""
    number = _float(value)
    return _DASH if number is None else f"{number:,.{digits}f}"


def signed(value: Any, digits: int = 2) -> str:
    """``value`` with its sign always shown (a difference)."""
    number = _float(value)
    return _DASH if number is None else f"{number:+,.{digits}f}"


def pct(value: Any, digits: int = 0) -> str:
    """A share (0.42) as a percentage ("42%")."""
    number = _float(value)
    return _DASH if number is None else f"{100 * number:,.{digits}f}%"


def interval(pair: Any, digits: int = 2, fmt: Callable[[Any, int], str] = num) -> str:
    """A ``[lo, hi]`` pair as "lo – hi"; a dash if either end is missing."""
    values = _list(pair)
    if len(values) != 2 or _float(values[0]) is None or _float(values[1]) is None:
        return _DASH
    return f"{fmt(values[0], digits)} – {fmt(values[1], digits)}"


def _cell(text: str, *, tone: str = "", title: str = "") -> Cell:
    return Cell(text, numeric=False, tone=tone, title=title)


def _kcell(text: str, *, title: str = "") -> Cell:
    """A row's key (a shipment, a scenario, an element): kept on one line when it is short,
    as ids break at their hyphens otherwise."""
    return Cell(text, tone="key" if len(text) <= 40 else "", title=title)


def _ncell(text: str, *, tone: str = "", sub: str = "") -> Cell:
    return Cell(text, numeric=True, tone=tone, sub=sub)


def whole(value: Any) -> str:
    """An integer identifier or count as is (a seed of 2025 is not "2,025")."""
    number = _float(value)
    return _DASH if number is None else str(round(number))


def plain(value: Any) -> str:
    """A parameter's value with the digits it has (up to six significant)."""
    number = _float(value)
    return _DASH if number is None else f"{number:,.6g}"


def _cut(rows: list[list[Cell]], total: int, what: str, where: str) -> tuple[list[list[Cell]], str]:
    """The first :data:`MAX_TABLE_ROWS` rows and a note saying what was left out."""
    if total <= MAX_TABLE_ROWS:
        return rows, ""
    return rows[:MAX_TABLE_ROWS], f"The first {MAX_TABLE_ROWS} of {total:,} {what}; all in {where}."


def _kpi_unit(kpi: str) -> str:
    """The unit of a summary.json KPI path (``transit_days.p90`` -> days)."""
    head = kpi.split(".")[0]
    return {
        "transit_days": "days",
        "usd_per_tonne": "USD/t",
        "usd_per_unit": "USD/unit",
        "co2_kg_per_tonne": "kg CO2/t",
        "p_within_target": "share",
        "wait_h_by_cause": "h",
        "time_h": "h",
        "usd_per_tonne_by_category": "USD/t",
        "usd_per_tonne_by_country": "USD/t",
    }.get(head, "")


def _short_parameter(path: str) -> str:
    """``nodes.AZ-YALAMA.facility.border.dwell_h.mean`` -> ``AZ-YALAMA facility.border.
    dwell_h.mean``: the element first, as a planner looks for it."""
    parts = path.split(".")
    if parts[0] in ("links", "nodes") and len(parts) > 2:
        return f"{parts[1]} {'.'.join(parts[2:])}"
    return path


def _size(nbytes: int) -> str:
    """A file size as people read it (``462.5 KB``)."""
    if nbytes < 1024:
        return f"{nbytes:,} bytes"
    size = float(nbytes)
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            break
    return f"{size:,.1f} {unit}"


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


# --------------------------------------------------------------------------------------------
# The manifest: versions, command line, inputs with their sha256 (and whether they still match)

#: Keys a manifest may carry its date under (a manifest written before dates were recorded
#: has none: the page then gives the file's modification time, and says so).
_DATE_KEYS = ("created", "created_utc", "date", "written", "timestamp", "started")


def manifest_date(path: Path, manifest: Mapping[str, Any]) -> str:
    """When the manifest was written: its own date if it records one, else the file's time."""
    for key in _DATE_KEYS:
        if _str(manifest.get(key)):
            return _str(manifest.get(key))
    try:
        stamp = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
    except OSError:
        return ""
    return f"{stamp:%Y-%m-%d %H:%M} UTC (time of the file)"


def _command_line(manifest: Mapping[str, Any]) -> str:
    words = [_str(w) for w in _list(manifest.get("command"))]
    return shlex.join(words) if words else ""


def _inputs_table(
    inputs: Mapping[str, Mapping[str, str]], folder: Path, title: str = "Input files"
) -> Table:
    """Each input file with its sha256 and whether the file found now still has it."""
    rows = []
    for recorded, seen_by in inputs.items():
        digest = seen_by.get("sha256", "")
        path = find_input(recorded, folder)
        if path is None:
            status, tone = "not found here", "muted"
        elif _sha256(path) == digest:
            status, tone = "unchanged", "good"
        else:
            status, tone = "changed since", "bad"
        row = [_kcell(recorded), _cell(digest, tone="mono"), _cell(status, tone=tone)]
        if "by" in seen_by:
            row.insert(1, _cell(seen_by["by"]))
        rows.append(row)
    columns = [Column("file (as recorded)"), Column("sha256"), Column("file now")]
    if any("by" in v for v in inputs.values()):
        columns.insert(1, Column("read by"))
    return Table(title, columns, rows,
                 note="“file now”: the file found today, relative to the folder or the "
                 "current directory, compared by its sha256.")


def manifest_blocks(path: Path, folder: Path) -> list[Block]:
    """The provenance of a folder with a manifest.json; a sentence if it has none."""
    if not path.is_file():
        return [Text([f"No manifest.json in {path.parent}."])]
    manifest = read_json(path)
    facts = [
        ("corridorsim", _str(manifest.get("corridorsim")) or _DASH),
        ("Python", _str(manifest.get("python")) or _DASH),
        ("Seed", whole(manifest.get("seed"))),
        ("Replications", num(manifest.get("replications"), 0)),
        ("Written", manifest_date(path, manifest) or _DASH),
        ("Command line", _command_line(manifest) or _DASH),
    ]
    inputs = {
        str(k): {"sha256": _str(_dict(v).get("sha256"))}
        for k, v in _dict(manifest.get("inputs")).items()
    }
    return [Facts(facts, code=frozenset({"Command line"})), _inputs_table(inputs, folder)]


# --------------------------------------------------------------------------------------------
# Charts: every PNG of the folder, in a known order, each with a caption

#: Captions of the charts corridorsim draws, in the order they are shown.
CAPTIONS: dict[str, str] = {
    "transit.png": (
        "Transit time per shipment: the share of consignments arrived by each day (left; "
        "dotted lines mark targets) and the histogram over all replications (right)."
    ),
    "waiting.png": (
        "Where the time goes: mean hours per consignment running, being processed and "
        "waiting, by cause."
    ),
    "time_distance.png": (
        "Time-distance diagram of the first replication: flat stretches are waiting or "
        "processing, steep ones running."
    ),
    "route_map.png": "The network, with the routes the shipments were planned on highlighted.",
    "waiting_map.png": (
        "Where time is lost, on the map of the routes: a circle at each facility, formation "
        "yard and ferry port, as large as the hours lost there per arrived consignment, "
        "coloured by cause."
    ),
    "flow_map.png": (
        "Flows after the assignment: link widths by tonnes per year, circles where time is "
        "lost."
    ),
    "convergence.png": (
        "Convergence of the split: the largest share change and the gap at each iteration, "
        "against the tolerance."
    ),
    "capacity.png": (
        "The capacity search: the criterion at every tonnage tried, the limit, and the "
        "capacity found."
    ),
}

#: What a sweep's chart shows, by method.
_SWEEP_CHARTS = {
    "morris": "Morris screening (mu* against sigma) and the parameters ranked by mu*",
    "sobol": "first-order (S1) and total (ST) Sobol indices, ranked by ST",
    "lhs": "tornado of Spearman rank correlations",
    "grid": "tornado of main-effect ranges across each parameter's levels",
}


def caption(name: str, context: Mapping[str, Any]) -> str:
    """The caption of chart ``name``: a known chart's, one read from its name
    (``compare_<shipment>.png``, ``sensitivity_<shipment>_<kpi>.png``), or a plain one."""
    if name in CAPTIONS:
        return CAPTIONS[name]
    stem = name.removesuffix(".png")
    if stem.startswith("compare_"):
        return (
            f"Shipment {stem.removeprefix('compare_')}: transit time by scenario (cumulative, "
            "left) and where the time goes in each (right)."
        )
    sweep_names: Mapping[str, tuple[str, str]] = context.get("sweep_charts", {})
    if name in sweep_names:
        shipment, kpi = sweep_names[name]
        what = _SWEEP_CHARTS.get(_str(context.get("method")), "sensitivity indices")
        return f"{shipment}, {kpi}: {what}."
    return f"Chart {stem.replace('_', ' ')} ({name})."


def png_size(data: bytes) -> tuple[int, int] | None:
    """The width and height of a PNG image (from its header), or None if it is not one."""
    if len(data) < 24 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _chart_order(name: str) -> tuple[int, str]:
    known = list(CAPTIONS)
    return (known.index(name) if name in known else len(known), name)


def figures(
    folder: Path, context: Mapping[str, Any], *, prefix: str = ""
) -> tuple[list[Figure], list[str]]:
    """Every ``*.png`` of ``folder`` as an embedded figure; and the names left out (not a
    PNG, too big, unreadable), each with why."""
    found: list[Figure] = []
    skipped: list[str] = []
    names = sorted(
        (p.name for p in folder.glob("*.png") if p.is_file() and not p.name.startswith(".")),
        key=_chart_order,
    )
    for name in names:
        shown = f"{prefix}{name}"
        try:
            data = read_user_bytes(folder / name, max_bytes=MAX_IMAGE_BYTES)
        except InputError as exc:
            skipped.append(exc.problems[0])
            continue
        size = png_size(data)
        if size is None:
            skipped.append(f"{shown}: not a PNG image, left out")
            continue
        uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        text = caption(name, context)
        if prefix:
            text = f"{prefix.rstrip('/')}: {text}"
        found.append(Figure(shown, text, uri, size[0], size[1]))
    return found, skipped


# --------------------------------------------------------------------------------------------
# The files of the folder, with what each holds

FILE_ROLES: dict[str, str] = {
    "summary.json": "KPIs per shipment, warnings (the figures above)",
    "shipments.csv": "one row per consignment per replication",
    "legs.csv": "one row per leg (link, facility, formation, fleet) of every consignment",
    "facilities.csv": "utilisation, queue and wait of every facility",
    "manifest.json": "versions, command line, seed, sha256 of every input",
    "compare.json": "each scenario's KPIs and the paired differences to the first",
    "results.sqlite": "the results store, kept to resume",
    "points.csv": "one row per design point: parameters and KPIs",
    "points.parquet": "points.csv as Parquet",
    "indices.csv": "sensitivity indices per shipment, KPI and parameter",
    "indices.json": "indices.csv as JSON",
    "study.json": "what the study ran: method, points, seed, parameters, KPIs",
    "assignment.json": "the split of every flow over its routes, iterations, bottlenecks",
    "flows.csv": "tonnes, trains, utilisation and wait on every link and facility used",
    "capacity.json": "the capacity, the binding element and every tonnage tried",
    "results.xlsx": "the tables as an Excel workbook",
}


def files_table(folder: Path) -> Table:
    """The folder's files (and subfolders) with their size, rows and what each holds."""
    rows = []
    for entry in sorted(folder.iterdir(), key=lambda p: (p.is_dir(), p.name)):
        if entry.name.startswith(".") or entry.name == REPORT_NAME:
            continue  # hidden temporary files of an interrupted write; this page itself
        if entry.is_dir():
            inner = sum(1 for p in entry.iterdir() if not p.name.startswith("."))
            rows.append([_kcell(f"{entry.name}/"), _ncell(_DASH), _ncell(_DASH),
                         _cell(f"a run folder ({inner} files)")])
            continue
        role = FILE_ROLES.get(entry.name, "chart, shown above" if entry.suffix == ".png" else "")
        count = _count_rows(entry) if entry.suffix == ".csv" else None
        try:
            size = _size(entry.stat().st_size)
        except OSError:
            size = _DASH
        rows.append([_kcell(entry.name), _ncell(size),
                     _ncell(_DASH if count is None else f"{count:,}"), _cell(role)])
    return Table("Files in this folder", [Column("file"), Column("size", numeric=True),
                                          Column("rows", numeric=True), Column("holds")], rows,
                 note=f"Folder: {folder.absolute()}")


# --------------------------------------------------------------------------------------------
# The network's places, for naming routes


@dataclass(frozen=True)
class Places:
    """What the network file says of its nodes and links, for naming routes as the command
    line does (ends, borders and ferry or sea crossings); empty when the file is gone."""

    names: Mapping[str, str] = field(default_factory=dict)
    kinds: Mapping[str, str] = field(default_factory=dict)
    modes: Mapping[str, str] = field(default_factory=dict)
    ends: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def describe(self, nodes: Sequence[str], links: Sequence[str], *, most: int = 7) -> str:
        """A route's key places in order, shortened: ``Kostanay - Kuryk - Alat - ... -
        Yerevan (rail/ferry)``; empty if the network is not known."""
        if not self.names or not nodes:
            return ""
        crossing = {n for link in links if self.modes.get(link) in ("ferry", "sea")
                    for n in self.ends.get(link, ())}
        keep = [n for i, n in enumerate(nodes)
                if i in (0, len(nodes) - 1) or self.kinds.get(n) == "border" or n in crossing]
        names = list(dict.fromkeys(self.names.get(n, n) for n in keep))
        if len(names) > most:
            names = [*names[: most - 2], "...", names[-1]]
        modes = "/".join(dict.fromkeys(self.modes[k] for k in links if k in self.modes))
        return " - ".join(names) + (f" ({modes})" if modes else "")


def read_places(manifest: Mapping[str, Any], folder: Path) -> Places:
    """The names and kinds of the nodes, and the links' modes, of the network a manifest
    names, if its file is still found and reads as GeoJSON; :class:`Places` empty otherwise."""
    for recorded in _dict(manifest.get("inputs")):
        if not str(recorded).lower().endswith((".geojson", ".json")):
            continue
        path = find_input(str(recorded), folder)
        if path is None:
            continue
        try:
            document = read_json(path)
        except InputError:
            continue  # a route is then named by its node ids
        names: dict[str, str] = {}
        kinds: dict[str, str] = {}
        modes: dict[str, str] = {}
        ends: dict[str, tuple[str, str]] = {}
        for feature in (_dict(f) for f in _list(document.get("features"))):
            props = _dict(feature.get("properties"))
            ident = _str(props.get("id"))
            if _dict(feature.get("geometry")).get("type") == "Point":
                names[ident] = _str(props.get("name")) or ident
                kinds[ident] = _str(props.get("kind"))
            else:
                modes[ident] = _str(props.get("mode"))
                ends[ident] = (_str(props.get("from")), _str(props.get("to")))
        return Places(names, kinds, modes, ends)
    return Places()


# --------------------------------------------------------------------------------------------
# Runs


def _shipment_cards(sid: str, s: Mapping[str, Any]) -> Cards:
    """The headline of one shipment of a run."""
    transit = _dict(s.get("transit_days"))
    usd = _dict(s.get("usd_per_tonne"))
    co2 = _dict(s.get("co2_kg_per_tonne"))
    target = _float(s.get("target_days"))
    within = (
        Card("P(within target)", pct(s.get("p_within_target")), "",
             f"within the {plain(target)}-day target; still under way past it: late")
        if target is not None
        else Card("P(within target)", _DASH, "", "no target_days in the scenario")
    )
    cards = [
        Card("Mean transit", num(transit.get("mean")), "days",
             f"95% CI {interval(transit.get('ci95'))} d · p50 {num(transit.get('p50'))} d"),
        Card("p90 transit", num(transit.get("p90")), "days",
             f"p95 {num(transit.get('p95'))} d · {num(transit.get('n'), 0)} consignments"),
        within,
        Card("Cost", num(usd.get("mean")), "USD/t", f"95% CI {interval(usd.get('ci95'))}"),
        Card("CO2", num(co2.get("mean"), 1), "kg/t",
             f"95% CI {interval(co2.get('ci95'), 1)}"),
    ]
    unit = _str(s.get("unit"))
    per_unit = _dict(s.get("usd_per_unit"))
    if unit and per_unit:
        cards.append(Card(f"Cost per {unit}", num(per_unit.get("mean"), 0), "USD",
                          f"95% CI {interval(per_unit.get('ci95'), 0)}"))
    consignments = _float(s.get("consignments")) or 0
    in_transit = _float(s.get("in_transit")) or 0
    cards.append(Card(
        "Arrived", num(s.get("arrived"), 0), f"of {num(consignments, 0)}",
        f"{num(in_transit, 0)} still in transit at the horizon",
        tone="bad" if consignments and in_transit / consignments > 0.05 else "",
    ))
    return Cards(f"Shipment {sid}", cards)


def _run_kpi_table(shipments: Mapping[str, Any]) -> Table:
    rows = []
    for sid, raw in shipments.items():
        s = _dict(raw)
        t = _dict(s.get("transit_days"))
        rows.append([
            _kcell(sid),
            _ncell(f"{num(s.get('arrived'), 0)}/{num(s.get('consignments'), 0)}"),
            _ncell(num(t.get("mean"))), _ncell(interval(t.get("ci95"))),
            _ncell(num(t.get("p50"))), _ncell(num(t.get("p90"))), _ncell(num(t.get("p95"))),
            _ncell(num(s.get("static_days"))),
            _ncell(pct(s.get("p_within_target"))), _ncell(num(s.get("target_days"), 0)),
            _ncell(num(_dict(s.get("usd_per_tonne")).get("mean"))),
            _ncell(num(_dict(s.get("co2_kg_per_tonne")).get("mean"), 1)),
        ])
    columns = [
        Column("shipment"), Column("arrived", "of departed", True),
        Column("mean", "days", True), Column("95% CI", "days", True),
        Column("p50", "days", True), Column("p90", "days", True), Column("p95", "days", True),
        Column("static route", "days", True), Column("within target", "share", True),
        Column("target", "days", True), Column("cost", "USD/t", True),
        Column("CO2", "kg/t", True),
    ]
    return Table("Transit, cost and emissions", columns, rows,
                 note="Mean and CI over replications (Student t), percentiles over arrived "
                 "consignments; static route: the planned route's time with no queueing.")


_CAUSES = ("facility", "ferry", "headway", "disruption", "formation", "fleet")
_CAUSE_LABELS = {
    "facility": "facility queue", "ferry": "ferry wait", "headway": "headway",
    "disruption": "disruption", "formation": "formation", "fleet": "fleet",
}


def _time_table(rows_in: Iterable[tuple[str, Mapping[str, Any]]], first: str) -> Table:
    """Where the time goes: mean hours running, processing, waiting (by cause)."""
    rows = []
    for label, s in rows_in:
        time_h = _dict(s.get("time_h"))
        waits = _dict(s.get("wait_h_by_cause"))
        total = sum(_float(time_h.get(k)) or 0 for k in ("running", "processing", "waiting"))
        rows.append([
            _kcell(label),
            *(_ncell(num(time_h.get(k), 1)) for k in ("running", "processing", "waiting")),
            *(_ncell(num(waits.get(c), 1)) for c in _CAUSES),
            _ncell(num(total, 1), tone="strong"),
        ])
    columns = [
        Column(first), Column("running", "h", True), Column("processing", "h", True),
        Column("waiting", "h", True),
        *(Column(_CAUSE_LABELS[c], "h", True) for c in _CAUSES),
        Column("door to door", "h", True),
    ]
    return Table("Where the time goes", columns, rows,
                 note="Mean hours per arrived consignment; the waiting columns split "
                 "“waiting” by cause.")


_CATEGORIES = ("tariff", "facility_fees", "ferry", "wagon_hire", "demurrage")


def _cost_table(rows_in: Iterable[tuple[str, Mapping[str, Any]]], first: str) -> Table:
    rows = []
    for label, s in rows_in:
        by = _dict(s.get("usd_per_tonne_by_category"))
        rows.append([
            _kcell(label), *(_ncell(num(by.get(c))) for c in _CATEGORIES),
            _ncell(num(_dict(s.get("usd_per_tonne")).get("mean")), tone="strong"),
        ])
    columns = [Column(first), *(Column(c.replace("_", " "), "USD/t", True) for c in _CATEGORIES),
               Column("total", "USD/t", True)]
    return Table("What it costs, by category", columns, rows)


def _country_table(shipments: Mapping[str, Any]) -> Table | None:
    countries = sorted({c for s in shipments.values()
                        for c in _dict(_dict(s).get("usd_per_tonne_by_country"))})
    if not countries:
        return None
    rows = [[_kcell(sid), *(_ncell(num(_dict(_dict(s).get("usd_per_tonne_by_country")).get(c)))
                           for c in countries)] for sid, s in shipments.items()]
    return Table("What it costs, by country", [Column("shipment"),
                 *(Column(c, "USD/t", True) for c in countries)], rows)


def _waits_table(shipments: Mapping[str, Any]) -> Table | None:
    rows = [
        [_kcell(sid), _cell(_str(_dict(w).get("place"))), _cell(_str(_dict(w).get("kind"))),
         _ncell(num(_dict(w).get("wait_h"), 1))]
        for sid, s in shipments.items() for w in _list(_dict(s).get("top_waits"))
    ]
    if not rows:
        return None
    return Table("Where time is lost", [Column("shipment"), Column("place"), Column("kind"),
                                        Column("wait", "h per consignment", True)], rows)


def _routes_text(shipments: Mapping[str, Any], places: Places, title: str) -> Text:
    """Each shipment's planned route: its key places (when the network is found) and every
    node."""
    paragraphs = []
    for sid, s in shipments.items():
        nodes = [_str(n) for n in _list(_dict(s).get("route"))]
        if nodes:
            key = places.describe(nodes, [])
            paragraphs.append(f"{sid}: {key + '; ' if key else ''}{len(nodes)} nodes: "
                              f"{' → '.join(nodes)}")
    return Text(paragraphs or ["No route recorded."], title=title)


def _extras_tables(summary: Mapping[str, Any]) -> list[Block]:
    """Trains, fleets and empty returns, when the scenario has them."""
    blocks: list[Block] = []
    trains = _dict(summary.get("trains"))
    if trains:
        blocks.append(Table("Trains", [
            Column("service"), Column("trains", "per replication", True),
            Column("wagons", "per train", True), Column("blocks", "per train", True),
            Column("load factor", "share", True), Column("run", "days", True)], [
            [_kcell(name), _ncell(num(t.get("trains"), 1)),
             _ncell(num(t.get("wagons_per_train"), 1)), _ncell(num(t.get("blocks_per_train"))),
             _ncell(pct(t.get("load_factor"), 1)), _ncell(num(t.get("run_days")))]
            for name, t in ((n, _dict(v)) for n, v in trains.items())]))
    fleets = _dict(summary.get("fleets"))
    if fleets:
        blocks.append(Table("Fleets", [
            Column("fleet"), Column("wagons", "", True), Column("trips", "per replication", True),
            Column("turnaround mean", "days", True), Column("turnaround p90", "days", True),
            Column("utilisation", "share", True)], [
            [_kcell(name), _ncell(num(f.get("wagons"), 0)), _ncell(num(f.get("trips"), 1)),
             _ncell(num(_dict(f.get("turnaround_days")).get("mean"))),
             _ncell(num(_dict(f.get("turnaround_days")).get("p90"))),
             _ncell(pct(f.get("utilisation"), 1))]
            for name, f in ((n, _dict(v)) for n, v in fleets.items())]))
    empties = _dict(summary.get("empties"))
    if empties:
        blocks.append(Table("Empty returns", [
            Column("fleet"), Column("returns", "per replication", True),
            Column("transit", "days", True), Column("cost", "USD/wagon", True),
            Column("CO2", "kg/wagon", True)], [
            [_kcell(name), _ncell(num(e.get("returns"), 1)), _ncell(num(e.get("transit_days"))),
             _ncell(num(e.get("usd_per_wagon"), 0)), _ncell(num(e.get("co2_kg_per_wagon"), 0))]
            for name, e in ((n, _dict(v)) for n, v in empties.items())]))
    return blocks


def _facilities_table(folder: Path, horizon: Any, warmup: Any) -> Table | None:
    rows = _read_csv(folder / "facilities.csv")
    if not rows:
        return None
    rows.sort(key=lambda r: -(_float(r.get("utilisation")) or 0))
    cells = [[
        _kcell(r.get("facility", "")), _cell(r.get("type", "")),
        _ncell(num(r.get("servers"), 0)), _ncell(num(r.get("served_per_replication"), 1)),
        _ncell(pct(r.get("utilisation"), 1)),
        _ncell(interval([r.get("utilisation_ci95_lo"), r.get("utilisation_ci95_hi")], 1, pct)),
        _ncell(num(r.get("mean_queue"))),
        _ncell(num(r.get("mean_wait_h"), 1)),
        _ncell(interval([r.get("mean_wait_h_ci95_lo"), r.get("mean_wait_h_ci95_hi")], 1)),
    ] for r in rows]
    shown, cut = _cut(cells, len(cells), "facilities, the busiest first", "facilities.csv")
    window = (_float(horizon) or 0) - (_float(warmup) or 0)
    note = (f"Time averages over the measured {num(window, 0)} days; " if window else "") + (
        "queue: consignments waiting for a server. " + cut)
    columns = [
        Column("facility"), Column("type"), Column("servers", "", True),
        Column("served", "per replication", True), Column("utilisation", "share", True),
        Column("95% CI", "share", True), Column("mean queue", "consignments", True),
        Column("mean wait", "h", True), Column("95% CI", "h", True),
    ]
    return Table("Busiest facilities", columns, shown, note=note.strip())


def _consignment_files(folder: Path) -> Table | None:
    """shipments.csv and legs.csv, summarised: they are too long to copy into a page."""
    per_shipment: dict[str, Counter[str]] = {}

    def visit_consignment(row: dict[str, str]) -> None:
        seen = per_shipment.setdefault(row.get("shipment") or "", Counter())
        seen["rows"] += 1
        seen["arrived" if row.get("arrive_h") else "in transit"] += 1
        if (_float(row.get("reroutes")) or 0) > 0:
            seen["rerouted"] += 1

    legs: Counter[str] = Counter()

    def visit_leg(row: dict[str, str]) -> None:
        legs[row.get("kind") or "?"] += 1

    consignments = _scan_csv(folder / "shipments.csv", visit_consignment)
    leg_rows = _scan_csv(folder / "legs.csv", visit_leg)
    if not consignments and not leg_rows:
        return None
    rows = [[_kcell("shipments.csv"), _cell(sid), _ncell(f"{c['rows']:,}"),
             _cell(f"{c['arrived']:,} arrived, {c['in transit']:,} in transit at the horizon, "
                   f"{c['rerouted']:,} rerouted")]
            for sid, c in per_shipment.items()]
    kinds = ", ".join(f"{n:,} {k}" for k, n in legs.most_common())
    rows.append([_kcell("legs.csv"), _cell("all"), _ncell(f"{leg_rows:,}"),
                 _cell(f"legs by kind: {kinds}" if kinds else "no legs")])
    return Table("Per-consignment files (not copied here)",
                 [Column("file"), Column("shipment"), Column("rows", "", True),
                  Column("summary")], rows,
                 note=f"One row per consignment per replication, and per leg: open them "
                 f"from {folder.absolute()} in a spreadsheet or notebook.")


def _run_facts(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    facts = [
        ("Seed", whole(summary.get("seed"))),
        ("Replications", num(summary.get("replications"), 0)),
    ]
    precision = _float(summary.get("precision"))
    if precision is not None:
        met = summary.get("precision_met")
        facts.append(("Precision", f"CI half-width ≤ {pct(precision, 1)} of the mean: "
                      + ("met" if met else "not met")))
    start = _str(summary.get("start"))
    horizon = f"{num(summary.get('horizon_days'), 0)} days" + (f" from {start}" if start else "")
    facts.append(("Horizon", horizon))
    facts.append(("Warm-up", f"{num(summary.get('warmup_days'), 0)} days"))
    return facts


def _with_manifest_facts(facts: list[tuple[str, str]], folder: Path) -> list[tuple[str, str]]:
    path = folder / "manifest.json"
    if path.is_file():
        facts.append(("Manifest written", manifest_date(path, read_json(path)) or _DASH))
    return facts


def build_run(folder: Path) -> Report:
    """The report of a run's folder."""
    summary = read_json(folder / "summary.json")
    manifest = _optional_json(folder / "manifest.json")
    shipments = {str(k): _dict(v) for k, v in _dict(summary.get("shipments")).items()}
    recorded = _str(summary.get("file")) or _first_scenario(manifest)[0]
    digest = _str(_dict(_dict(manifest.get("inputs")).get(recorded)).get("sha256")) or None
    question = read_question(_str(summary.get("scenario")), recorded, folder, sha256=digest)
    details = Section("Details", "details", [
        _run_kpi_table(shipments),
        _time_table(shipments.items(), "shipment"),
        _cost_table(shipments.items(), "shipment"),
    ])
    for block in (_country_table(shipments), _waits_table(shipments)):
        if block is not None:
            details.blocks.append(block)
    details.blocks.extend(_extras_tables(summary))
    details.blocks.append(_routes_text(shipments, read_places(manifest, folder),
                                      "Planned routes"))
    for block in (
        _facilities_table(folder, summary.get("horizon_days"), summary.get("warmup_days")),
        _consignment_files(folder),
    ):
        if block is not None:
            details.blocks.append(block)
    figs, skipped = figures(folder, {})
    return Report(
        kind="run",
        title=question.name or "Simulation run",
        folder=str(folder.absolute()),
        facts=_with_manifest_facts(_run_facts(summary), folder),
        questions=[question],
        headline=[_shipment_cards(sid, s) for sid, s in shipments.items()],
        warnings=[_str(w) for w in _list(summary.get("warnings"))],
        sections=[details],
        figures=figs,
        files=files_table(folder),
        provenance=manifest_blocks(folder / "manifest.json", folder),
        skipped_images=skipped,
    )


# --------------------------------------------------------------------------------------------
# Comparisons


def _significance(diff: Mapping[str, Any]) -> str:
    if diff.get("significant") is None:
        return "n/a"
    return "significant" if diff.get("significant") else "not significant"


def _diff_card(what: str, unit: str, diff: Mapping[str, Any], digits: int) -> Card:
    significant = bool(diff.get("significant"))
    return Card(
        f"Δ {what}", signed(diff.get("mean"), digits), unit,
        f"95% CI {interval(diff.get('ci95'), digits, signed)} · {_significance(diff)}",
        tone="strong" if significant else "muted",
    )


def _level_cards(s: Mapping[str, Any]) -> list[Card]:
    """One scenario's own figures for a shipment (compare.json's per_scenario entry)."""
    t = _dict(s.get("transit_days"))
    return [
        Card("Mean transit", num(t.get("mean")), "days",
             f"95% CI {interval(t.get('ci95'))} d · p90 {num(t.get('p90'))} d"),
        Card("Cost", num(s.get("usd_per_tonne")), "USD/t",
             f"CO2 {num(s.get('co2_kg_per_tonne'), 1)} kg/t"),
        Card("Within target", pct(s.get("p_within_target")), "",
             f"{num(s.get('arrived'), 0)} arrived, {num(s.get('in_transit'), 0)} in transit"),
    ]


def _compare_cards(sid: str, entry: Mapping[str, Any], labels: Sequence[str]) -> list[Cards]:
    """Per shipment: the reference scenario's figures, then each other scenario's own
    transit and its paired differences to the reference."""
    per = _dict(entry.get("per_scenario"))
    diffs = _dict(entry.get("diff_vs_first"))
    present = [lab for lab in labels if lab in per]
    if not present:
        return []
    reference = present[0]
    groups = [Cards(f"Shipment {sid} · {reference} (the reference)",
                    _level_cards(_dict(per.get(reference))))]
    for label in present[1:]:
        diff = _dict(diffs.get(label))
        own = _level_cards(_dict(per.get(label)))[0]
        cards = [own]
        if diff:
            cards += [
                _diff_card("transit", "days", diff, 2),
                _diff_card("cost", "USD/t", _dict(diff.get("usd_per_tonne")), 2),
                _diff_card("CO2", "kg/t", _dict(diff.get("co2_kg_per_tonne")), 1),
            ]
        groups.append(Cards(f"Shipment {sid} · {label} against {reference}", cards))
    groups[-1].note = ("Δ: paired difference under common random numbers, mean and 95% CI "
                       "over replications; significant where the CI excludes 0 (grey: not).")
    return groups


def _diff_text(diff: Mapping[str, Any], digits: int) -> Cell:
    if not diff:
        return _ncell("ref", tone="muted")
    star = "*" if diff.get("significant") else ""
    return _ncell(signed(diff.get("mean"), digits) + star, tone="strong" if star else "",
                  sub=f"[{interval(diff.get('ci95'), digits, signed)}]")


def _compare_table(sid: str, entry: Mapping[str, Any], labels: Sequence[str]) -> Table:
    per = _dict(entry.get("per_scenario"))
    diffs = _dict(entry.get("diff_vs_first"))
    rows = []
    for label in labels:
        if label not in per:
            continue
        s = _dict(per.get(label))
        t = _dict(s.get("transit_days"))
        diff = _dict(diffs.get(label))
        rows.append([
            _kcell(label), _ncell(num(t.get("mean"))), _ncell(interval(t.get("ci95"))),
            _ncell(num(t.get("p50"))), _ncell(num(t.get("p90"))), _ncell(num(t.get("p95"))),
            _ncell(pct(s.get("p_within_target"))), _ncell(num(s.get("usd_per_tonne"))),
            _ncell(num(s.get("co2_kg_per_tonne"), 1)),
            _ncell(f"{num(s.get('arrived'), 0)} / {num(s.get('in_transit'), 0)}"),
            _diff_text(diff, 2), _diff_text(_dict(diff.get("usd_per_tonne")), 2),
            _diff_text(_dict(diff.get("co2_kg_per_tonne")), 1),
        ])
    columns = [
        Column("scenario"), Column("mean", "days", True), Column("95% CI", "days", True),
        Column("p50", "days", True), Column("p90", "days", True), Column("p95", "days", True),
        Column("within target", "share", True), Column("cost", "USD/t", True),
        Column("CO2", "kg/t", True), Column("arrived / in transit", "consignments", True),
        Column("Δ transit", "days [95% CI]", True), Column("Δ cost", "USD/t [95% CI]", True),
        Column("Δ CO2", "kg/t [95% CI]", True),
    ]
    return Table(f"Shipment {sid}", columns, rows,
                 note="Δ: paired difference to the first scenario; * where its 95% CI "
                 "excludes 0.")


def build_compare(folder: Path) -> Report:
    """The report of a comparison's folder (compare.json and a run folder per scenario)."""
    document = read_json(folder / "compare.json")
    scenarios = [_dict(s) for s in _list(document.get("scenarios"))]
    labels = [_str(s.get("label")) for s in scenarios]
    runs = {label: _optional_json(folder / label / "summary.json") for label in labels}
    manifests = {label: _optional_json(folder / label / "manifest.json") for label in labels}
    questions = []
    for s, label in zip(scenarios, labels, strict=True):
        recorded = _str(s.get("file"))
        digest = _str(_dict(_dict(manifests[label].get("inputs")).get(recorded)).get("sha256"))
        questions.append(read_question(_str(s.get("name")), recorded, folder, label=label,
                                       sha256=digest or None))
    shipments = {str(k): _dict(v) for k, v in _dict(document.get("shipments")).items()}
    details = Section("Details", "details",
                      [_compare_table(sid, e, labels) for sid, e in shipments.items()])
    pairs = [(f"{label} · {sid}", _dict(s)) for label in labels
             for sid, s in _dict(runs[label].get("shipments")).items()]
    if pairs:
        details.blocks.append(_time_table(pairs, "scenario · shipment"))
        details.blocks.append(_cost_table(pairs, "scenario · shipment"))
    for label in labels:
        ships = {str(k): _dict(v) for k, v in _dict(runs[label].get("shipments")).items()}
        if ships:
            places = read_places(manifests[label], folder)
            details.blocks.append(_routes_text(ships, places, f"Planned routes: {label}"))
    warnings = [_str(w) for w in _list(document.get("warnings"))]
    for sid, missing in _dict(document.get("missing")).items():
        warnings.append(f"shipment {sid} is missing from: {', '.join(map(str, _list(missing)))}")
    figs, skipped = figures(folder, {})
    for label in labels:
        if (folder / label).is_dir():
            more, left = figures(folder / label, {}, prefix=f"{label}/")
            figs.extend(more)
            skipped.extend(left)
    facts = [
        ("Scenarios", f"{len(labels)}, compared to the first ({labels[0] if labels else _DASH})"),
        ("Seed", f"{whole(document.get('seed'))} (common random numbers)"),
        ("Replications", num(document.get("replications"), 0)),
    ]
    warmups = _dict(document.get("warmup_days"))
    if len({_float(v) for v in warmups.values()}) == 1:
        facts.append(("Warm-up", f"{num(next(iter(warmups.values())), 0)} days (every scenario)"))
    elif warmups:
        facts.append(("Warm-up", ", ".join(f"{k} {num(v, 0)} d" for k, v in warmups.items())))
    if labels and (folder / labels[0] / "manifest.json").is_file():
        path = folder / labels[0] / "manifest.json"
        facts.append(("Manifest written", manifest_date(path, manifests[labels[0]]) or _DASH))
    return Report(
        kind="compare",
        # The scenarios' names are long sentences, given under the question; their file
        # stems are what every table and chart of a comparison calls them.
        title=" vs ".join(labels) or "Scenario comparison",
        folder=str(folder.absolute()),
        facts=facts,
        questions=questions,
        headline=[g for sid, e in shipments.items() for g in _compare_cards(sid, e, labels)],
        warnings=warnings,
        sections=[details],
        figures=figs,
        files=files_table(folder),
        provenance=_compare_provenance(folder, labels, manifests),
        skipped_images=skipped,
    )


def _compare_provenance(
    folder: Path, labels: Sequence[str], manifests: Mapping[str, Mapping[str, Any]]
) -> list[Block]:
    present = [lab for lab in labels if manifests[lab]]
    if not present:
        return [Text(["No manifest.json in the scenarios' folders."])]
    first = manifests[present[0]]
    commands = {_command_line(manifests[lab]) for lab in present}
    facts = [
        ("corridorsim", _str(first.get("corridorsim")) or _DASH),
        ("Python", _str(first.get("python")) or _DASH),
        ("Command line", " | ".join(sorted(commands)) or _DASH),
    ]
    inputs: dict[str, dict[str, str]] = {}
    for lab in present:
        for path, entry in _dict(manifests[lab].get("inputs")).items():
            seen = inputs.setdefault(str(path), {"sha256": _str(_dict(entry).get("sha256")),
                                                 "by": ""})
            seen["by"] = f"{seen['by']}, {lab}" if seen["by"] else lab
    return [Facts(facts, code=frozenset({"Command line"})), _inputs_table(inputs, folder)]


# --------------------------------------------------------------------------------------------
# Sweeps

#: The index a method's parameters are ranked by, and whether by its absolute value.
RANKING = {
    "morris": ("mu_star", False),
    "sobol": ("ST", False),
    "lhs": ("spearman_rho", True),
    "grid": ("effect_range", True),
}

#: How each index column is headed, with its unit ("KPI" is the KPI's own unit).
_INDEX_COLUMNS = {
    "mu": ("mu", "KPI"), "mu_star": ("mu*", "KPI"), "mu_star_conf": ("mu* 95% CI ±", "KPI"),
    "sigma": ("sigma", "KPI"),
    "S1": ("S1", "share of variance"), "S1_conf": ("S1 95% CI ±", ""),
    "ST": ("ST", "share of variance"), "ST_conf": ("ST 95% CI ±", ""),
    "spearman_rho": ("Spearman ρ", ""), "p_value": ("p-value", ""),
    "levels": ("levels", ""), "level_means": ("mean at each level", "KPI"),
    "effect_range": ("effect range", "KPI"),
}


def _index_value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(num(v, 3) if _float(v) is not None else _str(v) for v in value)
    if _float(value) is None:
        return _str(value) or _DASH
    return num(value, 3 if abs(_float(value) or 0) >= 0.001 or value == 0 else 5)


def _ranked(rows: list[dict[str, Any]], method: str) -> list[dict[str, Any]]:
    key, absolute = RANKING.get(method, ("", False))
    if not key:
        return rows

    def score(r: dict[str, Any]) -> float:
        value = _float(r.get(key))
        return -1.0 if value is None else (abs(value) if absolute else value)

    return sorted(rows, key=score, reverse=True)


def _grouped_indices(indices: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in indices:
        groups.setdefault((_str(row.get("shipment")), _str(row.get("kpi"))), []).append(row)
    return groups


def _sweep_card(shipment: str, kpi: str, rows: list[dict[str, Any]], method: str) -> Card:
    key = RANKING.get(method, ("", False))[0]
    head, unit = _INDEX_COLUMNS.get(key, (key, ""))
    unit = _kpi_unit(kpi) if unit == "KPI" else unit
    if any("note" in r for r in rows):
        return Card(f"{shipment} · {kpi}", "no indices", "",
                    _str(rows[0].get("note")), tone="bad")
    ranked = _ranked(rows, method)[:TOP_PARAMETERS]
    items = tuple(
        f"{_short_parameter(_str(r.get('parameter')))} — {head} {_index_value(r.get(key))}"
        for r in ranked
    )
    return Card(f"{shipment} · {kpi}", "", "",
                f"ranked by {head}" + (f", in {unit}" if unit else ""), items=items)


def _index_table(shipment: str, kpi: str, rows: list[dict[str, Any]], method: str) -> Table:
    keys = [k for k in _INDEX_COLUMNS if any(k in r for r in rows)]
    columns = [Column("#", "", True), Column("parameter")]
    for k in keys:
        label, unit = _INDEX_COLUMNS[k]
        columns.append(Column(label, _kpi_unit(kpi) if unit == "KPI" else unit, True))
    cells = []
    for i, r in enumerate(_ranked(rows, method), start=1):
        name = _str(r.get("parameter"))
        line = [_ncell(str(i)), _cell(_short_parameter(name), title=name)]
        line.extend(_ncell(_index_value(r.get(k))) for k in keys)
        if "note" in r:
            line.append(_cell(_str(r.get("note")), tone="bad"))
        cells.append(line)
    if any("note" in r for r in rows):
        columns.append(Column("note"))
    return Table(f"Indices: {shipment} · {kpi}", columns, cells)


@dataclass
class _Ranges:
    """Running minimum, maximum and mean of a column of points.csv, streamed."""

    low: float = math.inf
    high: float = -math.inf
    total: float = 0.0
    count: int = 0
    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.low = min(self.low, value)
        self.high = max(self.high, value)
        self.total += value
        self.count += 1
        if len(self.values) < 100_000:  # enough for a median; a design rarely has more
            self.values.append(value)


def _points_summary(
    folder: Path, parameters: Sequence[str], kpi_columns: Sequence[str]
) -> tuple[int, dict[str, _Ranges], list[tuple[str, str]]]:
    """Rows of points.csv, each parameter's and KPI's range over them, and failed points."""
    ranges = {c: _Ranges() for c in (*parameters, *kpi_columns)}
    failed: list[tuple[str, str]] = []

    def visit(row: dict[str, str]) -> None:
        for column, seen in ranges.items():
            value = _float(row.get(column))
            if value is not None:
                seen.add(value)
        if row.get("error"):
            failed.append((row.get("point", ""), row.get("error", "")))

    count = _scan_csv(folder / "points.csv", visit)
    return count, ranges, failed


def _study_spec(question_file: Path | None) -> dict[str, Any]:
    if question_file is None:
        return {}
    from corridorsim.scenario.yaml_source import read_yaml

    try:
        return read_yaml(question_file).data
    except InputError:
        return {}


def _spec_range(spec: Any) -> str:
    """A study file's parameter spec as a planner reads it."""
    if isinstance(spec, list):
        return "levels " + ", ".join(_str(v) for v in spec)
    d = _dict(spec)
    if "dist" in d:
        return ", ".join(f"{k} {_str(v)}" for k, v in d.items())
    if "min" in d or "max" in d:
        extra = f", {_str(d['steps'])} steps" if "steps" in d else ""
        return f"{_str(d.get('min'))} – {_str(d.get('max'))}{extra}"
    return _str(spec)


def build_sweep(folder: Path) -> Report:
    """The report of a sweep's folder (study.json, indices, points)."""
    study = read_json(folder / "study.json")
    method = _str(study.get("method"))
    indices_doc = _optional_json(folder / "indices.json")
    indices = [_dict(r) for r in _list(indices_doc.get("indices"))] or [
        dict(r) for r in _read_csv(folder / "indices.csv")
    ]
    parameters = [_str(p) for p in _list(study.get("parameters"))]
    shipments = [_str(s) for s in _list(study.get("shipments"))]
    kpis = [_str(k) for k in _list(study.get("kpis"))]
    recorded = _str(study.get("file"))
    question = read_question(_str(study.get("study")), recorded, folder)
    study_path = find_input(recorded, folder)
    spec = _study_spec(study_path)
    questions = [question]
    base = _str(spec.get("base"))
    if base and study_path is not None:
        base_path = study_path.parent / base
        base_q = read_question("", f"{base} (beside the study file)", folder,
                               label="base scenario", path=base_path)
        if base_q.name:
            questions.append(base_q)
    groups = _grouped_indices(indices)
    headline = [Cards("Which parameters move each KPI most",
                      [_sweep_card(s, k, rows, method) for (s, k), rows in groups.items()],
                      note=f"The top {TOP_PARAMETERS} by the {method} index; all in the "
                      "tables below and in indices.csv.")] if groups else []
    kpi_columns = [f"{s}.{k}" for s in shipments for k in kpis]
    count, ranges, failed = _points_summary(folder, parameters, kpi_columns)
    details = Section("Details", "details", [
        _parameters_table(parameters, ranges, _dict(spec.get("parameters"))),
        *(_index_table(s, k, rows, method) for (s, k), rows in groups.items()),
        _kpi_ranges_table(kpi_columns, ranges, count),
    ])
    if failed:
        rows = [[_ncell(p), _cell(e)] for p, e in failed]
        shown, note = _cut(rows, len(rows), "failed points", "points.csv")
        details.blocks.append(Table("Failed points", [Column("point", "", True),
                                                      Column("error")], shown, note=note))
    warnings = []
    failed_points = _float(study.get("failed_points")) or len(failed)
    if failed_points:
        warnings.append(f"{num(failed_points, 0)} design points failed: the KPIs with a failed "
                        "point have no indices (see the failed points below)")
    notes = {(_str(r.get("shipment")), _str(r.get("kpi")), _str(r.get("note")))
             for r in indices if r.get("note")}
    warnings.extend(f"{s} {k}: {n}" for s, k, n in sorted(notes))
    context = {"method": method, "sweep_charts": {
        f"sensitivity_{s}_{k.replace('.', '_')}.png": (s, k) for s in shipments for k in kpis}}
    figs, skipped = figures(folder, context)
    facts = [
        ("Method", method or _DASH),
        ("Design points", f"{num(study.get('points'), 0)} ({num(failed_points, 0)} failed)"),
        ("Replications per point", num(study.get("replications_per_point"), 0)),
        ("Seed", f"{whole(study.get('seed'))} (every point: common random numbers)"),
        ("Parameters", num(len(parameters), 0)),
        ("KPIs", ", ".join(f"{s} {k}" for s in shipments for k in kpis) or _DASH),
    ]
    provenance: list[Block] = [
        Facts([("Study file", recorded or _DASH),
               ("Fingerprint", _str(study.get("fingerprint")) or _DASH)],
              code=frozenset({"Fingerprint"})),
        Text(["A sweep keeps no manifest.json: the fingerprint of the study, its base scenario "
              "and network (the sha256 of what ran) is in study.json and results.sqlite, and "
              "resuming with changed inputs is refused."]),
    ]
    return Report(
        kind="sweep", title=question.name or "Sensitivity study",
        folder=str(folder.absolute()), facts=facts, questions=questions, headline=headline,
        warnings=warnings, sections=[details], figures=figs, files=files_table(folder),
        provenance=provenance, skipped_images=skipped,
    )


def _parameters_table(
    parameters: Sequence[str], ranges: Mapping[str, _Ranges], specs: Mapping[str, Any]
) -> Table:
    rows = []
    for p in parameters:
        seen = ranges.get(p, _Ranges())
        rows.append([
            _cell(_short_parameter(p), title=p),
            _cell(_spec_range(specs[p]) if p in specs else _DASH),
            _ncell(plain(seen.low) if seen.count else _DASH),
            _ncell(plain(seen.high) if seen.count else _DASH),
        ])
    return Table("Parameters", [Column("parameter"), Column("in the study file"),
                                Column("lowest sampled", "", True),
                                Column("highest sampled", "", True)], rows,
                 note="Sampled: over the design points in points.csv.")


def _kpi_ranges_table(columns: Sequence[str], ranges: Mapping[str, _Ranges], count: int) -> Table:
    rows = []
    for c in columns:
        seen = ranges.get(c, _Ranges())
        kpi = c.split(".", 1)[1] if "." in c else c
        digits = 3 if _kpi_unit(kpi) == "share" else 2
        rows.append([
            _kcell(c), _cell(_kpi_unit(kpi)), _ncell(f"{seen.count:,}"),
            _ncell(num(seen.low, digits) if seen.count else _DASH),
            _ncell(num(statistics.median(seen.values), digits) if seen.values else _DASH),
            _ncell(num(seen.high, digits) if seen.count else _DASH),
        ])
    return Table("KPIs over the design points", [
        Column("KPI"), Column("unit"), Column("points", "", True), Column("lowest", "", True),
        Column("median", "", True), Column("highest", "", True)], rows,
        note=f"{count:,} design points, one row each in points.csv and points.parquet "
        "(parameters, KPIs with their CIs), not copied here.")


# --------------------------------------------------------------------------------------------
# Assignments


def _route_via(nodes: Sequence[str], others: Sequence[Sequence[str]]) -> str:
    """What tells a route from the flow's other routes, without the network: where it
    leaves each of them (its first node that the other does not pass)."""
    marks = []
    for other in others:
        seen = set(other)
        first = next((n for n in nodes[1:-1] if n not in seen), None)
        if first is not None:
            marks.append(first)
    return ", ".join(n for n in nodes if n in set(marks))


def _route_label(
    route: Mapping[str, Any], routes: Sequence[Mapping[str, Any]], places: Places
) -> str:
    nodes = [_str(n) for n in _list(route.get("nodes"))]
    described = places.describe(nodes, [_str(k) for k in _list(route.get("links"))])
    if described:
        return described
    others = [[_str(n) for n in _list(r.get("nodes"))] for r in routes if r is not route]
    via = _route_via(nodes, others)
    ends = f"{nodes[0]} → {nodes[-1]}" if nodes else _DASH
    return f"{ends} via {via}" if via else ends


def _flow_cards(fid: str, flow: Mapping[str, Any], places: Places) -> Cards:
    routes = [_dict(r) for r in _list(flow.get("routes"))]
    cards = []
    for r in routes:
        t = _dict(r.get("transit_days"))
        cards.append(Card(
            f"Route {whole(r.get('rank'))}: {_route_label(r, routes, places)}",
            pct(r.get("share"), 1), "of the tonnes",
            f"95% CI {interval(r.get('share_ci95'), 1, pct)} · {num(t.get('mean'))} d mean, "
            f"p90 {num(t.get('p90'))} d · {num(r.get('usd_per_tonne'))} USD/t · "
            f"{num(r.get('tonnes_per_year'), 0)} t/year",
        ))
    title = (f"Flow {fid}: {_str(flow.get('cargo'))}, {_str(flow.get('origin'))} → "
             f"{_str(flow.get('destination'))}, {num(flow.get('tonnes_per_year'), 0)} t/year")
    return Cards(title, cards, note="Share of the flow's tonnes on each route at the end of "
                 "the assignment, with its 95% CI; days and cost as simulated with that split.")


def _routes_table(fid: str, flow: Mapping[str, Any], places: Places) -> list[Block]:
    routes = [_dict(r) for r in _list(flow.get("routes"))]
    rows = []
    for r in routes:
        t = _dict(r.get("transit_days"))
        simulated = r.get("simulated") is not False
        rows.append([
            _ncell(whole(r.get("rank"))), _cell(_route_label(r, routes, places)),
            _ncell(pct(r.get("share"), 1)), _ncell(interval(r.get("share_ci95"), 1, pct)),
            _ncell(num(r.get("tonnes_per_year"), 0)),
            _ncell(num(t.get("mean")) + ("" if simulated else " *")),
            _ncell(num(t.get("p50"))), _ncell(num(t.get("p90"))),
            _ncell(num(r.get("usd_per_tonne"))), _ncell(num(r.get("generalized_usd_per_tonne"))),
            _ncell(num(r.get("static_days"))), _ncell(num(r.get("consignments"), 0)),
            _ncell(num(r.get("in_transit"), 0)),
        ])
    columns = [
        Column("#", "", True), Column("route"), Column("share", "of tonnes", True),
        Column("95% CI", "share", True), Column("tonnes", "per year", True),
        Column("mean", "days", True), Column("p50", "days", True), Column("p90", "days", True),
        Column("cost", "USD/t", True), Column("generalized", "USD/t", True),
        Column("static", "days", True), Column("consignments", "", True),
        Column("in transit", "", True),
    ]
    starred = any(r.get("simulated") is False for r in routes)
    paths = [f"Route {whole(r.get('rank'))}: "
             f"{' → '.join(_str(n) for n in _list(r.get('nodes')))}" for r in routes]
    return [Table(f"Flow {fid}: routes", columns, rows,
                  note="Simulated with the final split; generalized cost adds the cargo's "
                  "value of time." + (" * no train took the route: its static cost plus the "
                                      "queues at its facilities." if starred else "")),
            Text(paths, title=f"Flow {fid}: the routes' nodes")]


def _iterations_table(fid: str, flow: Mapping[str, Any]) -> Table:
    rows = []
    for it in (_dict(i) for i in _list(flow.get("iterations"))):
        rows.append([
            _ncell(whole(it.get("iteration"))),
            _ncell(" / ".join(pct(v, 1) for v in _list(it.get("shares")))),
            _ncell(" / ".join(num(v) for v in _list(it.get("costs")))),
            _ncell(" / ".join(pct(v, 1) for v in _list(it.get("target")))),
            _ncell(num(it.get("max_share_change"), 4)), _ncell(num(it.get("max_gap"), 4)),
        ])
    shown, note = _cut(rows, len(rows), "iterations", "assignment.json")
    return Table(f"Flow {fid}: iterations", [
        Column("iteration", "", True), Column("split simulated", "share per route", True),
        Column("costs", "per route", True), Column("model's split", "share per route", True),
        Column("largest change", "share", True), Column("gap", "share", True)], shown,
        note=note)


def _bottlenecks_table(document: Mapping[str, Any]) -> Table | None:
    rows = [[
        _kcell(_str(b.get("element"))), _cell(_str(b.get("kind"))),
        _ncell(pct(b.get("utilisation"), 1)), _ncell(num(b.get("mean_wait_h"), 1)),
        _ncell(num(b.get("tonnes_per_year"), 0)),
    ] for b in (_dict(x) for x in _list(document.get("bottlenecks")))]
    if not rows:
        return None
    return Table("Bottlenecks: the busiest elements", [
        Column("element"), Column("kind"), Column("utilisation", "share", True),
        Column("mean wait", "h", True), Column("tonnes", "per year, all flows", True)], rows)


def _flows_csv_table(folder: Path) -> Table | None:
    records = _read_csv(folder / "flows.csv")
    if not records:
        return None
    records.sort(key=lambda r: (-(_float(r.get("utilisation")) or -1),
                                -(_float(r.get("tonnes_per_year")) or 0)))
    rows = [[
        _kcell(r.get("element", "")), _cell(r.get("kind", "")),
        _ncell(num(r.get("tonnes_per_year"), 0)), _ncell(num(r.get("trains_per_day"), 2)),
        _ncell(pct(r.get("utilisation"), 1)), _ncell(num(r.get("mean_wait_h"), 1)),
    ] for r in records]
    shown, note = _cut(rows, len(rows), "elements, the busiest first", "flows.csv")
    return Table("Flows on the network", [
        Column("element"), Column("kind"), Column("tonnes", "per year", True),
        Column("trains", "per day", True), Column("utilisation", "share", True),
        Column("mean wait", "h", True)], shown,
        note=(note + " " if note else "") + "Utilisation “–”: no capacity limit.")


def build_assign(folder: Path) -> Report:
    """The report of an assignment's folder."""
    document = read_json(folder / "assignment.json")
    manifest = _optional_json(folder / "manifest.json")
    recorded, digest = _first_scenario(manifest)
    question = read_question(_str(document.get("scenario")), recorded, folder, sha256=digest)
    flows = {str(k): _dict(v) for k, v in _dict(document.get("flows")).items()}
    details = Section("Details", "details")
    places = read_places(manifest, folder)
    for fid, flow in flows.items():
        details.blocks.extend(_routes_table(fid, flow, places))
        details.blocks.append(_iterations_table(fid, flow))
    for block in (_bottlenecks_table(document), _flows_csv_table(folder)):
        if block is not None:
            details.blocks.append(block)
    warnings = [_str(w) for w in _list(document.get("warnings"))]
    if document.get("converged") is False:
        warnings.append(
            f"the split did not converge in {num(document.get('iterations'), 0)} iterations: "
            "the shares may still move"
        )
    facts = [
        ("Choice model", f"{_str(document.get('model'))} on {_str(document.get('cost'))} cost"
         + (f", theta {plain(document.get('theta'))}" if _float(document.get("theta")) else "")),
        ("Converged", ("yes" if document.get("converged") else "no")
         + f" after {num(document.get('iterations'), 0)} iteration(s), tolerance "
         f"{plain(document.get('tolerance'))}"),
        ("Seed", whole(document.get("seed"))),
        ("Replications", f"{num(document.get('replications'), 0)} per iteration"),
    ]
    figs, skipped = figures(folder, {})
    return Report(
        kind="assign", title=question.name or "Route assignment",
        folder=str(folder.absolute()), facts=_with_manifest_facts(facts, folder),
        questions=[question], headline=[_flow_cards(fid, f, places) for fid, f in flows.items()],
        warnings=warnings, sections=[details], figures=figs, files=files_table(folder),
        provenance=manifest_blocks(folder / "manifest.json", folder), skipped_images=skipped,
    )


# --------------------------------------------------------------------------------------------
# Capacity searches

#: Each criterion as a sentence, from its limit.
CRITERIA: dict[str, Callable[[float | None], str]] = {
    "max_p90_days": lambda v: f"90% of consignments arrive within {num(v, 1)} days",
    "max_mean_wait_h": lambda v: f"mean queueing at most {num(v, 1)} h per consignment",
    "max_utilisation": lambda v: f"no element on its routes used beyond {pct(v, 0)}",
}


def _criterion(document: Mapping[str, Any]) -> tuple[str, str]:
    criterion = _dict(document.get("criterion"))
    name = _str(criterion.get("name"))
    limit = _float(criterion.get("limit"))
    sentence = CRITERIA[name](limit) if name in CRITERIA else f"{name} {num(limit)}"
    return name, sentence


#: Each criterion as a short figure, from its limit.
CRITERION_FIGURES: dict[str, Callable[[float | None], tuple[str, str]]] = {
    "max_p90_days": lambda v: (f"≤ {plain(v)}", "days, p90"),
    "max_mean_wait_h": lambda v: (f"≤ {plain(v)}", "h mean wait"),
    "max_utilisation": lambda v: (f"≤ {pct(v, 0)}", "used"),
}


def _capacity_cards(document: Mapping[str, Any]) -> Cards:
    name, sentence = _criterion(document)
    limit = _float(_dict(document.get("criterion")).get("limit"))
    figure, unit = CRITERION_FIGURES[name](limit) if name in CRITERION_FIGURES else (name, "")
    binding = _dict(document.get("binding"))
    capacity = _float(document.get("capacity_tonnes_per_year"))
    cards = [
        Card("Capacity", num(capacity, 0), "t/year",
             "the largest tonnage tried that met the criterion (bisection to 1%)",
             tone="bad" if not capacity else "strong"),
    ]
    points = [_dict(p) for p in _list(document.get("points"))]
    start = _float(points[0].get("tonnes_per_year")) if points else None
    if start and capacity is not None:
        cards.append(Card("Against the scenario's tonnage",
                          signed(100 * (capacity / start - 1), 0) + "%",
                          "", f"the scenario runs {num(start, 0)} t/year (the first tried)",
                          tone="bad" if capacity < start else ""))
    cards.append(Card("Binding element", _str(binding.get("element")) or _DASH, "",
                      f"{_str(binding.get('kind'))}, {pct(binding.get('utilisation'), 1)} used "
                      "at the capacity" if binding else "none recorded"))
    cards.append(Card("Criterion", figure, unit, f"{sentence} ({name})"))
    return Cards(f"Shipment {_str(document.get('shipment'))}", cards)


def _capacity_table(document: Mapping[str, Any]) -> Table:
    points = sorted((_dict(p) for p in _list(document.get("points"))),
                    key=lambda p: _float(p.get("tonnes_per_year")) or 0)
    capacity = _float(document.get("capacity_tonnes_per_year"))
    rows, marked = [], set()
    for i, p in enumerate(points):
        tonnes = _float(p.get("tonnes_per_year"))
        if capacity is not None and tonnes is not None and math.isclose(tonnes, capacity):
            marked.add(i)
        meets = p.get("meets")
        rows.append([
            _ncell(num(tonnes, 0)), _ncell(num(p.get("p50_days"))),
            _ncell(num(p.get("p90_days"))), _ncell(num(p.get("mean_wait_h"), 2)),
            _ncell(pct(p.get("utilisation"), 1)),
            _cell("yes" if meets else "no", tone="good" if meets else "bad"),
        ])
    return Table("Every tonnage tried", [
        Column("tonnes", "per year", True), Column("p50", "days", True),
        Column("p90", "days", True), Column("mean wait", "h per consignment", True),
        Column("utilisation", "busiest element", True), Column("meets")], rows,
        note="In order of tonnage; the highlighted row is the capacity.",
        marked=frozenset(marked))


def build_capacity(folder: Path) -> Report:
    """The report of a capacity search's folder."""
    document = read_json(folder / "capacity.json")
    manifest = _optional_json(folder / "manifest.json")
    recorded, digest = _first_scenario(manifest)
    question = read_question("", recorded, folder, sha256=digest)
    _, sentence = _criterion(document)
    warnings = []
    if not _float(document.get("capacity_tonnes_per_year")):
        warnings.append("no tonnage above zero met the criterion")
    facts = [
        ("Shipment", _str(document.get("shipment")) or _DASH),
        ("Criterion", sentence),
        ("Seed", whole(document.get("seed"))),
        ("Replications", f"{num(document.get('replications'), 0)} per tonnage"),
        ("Tonnages tried", num(len(_list(document.get("points"))), 0)),
    ]
    figs, skipped = figures(folder, {})
    title = question.name or f"Capacity of {_str(document.get('shipment'))}"
    return Report(
        kind="capacity", title=title, folder=str(folder.absolute()),
        facts=_with_manifest_facts(facts, folder), questions=[question] if question.file else [],
        headline=[_capacity_cards(document)], warnings=warnings,
        sections=[Section("Details", "details", [_capacity_table(document)])], figures=figs,
        files=files_table(folder), provenance=manifest_blocks(folder / "manifest.json", folder),
        skipped_images=skipped,
    )


#: Kind -> the function that reads its folder into a :class:`Report`.
BUILDERS: dict[str, Callable[[Path], Report]] = {
    "run": build_run,
    "compare": build_compare,
    "sweep": build_sweep,
    "assign": build_assign,
    "capacity": build_capacity,
}

