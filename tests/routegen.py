"""Shared by the routing tests: queries with every option mixed, and a grid network.

Not a test module: the test modules import it (``from routegen import ...``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from corridorsim.routing import POLICIES, Route, Router
from corridorsim.routing.graph import ARRIVE
from netgen import collection, link, node


@dataclass(frozen=True)
class Query:
    """The arguments of one ``Router.routes`` call."""

    origin: str
    destination: str
    by: str
    k: int
    max_overlap: float | None
    start_carrier: str | None
    origin_facilities: bool

    def ask(self, router: Router) -> list[Route]:
        return router.routes(
            self.origin,
            self.destination,
            by=self.by,
            k=self.k,
            max_overlap=self.max_overlap,
            start_carrier=self.start_carrier,
            origin_facilities=self.origin_facilities,
        )


def queries(router: Router, count: int, seed: int) -> list[Query]:
    """``count`` queries between nodes that have states in the graph, every option mixed."""
    rng = random.Random(seed)
    expanded = router.expanded
    ids = sorted(n for n in router.network.nodes if expanded.vertices_of(n, ARRIVE))
    out = []
    for _ in range(count):
        origin, destination = rng.sample(ids, 2)
        carriers = sorted(expanded.carriers_at[origin])
        k = rng.choice([1, 2, 3, 5])
        # A tight overlap limit with a larger k sifts hundreds of candidates: kept for small k.
        overlaps = [None, None, 0.6, 1.0, *([0.3] if k <= 2 else [])]
        out.append(Query(
            origin,
            destination,
            by=rng.choice(POLICIES),
            k=k,
            max_overlap=rng.choice(overlaps),
            start_carrier=rng.choice([None, None, *carriers]),
            origin_facilities=rng.random() < 0.7,
        ))
    return out


def grid_doc(rows: int = 6, cols: int = 7, seed: int = 3) -> dict[str, Any]:
    """A grid: 1520 rail in the west, 1435 in the east, roads, two ferries, parallel links.

    Each node may hold a gauge change, a rail-road terminal, a port, a border or a yard;
    some links are one-way and some planned, so every kind of arc of the graph appears.
    """
    rng = random.Random(seed)
    nodes: dict[tuple[int, int], dict[str, Any]] = {}
    for r in range(rows):
        for c in range(cols):
            facilities = [
                {"type": kind, "dwell_h": rng.randint(1, 20),
                 "fee_usd_per_wagon": rng.randint(0, 200)}
                for kind in ("gauge_change", "terminal", "port", "border", "yard")
                if rng.random() < 0.3
            ]
            if r in (0, rows - 1) and c in (0, cols - 1) and not any(
                f["type"] == "port" for f in facilities
            ):
                facilities.append({"type": "port", "dwell_h": 6})  # the ferries call here
            nodes[r, c] = node(f"G{r}-{c}", 40.0 + c, 40.0 + r, country=f"X{'ABC'[c * 3 // cols]}",
                               facility=facilities)
    features = list(nodes.values())
    number = 0

    def add(a: dict[str, Any], b: dict[str, Any], **props: Any) -> None:
        nonlocal number
        number += 1
        if rng.random() < 0.1:
            props["bidirectional"] = False
        if rng.random() < 0.05:
            props["status"] = "planned"
        features.append(link(f"L{number}", a, b, length_km=rng.randint(40, 400), **props))

    for (r, c), here in nodes.items():
        for there in (nodes.get((r, c + 1)), nodes.get((r + 1, c))):
            if there is None:
                continue
            gauge = 1520 if c < cols // 2 else 1435
            add(here, there, mode="rail", gauge_mm=gauge,
                tariff={"usd_per_wagon_km": rng.choice([0.5, 1.0, 1.5])})
            if rng.random() < 0.15:  # a second line between the same two nodes
                add(here, there, mode="rail", gauge_mm=gauge, speed_kmh=rng.randint(30, 90))
            if rng.random() < 0.4:
                add(here, there, mode="road", tariff={"usd_per_tonne_km": 0.05})
    ferry = {"capacity_wagons": 40, "sailing_h": 20, "every_h": 48, "cancel_prob": 0.1}
    add(nodes[0, 0], nodes[rows - 1, cols - 1], mode="ferry", ferry=ferry)
    add(nodes[0, cols - 1], nodes[rows - 1, 0], mode="ferry", ferry={**ferry, "every_h": 24})
    return collection(features)
