"""The library calls behind ``corridorsim.routes`` and friends, taking paths or loaded objects."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from corridorsim.network.io import load_network
from corridorsim.network.lookup import resolve_node
from corridorsim.network.model import Network
from corridorsim.routing.graph import CostModel
from corridorsim.routing.route import Route
from corridorsim.routing.search import Router, check_open_links, resolve_avoid
from corridorsim.scenario.load import Scenario, load_scenario

#: File endings that mark a scenario (a network file is GeoJSON).
SCENARIO_SUFFIXES = (".yaml", ".yml")

if TYPE_CHECKING:
    from corridorsim.experiment.compare import Comparison
    from corridorsim.experiment.results import SimulationResult


def network_for(path: str | os.PathLike[str]) -> Network:
    """The network a file describes: a network file as it is, a scenario file's network with
    the scenario's ``network_changes`` applied (opened, closed and set)."""
    if Path(path).suffix.lower() in SCENARIO_SUFFIXES:
        return load_scenario(path).network
    return load_network(path)


def routes(
    network: Network | str | os.PathLike[str],
    origin: str,
    destination: str,
    *,
    by: str = "fastest",
    k: int = 1,
    avoid: Iterable[str] = (),
    open_links: Iterable[str] = (),
    tonnes_per_wagon: float = 68.0,
    value_of_time_usd_per_tonne_day: float = 0.5,
    max_overlap: float | None = None,
) -> list[Route]:
    """The ``k`` best routes between two nodes (ids or unique names), best first.

    ``by`` is ``fastest`` (expected hours), ``cheapest`` (USD) or ``generalized`` (USD plus
    value of time). ``avoid`` takes node ids or names, link ids and ISO country codes;
    ``open_links`` opens planned or closed links by id. ``max_overlap`` (0-1) keeps routes
    sharing at most that share of their km with each better one.
    """
    net = network if isinstance(network, Network) else load_network(network)
    router = Router(
        net,
        open_links=check_open_links(net, open_links),
        avoid=resolve_avoid(net, avoid),
        cost=CostModel(tonnes_per_wagon, value_of_time_usd_per_tonne_day),
    )
    return router.routes(
        resolve_node(net, origin, what="origin"),
        resolve_node(net, destination, what="destination"),
        by=by,
        k=k,
        max_overlap=max_overlap,
    )


def simulate(
    scenario: Scenario | str | os.PathLike[str],
    *,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
) -> SimulationResult:
    """Run a scenario's replications; ``result.summary()`` is what ``corridorsim run --json``
    prints. ``jobs`` > 1 uses a local process pool; the numbers do not depend on it."""
    from corridorsim.experiment.replications import simulate as run

    loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    return run(loaded, replications=replications, seed=seed, jobs=jobs)


def compare(
    scenarios: Sequence[Scenario | str | os.PathLike[str]],
    *,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
) -> Comparison:
    """Run scenarios under common random numbers; ``.document()`` is ``compare --json``."""
    from corridorsim.experiment.compare import compare as run

    loaded = [s if isinstance(s, Scenario) else load_scenario(s) for s in scenarios]
    return run(loaded, replications=replications, seed=seed, jobs=jobs)
