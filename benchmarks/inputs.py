"""What the benchmarks run on: the shipped files (or test fixtures in their place, with a note),
and synthetic networks, scenarios and studies of a given size, written to temporary folders."""

from __future__ import annotations

import atexit
import functools
import json
import math
import random
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from . import subjects

T = TypeVar("T")
REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
SOURCE_KEY = "SYNTH"
SOURCES = [f"{SOURCE_KEY}: made-up figures from benchmarks/inputs.py"]


def feature(kind: str, coordinates: Any, props: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON feature of geometry ``kind``."""
    geometry = {"type": kind, "coordinates": coordinates}
    return {"type": "Feature", "geometry": geometry, "properties": props}


def collection(name: str, features: list[dict[str, Any]]) -> dict[str, Any]:
    """A GeoJSON network document of ``features``."""
    meta = {"format": 1, "name": name, "sources": SOURCES}
    return {"type": "FeatureCollection", "corridorsim": meta, "features": features}


def temp_folder() -> Path:
    """A new temporary folder, removed at exit."""
    folder = Path(tempfile.mkdtemp(prefix="corridorsim-bench-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def relative(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


# --- the shipped files ------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkInput:
    """A network file, its network, and what to tell the reader about the choice."""

    label: str
    path: Path
    network: subjects.Network
    note: str = ""


def _or_fallback(path: Path, fallback: Path, load: Callable[[Path], T]) -> tuple[T, Path, str]:
    """``load(path)``; or ``load(fallback)`` and a note saying why. And the path loaded."""
    why = "does not exist (yet)"
    if path.exists():
        try:
            return load(path), path, ""
        except subjects.InputError as exc:
            more = f" (+{len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
            why = f"does not load: {exc.problems[0]}{more}"
    return load(fallback), fallback, f"{relative(path)} {why}; {relative(fallback)} used instead"


@functools.cache
def shipped_network() -> NetworkInput:
    """``networks/caucasus-caspian.geojson``, or ``tests/fixtures/tiny.geojson``."""
    shipped = REPO / "networks" / "caucasus-caspian.geojson"
    network, path, note = _or_fallback(shipped, FIXTURES / "tiny.geojson", subjects.load_network)
    return NetworkInput(path.name + (" (fallback)" if note else ""), path, network, note)


@functools.cache
def shipped_scenario() -> tuple[subjects.Scenario, Path, str]:
    """The Middle Corridor scenario, or ``tests/fixtures/tiny.yaml``; its path; a note or ""."""
    shipped = REPO / "scenarios" / "middle-corridor-china-turkey.yaml"
    return _or_fallback(shipped, FIXTURES / "tiny.yaml", subjects.load_scenario)


@functools.cache
def synthetic(nodes: int, seed: int = 1) -> NetworkInput:
    """The synthetic network of ``nodes`` nodes, written to a temporary file."""
    doc = synthetic_network(nodes, seed=seed)
    path = temp_folder() / f"synthetic-{nodes}.geojson"
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return NetworkInput(f"synthetic {nodes} nodes", path, subjects.load_network(path))


# --- synthetic networks -----------------------------------------------------------------------

#: Countries as bands of grid columns, west to east; the westmost one has 1435 mm track.
COUNTRIES = ("XA", "XB", "XC", "XD")
#: A rail link across a border is open on every this-many-th grid row (row 0 among them), else
#: closed; rail-road terminals stand on every this-many-th row and column.
CROSSING_EVERY, TERMINAL_EVERY = 4, 5
#: The facilities by type: dwell and fee per wagon, two servers each.
FACILITIES = {
    type_: {"type": type_, "dwell_h": dwell, "servers": 2, "fee_usd_per_wagon": fee}
    | {"source": SOURCE_KEY}
    for type_, dwell, fee in (
        ("border", {"dist": "lognormal", "mean": 12, "sd": 6}, 40),
        ("gauge_change", {"dist": "uniform", "min": 4, "max": 12}, 300),
        ("terminal", {"dist": "triangular", "min": 2, "mode": 4, "max": 10}, 80),
        ("port", {"dist": "lognormal", "mean": 24, "sd": 12}, 120),
    )
}
FERRY = {"capacity_wagons": 52, "sailing_h": {"dist": "normal_trunc", "mean": 10, "sd": 2}}
Cell = tuple[int, int]


def synthetic_network(nodes: int, *, seed: int = 1) -> dict[str, Any]:
    """A network of ``nodes`` (at least 60) nodes as a GeoJSON document, the same for the same
    arguments. A jittered grid (row, column; 0.6 x 0.4 degrees, about square) of rail links,
    with a diagonal in some cells (planar), and a sea of two rows cut out of it that two ferries
    cross between ports. Countries are bands of columns; a rail link between two is open on a
    few rows (a border post at both ends) and closed elsewhere. Track is 1435 mm in the westmost
    country, 1520 mm elsewhere, with a gauge change on the 1435 side of each open crossing.
    Rail-road terminals on a coarser grid are joined by road within each country."""
    if nodes < 60:
        raise ValueError(f"a synthetic network needs at least 60 nodes (got {nodes})")
    rng = random.Random(seed)
    cols = round(math.sqrt(1.5 * nodes))
    rows = nodes // cols
    sea_rows, sea_cols = range(rows // 3, rows // 3 + 2), range(2 * cols // 5, 3 * cols // 5)
    grid = [(r, c) for r in range(2 * rows) for c in range(cols)]
    cells = [(r, c) for r, c in grid if r not in sea_rows or c not in sea_cols][:nodes]
    country = {(r, c): COUNTRIES[c * len(COUNTRIES) // cols] for r, c in cells}
    ids = {cell: f"{country[cell]}-N{i:05d}" for i, cell in enumerate(cells)}
    xy: dict[Cell, list[float]] = {}
    for r, c in cells:  # a jitter of at most 0.2 cell keeps the grid planar
        dx, dy = rng.uniform(-0.2, 0.2), rng.uniform(-0.2, 0.2)
        xy[r, c] = [round(40 + 0.6 * (c + dx), 5), round(36 + 0.4 * (r + dy), 5)]
    facilities: dict[Cell, dict[str, None]] = {cell: {} for cell in cells}  # ordered sets
    links = []

    def link(a: Cell, b: Cell, **props: Any) -> None:
        props |= {"id": f"{ids[a]}--{ids[b]}", "from": ids[a], "to": ids[b], "source": SOURCE_KEY}
        links.append(feature("LineString", [xy[a], xy[b]], props))

    for r, c in cells:
        diagonal = [(r + 1, c + 1)] if rng.random() < 0.4 else []
        for end in (e for e in [(r, c + 1), (r + 1, c), *diagonal] if e in country):
            here, there = country[r, c], country[end]
            crossing = here != there and end[0] == r and r % CROSSING_EVERY == 0
            if crossing:
                facilities[r, c]["border"] = facilities[end]["border"] = None
            if crossing and COUNTRIES[0] in (here, there):
                facilities[(r, c) if here == COUNTRIES[0] else end]["gauge_change"] = None
            gauge = 1435 if here == there == COUNTRIES[0] else 1520
            rail = {"mode": "rail", "gauge_mm": gauge, "speed_kmh": rng.choice((40, 50, 60, 70))}
            status = "open" if here == there or crossing else "closed"
            link((r, c), end, **rail, status=status, tariff={"usd_per_wagon_km": 0.6})
    for r, c in cells:
        if r % TERMINAL_EVERY == c % TERMINAL_EVERY == 2:
            facilities[r, c]["terminal"] = None
            for end in ((r, c + TERMINAL_EVERY), (r + TERMINAL_EVERY, c)):
                if country.get(end) == country[r, c]:
                    link((r, c), end, mode="road", speed_kmh=60, tariff={"usd_per_tonne_km": 0.06})
    for every_h, r in ((48, sea_rows[0]), (72, sea_rows[-1])):
        ports = (r, sea_cols[0] - 1), (r, sea_cols[-1] + 1)
        for port in ports:
            facilities[port]["port"] = None
        ferry = FERRY | {"every_h": every_h, "source": SOURCE_KEY}
        link(*ports, mode="ferry", ferry=ferry, tariff={"usd_per_wagon": 1800})
    points = [_node(ids[cell], country[cell], xy[cell], facilities[cell]) for cell in cells]
    return collection(f"Synthetic network ({nodes} nodes, seed {seed})", points + links)


def _node(id_: str, country: str, xy: list[float], facilities: Iterable[str]) -> dict[str, Any]:
    """A node feature, named after its main facility."""
    kind = next((k for k in ("port", "border", "terminal") if k in facilities), "station")
    props = {"id": id_, "name": f"Synthetic {kind} {id_}", "country": country, "kind": kind}
    props["facility"] = [FACILITIES[type_] for type_ in facilities]
    return feature("Point", xy, props | {"source": SOURCE_KEY})


def far_pairs(coords: Mapping[str, tuple[float, float]], count: int) -> list[tuple[str, str]]:
    """Up to ``count`` pairs from the westmost nodes to the eastmost: the westmost node to the
    eastmost, the second westmost to the second eastmost, and so on."""
    ids = sorted(coords, key=lambda i: (coords[i][0], i))
    return list(zip(ids[: min(count, len(ids) // 2)], reversed(ids), strict=False))


# --- scenarios and studies --------------------------------------------------------------------


@dataclass(frozen=True)
class Chain:
    """A chain of ``nodes`` nodes, each with one ``yard`` facility (``servers`` servers,
    exponential dwell; a yard processes every consignment passing, as a border would one that
    crosses), joined by rail links without a headway, and one recurring flow of
    ``count`` consignments with exponential interarrival times from the first node to the
    last. With the defaults each facility is loaded to 4 / (2 x 2.8) = 71%: consignments queue.
    """

    nodes: int = 10
    count: int = 1000
    servers: int = 2
    dwell_mean_h: float = 4.0
    gap_mean_h: float = 2.8
    seed: int = 1

    @property
    def ids(self) -> list[str]:
        return [f"XA-C{i:03d}" for i in range(self.nodes)]

    def describe(self) -> str:
        return f"chain {self.nodes} nodes, {self.count:,} consignments"


def chain_network(chain: Chain) -> dict[str, Any]:
    """Nodes 0.5 degrees apart, rail links of 100 km at 50 km/h (2 h) between them."""
    ids = chain.ids
    coords = [[40.0 + 0.5 * (i % 60), 45.0 + 0.5 * (i // 60)] for i in range(chain.nodes)]
    dwell = {"dist": "exponential", "mean": chain.dwell_mean_h}
    facility = {"type": "yard", "servers": chain.servers, "dwell_h": dwell, "source": SOURCE_KEY}
    props = {"country": "XA", "kind": "station", "facility": facility}
    features = [
        feature("Point", xy, {"id": i, "name": f"Chain {i}", **props})
        for i, xy in zip(ids, coords, strict=True)
    ]
    rail = {"mode": "rail", "gauge_mm": 1520, "speed_kmh": 50.0, "length_km": 100.0}
    rail.update(tariff={"usd_per_wagon_km": 1.0}, source=SOURCE_KEY)
    for i in range(chain.nodes - 1):
        link = {"id": f"{ids[i]}--{ids[i + 1]}", "from": ids[i], "to": ids[i + 1], **rail}
        features.append(feature("LineString", [coords[i], coords[i + 1]], link))
    return collection(f"Benchmark chain of {chain.nodes} nodes", features)


def _write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _scenario(chain: Chain, folder: Path, shipment: dict[str, Any], days: float) -> Path:
    """Write the chain's network and a scenario of ``shipment`` (10 wagons from the chain's
    first node to its last, and what it says); return the scenario's path."""
    stem = f"chain-{chain.nodes}-{chain.count}"
    (folder / f"{stem}.geojson").write_text(json.dumps(chain_network(chain)), encoding="utf-8")
    ends = {"cargo": "goods", "origin": chain.ids[0], "destination": chain.ids[-1]}
    scenario = {
        "name": f"Benchmark {chain.describe()}",
        "network": f"{stem}.geojson",
        "horizon_days": days,
        "replications": 1,
        "seed": chain.seed,
        "cargo": {"goods": {"tonnes_per_wagon": 60}},
        "shipments": [{"id": shipment.pop("id"), **ends, "wagons": 10, **shipment}],
    }
    return _write_yaml(folder / f"{stem}.yaml", scenario)


