"""Writing a run's files (summary.json, shipments.csv, legs.csv, facilities.csv,
manifest.json) and a comparison's (compare.json and each scenario's run files).

A run's (or a comparison's) folder changes in one step: every file is written into a fresh
hidden folder beside it (``.DIR.*.tmp``), which then takes the folder's place, so the folder
holds one complete run or the previous one, never a mix. Leftovers of an interrupted write are
removed by the next one. A write the disk refuses (full, read-only) is one line naming the
file, and the previous folder stays as it was.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corridorsim import __version__
from corridorsim._files import (
    clean_leftovers,
    is_temp,
    naming,
    swap_folder_in,
    umask,
    write_error,
    write_text_atomic,
)
from corridorsim.errors import ParameterError
from corridorsim.report.rows import FACILITY_COLUMNS, LEG_COLUMNS, shipment_row

if TYPE_CHECKING:
    from corridorsim.experiment.compare import Comparison
    from corridorsim.experiment.results import SimulationResult


def json_text(document: Any) -> str:
    """A JSON document as written to files: indented, UTF-8 as is, a final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """CSV text of ``rows`` (the columns of the first row, or ``columns``: then only those);
    a header alone when there are no rows and ``columns`` are given."""
    buffer = io.StringIO()
    writer: csv.DictWriter[str] | None = None
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(
                buffer, fieldnames=list(columns or row), lineterminator="\n",
                extrasaction="ignore",
            )
            writer.writeheader()
        writer.writerow({k: _cell(v) for k, v in row.items()})
    if writer is None and columns:
        buffer.write(",".join(columns) + "\n")
    return buffer.getvalue()


