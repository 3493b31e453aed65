"""``tandem``: a Jackson tandem of five M/M/1 queues (lambda 0.8, mu 1 at each station) run for
the same horizon by corridorsim (a chain scenario: one-server facilities, links of next to no
time, Poisson single-wagon consignments), by ciw (a queueing network library) and by bare
SimPy, timed in the same loop; customers through per second, and each one's mean sojourn next
to the analytic stations / (mu - lambda) = 25 h as a check that the three run the same model
(README.md)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Generator
from functools import partial
from typing import Any

import numpy as np
import simpy

from . import subjects
from .inputs import Tandem, tandem_scenario
from .report import Result, Rows
from .timing import Settings, paired_ratio, per_second

GROUP = "tandem"
#: corridorsim should get at least this many times as many customers through per second as ciw.
GOAL_SPEEDUP = 2.0


def bare_simpy(tandem: Tandem) -> list[float]:
    """The tandem in bare SimPy: the sojourn (hours) of every customer through by the horizon."""
    rng = np.random.default_rng(tandem.seed)
    env = simpy.Environment()
    stations = [simpy.Resource(env, 1) for _ in range(tandem.stations)]
    # Draws in bulk, as corridorsim and ciw draw theirs: enough for every arrival but the
    # rarest of runs (a customer past the last draw wraps around: the figure does not care).
    n = int(tandem.horizon_h * tandem.arrival_rate * 1.2) + 100
    service = [rng.exponential(1.0 / tandem.service_rate, n).tolist() for _ in stations]
    gaps = rng.exponential(1.0 / tandem.arrival_rate, n).tolist()
    sojourns: list[float] = []

    def customer(i: int) -> Generator[simpy.Event, Any, None]:
        arrived = env.now
        for station, times in zip(stations, service, strict=True):
            request = station.request()
            yield request
            yield env.timeout(times[i % n])
            station.release(request)
        sojourns.append(env.now - arrived)

    def arrivals() -> Generator[simpy.Event, Any, None]:
        i = 0
        while True:
            env.process(customer(i))
            yield env.timeout(gaps[i % n])
            i += 1

    env.process(arrivals())
    env.run(until=tandem.horizon_h)
    return sojourns


def ciw_tandem(tandem: Tandem) -> list[float]:
    """The tandem in ciw: the sojourn (hours) of every customer through by the horizon."""
    import ciw

    k = tandem.stations
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=tandem.arrival_rate)]
        + [None] * (k - 1),
        service_distributions=[ciw.dists.Exponential(rate=tandem.service_rate)] * k,
        number_of_servers=[1] * k,
        routing=[[1.0 if j == i + 1 else 0.0 for j in range(k)] for i in range(k)],
    )
    ciw.seed(tandem.seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(tandem.horizon_h)
    entered: dict[int, float] = {}
    left: dict[int, float] = {}
    for record in simulation.get_all_records():
        if record.node == 1:
            entered[record.id_number] = record.arrival_date
        if record.node == k:
            left[record.id_number] = record.exit_date
    return [left[i] - entered[i] for i in left]


def corridorsim_tandem(scenario: subjects.Scenario) -> list[float]:
    """The tandem scenario in corridorsim: the transit (hours) of every consignment through."""
    return subjects.transit_hours(subjects.run_replication(scenario, 0))


def run(settings: Settings) -> list[Result]:
    tandem = Tandem(horizon_h=settings.pick(20_000.0, 8_000.0, smoke=300.0))
    scenario = subjects.load_scenario(tandem_scenario(tandem))
    calls: dict[str, Callable[[], list[float]]] = {
        "ours": partial(corridorsim_tandem, scenario),
        "bare": partial(bare_simpy, tandem),
    }
    if importlib.util.find_spec("ciw") is not None:
        calls["ciw"] = partial(ciw_tandem, tandem)
    else:
        settings.note(f"{GROUP}: ciw is not installed (pip install '.[bench]'): not measured")
    seconds = settings.timed(calls)
    # Each once more for what it did (seeded: the same runs as the timed ones).
    sojourns = {side: call() for side, call in calls.items()}
    names = {"ours": "corridorsim run_replication", "bare": "bare SimPy", "ciw": "ciw"}
    reference = "ciw" if "ciw" in calls else "bare"
    rate = {side: per_second(len(sojourns[side]), seconds[side]) for side in calls}
    rows = Rows(GROUP, tandem.describe())
    rows.add(f"{names[reference]} customers/s (reference)", rate[reference], "customers/s",
             ref=True)
    for side in (s for s in ("ours", "bare") if s != reference):
        ratio = paired_ratio(rate[reference], rate[side])  # reference rate / rate
        more: dict[str, Any] = {}
        if side == "ours" and reference == "ciw":
            speedup = 1.0 / ratio
            more = {"goal": f">= {GOAL_SPEEDUP:g}x ciw", "goal_met": speedup >= GOAL_SPEEDUP}
        rows.add(f"{names[side]} customers/s", rate[side], "customers/s", ratio=ratio, **more)
    speed, rows = rows, Rows(GROUP, f"{tandem.describe()}: mean sojourn")
    rows.add(f"analytic {tandem.stations} / (mu - lambda) (reference)", [tandem.sojourn_h], "h",
             ref=True)
    for side in calls:
        mean = float(np.mean(sojourns[side])) if sojourns[side] else float("nan")
        what = f"{names[side]}, {len(sojourns[side]):,} customers"
        rows.add(what, [mean], "h", ratio=mean / tandem.sojourn_h)
    return speed.results + rows.results