def chain_scenario(chain: Chain, folder: Path | None = None) -> Path:
    """The chain's flow, with a horizon of 1.5 x the expected last departure plus a day per
    node to get through."""
    gaps = {"dist": "exponential", "mean": chain.gap_mean_h}
    flow = {"id": "flow", "interarrival_h": gaps, "count": chain.count}
    flow["route"] = {"policy": "fastest"}
    days = (1.5 * chain.count * chain.gap_mean_h + 24.0 * chain.nodes + 500.0) / 24.0
    return _scenario(chain, folder or temp_folder(), flow, days)


def mini_study(runs: int) -> Path:
    """``runs`` lhs points, one replication each, of one consignment over one link."""
    base = _scenario(Chain(nodes=2, count=1), temp_folder(), {"id": "one"}, days=2)
    study = {
        "name": "Benchmark: many tiny runs",
        "base": base.name,
        "method": "lhs",
        "samples": runs,
        "replications": 1,
        "seed": 1,
        "kpis": ["transit_days.mean"],
        "parameters": {"shipments.one.wagons": {"min": 1, "max": 50}},
    }
    return _write_yaml(base.parent / "mini-study.yaml", study)


def tiny_study(samples: int, replications: int) -> Path:
    """A copy of ``tests/fixtures/tiny-study.yaml`` (and what it reads), with these figures."""
    folder = temp_folder()
    for name in ("tiny.yaml", "tiny.geojson"):
        shutil.copyfile(FIXTURES / name, folder / name)
    study = yaml.safe_load((FIXTURES / "tiny-study.yaml").read_text(encoding="utf-8"))
    study.update(samples=samples, replications=replications)
    return _write_yaml(folder / "tiny-study.yaml", study)


