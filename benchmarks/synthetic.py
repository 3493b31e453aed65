"""Synthetic corridorsim networks for the benchmarks: seeded, valid, connected on open links.

The network is a jittered grid of N nodes on a lon/lat box (lon 40-80, lat 36-55) with a
"Caspian" ellipse cut out of it: grid edges and one diagonal per cell (so the rail network is
planar), some of them dropped, planned or closed. Around it:

- rail is 1520 mm, except a south-western region on 1435 mm; every node of that region with a
  link leaving the region has a ``gauge_change`` facility;
- nodes belong to eight made-up countries (``XA``..``XH``, ISO user-assigned codes); only about
  a third of the rail links crossing a border are open, and their ends carry ``border`` posts;
- some nodes are rail-road terminals joined by road links (with road border posts where a road
  crosses a border), a few are yards;
- two ferry links cross the "Caspian" between ports on either shore;
- tariffs on every link, a mix of explicit and geodesic lengths, every duration family.

The same ``nodes`` and ``seed`` always give the same document. ``python -m benchmarks.synthetic
-o FILE`` writes one to a file.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from corridorsim.network.geometry import haversine_km

DEFAULT_NODES = 2000
LON_RANGE = (40.0, 80.0)
LAT_RANGE = (36.0, 55.0)
#: The inland sea cut out of the grid: centre and semi-axes, degrees of lon and lat.
SEA_CENTRE = (51.0, 42.0)
SEA_RADII = (2.2, 3.2)
#: Shore points the ferry ports are picked near: (west end, east end) per ferry line.
FERRY_SHORES = (((48.6, 43.4), (53.4, 43.4)), ((48.6, 40.6), (53.4, 40.6)))
COUNTRIES = ("XA", "XB", "XC", "XD", "XE", "XF", "XG", "XH")
#: Share of the grid links dropped from the network, made planned, made closed.
DROP, PLANNED, CLOSED = 0.15, 0.02, 0.01
#: Share of the rail links crossing a border that are open (the others are closed).
OPEN_CROSSINGS = 0.35
#: Nodes per rail-road terminal.
NODES_PER_TERMINAL = 25
SOURCE_KEY = "SYNTH"
MIN_NODES = 30


def in_1435_region(lon: float, lat: float) -> bool:
    """The south-western standard-gauge region (as Turkey is to the Caucasus)."""
    return lon < 47.0 and lat < 41.5


def in_sea(lon: float, lat: float) -> bool:
    (cx, cy), (rx, ry) = SEA_CENTRE, SEA_RADII
    return ((lon - cx) / rx) ** 2 + ((lat - cy) / ry) ** 2 < 1.0


@dataclass
class _Site:
    index: int
    row: int
    col: int
    lon: float
    lat: float
    country: str = ""
    facilities: list[dict[str, Any]] = field(default_factory=list)
    kind: str = "station"

    @property
    def id(self) -> str:
        return f"{self.country}-N{self.index:05d}"

    @property
    def coords(self) -> tuple[float, float]:
        return (self.lon, self.lat)


@dataclass
class _Edge:
    a: int
    b: int
    status: str = "open"
    kept: bool = True


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[ra] = rb
        return True


def synthetic_network(nodes: int = DEFAULT_NODES, *, seed: int = 1) -> dict[str, Any]:
    """A network of ``nodes`` nodes as a GeoJSON document (what ``parse_network`` takes)."""
    if nodes < MIN_NODES:
        raise ValueError(f"a synthetic network needs at least {MIN_NODES} nodes (got {nodes})")
    rng = random.Random(seed)
    sites, cell = _place_sites(nodes, rng)
    _assign_countries(sites, rng)
    edges = _grid_edges(sites, rng)
    _choose_statuses(sites, edges, rng)
    _connect(len(sites), edges, rng)
    rail = [e for e in edges if e.kept]
    _add_rail_facilities(sites, rail, rng)
    roads = _road_edges(sites, rng)
    ferries = _ferry_ports(sites)
    features = [_node_feature(s) for s in sites]
    features += [_rail_feature(sites, e, rng) for e in rail]
    features += [_road_feature(sites, a, b, rng) for a, b in roads]
    features += [_ferry_feature(sites, a, b, i) for i, (a, b) in enumerate(ferries)]
    return {
        "type": "FeatureCollection",
        "corridorsim": {
            "format": 1,
            "name": f"Synthetic network ({nodes} nodes, seed {seed})",
            "description": f"benchmarks/synthetic.py; grid cell {cell[0]:.3f} x {cell[1]:.3f} deg",
            "sources": [f"{SOURCE_KEY}: made-up figures from benchmarks/synthetic.py"],
        },
        "features": features,
    }


# --- placing nodes --------------------------------------------------------------------------


def _grid_shape(nodes: int) -> tuple[int, int, list[tuple[int, int]]]:
    """Rows, columns and the land cells (row-major from the south-west) for ``nodes`` nodes."""
    lon_span = LON_RANGE[1] - LON_RANGE[0]
    lat_span = LAT_RANGE[1] - LAT_RANGE[0]
    # Cells about square on the ground: a degree of lon is ~0.7 of a degree of lat here.
    aspect = lon_span * math.cos(math.radians(45.0)) / lat_span
    rows = max(2, int(math.sqrt(nodes / aspect)))
    while True:
        cols = max(2, math.ceil(rows * aspect))
        dx, dy = lon_span / cols, lat_span / rows
        land = [
            (r, c)
            for r in range(rows)
            for c in range(cols)
            if not in_sea(LON_RANGE[0] + (c + 0.5) * dx, LAT_RANGE[0] + (r + 0.5) * dy)
        ]
        if len(land) >= nodes:
            return rows, cols, land[:nodes]
        rows += 1


def _place_sites(nodes: int, rng: random.Random) -> tuple[list[_Site], tuple[float, float]]:
    rows, cols, land = _grid_shape(nodes)
    dx = (LON_RANGE[1] - LON_RANGE[0]) / cols
    dy = (LAT_RANGE[1] - LAT_RANGE[0]) / rows
    sites = []
    for index, (r, c) in enumerate(land):
        # Jitter of at most 0.2 cell keeps every grid cell convex, so the grid stays planar.
        lon = LON_RANGE[0] + (c + 0.5 + rng.uniform(-0.2, 0.2)) * dx
        lat = LAT_RANGE[0] + (r + 0.5 + rng.uniform(-0.2, 0.2)) * dy
        sites.append(_Site(index, r, c, round(lon, 5), round(lat, 5)))
    return sites, (dx, dy)


def _assign_countries(sites: list[_Site], rng: random.Random) -> None:
    """Each node belongs to the country of the nearest of eight random capitals."""
    capitals = [(rng.uniform(*LON_RANGE), rng.uniform(*LAT_RANGE)) for _ in COUNTRIES]
    scale = math.cos(math.radians(45.0))
    for site in sites:
        nearest = min(
            range(len(COUNTRIES)),
            key=lambda i: (
                ((site.lon - capitals[i][0]) * scale) ** 2 + (site.lat - capitals[i][1]) ** 2
            ),
        )
        site.country = COUNTRIES[nearest]


# --- rail links -----------------------------------------------------------------------------


def _grid_edges(sites: list[_Site], rng: random.Random) -> list[_Edge]:
    """Right and up neighbours, and at most one diagonal per cell (never both: planar)."""
    at = {(s.row, s.col): s.index for s in sites}
    edges = []
    for (r, c), i in at.items():
        for dr, dc in ((0, 1), (1, 0)):
            j = at.get((r + dr, c + dc))
            if j is not None:
                edges.append(_Edge(i, j))
        corners = [at.get((r + dr, c + dc)) for dr, dc in ((0, 1), (1, 0), (1, 1))]
        if None in corners or rng.random() < 0.5:
            continue
        right, up, up_right = corners
        assert right is not None and up is not None and up_right is not None
        edges.append(_Edge(i, up_right) if rng.random() < 0.5 else _Edge(right, up))
    return edges


def _choose_statuses(sites: list[_Site], edges: list[_Edge], rng: random.Random) -> None:
    for edge in edges:
        x = rng.random()
        if sites[edge.a].country != sites[edge.b].country:
            edge.status = "open" if x < OPEN_CROSSINGS else "closed"
        elif x < DROP:
            edge.kept = False
        elif x < DROP + PLANNED:
            edge.status = "planned"
        elif x < DROP + PLANNED + CLOSED:
            edge.status = "closed"


def _connect(n: int, edges: list[_Edge], rng: random.Random) -> None:
    """Open (and keep) just enough other grid links that the open rail links connect all."""
    uf = _UnionFind(n)
    for edge in edges:
        if edge.kept and edge.status == "open":
            uf.union(edge.a, edge.b)
    rest = [e for e in edges if not (e.kept and e.status == "open")]
    rng.shuffle(rest)
    for edge in rest:
        if uf.union(edge.a, edge.b):
            edge.kept, edge.status = True, "open"


def _add_rail_facilities(sites: list[_Site], rail: list[_Edge], rng: random.Random) -> None:
    borders: set[int] = set()
    gauge_changes: set[int] = set()
    degree = [0] * len(sites)
    for edge in rail:
        a, b = sites[edge.a], sites[edge.b]
        degree[edge.a] += 1
        degree[edge.b] += 1
        if a.country != b.country and edge.status == "open":
            borders.update((edge.a, edge.b))
        inside_a, inside_b = in_1435_region(*a.coords), in_1435_region(*b.coords)
        if inside_a != inside_b:
            gauge_changes.add(edge.a if inside_a else edge.b)
    for i in sorted(borders):
        sites[i].kind = "border"
        sites[i].facilities.append(_border(rng, modes=["rail"]))
    for i in sorted(gauge_changes):
        sites[i].facilities.append(
            {
                "type": "gauge_change",
                "servers": rng.choice((1, 2)),
                "dwell_h": {"dist": "uniform", "min": 4, "max": round(rng.uniform(8, 16), 1)},
                "fee_usd_per_wagon": rng.choice((250, 300, 400)),
                "source": SOURCE_KEY,
            }
        )
    for site in sites:
        if site.kind == "station" and degree[site.index] >= 5:
            site.kind = "junction"
            if rng.random() < 0.1:
                site.facilities.append(
                    {
                        "type": "yard",
                        "modes": ["rail"],
                        "dwell_h": {"dist": "gamma", "mean": round(rng.uniform(3, 8), 1), "sd": 2},
                        "source": SOURCE_KEY,
                    }
                )


def _border(rng: random.Random, *, modes: list[str]) -> dict[str, Any]:
    dwell: dict[str, Any] = rng.choice(
        (
            {"dist": "lognormal", "mean": round(rng.uniform(8, 30), 1), "sd": 8},
            {"dist": "triangular", "min": 2, "mode": 6, "max": round(rng.uniform(12, 36), 1)},
            {"dist": "normal_trunc", "mean": 10, "sd": 6, "min": 1},
            {"dist": "exponential", "mean": round(rng.uniform(4, 12), 1)},
        )
    )
    return {
        "type": "border",
        "servers": rng.choice((1, 2, 3)),
        "dwell_h": dwell,
        "fee_usd_per_wagon": rng.choice((0, 20, 40, 60)),
        "modes": modes,
        "source": SOURCE_KEY,
    }


# --- road and ferry links -------------------------------------------------------------------


def _road_edges(sites: list[_Site], rng: random.Random) -> list[tuple[int, int]]:
    """Terminals, each joined by road to its two nearest terminals."""
    candidates = [s.index for s in sites if not in_sea(s.lon, s.lat)]
    terminals = sorted(rng.sample(candidates, max(3, len(sites) // NODES_PER_TERMINAL)))
    pairs: set[tuple[int, int]] = set()
    for i in terminals:
        near = sorted(
            (t for t in terminals if t != i),
            key=lambda t: haversine_km(sites[i].coords, sites[t].coords),
        )
        pairs.update((min(i, t), max(i, t)) for t in near[:2])
    road_borders = {i for a, b in pairs if sites[a].country != sites[b].country for i in (a, b)}
    for i in terminals:
        site = sites[i]
        site.kind = "terminal"
        site.facilities.append(
            {
                "type": "terminal",
                "servers": 2,
                "dwell_h": {"dist": "triangular", "min": 2, "mode": 4, "max": 10},
                "fee_usd_per_wagon": 80,
                "source": SOURCE_KEY,
            }
        )
        if i in road_borders:
            site.facilities.append(_border(rng, modes=["road"]))
    return sorted(pairs)


def _ferry_ports(sites: list[_Site]) -> list[tuple[int, int]]:
    """Two ferry lines across the sea, each between the nodes nearest its two shore points."""
    used: set[int] = set()

    def nearest(point: tuple[float, float]) -> int:
        best = min(
            (s for s in sites if s.index not in used),
            key=lambda s: haversine_km(point, s.coords),
        )
        used.add(best.index)
        return best.index

    lines = [(nearest(west), nearest(east)) for west, east in FERRY_SHORES]
    for i in sorted({i for line in lines for i in line}):
        sites[i].kind = "port"
        sites[i].facilities.append(
            {
                "type": "port",
                "servers": 2,
                "dwell_h": {"dist": "lognormal", "mean": 24, "sd": 12},
                "fee_usd_per_wagon": 120,
                "source": SOURCE_KEY,
            }
        )
    return lines


# --- features -------------------------------------------------------------------------------


def _node_feature(site: _Site) -> dict[str, Any]:
    props: dict[str, Any] = {
        "id": site.id,
        "name": f"Synthetic {site.kind} {site.index}",
        "country": site.country,
        "kind": site.kind,
        "source": SOURCE_KEY,
    }
    if len(site.facilities) == 1:
        props["facility"] = site.facilities[0]
    elif site.facilities:
        props["facility"] = site.facilities
    return _feature("Point", list(site.coords), props)


def _line(a: _Site, b: _Site, rng: random.Random) -> list[list[float]]:
    """Straight, or bent a little through a midpoint (a few km off the chord)."""
    if rng.random() < 0.5:
        return [list(a.coords), list(b.coords)]
    mid = [
        round((a.lon + b.lon) / 2 + rng.uniform(-0.03, 0.03), 5),
        round((a.lat + b.lat) / 2 + rng.uniform(-0.03, 0.03), 5),
    ]
    return [list(a.coords), mid, list(b.coords)]


def _rail_feature(sites: list[_Site], edge: _Edge, rng: random.Random) -> dict[str, Any]:
    a, b = sites[edge.a], sites[edge.b]
    both_1435 = in_1435_region(*a.coords) and in_1435_region(*b.coords)
    props: dict[str, Any] = {
        "id": f"R-{a.index:05d}-{b.index:05d}",
        "from": a.id,
        "to": b.id,
        "mode": "rail",
        "gauge_mm": 1435 if both_1435 else 1520,
        "speed_kmh": rng.choice((40, 45, 50, 55, 60, 70)),
        "status": edge.status,
        "tariff": {"usd_per_wagon_km": round(0.5 + COUNTRIES.index(a.country) * 0.08, 2)},
        "source": SOURCE_KEY,
    }
    if rng.random() < 0.5:  # else the geodesic length of the geometry
        props["length_km"] = round(haversine_km(a.coords, b.coords) * 1.1, 1)
    if rng.random() < 0.2:
        props["capacity_per_day"] = rng.choice((12, 24, 36))
    if edge.status == "planned":
        props["opens_year"] = rng.choice((2027, 2028, 2030))
    return _feature("LineString", _line(a, b, rng), props)


def _road_feature(sites: list[_Site], i: int, j: int, rng: random.Random) -> dict[str, Any]:
    a, b = sites[i], sites[j]
    props = {
        "id": f"D-{a.index:05d}-{b.index:05d}",
        "from": a.id,
        "to": b.id,
        "mode": "road",
        "length_km": round(haversine_km(a.coords, b.coords) * 1.2, 1),
        "speed_kmh": rng.choice((55, 60, 65, 70)),
        "tariff": {"usd_per_tonne_km": rng.choice((0.05, 0.06, 0.07))},
        "emissions_g_per_tonne_km": 80,
        "source": SOURCE_KEY,
    }
    return _feature("LineString", [list(a.coords), list(b.coords)], props)


def _ferry_feature(sites: list[_Site], i: int, j: int, number: int) -> dict[str, Any]:
    a, b = sites[i], sites[j]
    km = haversine_km(a.coords, b.coords)
    ferry: dict[str, Any] = {
        "capacity_wagons": 52,
        "sailing_h": {"dist": "normal_trunc", "mean": round(km / 22, 1), "sd": 2, "min": 1},
        "every_h": 48 if number == 0 else 72,
        "depart_when_full": number == 0,
        "cancel_prob": 0.1 if number == 0 else [0.2] * 3 + [0.05] * 6 + [0.2] * 3,
        "source": SOURCE_KEY,
    }
    props = {
        "id": f"F-{a.index:05d}-{b.index:05d}",
        "from": a.id,
        "to": b.id,
        "mode": "ferry",
        "length_km": round(km, 1),
        "ferry": ferry,
        "tariff": {"usd_per_wagon": 1800},
        "source": SOURCE_KEY,
    }
    return _feature("LineString", [list(a.coords), list(b.coords)], props)


def _feature(kind: str, coordinates: Any, props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": kind, "coordinates": coordinates},
        "properties": props,
    }


# --- checks and queries ---------------------------------------------------------------------


def node_coords(doc: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """Node id -> (lon, lat) of a GeoJSON network document."""
    return {
        f["properties"]["id"]: (f["geometry"]["coordinates"][0], f["geometry"]["coordinates"][1])
        for f in doc["features"]
        if f["geometry"]["type"] == "Point"
    }


def open_components(doc: Mapping[str, Any]) -> int:
    """How many connected components the open links make (1: connected)."""
    ids = list(node_coords(doc))
    index = {node_id: i for i, node_id in enumerate(ids)}
    uf = _UnionFind(len(ids))
    for f in doc["features"]:
        props = f["properties"]
        if f["geometry"]["type"] == "LineString" and props.get("status", "open") == "open":
            uf.union(index[props["from"]], index[props["to"]])
    return len({uf.find(i) for i in range(len(ids))})


def far_pairs(
    doc: Mapping[str, Any], count: int = 4, *, seed: int = 0, min_fraction: float = 0.6
) -> list[tuple[str, str]]:
    """``count`` (origin, destination) pairs of a network document, far apart."""
    return far_pairs_from_coords(node_coords(doc), count, seed=seed, min_fraction=min_fraction)


def far_pairs_from_coords(
    coords: Mapping[str, tuple[float, float]],
    count: int = 4,
    *,
    seed: int = 0,
    min_fraction: float = 0.6,
) -> list[tuple[str, str]]:
    """Distinct pairs at least ``min_fraction`` of the network's extent apart (great circle).

    The extent is the largest distance between the extreme nodes (west-, east-, south-,
    north-most and the four diagonal corners): close to the true diameter, and cheap.
    """
    ids = sorted(coords)
    if len(ids) < 2:
        return []
    extremes = _extremes(coords, ids)
    extent = max(haversine_km(coords[a], coords[b]) for a in extremes for b in extremes)
    rng = random.Random(seed)
    pairs: list[tuple[str, str]] = []
    for _ in range(count * 50):
        if len(pairs) == count:
            break
        origin = rng.choice(ids)
        far = [d for d in ids if haversine_km(coords[origin], coords[d]) >= min_fraction * extent]
        if far:
            pair = (origin, rng.choice(far))
            if pair not in pairs:
                pairs.append(pair)
    return pairs


def _extremes(coords: Mapping[str, tuple[float, float]], ids: Iterable[str]) -> set[str]:
    ids = list(ids)
    keys = (
        lambda i: coords[i][0],
        lambda i: coords[i][1],
        lambda i: coords[i][0] + coords[i][1],
        lambda i: coords[i][0] - coords[i][1],
    )
    return {pick(ids, key=key) for key in keys for pick in (min, max)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.synthetic", description="Write a synthetic network file."
    )
    parser.add_argument("--nodes", type=int, default=DEFAULT_NODES)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--output", required=True, help="GeoJSON file to write")
    args = parser.parse_args(argv)
    doc = synthetic_network(args.nodes, seed=args.seed)
    with open(args.output, "w", encoding="utf-8") as out:
        json.dump(doc, out, indent=1)
        out.write("\n")
    print(f"wrote {args.output}: {args.nodes} nodes, {len(doc['features']) - args.nodes} links")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
