"""The networks the benchmarks run on: the shipped one (or a fallback) and a synthetic one."""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corridorsim.errors import InputError
from corridorsim.network.io import load_network, parse_network
from corridorsim.network.model import Network

from .synthetic import DEFAULT_NODES, synthetic_network

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "networks" / "caucasus-caspian.geojson"
FALLBACK = REPO / "tests" / "fixtures" / "tiny.geojson"
SYNTHETIC_NODES = DEFAULT_NODES
SYNTHETIC_SEED = 1


@dataclass(frozen=True)
class NetworkInput:
    """A network file, its network, and what to tell the reader about the choice."""

    label: str
    path: Path
    network: Network
    note: str | None = None


def relative(path: Path) -> str:
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


@functools.cache
def shipped() -> NetworkInput:
    """``networks/caucasus-caspian.geojson``, or ``tests/fixtures/tiny.geojson`` if it fails."""
    if not SHIPPED.exists():
        why = "does not exist (yet)"
    else:
        try:
            return NetworkInput(SHIPPED.name, SHIPPED, load_network(SHIPPED))
        except InputError as exc:
            more = f" (+{len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
            why = f"does not load: {exc.problems[0]}{more}"
    note = f"{relative(SHIPPED)} {why}; {relative(FALLBACK)} used in its place"
    return NetworkInput(f"{FALLBACK.name} (fallback)", FALLBACK, load_network(FALLBACK), note)


@functools.cache
def synthetic_doc() -> dict[str, Any]:
    return synthetic_network(SYNTHETIC_NODES, seed=SYNTHETIC_SEED)


@functools.cache
def synthetic() -> NetworkInput:
    """The synthetic network, written to a temporary file (removed at exit)."""
    folder = Path(tempfile.mkdtemp(prefix="corridorsim-bench-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / f"synthetic-{SYNTHETIC_NODES}.geojson"
    doc = synthetic_doc()
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    network = parse_network(doc, filename=str(path))
    return NetworkInput(f"synthetic {SYNTHETIC_NODES} nodes", path, network)
