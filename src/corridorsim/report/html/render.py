"""Turning a :class:`~corridorsim.report.html.model.Report` into the page: the jinja2
template (``report/templates/report.html.j2``, autoescaped), and every chart of a folder
embedded as a ``data:`` URI with its caption.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from corridorsim._files import read_user_bytes
from corridorsim.errors import InputError
from corridorsim.report.html.format import _str
from corridorsim.report.html.model import Figure, Report

#: The largest chart embedded: a PNG above it is named, not inlined, as the page would no
#: longer open quickly (corridorsim's own charts and maps are a few hundred KB to a few MB).
MAX_IMAGE_BYTES = 16 * 1024 * 1024

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


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
