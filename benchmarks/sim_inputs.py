"""Inputs of the simulation benchmarks, written to temporary folders (removed at exit).

- :func:`chain_scenario`: a chain of N nodes, each with one ``border`` facility (``servers``
  servers, exponential dwell), joined by rail links without a headway, and one recurring flow
  of ``count`` consignments with exponential interarrival times from the first node to the
  last. With the defaults each facility is loaded to 4 / (2 x 2.8) = 71%, so consignments
  queue. The horizon leaves time for every consignment to arrive.
- :func:`tiny_study`: a copy of ``tests/fixtures/tiny-study.yaml`` (with ``tiny.yaml`` and
  ``tiny.geojson``), optionally with fewer samples.
- :func:`mini_study`: ``runs`` design points of one replication each of a two-node scenario with
  a single consignment (the smallest run a sweep can do), for executor overhead.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .inputs import REPO

FIXTURES = REPO / "tests" / "fixtures"
SOURCE = "estimate: corridorsim benchmark input"


def temp_folder(prefix: str = "corridorsim-bench-") -> Path:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@dataclass(frozen=True)
class Chain:
    """The parameters of a chain scenario (see the module doc)."""

    nodes: int = 10
    count: int = 1000
    servers: int = 2
    dwell_mean_h: float = 4.0
    gap_mean_h: float = 2.8
    length_km: float = 100.0
    speed_kmh: float = 50.0
    wagons: int = 10
    seed: int = 1

    @property
    def node_ids(self) -> list[str]:
        return [f"XA-C{i:03d}" for i in range(self.nodes)]

    @property
    def run_h(self) -> float:
        return self.length_km / self.speed_kmh

    @property
    def legs_per_consignment(self) -> int:
        return 2 * self.nodes - 1

    @property
    def utilisation(self) -> float:
        return self.dwell_mean_h / (self.servers * self.gap_mean_h)

    @property
    def horizon_h(self) -> float:
        # 1.5 x the expected time of the last departure, plus a day per node to get through.
        return 1.5 * self.count * self.gap_mean_h + 24.0 * self.nodes + 500.0

    def describe(self) -> str:
        return f"chain {self.nodes} nodes, {self.count:,} consignments"


def chain_network(chain: Chain) -> dict[str, Any]:
    ids = chain.node_ids
    features: list[dict[str, Any]] = []
    coords = [(40.0 + 0.5 * (i % 60), 45.0 + 0.5 * (i // 60)) for i in range(chain.nodes)]
    for node_id, xy in zip(ids, coords, strict=True):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": list(xy)},
                "properties": {
                    "id": node_id,
                    "name": f"Chain {node_id}",
                    "country": "XA",
                    "kind": "border",
                    "facility": {
                        "type": "border",
                        "servers": chain.servers,
                        "dwell_h": {"dist": "exponential", "mean": chain.dwell_mean_h},
                        "source": SOURCE,
                    },
                },
            }
        )
    for i in range(chain.nodes - 1):
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [list(coords[i]), list(coords[i + 1])],
                },
                "properties": {
                    "id": f"{ids[i]}--{ids[i + 1]}",
                    "from": ids[i],
                    "to": ids[i + 1],
                    "mode": "rail",
                    "gauge_mm": 1520,
                    "speed_kmh": chain.speed_kmh,
                    "length_km": chain.length_km,
                    "tariff": {"usd_per_wagon_km": 1.0},
                    "source": SOURCE,
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "corridorsim": {
            "format": 1,
            "name": f"Benchmark chain of {chain.nodes} nodes",
            "sources": [SOURCE],
        },
        "features": features,
    }


def chain_scenario(chain: Chain, folder: Path | None = None) -> Path:
    """Write the chain's network and scenario (GeoJSON + YAML); return the scenario's path."""
    folder = folder or temp_folder()
    stem = f"chain-{chain.nodes}-{chain.count}"
    (folder / f"{stem}.geojson").write_text(json.dumps(chain_network(chain)), encoding="utf-8")
    ids = chain.node_ids
    scenario = {
        "name": f"Benchmark {chain.describe()}",
        "network": f"{stem}.geojson",
        "horizon_days": chain.horizon_h / 24.0,
        "replications": 1,
        "seed": chain.seed,
        "cargo": {"goods": {"tonnes_per_wagon": 60}},
        "shipments": [
            {
                "id": "flow",
                "cargo": "goods",
                "origin": ids[0],
                "destination": ids[-1],
                "wagons": chain.wagons,
                "interarrival_h": {"dist": "exponential", "mean": chain.gap_mean_h},
                "count": chain.count,
                "route": {"policy": "fastest"},
            }
        ],
    }
    path = folder / f"{stem}.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    return path


def tiny_study(
    samples: int | None = None, folder: Path | None = None, replications: int | None = None
) -> Path:
    """A copy of the tiny study fixture (and what it reads), ``samples`` and
    ``replications`` changed if given."""
    folder = folder or temp_folder()
    for name in ("tiny.yaml", "tiny.geojson"):
        shutil.copyfile(FIXTURES / name, folder / name)
    study = yaml.safe_load((FIXTURES / "tiny-study.yaml").read_text(encoding="utf-8"))
    if samples is not None:
        study["samples"] = samples
    if replications is not None:
        study["replications"] = replications
    path = folder / "tiny-study.yaml"
    path.write_text(yaml.safe_dump(study, sort_keys=False), encoding="utf-8")
    return path


def mini_study(runs: int, folder: Path | None = None) -> Path:
    """``runs`` lhs points, one replication each, of one consignment over one link."""
    folder = folder or temp_folder()
    chain = Chain(nodes=2, count=1)
    (folder / "mini.geojson").write_text(json.dumps(chain_network(chain)), encoding="utf-8")
    ids = chain.node_ids
    scenario = {
        "name": "Benchmark: the smallest run",
        "network": "mini.geojson",
        "horizon_days": 2,
        "replications": 1,
        "seed": 1,
        "cargo": {"goods": {"tonnes_per_wagon": 60}},
        "shipments": [
            {"id": "one", "cargo": "goods", "origin": ids[0], "destination": ids[-1], "wagons": 10}
        ],
    }
    (folder / "mini.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    study = {
        "name": "Benchmark: many tiny runs",
        "base": "mini.yaml",
        "method": "lhs",
        "samples": runs,
        "replications": 1,
        "seed": 1,
        "parameters": {"shipments.one.wagons": {"min": 1, "max": 50}},
        "kpis": ["transit_days.mean"],
    }
    path = folder / "mini-study.yaml"
    path.write_text(yaml.safe_dump(study, sort_keys=False), encoding="utf-8")
    return path
