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

The package, by what each module holds: :mod:`.detect` tells the kind of folder;
:mod:`.inputs` reads its documents and the scenario or study they name; :mod:`.format` turns
values into text and cells; :mod:`.model` holds the records the template is given;
:mod:`.places` names routes from the network file; :mod:`.shipments` holds the tables runs and
comparisons share; :mod:`.provenance` the manifest and the folder's files; :mod:`.render`
the template and the embedded charts. :mod:`.run`, :mod:`.compare`, :mod:`.sweep`,
:mod:`.assign` and :mod:`.capacity` each build one kind's :class:`Report`; this module
picks the builder and writes the page.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from corridorsim._files import naming, write_error, write_text_atomic
from corridorsim.report.html.assign import build_assign
from corridorsim.report.html.capacity import CRITERIA, CRITERION_FIGURES, build_capacity
from corridorsim.report.html.compare import build_compare
from corridorsim.report.html.detect import KIND_FILES, detect_kind
from corridorsim.report.html.format import (
    MAX_TABLE_ROWS,
    interval,
    num,
    pct,
    plain,
    signed,
    whole,
)
from corridorsim.report.html.inputs import find_input, header_comment, read_json, read_question
from corridorsim.report.html.model import (
    CONTENT_SECURITY_POLICY,
    KIND_TITLES,
    REPORT_NAME,
    Block,
    Card,
    Cards,
    Cell,
    Column,
    Facts,
    Figure,
    Question,
    Report,
    Section,
    Table,
    Text,
)
from corridorsim.report.html.places import Places, read_places
from corridorsim.report.html.provenance import (
    FILE_ROLES,
    files_table,
    manifest_blocks,
    manifest_date,
)
from corridorsim.report.html.render import (
    CAPTIONS,
    MAX_IMAGE_BYTES,
    caption,
    figures,
    png_size,
    render,
)
from corridorsim.report.html.run import build_run
from corridorsim.report.html.sweep import RANKING, TOP_PARAMETERS, build_sweep

#: What ``corridorsim.report.html`` offers: the entry point, and every name it had when it was
#: one module, so that imports of them keep working.
__all__ = [
    "BUILDERS",
    "CAPTIONS",
    "CONTENT_SECURITY_POLICY",
    "CRITERIA",
    "CRITERION_FIGURES",
    "FILE_ROLES",
    "KIND_FILES",
    "KIND_TITLES",
    "MAX_IMAGE_BYTES",
    "MAX_TABLE_ROWS",
    "RANKING",
    "REPORT_NAME",
    "TOP_PARAMETERS",
    "Block",
    "Card",
    "Cards",
    "Cell",
    "Column",
    "Facts",
    "Figure",
    "Places",
    "Question",
    "Report",
    "Section",
    "Table",
    "Text",
    "build_assign",
    "build_capacity",
    "build_compare",
    "build_run",
    "build_sweep",
    "caption",
    "detect_kind",
    "figures",
    "files_table",
    "find_input",
    "header_comment",
    "interval",
    "manifest_blocks",
    "manifest_date",
    "num",
    "pct",
    "plain",
    "png_size",
    "read_json",
    "read_places",
    "read_question",
    "render",
    "signed",
    "whole",
    "write_report",
]


#: Kind -> the function that reads its folder into a :class:`Report`.
BUILDERS: dict[str, Callable[[Path], Report]] = {
    "run": build_run,
    "compare": build_compare,
    "sweep": build_sweep,
    "assign": build_assign,
    "capacity": build_capacity,
}


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
