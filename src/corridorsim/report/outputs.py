"""Writing a run's files (summary.json, shipments.csv, legs.csv, facilities.csv,
manifest.json) and a comparison's (compare.json and each scenario's run files).

Every file is written to a temporary name and renamed into place, so an interrupted run never
leaves a half-written file where a complete one was.
"""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corridorsim import __version__
from corridorsim._files import write_text_atomic
from corridorsim.errors import ParameterError

if TYPE_CHECKING:
    from corridorsim.experiment.compare import Comparison
    from corridorsim.experiment.results import ConsignmentRow, SimulationResult


def json_text(document: Any) -> str:
    """A JSON document as written to files: indented, UTF-8 as is, a final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """CSV text of ``rows`` (the columns of the first row, or ``columns``); a header alone
    when there are no rows and ``columns`` are given."""
    buffer = io.StringIO()
    writer: csv.DictWriter[str] | None = None
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(buffer, fieldnames=list(columns or row), lineterminator="\n")
            writer.writeheader()
        writer.writerow({k: _cell(v) for k, v in row.items()})
    if writer is None and columns:
        buffer.write(",".join(columns) + "\n")
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    # Enough digits for hours to the second and money to the cent, without float noise.
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e-3 else f"{value:.6f}".rstrip("0").rstrip(".")
    return value


def prepare_output_dir(path: str | os.PathLike[str]) -> Path:
    """The output folder ``path``, created if needed (ParameterError ``out_dir`` if it
    cannot be)."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise ParameterError("out_dir", f"{out} exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError("out_dir", f"{out}: cannot create: {exc.strerror or exc}") from None
    return out


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


def shipment_row(row: ConsignmentRow) -> dict[str, Any]:
    """A consignment as a ``shipments.csv`` row: empty cells while in transit, one
    ``wait_h_<cause>`` column per cause."""
    cells = row._asdict()
    waits = cells.pop("wait_h")
    out = {k: "" if v is None else v for k, v in cells.items()}
    out.update({f"wait_h_{cause}": hours for cause, hours in waits.items()})
    return out


def write_run_outputs(
    result: SimulationResult,
    out_dir: str | os.PathLike[str],
    argv: Sequence[str] | None = None,
    *,
    plots: bool = False,
) -> list[Path]:
    """Write the five files of a run into ``out_dir`` (and its charts with ``plots``);
    return their paths."""
    out = prepare_output_dir(out_dir)
    files = {
        "summary.json": json_text(result.summary()),
        "shipments.csv": csv_text(shipment_row(r) for r in result.consignment_rows()),
        "legs.csv": csv_text((r._asdict() for r in result.leg_rows()), LEG_COLUMNS),
        "facilities.csv": csv_text((f._asdict() for f in result.facilities), FACILITY_COLUMNS),
        "manifest.json": json_text(
            manifest(result.scenario.input_hashes, result.seed, len(result.replications), argv)
        ),
    }
    written = []
    for name, text in files.items():
        write_text_atomic(out / name, text)
        written.append(out / name)
    if plots:
        from corridorsim.report.charts import write_run_charts

        written.extend(write_run_charts(result, out))
    return written


def write_compare_outputs(
    comparison: Comparison,
    out_dir: str | os.PathLike[str],
    argv: Sequence[str] | None = None,
    *,
    plots: bool = False,
) -> list[Path]:
    """Write ``compare.json`` and each scenario's run files into ``out_dir/<label>/`` (and
    the comparison charts with ``plots``); return their paths."""
    out = prepare_output_dir(out_dir)
    write_text_atomic(out / "compare.json", json_text(comparison.document()))
    written = [out / "compare.json"]
    for label, result in zip(comparison.labels, comparison.results, strict=True):
        written.extend(write_run_outputs(result, out / label, argv))
    if plots:
        from corridorsim.report.charts import write_compare_charts

        written.extend(write_compare_charts(comparison, out))
    return written


LEG_COLUMNS = (
    "shipment",
    "replication",
    "consignment",
    "seq",
    "kind",
    "id",
    "arrive_h",
    "start_h",
    "end_h",
    "wait_h",
    "cause",
    "cost_usd",
    "co2_kg",
)
FACILITY_COLUMNS = (
    "facility",
    "node",
    "type",
    "servers",
    "served_per_replication",
    "utilisation",
    "mean_queue",
    "mean_wait_h",
)
