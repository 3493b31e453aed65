"""``assign``: wall time of an assignment of 20 demand flows, each over 4 physically distinct
routes, on the shipped network: 30 iterations of 5 replications a year long, on a local pool of
2 workers (README.md; the goal: under 10 minutes on 2 cores).

The flows run from the Chinese and Kazakh origins to the Caucasus and Turkey, each a 57-wagon
grain train every 4 days (about 350 kt a year); the tolerance is set so that every iteration
runs. ``--quick`` runs the same; ``--smoke`` 2 iterations of 2 replications."""

from __future__ import annotations

import time

import yaml

from . import subjects
from .inputs import REPO, temp_folder
from .report import Result, Rows
from .timing import Settings

GROUP = "assign"
FLOWS, ROUTES = 20, 4
JOBS = 2
GOAL_S = 600.0
ORIGINS = ("CN-ALASHANKOU", "CN-KHORGOS", "KZ-KOSTANAY", "KZ-ALMATY", "UZ-TASHKENT",
           "KZ-ASTANA", "CN-URUMQI")
DESTINATIONS = ("TR-KARS", "GE-POTI", "AM-YEREVAN", "AZ-BALAJARY", "GE-BATUMI", "AM-GYUMRI")
WAGONS, TONNES_PER_WAGON = 57, 68


def pairs(network: subjects.Network) -> list[tuple[str, str]]:
    """The first FLOWS origin-destination pairs with ROUTES distinct routes (<= 70% shared)."""
    router = subjects.Router(network)
    found = []
    for origin in ORIGINS:
        for destination in DESTINATIONS:
            if origin in network.nodes and destination in network.nodes:
                routes = router.routes(origin, destination, by="generalized", k=ROUTES,
                                       max_overlap=0.7)
                if len(routes) == ROUTES:
                    found.append((origin, destination))
    return found[:FLOWS]


def run(settings: Settings) -> list[Result]:
    iterations, replications = settings.pick((30, 5), smoke=(2, 2))
    network_path = REPO / "networks" / "caucasus-caspian.geojson"
    network = subjects.load_network(network_path)
    flows = pairs(network)
    if len(flows) < FLOWS:
        settings.note(f"{GROUP}: only {len(flows)} origin-destination pairs with {ROUTES} routes")
    doc = {
        "name": "assignment benchmark",
        "network": str(network_path),
        "start": "2025-01-06",
        "horizon_days": 365,
        "warmup_days": 30,
        "seed": 1,
        "cargo": {"grain": {"tonnes_per_wagon": TONNES_PER_WAGON,
                            "value_of_time_usd_per_tonne_day": 0.5}},
        "demand": [
            {"id": f"flow-{i}", "cargo": "grain", "origin": o, "destination": d,
             "wagons": WAGONS, "tonnes_per_year": WAGONS * TONNES_PER_WAGON * 365 / 4,
             "routes": ROUTES, "max_overlap": 0.7}
            for i, (o, d) in enumerate(flows)
        ],
        "assignment": {"iterations": iterations, "tolerance": 1e-12,
                       "replications": replications},
    }
    path = temp_folder() / "assign-benchmark.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    scenario = subjects.load_scenario(path)
    # One run: it is minutes long at full size, and its iterations are its own repetitions.
    with subjects.LocalExecutor(JOBS) as pool:
        start = time.perf_counter()
        outcome = subjects.assign(scenario, executor=pool)
        seconds = time.perf_counter() - start
    ran = len(outcome.iterations)
    runs = (ran + 1) * replications
    what = (f"{len(flows)} flows x {ROUTES} routes x {ran} iterations x {replications} "
            f"replications, {JOBS} workers: wall time")
    rows = Rows(GROUP, "assign on the shipped network")
    goal = f"< {GOAL_S / 60:g} min" if not settings.smoke else None
    rows.add(what, [seconds], "s", goal=goal, goal_met=None if goal is None else seconds < GOAL_S)
    rows.add("simulated replications per second", [runs / seconds], "reps/s")
    return rows.results