@dataclass(frozen=True)
class Tandem:
    """``stations`` single-server stations in series, Poisson arrivals at ``arrival_rate`` per
    hour and exponential service at ``service_rate`` per hour at each: a Jackson tandem of
    M/M/1 queues, run for ``horizon_h`` hours."""

    stations: int = 5
    arrival_rate: float = 0.8
    service_rate: float = 1.0
    horizon_h: float = 10_000.0
    seed: int = 1

    @property
    def sojourn_h(self) -> float:
        """The expected time through all stations in steady state: stations / (mu - lambda)."""
        return self.stations / (self.service_rate - self.arrival_rate)

    def describe(self) -> str:
        rho = self.arrival_rate / self.service_rate
        return f"tandem {self.stations} x M/M/1, rho {rho:g}, {self.horizon_h:,.0f} h"


#: Links of the tandem: 1 m at 1,000 km/h (a link must have a length), 3.6 ms of running.
TANDEM_LINK = {"length_km": 0.001, "speed_kmh": 1000.0}


def tandem_scenario(tandem: Tandem, folder: Path | None = None) -> Path:
    """The tandem as a chain scenario: a one-server facility with exponential dwell at each
    node, links taking next to no time, and single-wagon consignments departing as a Poisson
    flow for the whole horizon."""
    folder = folder or temp_folder()
    chain = Chain(
        nodes=tandem.stations,
        servers=1,
        dwell_mean_h=1.0 / tandem.service_rate,
        gap_mean_h=1.0 / tandem.arrival_rate,
        seed=tandem.seed,
    )
    network = chain_network(chain)
    for item in network["features"]:
        if item["geometry"]["type"] == "LineString":
            item["properties"].update(TANDEM_LINK)
    stem = f"tandem-{tandem.stations}"
    (folder / f"{stem}.geojson").write_text(json.dumps(network), encoding="utf-8")
    gaps = {"dist": "exponential", "mean": chain.gap_mean_h}
    flow = {"id": "flow", "cargo": "goods", "origin": chain.ids[0], "destination": chain.ids[-1]}
    flow.update(wagons=1, interarrival_h=gaps, route={"policy": "fastest"})
    scenario = {
        "name": f"Benchmark {tandem.describe()}",
        "network": f"{stem}.geojson",
        "horizon_days": tandem.horizon_h / 24.0,
        "replications": 1,
        "seed": tandem.seed,
        "cargo": {"goods": {"tonnes_per_wagon": 60}},
        "shipments": [flow],
    }
    return _write_yaml(folder / f"{stem}.yaml", scenario)
