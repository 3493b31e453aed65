"""Writing an assignment's folder (assignment.json, flows.csv, manifest.json, and with plots
flow_map.png and convergence.png beside its results.sqlite) and a capacity search's
(capacity.json, manifest.json, and with plots capacity.png).

Each file is replaced in one step, and temporary files an interrupted write left are removed
first. A write the disk refuses is a one-line CorridorsimError naming the file; the files not
yet rewritten stay as they were.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corridorsim._files import naming, remove_stale_temp_files, write_error, write_text_atomic
from corridorsim.experiment.flows import FLOW_COLUMNS
from corridorsim.report.outputs import csv_text, json_text, manifest

if TYPE_CHECKING:
    from corridorsim.experiment.assignment import AssignmentOutcome
    from corridorsim.experiment.capacity import CapacityOutcome


def write_assign_folder(
    outcome: AssignmentOutcome,
    out_dir: str | os.PathLike[str],
    argv: Sequence[str] | None = None,
    *,
    plots: bool = False,
    xlsx: bool = False,
) -> list[Path]:
    """Write an assignment's files into ``out_dir`` (created if needed), with ``xlsx`` its
    tables as ``results.xlsx``; return their paths."""
    out = Path(out_dir)
    document = outcome.document()
    files = {
        "assignment.json": json_text(document),
        "flows.csv": csv_text((f._asdict() for f in outcome.flows), FLOW_COLUMNS),
        "manifest.json": json_text(
            manifest(outcome.scenario.input_hashes, outcome.seed, outcome.replications, argv)
        ),
    }
    written = _write(out, files)
    if xlsx:
        from corridorsim.report.xlsx import assign_sheets

        written.append(_write_xlsx(out, assign_sheets(outcome)))
    if plots:
        from corridorsim.report.flow_charts import convergence_chart, flow_map

        name = outcome.scenario.name
        try:
            with naming(out / "flow_map.png"):
                flow_map(
                    outcome.scenario.network,
                    outcome.flows,
                    out / "flow_map.png",
                    title=f"{name}: tonnes per year and waiting, after the assignment",
                )
            with naming(out / "convergence.png"):
                convergence_chart(
                    outcome.iteration_rows(),
                    outcome.scenario.spec.assignment.tolerance,
                    out / "convergence.png",
                    title=f"{name}: convergence of the split",
                )
        except OSError as exc:
            raise write_error(exc, exc.filename or out) from None
        written += [out / "flow_map.png", out / "convergence.png"]
    return written


def write_capacity_folder(
    outcome: CapacityOutcome,
    out_dir: str | os.PathLike[str],
    argv: Sequence[str] | None = None,
    *,
    plots: bool = False,
    xlsx: bool = False,
) -> list[Path]:
    """Write a capacity search's files into ``out_dir`` (created if needed), with ``xlsx``
    its tables as ``results.xlsx``; return their paths."""
    out = Path(out_dir)
    files = {
        "capacity.json": json_text(outcome.document()),
        "manifest.json": json_text(
            manifest(outcome.scenario.input_hashes, outcome.seed, outcome.replications, argv)
        ),
    }
    written = _write(out, files)
    if xlsx:
        from corridorsim.report.xlsx import capacity_sheets

        written.append(_write_xlsx(out, capacity_sheets(outcome)))
    if plots:
        from corridorsim.report.flow_charts import capacity_chart

        try:
            with naming(out / "capacity.png"):
                capacity_chart(
                    [p.as_dict() for p in outcome.points],
                    criterion=outcome.criterion,
                    limit=outcome.limit,
                    capacity_tonnes_per_year=outcome.capacity_tonnes_per_year,
                    path=out / "capacity.png",
                    title=f"{outcome.scenario.name}: capacity for {outcome.shipment}",
                )
        except OSError as exc:
            raise write_error(exc, exc.filename or out) from None
        written.append(out / "capacity.png")
    return written


def _write_xlsx(out: Path, sheets: Any) -> Path:
    from corridorsim.report.xlsx import FILE_NAME, write_xlsx

    try:
        with naming(out / FILE_NAME):
            write_xlsx(out / FILE_NAME, sheets)
    except OSError as exc:
        raise write_error(exc, exc.filename or out) from None
    return out / FILE_NAME


def _write(out: Path, files: dict[str, str]) -> list[Path]:
    try:
        out.mkdir(parents=True, exist_ok=True)
        remove_stale_temp_files(out)
        # A report of the previous results would now describe other numbers than the files.
        (out / "report.html").unlink(missing_ok=True)
        for name, text in files.items():
            with naming(out / name):
                write_text_atomic(out / name, text)
    except OSError as exc:
        raise write_error(exc, exc.filename or out) from None
    return [out / name for name in files]
