"""What is measured: every corridorsim name the benchmarks use is imported here, and only here
(the public API first, then what the sweep group needs of executors, store and studies). The
functions read the few fields of the library's records that the tables report: when a name or
a record changes, this is the one file to change."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from corridorsim import InputError, Network, load_network, load_scenario, simulate
from corridorsim.experiment.assignment import assign
from corridorsim.experiment.executors import DaskExecutor, LocalExecutor, batches
from corridorsim.experiment.store import SCHEMA as STORE_SCHEMA
from corridorsim.experiment.store import ResultsStore
from corridorsim.experiment.study import load_study
from corridorsim.experiment.sweep import run_points, run_sweep
from corridorsim.routing import Router
from corridorsim.routing.plan import clear_plan_cache, plan_cache_info
from corridorsim.routing.reference import reference_routes
from corridorsim.sim.engine import run_replication

if TYPE_CHECKING:  # types only: the benchmarks do not depend on where they live
    from corridorsim.experiment.study import Study
    from corridorsim.scenario.load import Scenario
    from corridorsim.sim.engine import ReplicationResult

__all__ = [  # what the groups take from here, besides the functions below
    "STORE_SCHEMA",
    "InputError",
    "LocalExecutor",
    "ResultsStore",
    "Router",
    "assign",
    "clear_plan_cache",
    "load_network",
    "load_scenario",
    "load_study",
    "reference_routes",
    "run_points",
    "run_replication",
    "run_sweep",
    "simulate",
]

#: Imported in fresh processes by the ``cli-import`` group: the CLI, and what ``network
#: validate`` needs (the file reader with its models).
CLI_MODULE = "corridorsim.cli"
VALIDATE_MODULE = "corridorsim.network.io"


def network_size(network: Network) -> tuple[int, int]:
    """(nodes, links)."""
    return len(network.nodes), len(network.links)


class OpenLink(NamedTuple):
    start: str
    end: str
    hours: float
    both_ways: bool


def open_links(network: Network) -> list[OpenLink]:
    links = network.links_by_status("open")
    return [OpenLink(x.from_, x.to, x.run_h(), x.bidirectional) for x in links]


def node_coords(network: Network) -> dict[str, tuple[float, float]]:
    """Node id -> (lon, lat) of the nodes at an end of an open link."""
    ends = {node for link in network.links_by_status("open") for node in link.endpoints()}
    return {i: n.coords for i, n in network.nodes.items() if i in ends}


class Step(NamedTuple):
    at_facility: bool
    hours: float


def route_steps(scenario: Scenario) -> tuple[list[Step], float]:
    """The legs of the first shipment's route, and the scenario's horizon (hours)."""
    legs = scenario.shipments[0].route.legs
    return [Step(leg.kind == "facility", leg.run_h) for leg in legs], scenario.horizon_h


class RunFigures(NamedTuple):
    """What one replication did, as the tables count it."""

    events: int
    leg_records: int
    arrived: int


def run_figures(result: ReplicationResult) -> RunFigures:
    arrived = np.count_nonzero(~np.isnan(result.consignments["arrive"]))
    return RunFigures(result.events, len(result.legs["seq"]), int(arrived))


def transit_hours(result: ReplicationResult) -> list[float]:
    """Door-to-door hours of every consignment that arrived within the horizon."""
    c = result.consignments
    transit = c["arrive"] - c["depart"]
    return transit[~np.isnan(transit)].tolist()


def plan_searches() -> int:
    """Route searches for plans so far in this process (plans found remembered not counted)."""
    return plan_cache_info().searches


STUDIES = Path(__file__).resolve().parent.parent / "scenarios" / "studies"


def shipped_study(name: str) -> Study:
    """The shipped study ``scenarios/studies/NAME.yaml``, loaded."""
    return load_study(STUDIES / f"{name}.yaml")


def design_points(study: Study) -> int:
    return len(study.design())


def point_tasks(
    study: Study, workers: int, *, first: int | None = None, max_batch: int | None = None
) -> list[list[tuple[int, dict[str, Any]]]]:
    """The study's (first) design points cut into tasks as ``run_sweep`` cuts them for
    ``workers`` (at most ``max_batch`` points each; by default a local pool's)."""
    points = list(enumerate(study.design()))[:first]
    return batches(points, workers, max_batch=max_batch or LocalExecutor.max_batch)


def replication_tasks(count: int, jobs: int) -> list[int]:
    """The sizes of the tasks ``simulate`` cuts ``count`` replications into for ``jobs``."""
    return [len(task) for task in LocalExecutor(min(jobs, count)).batches(list(range(count)))]


def dask_installed() -> bool:
    return importlib.util.find_spec("distributed") is not None


def dask_workers_cpu(executor: DaskExecutor) -> Callable[[], float]:
    """The CPU seconds the cluster's worker processes have used so far, all together."""
    client = executor._client
    return lambda: float(sum(client.run(time.process_time).values()))
