"""Writing a run's files: summary.json, shipments.csv, legs.csv, facilities.csv, manifest.json.

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
from typing import Any

from corridorsim import __version__
from corridorsim._files import write_text_atomic
from corridorsim.errors import InputError


def json_text(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
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
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise InputError(f"-o {out}: exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"-o {out}: cannot create: {exc.strerror or exc}") from None
    return out


def manifest(
    input_hashes: Mapping[str, str], seed: int, replications: int, argv: Sequence[str] | None = None
) -> dict[str, Any]:
    return {
        "corridorsim": __version__,
        "python": platform.python_version(),
        "command": list(argv if argv is not None else sys.argv),
        "seed": seed,
        "replications": replications,
        "inputs": {path: {"sha256": digest} for path, digest in input_hashes.items()},
    }


def write_run_outputs(
    result: Any, out_dir: str | os.PathLike[str], argv: Sequence[str] | None = None
) -> list[Path]:
    """Write the five files of a run into ``out_dir``; return their paths."""
    out = prepare_output_dir(out_dir)
    files = {
        "summary.json": json_text(result.summary()),
        "shipments.csv": csv_text(result.shipment_rows()),
        "legs.csv": csv_text(result.leg_rows(), LEG_COLUMNS),
        "facilities.csv": csv_text(result.facility_rows(), FACILITY_COLUMNS),
        "manifest.json": json_text(
            manifest(result.scenario.input_hashes, result.seed, len(result.replications), argv)
        ),
    }
    written = []
    for name, text in files.items():
        write_text_atomic(out / name, text)
        written.append(out / name)
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
