"""``engine``: one replication of the chain against the same model in bare SimPy (requests,
timeouts and releases) timed in the same loop (README.md).

corridorsim processes fewer SimPy events than bare SimPy for the same model (a visit to a first
come first served facility is one event, not a request, a timeout and a release), so its time
is given per *bare-SimPy event*: its wall time divided by the events bare SimPy processed. The
ratio of the two is the ratio of the wall times for the same model."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from functools import partial
from typing import Any

import numpy as np
import simpy

from . import subjects
from .inputs import Chain, chain_scenario
from .report import Result, Rows
from .timing import Settings, paired_ratio, per_second

GROUP = "engine"
#: corridorsim may take at most this many times as long as bare SimPy for the same model.
GOAL_RATIO = 1.5


def bare_simpy(
    chain: Chain, steps: Sequence[subjects.Step], horizon_h: float, seed: int
) -> tuple[int, int]:
    """The chain in bare SimPy, recording nothing: (events processed, consignments arrived)."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    n = chain.count
    plan: list[tuple[simpy.Resource | None, Any]] = [
        (simpy.Resource(env, chain.servers), rng.exponential(chain.dwell_mean_h, n).tolist())
        if step.at_facility
        else (None, step.hours)
        for step in steps
    ]
    gaps = rng.exponential(chain.gap_mean_h, n).tolist()
    arrived: list[int] = []

    def consignment(i: int) -> Generator[simpy.Event, Any, None]:
        for resource, times in plan:
            if resource is None:
                yield env.timeout(times)
            else:
                request = resource.request()
                yield request
                yield env.timeout(times[i])
                resource.release(request)
        arrived.append(i)

    def departures() -> Generator[simpy.Event, Any, None]:
        t = 0.0
        for i in range(n):
            if t > env.now:
                yield env.timeout(t - env.now)
            env.process(consignment(i))
            t += gaps[i]

    env.process(departures())
    env.run(until=horizon_h)
    return next(env._eid), len(arrived)


def run(settings: Settings) -> list[Result]:
    chain = Chain(nodes=10, count=settings.pick(2000, smoke=100))
    scenario = subjects.load_scenario(chain_scenario(chain))
    steps, horizon_h = subjects.route_steps(scenario)
    queued = sum(step.at_facility for step in steps)
    if queued != chain.nodes:  # the model is a queue at every node, or it measures nothing
        settings.note(
            f"{GROUP}: the chain's route meets {queued} facilities, not {chain.nodes}: "
            "the benchmark does not measure queueing as described"
        )
    bare = partial(bare_simpy, chain, steps, horizon_h, chain.seed)
    ours = partial(subjects.run_replication, scenario, 0)
    seconds = settings.timed({"bare": bare, "ours": ours})
    # Each side once more for what it did (the same seeds: the same runs as the timed ones).
    (bare_events, bare_arrived), figures = bare(), subjects.run_figures(ours())
    if min(figures.arrived, bare_arrived) == chain.count != figures.leg_records / len(steps):
        settings.note(
            f"{GROUP}: corridorsim recorded {figures.leg_records:,} legs, bare SimPy walked "
            f"{bare_arrived * len(steps):,}: the models differ"
        )
    elif min(figures.arrived, bare_arrived) < chain.count:
        settings.note(
            f"{GROUP}: not every consignment arrived within the horizon (corridorsim "
            f"{figures.arrived:,}, bare SimPy {bare_arrived:,} of {chain.count:,})"
        )
    rows = Rows(GROUP, f"engine {chain.describe()}")
    # Both per bare-SimPy event: the same denominator, so the ratio is that of wall times.
    us = {side: [s / bare_events * 1e6 for s in seconds[side]] for side in seconds}
    ratio = paired_ratio(us["ours"], us["bare"])
    what = f"bare SimPy, same requests and timeouts (reference), {bare_events:,} events, "
    rows.add(f"{what}{bare_arrived * len(steps):,} legs", us["bare"], "us/event", ref=True)
    what = "corridorsim run_replication: time per bare-SimPy event (wall-time ratio)"
    goal = f"ratio <= {GOAL_RATIO:g}x"
    rows.add(what, us["ours"], "us/event", ratio=ratio, goal=goal, goal_met=ratio <= GOAL_RATIO)
    per = {"bare": bare_events / chain.count, "ours": figures.events / chain.count}
    rows.add("bare SimPy: SimPy events per consignment (reference)", [per["bare"]], "events",
             ref=True)
    what = "corridorsim: SimPy events per consignment"
    rows.add(what, [per["ours"]], "events", ratio=per["ours"] / per["bare"])
    legs = {"ours": figures.leg_records, "bare": bare_arrived * len(steps)}
    rate = {side: per_second(legs[side], seconds[side]) for side in seconds}
    rows.add("bare SimPy consignment-legs/s (reference)", rate["bare"], "legs/s", ref=True)
    ratio = paired_ratio(rate["bare"], rate["ours"])  # reference rate / rate
    rows.add("corridorsim consignment-legs/s (recorded)", rate["ours"], "legs/s", ratio=ratio)
    return rows.results
