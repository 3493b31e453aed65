"""What the template is given: plain records of already formatted text (columns and cells,
tables, cards, text, facts, sections, figures, the question asked) and the
:class:`Report` holding them, with the page's name and its Content-Security-Policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from corridorsim import __version__

#: The name of the page written into the folder.
REPORT_NAME = "report.html"

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
