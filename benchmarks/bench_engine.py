"""``engine``: events/s and consignment-legs/s of one replication, against bare SimPy.

The scenario is a chain of 10 nodes, a ``border`` facility at each (2 servers, exponential
dwell of mean 4 h) and rail links between them (2 h, no headway), with a flow of 2,000
consignments (exponential interarrival, mean 2.8 h: each facility 71% busy, so consignments
queue). corridorsim runs it with :func:`corridorsim.sim.engine.run_replication` and counts its
events (``ReplicationResult.events``) and leg records.

The reference is the same model in bare SimPy, timed in the same loop: one process per
consignment started by one departures process, each walking the same legs with
``resource.request()`` / ``timeout(dwell)`` / ``release`` at a facility and ``timeout(run)`` on
a link, times drawn with numpy in bulk, run to the same horizon; it records nothing. It does the
same number of events (checked; a note says if not), so the ratio is what corridorsim's
bookkeeping (random streams, conditions, statistics, leg records) costs per event.

``python -m benchmarks.bench_engine --profile`` runs corridorsim's side once under cProfile and
prints the functions with the most time of their own.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import simpy

from corridorsim.routing.route import Leg
from corridorsim.scenario.load import Scenario, load_scenario
from corridorsim.sim.engine import ReplicationResult, run_replication

from .sim_inputs import Chain, chain_scenario
from .timing import Result, Settings, interleaved, paired_ratio

GROUP = "engine"
CHAIN = Chain(nodes=10, count=2000)
#: corridorsim may take at most this many times as long per event as bare SimPy.
GOAL_RATIO = 2.0


def bare_simpy(chain: Chain, legs: Sequence[Leg], horizon_h: float, seed: int) -> tuple[int, int]:
    """The chain in bare SimPy; returns (events processed, consignments that arrived)."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    n = chain.count
    steps: list[tuple[simpy.Resource | None, Any]] = []
    for leg in legs:
        if leg.kind == "facility":
            resource = simpy.Resource(env, capacity=chain.servers)
            steps.append((resource, rng.exponential(chain.dwell_mean_h, n).tolist()))
        else:
            steps.append((None, leg.run_h))
    gaps = rng.exponential(chain.gap_mean_h, n).tolist()
    arrived: list[int] = []

    def consignment(i: int):  # type: ignore[no-untyped-def]
        for resource, times in steps:
            if resource is None:
                yield env.timeout(times)
            else:
                request = resource.request()
                yield request
                yield env.timeout(times[i])
                resource.release(request)
        arrived.append(i)

    def departures():  # type: ignore[no-untyped-def]
        t = 0.0
        for i in range(n):
            if t > env.now:
                yield env.timeout(t - env.now)
            env.process(consignment(i))
            t += gaps[i]

    env.process(departures())
    env.run(until=horizon_h)
    return next(env._eid), len(arrived)  # type: ignore[attr-defined]


def _scenario(chain: Chain) -> Scenario:
    return load_scenario(chain_scenario(chain))


def run(settings: Settings) -> list[Result]:
    chain = CHAIN
    scenario = _scenario(chain)
    legs = scenario.shipments[0].route.legs
    last: dict[str, Any] = {}

    def ours() -> None:
        last["ours"] = run_replication(scenario, 0)

    def reference() -> None:
        last["bare"] = bare_simpy(chain, legs, scenario.horizon_h, chain.seed)

    seconds = interleaved({"bare": reference, "ours": ours}, settings.repetitions)
    result: ReplicationResult = last["ours"]
    events, leg_rows = result.events, len(result.legs["seq"])
    bare_events, bare_arrived = last["bare"]
    bare_legs = bare_arrived * len(legs)
    arrived = int(np.count_nonzero(~np.isnan(result.consignments["arrive"])))
    if abs(events - bare_events) > 0.01 * bare_events:
        settings.note(
            f"{GROUP}: corridorsim processed {events:,} events, bare SimPy "
            f"{bare_events:,}: the models differ"
        )
    if arrived < chain.count or bare_arrived < chain.count:
        settings.note(
            f"{GROUP}: not every consignment arrived within the horizon "
            f"(corridorsim {arrived:,}, bare SimPy {bare_arrived:,} of {chain.count:,})"
        )
    per_event = {
        "ours": [s / events * 1e6 for s in seconds["ours"]],
        "bare": [s / bare_events * 1e6 for s in seconds["bare"]],
    }
    ratio = paired_ratio(per_event["ours"], per_event["bare"])
    extra = {
        "nodes": chain.nodes,
        "consignments": chain.count,
        "servers": chain.servers,
        "dwell_mean_h": chain.dwell_mean_h,
        "interarrival_mean_h": chain.gap_mean_h,
        "utilisation": round(chain.utilisation, 3),
        "legs_per_consignment": len(legs),
        "events": events,
        "bare_events": bare_events,
        "leg_records": leg_rows,
        "mean_facility_wait_h": float(result.consignments["waits"][:, 0].mean()),
    }
    benchmark = f"engine {chain.describe()}"
    size = f"{events:,} events, {leg_rows:,} legs"
    return [
        Result(
            GROUP,
            benchmark,
            f"bare SimPy, same requests and timeouts (reference), {size}",
            per_event["bare"],
            "us/event",
            is_reference=True,
            extra=extra,
        ),
        Result(
            GROUP,
            benchmark,
            "corridorsim run_replication: time per event",
            per_event["ours"],
            "us/event",
            ratio=ratio,
            extra=extra,
            goal=f"ratio <= {GOAL_RATIO:g}x",
            goal_met=ratio <= GOAL_RATIO,
        ),
        Result(
            GROUP,
            benchmark,
            "bare SimPy events/s (reference)",
            [bare_events / s for s in seconds["bare"]],
            "events/s",
            is_reference=True,
        ),
        Result(
            GROUP,
            benchmark,
            "corridorsim events/s",
            [events / s for s in seconds["ours"]],
            "events/s",
            ratio=ratio,
        ),
        Result(
            GROUP,
            benchmark,
            "bare SimPy consignment-legs/s (reference)",
            [bare_legs / s for s in seconds["bare"]],
            "legs/s",
            is_reference=True,
        ),
        Result(
            GROUP,
            benchmark,
            "corridorsim consignment-legs/s (recorded)",
            [leg_rows / s for s in seconds["ours"]],
            "legs/s",
            ratio=paired_ratio(
                [s / leg_rows for s in seconds["ours"]], [s / bare_legs for s in seconds["bare"]]
            ),
        ),
    ]


def profile(chain: Chain, top: int) -> None:
    """Run corridorsim's side once under cProfile; print the top functions by own time."""
    scenario = _scenario(chain)
    run_replication(scenario, 0)  # warm-up: first-call costs are not the engine's
    profiler = cProfile.Profile()
    profiler.enable()
    result = run_replication(scenario, 0)
    profiler.disable()
    print(f"{chain.describe()}: {result.events:,} events, {len(result.legs['seq']):,} legs")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_engine",
        description="Profile the engine benchmark's scenario.",
    )
    parser.add_argument("--profile", action="store_true", help="run under cProfile")
    parser.add_argument("--nodes", type=int, default=CHAIN.nodes)
    parser.add_argument("--count", type=int, default=CHAIN.count)
    parser.add_argument("--top", type=int, default=25, help="functions to show")
    args = parser.parse_args(argv)
    if not args.profile:
        parser.error(
            "nothing to do: pass --profile (the benchmark runs from python -m "
            "benchmarks --only engine)"
        )
    profile(Chain(nodes=args.nodes, count=args.count), args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