def write_text_file(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` in one step (a temporary file renamed into place); a write
    the disk refuses is one line naming the file."""
    try:
        write_text_atomic(path, text)
    except OSError as exc:
        raise write_error(exc, path) from None


def _cell(value: Any) -> Any:
    # Enough digits for hours to the second and money to the cent, without float noise.
    if isinstance(value, float):
        if math.isnan(value):
            return ""  # no value (a CI of one replication)
        return f"{value:.6g}" if abs(value) < 1e-3 else f"{value:.6f}".rstrip("0").rstrip(".")
    return value


def prepare_output_dir(path: str | os.PathLike[str]) -> Path:
    """The output folder ``path``, created if needed (ParameterError ``out_dir`` if it
    cannot be, or if it cannot be written in)."""
    out = check_output_dir(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError("out_dir", f"{out}: cannot create: {exc.strerror or exc}") from None
    return out


def check_output_dir(path: str | os.PathLike[str], *, replaced: bool = False) -> Path:
    """``path`` as an output folder, checked before any work is done: ParameterError
    ``out_dir`` if it is empty, is a file, lies under a file, or cannot be written in (with
    ``replaced``, its parent, where the folder is swapped in, must be writable too)."""
    if not str(path):
        raise ParameterError("out_dir", "an empty folder name")
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise ParameterError("out_dir", f"{out} exists and is not a folder")
    base = out if out.is_dir() and not replaced else _existing_ancestor(out.absolute().parent)
    if not base.is_dir():
        raise ParameterError("out_dir", f"{out}: cannot create: {base} is not a folder")
    if not os.access(base, os.W_OK | os.X_OK):
        raise ParameterError("out_dir", f"{out}: cannot write in {base}: permission denied")
    return out


def check_output_file(path: str | os.PathLike[str]) -> Path:
    """``path`` as a file to write: ParameterError ``path`` if it is empty, is a folder, or
    its folder does not exist or cannot be written in."""
    if not str(path):
        raise ParameterError("path", "an empty file name")
    target = Path(path)
    folder = target.absolute().parent
    if target.is_dir():
        raise ParameterError("path", f"{target} is a folder")
    if not folder.is_dir():
        reason = "is not a folder" if folder.exists() else "does not exist"
        raise ParameterError("path", f"{target}: the folder {folder} {reason}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ParameterError("path", f"{target}: cannot write in {folder}: permission denied")
    return target


def _existing_ancestor(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


@contextmanager
def replaced_folder(
    out_dir: str | os.PathLike[str], keeps: Callable[[os.DirEntry[str]], bool]
) -> Iterator[Path]:
    """A fresh folder to write ``out_dir``'s new contents into; when the block ends it
    takes ``out_dir``'s place in one step. ``keeps`` says which entries of an existing
    ``out_dir`` are outputs that may be replaced: any other entry is refused (ParameterError
    ``out_dir``), so nothing else is lost. A failed write (OSError) is one line naming the
    file in ``out_dir``, and ``out_dir`` stays as it was."""
    # A folder given through a symlink is replaced where it really is; the link stays.
    out = Path(os.path.realpath(check_output_dir(out_dir, replaced=True)))
    shown = Path(out_dir)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        clean_leftovers(out)
        if out.is_dir():
            foreign = sorted(
                e.name for e in os.scandir(out) if not keeps(e) and not is_temp(e.name)
            )
            if foreign:
                listed = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
                raise ParameterError(
                    "out_dir",
                    f"{shown} holds files that are not corridorsim outputs ({listed}): use a "
                    "new or empty output folder",
                )
        stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    except OSError as exc:
        raise write_error(exc, exc.filename or shown) from None
    try:
        os.chmod(stage, 0o777 & ~umask())
        yield stage
        swap_folder_in(stage, out)
    except OSError as exc:
        shutil.rmtree(stage, ignore_errors=True)
        name = str(exc.filename or "")
        where = shown / os.path.relpath(name, stage) if name.startswith(str(stage)) else shown
        raise write_error(exc, where) from None
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


#: The files of a run's folder.
RUN_FILES = ("summary.json", "shipments.csv", "legs.csv", "facilities.csv", "manifest.json",
             "results.xlsx", "report.html")


def _is_run_entry(entry: os.DirEntry[str]) -> bool:
    """Whether an entry of a run's folder is one of its outputs (a file or a chart)."""
    return entry.is_file() and (entry.name in RUN_FILES or entry.name.endswith(".png"))


def _is_compare_entry(entry: os.DirEntry[str]) -> bool:
    """Whether an entry of a comparison's folder is one of its outputs (compare.json, a
    chart, or a scenario's run folder)."""
    if entry.is_dir():
        return all(_is_run_entry(e) or is_temp(e.name) for e in os.scandir(entry.path))
    return entry.is_file() and (
        entry.name in ("compare.json", "results.xlsx", "report.html")
        or entry.name.endswith(".png")
    )


def manifest(
    input_hashes: Mapping[str, str], seed: int, replications: int, argv: Sequence[str] | None = None
) -> dict[str, Any]:
    """What produced a run: versions, the command, the seed, and each input file's sha256."""
    return {
        "corridorsim": __version__,
        "python": platform.python_version(),
        "command": list(argv if argv is not None else sys.argv),
        "seed": seed,
        "replications": replications,
        "inputs": {path: {"sha256": digest} for path, digest in input_hashes.items()},
    }


def write_run_outputs(
    result: SimulationResult,
    out_dir: str | os.PathLike[str],
    argv: Sequence[str] | None = None,
    *,
    plots: bool = False,
    xlsx: bool = False,
) -> list[Path]:
    """Write the five files of a run into ``out_dir`` (and its charts with ``plots``, its
    tables as ``results.xlsx`` with ``xlsx``), replacing a previous run there in one step;
    return their paths."""
    with replaced_folder(out_dir, _is_run_entry) as stage:
        names = _write_run_files(result, stage, argv, plots=plots)
        if xlsx:
            from corridorsim.report.xlsx import FILE_NAME, run_sheets, write_xlsx

            with naming(stage / FILE_NAME):
                write_xlsx(stage / FILE_NAME, run_sheets(result))
            names.append(FILE_NAME)
    return [Path(out_dir) / name for name in names]


def _write_run_files(
    result: SimulationResult, folder: Path, argv: Sequence[str] | None, *, plots: bool
) -> list[str]:
    """Write a run's files into ``folder`` (which exists); return their names."""
    files = {
        "summary.json": json_text(result.summary()),
        "shipments.csv": csv_text(shipment_row(r) for r in result.consignment_rows()),
        "legs.csv": csv_text((r._asdict() for r in result.leg_rows()), LEG_COLUMNS),
        "facilities.csv": csv_text((f._asdict() for f in result.facilities), FACILITY_COLUMNS),
        "manifest.json": json_text(
            manifest(result.scenario.input_hashes, result.seed, len(result.replications), argv)
        ),
    }
    for name, text in files.items():
        with naming(folder / name):
            write_text_atomic(folder / name, text)
    names = list(files)
    if plots:
        from corridorsim.report.charts import write_run_charts

        names.extend(os.path.relpath(p, folder) for p in write_run_charts(result, folder))
    return names


def write_compare_outputs(
    comparison: Comparison,
    out_dir: str | os.PathLike[str],
    argv: Sequence[str] | None = None,
    *,
    plots: bool = False,
    xlsx: bool = False,
) -> list[Path]:
    """Write ``compare.json`` and each scenario's run files into ``out_dir/<label>/`` (and
    the comparison charts with ``plots``, the comparison's tables as ``results.xlsx`` with
    ``xlsx``), replacing a previous comparison there in one step; return their paths."""
    with replaced_folder(out_dir, _is_compare_entry) as stage:
        with naming(stage / "compare.json"):
            write_text_atomic(stage / "compare.json", json_text(comparison.document()))
        names = ["compare.json"]
        for label, result in zip(comparison.labels, comparison.results, strict=True):
            (stage / label).mkdir()
            names.extend(f"{label}/{n}" for n in _write_run_files(result, stage / label, argv,
                                                                   plots=False))
        if plots:
            from corridorsim.report.charts import write_compare_charts

            charts = write_compare_charts(comparison, stage)
            names.extend(os.path.relpath(p, stage) for p in charts)
        if xlsx:
            from corridorsim.report.xlsx import FILE_NAME, compare_sheets, write_xlsx

            with naming(stage / FILE_NAME):
                write_xlsx(stage / FILE_NAME, compare_sheets(comparison))
            names.append(FILE_NAME)
    return [Path(out_dir) / name for name in names]
