"""Writing scenario files in tests: a network and a scenario on it, as a planner would.

Not a test module: the test modules import it (``from scenariogen import write_scenario``),
as they import :mod:`netgen` for the network's features. What a test hands corridorsim is a
pair of files in the documented formats, so errors name a real file and line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from netgen import collection


def write_scenario(directory: Path, features: list[dict[str, Any]], **scenario: Any) -> Path:
    """Write ``net.geojson`` (the ``features``) and ``scenario.yaml`` on it into ``directory``,
    creating it if needed, and return the scenario's path.

    ``scenario`` holds top-level keys of the scenario format (``shipments``, ``horizon_days``,
    ``start``, ``name``...). Unless given, the scenario runs 30 days, one replication with seed
    1, and carries one cargo, ``box``, at 50 t a wagon. The keys are written in a fixed order
    (``name`` on line 1, ``network``, ``horizon_days`` on line 3, ``replications``, ``seed``,
    ``cargo`` on lines 6 to 8, then the keys given in the order given), so a test can expect
    the line an error names.
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "net.geojson").write_text(json.dumps(collection(features)), encoding="utf-8")
    doc = {
        "name": "test scenario",
        "network": "net.geojson",
        "horizon_days": 30,
        "replications": 1,
        "seed": 1,
        "cargo": {"box": {"tonnes_per_wagon": 50}},
        **scenario,
    }
    path = directory / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path
