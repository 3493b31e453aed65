"""The library calls behind ``corridorsim.routes`` and friends, taking paths or loaded objects.

Everything the command line does goes through these functions: it parses its flags, calls one
of them and renders what comes back. Problems with what was given raise
:class:`~corridorsim.errors.InputError` (one line per problem, naming the file and the place);
a bad value of a parameter raises :class:`~corridorsim.errors.ParameterError` naming the
parameter as spelled here.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from typing_extensions import Unpack

from corridorsim.errors import InputError, ParameterError, UnknownNameError
from corridorsim.experiment.executors import WorkerLostError
from corridorsim.network.io import free_links, load_network
from corridorsim.network.model import Network

# Routing, scenarios and experiments import networkx, numpy and SimPy: they are imported in
# the calls that need them, so that reading and validating a network stays instant.
if TYPE_CHECKING:
    from corridorsim.experiment.assignment import AssignmentOutcome
    from corridorsim.experiment.assignment import Progress as AssignProgress
    from corridorsim.experiment.capacity import CapacityOutcome
    from corridorsim.experiment.compare import Comparison
    from corridorsim.experiment.results import SimulationResult
    from corridorsim.experiment.study import Study
    from corridorsim.experiment.sweep import Progress as SweepProgress
    from corridorsim.experiment.sweep import SweepOutcome
    from corridorsim.routing.route import Route
    from corridorsim.scenario.load import Scenario

#: File endings that mark a scenario (a network file is GeoJSON).
SCENARIO_SUFFIXES = (".yaml", ".yml")
#: ``progress(done, total)``: called as replications finish.
Progress = Callable[[int, int], None]

__all__ = [
    "RouteOptions",
    "RouteSearch",
    "WorkerLostError",
    "assign",
    "capacity",
    "compare",
    "export_gmns",
    "free_links",
    "import_gmns",
    "load_network",
    "load_scenario",
    "load_scenarios",
    "load_study",
    "network_for",
    "network_summary",
    "parse_value",
    "routes",
    "search_routes",
    "simulate",
    "sweep",
]


#: ``--set`` values: dotted path -> value (see :func:`load_scenario`).
Sets = Mapping[str, Any]


def load_scenario(path: str | os.PathLike[str], sets: Sets | None = None) -> Scenario:
    """Read, validate and resolve a scenario file (its network, changes and routes), with
    ``sets`` applied first: dotted paths as in ``network_changes.set`` (``links.ID.KEY``,
    ``nodes.ID.facility.KEY``) and paths into the scenario itself (``horizon_days``,
    ``shipments.pilot.wagons``, ``cargo.wheat.tonnes_per_wagon``)."""
    from corridorsim.scenario.load import load_scenario as load

    return load(path, sets)


def parse_value(text: str, *, what: str) -> Any:
    """A value given as text (a ``--set``'s VALUE), read as a scenario file's YAML is:
    ``12`` a number, ``true`` a boolean, ``[a, b]`` a list, anything else text; InputError
    naming ``what`` when it is not YAML."""
    from corridorsim.scenario.yaml_source import parse_value as parse

    return parse(text, what=what)


def _scenario(scenario: Scenario | str | os.PathLike[str], sets: Sets | None) -> Scenario:
    """``scenario`` loaded with ``sets``, or as it is when already loaded (then without)."""
    from corridorsim.scenario.load import Scenario

    if isinstance(scenario, Scenario):
        if sets:
            raise ParameterError("sets", "give a scenario file to apply them to, not a loaded one")
        return scenario
    return load_scenario(scenario, sets)


def network_for(path: str | os.PathLike[str]) -> Network:
    """The network a file describes: a network file as it is, a scenario file's network with
    the scenario's ``network_changes`` applied (opened, closed and set)."""
    if Path(path).suffix.lower() in SCENARIO_SUFFIXES:
        return load_scenario(path).network
    return load_network(path)


def export_gmns(
    network: Network | str | os.PathLike[str], out_dir: str | os.PathLike[str]
) -> list[Path]:
    """Write ``network`` (a loaded one, a network file, or a scenario file's network with its
    changes) as GMNS tables in ``out_dir``; the paths written (see docs/gmns.md)."""
    from corridorsim.network.gmns import export_gmns as export

    return export(network if isinstance(network, Network) else network_for(network), out_dir)


def import_gmns(
    in_dir: str | os.PathLike[str], out_geojson: str | os.PathLike[str] | None = None
) -> Network:
    """The network of a GMNS folder (written as a corridorsim network file to
    ``out_geojson`` when given); every problem of its tables in one InputError."""
    from corridorsim.network.gmns import import_gmns as read

    return read(in_dir, out_geojson)


def network_summary(network: Network | str | os.PathLike[str]) -> dict[str, Any]:
    """Counts by mode, country and status, km, components and facilities of a network (the
    ``network info --json`` document)."""
    from corridorsim.network.summary import network_summary as summarise

    return summarise(network if isinstance(network, Network) else load_network(network))


def load_scenarios(
    paths: Iterable[str | os.PathLike[str]], sets: Sets | None = None
) -> list[Scenario]:
    """Load several scenario files (each with ``sets`` applied), reporting the problems of
    all of them at once."""
    problems: list[str] = []
    scenarios = []
    for path in paths:
        try:
            scenarios.append(load_scenario(path, sets))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return scenarios


@dataclass(frozen=True)
class RouteSearch:
    """The answer to a route query: the routes found, best first, on a network state."""

    network: Network
    origin: str
    destination: str
    by: str
    routes: list[Route]
    #: When no route exists: the planned or closed links that would connect the two places.
    would_connect: tuple[str, ...] = ()
    #: The scenario's cargo the costs are for (None on a network file).
    cargo: str | None = None

    def document(self) -> dict[str, Any]:
        """The ``routes --json`` document (stable keys, see the README)."""
        from corridorsim.routing.costs import usd_per_tonne_by_category, usd_per_tonne_by_country

        return {
            "from": self.origin,
            "to": self.destination,
            "policy": self.by,
            **({"cargo": self.cargo} if self.cargo is not None else {}),
            "routes": [
                {
                    **r.to_dict(rank),
                    "usd_per_tonne_by_category": _rounded(
                        usd_per_tonne_by_category(self.network, r)
                    ),
                    "usd_per_tonne_by_country": _rounded(
                        usd_per_tonne_by_country(self.network, r)
                    ),
                }
                for rank, r in enumerate(self.routes, 1)
            ],
        }


    def leg_rows(self) -> list[dict[str, Any]]:
        """``routes --csv``: a row per leg of every route, with the route's rank, the leg's
        cost category and the country its charges go to."""
        from corridorsim.routing.costs import charge_category

        rows = []
        for rank, route in enumerate(self.routes, 1):
            for seq, leg in enumerate(route.legs, 1):
                cells = leg.to_dict(route.tonnes_per_wagon)
                rows.append(
                    {
                        "rank": rank,
                        "seq": seq,
                        "kind": cells["kind"],
                        "id": cells["id"],
                        "type": cells["type"],
                        "carrier": cells["carrier"],
                        "from": cells.get("from", cells.get("node")),
                        "to": cells.get("to", cells.get("node")),
                        "km": cells.get("km", 0.0),
                        "hours": cells["hours"],
                        "run_h": cells["run_h"],
                        "wait_h": cells["wait_h"],
                        "usd_per_wagon": cells["usd_per_wagon"],
                        "usd_per_tonne": round(
                            leg.total_usd_per_wagon / route.tonnes_per_wagon, 4
                        ),
                        "co2_kg_per_tonne": cells["co2_kg_per_tonne"],
                        "category": charge_category(self.network, leg),
                        "country": self.network.nodes[leg.from_node].country,
                    }
                )
        return rows


#: The columns of ``routes --csv``.
ROUTE_LEG_COLUMNS = ("rank", "seq", "kind", "id", "type", "carrier", "from", "to", "km",
                     "hours", "run_h", "wait_h", "usd_per_wagon", "usd_per_tonne",
                     "co2_kg_per_tonne", "category", "country")


def _rounded(values: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 3) for k, v in values.items()}


def _finite(**values: float | None) -> None:
    """ParameterError for the first of ``values`` that is NaN or infinite (None is allowed)."""
    for name, value in values.items():
        if value is not None and not math.isfinite(value):
            raise ParameterError(name, f"must be a finite number (got {value})")


def _node(network: Network, text: str, param: str) -> str:
    from corridorsim.network.lookup import resolve_node

    try:
        return resolve_node(network, text)
    except UnknownNameError as exc:
        raise ParameterError(param, exc.problems[0]) from None


def search_routes(
    network: Network | str | os.PathLike[str],
    origin: str,
    destination: str,
    *,
    by: str = "fastest",
    k: int = 1,
    avoid: Iterable[str] = (),
    open_links: Iterable[str] = (),
    tonnes_per_wagon: float | None = None,
    value_of_time_usd_per_tonne_day: float | None = None,
    max_overlap: float | None = None,
    cargo: str | None = None,
    sets: Sets | None = None,
) -> RouteSearch:
    """The ``k`` best routes between two nodes, and why there are none when there are none.

    ``network`` is a loaded network, a network file or a scenario file (its network with the
    scenario's changes, and its services' expected waits for a departure on the routes that
    run in them). Nodes are ids or unique names. ``by`` is ``fastest`` (expected
    hours), ``cheapest`` (USD) or ``generalized`` (USD plus value of time). ``avoid`` takes
    node ids or names, link ids and ISO country codes; ``open_links`` opens planned or closed
    links by id. ``max_overlap`` (0-1) keeps routes sharing at most that share of their km
    with each better one.

    Costs are for a wagon of ``tonnes_per_wagon`` (default 68) and a value of time of
    ``value_of_time_usd_per_tonne_day`` (default 0.5). On a scenario file they are for its
    ``cargo`` (by default the cargo of its first shipment or demand flow between the two
    places, else of its first shipment, else its first cargo), with that cargo's wagon hire,
    tare and units, and the two values replace the cargo's where given. ``sets`` are
    applied first: to a scenario file as :func:`load_scenario` does, to a network file its
    ``links.`` and ``nodes.`` paths.
    """
    from corridorsim.routing.graph import CostModel
    from corridorsim.routing.search import (
        Router,
        check_open_links,
        links_that_would_connect,
        resolve_avoid,
    )
    from corridorsim.routing.sections import with_formation_waits

    _finite(
        tonnes_per_wagon=tonnes_per_wagon,
        value_of_time_usd_per_tonne_day=value_of_time_usd_per_tonne_day,
        max_overlap=max_overlap,
    )
    if tonnes_per_wagon is not None and tonnes_per_wagon <= 0:
        raise ParameterError("tonnes_per_wagon", f"must be above 0 (got {tonnes_per_wagon})")
    services: tuple[Any, ...] = ()
    scenario = None
    if isinstance(network, Network):
        net = network
    elif Path(network).suffix.lower() in SCENARIO_SUFFIXES:
        scenario = load_scenario(network, sets)
        net, services = scenario.network, scenario.services
        sets = None
    else:
        net = load_network(network)
    if sets:
        net = _network_sets(net, sets)
    if cargo is not None and scenario is None:
        raise ParameterError("cargo", "only with a scenario file (its cargo: block names them)")
    opened = check_open_links(net, list(open_links))
    avoided = resolve_avoid(net, list(avoid))
    start = _node(net, origin, "origin")
    end = _node(net, destination, "destination")
    cargo_name = None
    if scenario is not None:
        cargo_name, cost = _scenario_cost(scenario, cargo, start, end)
        updates = {
            key: value
            for key, value in (
                ("tonnes_per_wagon", tonnes_per_wagon),
                ("value_of_time_usd_per_tonne_day", value_of_time_usd_per_tonne_day),
            )
            if value is not None
        }
        if updates:
            import dataclasses

            cost = dataclasses.replace(cost, **updates)
    else:
        cost = CostModel(
            68.0 if tonnes_per_wagon is None else tonnes_per_wagon,
            0.5 if value_of_time_usd_per_tonne_day is None else value_of_time_usd_per_tonne_day,
        )
    router = Router(net, open_links=opened, avoid=avoided, cost=cost)
    found = router.routes(start, end, by=by, k=k, max_overlap=max_overlap)
    if services:
        found = sorted(
            (with_formation_waits(route, services, cost) for route in found),
            key=lambda route: route.score,
        )
    missing = () if found else links_that_would_connect(net, start, end, avoid=avoided)
    return RouteSearch(net, start, end, by, found, missing, cargo_name)


def _network_sets(network: Network, sets: Sets) -> Network:
    """``network`` with the ``links.`` and ``nodes.`` paths of ``sets`` set (ParameterError
    ``sets`` for any other path: a network file has no scenario keys)."""
    from corridorsim.scenario.paths import NETWORK_ROOTS, apply_network_sets

    other = [path for path in sets if path.split(".", 1)[0] not in NETWORK_ROOTS]
    if other:
        raise ParameterError(
            "sets", [f"{path}: a network file has only links. and nodes. paths" for path in other]
        )
    return apply_network_sets(network, sets, where="")


def _scenario_cost(
    scenario: Scenario, cargo: str | None, start: str, end: str
) -> tuple[str, Any]:
    """The scenario's cargo to price routes for, and its cost model (for the wagons of the
    shipment it comes from)."""
    plans = scenario.shipments
    if cargo is not None:
        if cargo not in scenario.spec.cargo:
            raise ParameterError(
                "cargo",
                f"no cargo '{cargo}' in {scenario.path} (defined: "
                f"{', '.join(scenario.spec.cargo)})",
            )
        matching = [p for p in plans if p.spec.cargo == cargo]
        wagons = matching[0].wagons if matching else 1
        return cargo, scenario.spec.cargo[cargo].cost_model(wagons)
    between = [p for p in plans if (p.origin, p.destination) == (start, end)]
    chosen = between[0] if between else (plans[0] if plans else None)
    if chosen is not None:
        return chosen.spec.cargo, chosen.cargo.cost_model(chosen.wagons)
    name = next(iter(scenario.spec.cargo))
    return name, scenario.spec.cargo[name].cost_model(1)


class RouteOptions(TypedDict, total=False):
    """The keyword options of :func:`search_routes` (and :func:`routes`), with their types."""

    by: str
    k: int
    avoid: Iterable[str]
    open_links: Iterable[str]
    tonnes_per_wagon: float | None
    value_of_time_usd_per_tonne_day: float | None
    max_overlap: float | None
    cargo: str | None
    sets: Sets | None


def routes(
    network: Network | str | os.PathLike[str],
    origin: str,
    destination: str,
    **options: Unpack[RouteOptions],
) -> list[Route]:
    """The ``k`` best routes between two nodes (ids or unique names), best first; [] when
    there is none. The options and their defaults are those of :func:`search_routes`."""
    return search_routes(network, origin, destination, **options).routes


def simulate(
    scenario: Scenario | str | os.PathLike[str],
    *,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int | None = 1,
    warmup_days: float | None = None,
    precision: float | None = None,
    max_replications: int = 1000,
    progress: Progress | None = None,
    sets: Sets | None = None,
) -> SimulationResult:
    """Run a scenario's replications (default: the scenario's number and seed).

    ``jobs`` > 1 uses a local process pool (None: every core); the numbers do not depend on
    it. ``warmup_days`` replaces the scenario's warm-up (consignments departing before it
    run but are not counted). With ``precision`` (e.g. 0.02), replications are added in
    batches until every shipment's 95% CI half-width of mean transit days is at most that
    share of the mean, up to ``max_replications``. ``result.summary()`` is what
    ``corridorsim run --json`` prints; ``result.shipments`` holds the typed results per
    shipment; ``result.warnings`` what a reader should know about them.
    """
    from corridorsim.experiment.replications import simulate as run
    from corridorsim.experiment.replications import to_precision

    loaded = with_warmup(_scenario(scenario, sets), warmup_days)
    result = run(loaded, replications=replications, seed=seed, jobs=jobs, progress=progress)
    if precision is None:
        return result
    return to_precision(
        [result], precision, max_replications=max_replications, jobs=jobs, progress=progress
    )[0]


def with_warmup(scenario: Scenario, warmup_days: float | None) -> Scenario:
    """``scenario`` with its warm-up replaced by ``warmup_days`` (as it is for None)."""
    if warmup_days is None:
        return scenario
    import dataclasses

    horizon = scenario.spec.horizon_days
    if not (math.isfinite(warmup_days) and 0 <= warmup_days < horizon):
        raise ParameterError(
            "warmup_days",
            f"must be at least 0 and less than the horizon of {scenario.path} "
            f"({horizon:g} days; got {warmup_days:g})",
        )
    spec = scenario.spec.model_copy(update={"warmup_days": warmup_days})
    return dataclasses.replace(scenario, spec=spec)


def compare(
    scenarios: Sequence[Scenario | str | os.PathLike[str]],
    *,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int | None = 1,
    warmup_days: float | None = None,
    precision: float | None = None,
    max_replications: int = 1000,
    progress: Progress | None = None,
    sets: Sets | None = None,
) -> Comparison:
    """Run scenarios under common random numbers (the first one's seed and replications
    unless given) and pair them replication by replication; ``.document()`` is
    ``compare --json``. Files are loaded first, with the problems of all of them reported
    at once. ``warmup_days``, ``precision`` and ``max_replications`` are those of
    :func:`simulate`, the precision asked of every shipment of every scenario (the same
    replications are added to all)."""
    from corridorsim.experiment.compare import Comparison as Compared
    from corridorsim.experiment.compare import compare as run
    from corridorsim.experiment.replications import to_precision
    from corridorsim.scenario.load import Scenario

    if len(scenarios) < 2:
        raise ParameterError("scenarios", f"give at least two (got {len(scenarios)})")
    paths = [s for s in scenarios if not isinstance(s, Scenario)]
    if sets and len(paths) < len(scenarios):
        raise ParameterError("sets", "give scenario files to apply them to, not loaded ones")
    loaded_paths = iter(load_scenarios(paths, sets))
    loaded = [s if isinstance(s, Scenario) else next(loaded_paths) for s in scenarios]
    loaded = [with_warmup(s, warmup_days) for s in loaded]
    comparison = run(loaded, replications=replications, seed=seed, jobs=jobs, progress=progress)
    if precision is None:
        return comparison
    results = to_precision(
        comparison.results,
        precision,
        max_replications=max_replications,
        jobs=jobs,
        progress=progress,
    )
    return Compared(labels=comparison.labels, results=results, seed=comparison.seed)


def load_study(path: str | os.PathLike[str]) -> Study:
    """Read and validate a study file and its base scenario; every problem is one line
    naming the study file and the place in it."""
    from corridorsim.experiment.study import load_study as load

    return load(path)


def sweep(
    study: Study | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    executor: str = "local",
    jobs: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    chunk_size: int | None = None,
    warmup_days: float | None = None,
    progress: SweepProgress | None = None,
) -> SweepOutcome:
    """Run a study (a loaded one or a study file) into the output folder ``out_dir``.

    Every design point not yet in the folder's results store runs on ``executor``
    (``local``: a process pool of ``jobs`` workers; ``dask``: the cluster at ``scheduler``,
    or a LocalCluster of ``jobs`` workers); None ``jobs`` means every core. ``warmup_days``
    sets every point's warm-up (the scenario's otherwise). ``resume``
    continues a folder that holds points of this study. The outcome carries every point's
    row and the sensitivity indices; :func:`corridorsim.report.sweep_outputs.write_sweep_folder`
    writes the files. ``progress(done, total, runs_per_s)`` is called as points finish.
    """
    from corridorsim.experiment.executors import make_executor
    from corridorsim.experiment.sweep import run_sweep

    loaded = load_study(study) if isinstance(study, str | os.PathLike) else study
    loaded = loaded.with_warmup(warmup_days)
    with make_executor(executor, jobs=jobs, scheduler=scheduler) as runner:
        return run_sweep(
            loaded, out_dir, runner, resume=resume, chunk_size=chunk_size, progress=progress
        )


def assign(
    scenario: Scenario | str | os.PathLike[str],
    *,
    executor: str = "local",
    jobs: int | None = 1,
    scheduler: str | None = None,
    seed: int | None = None,
    replications: int | None = None,
    iterations: int | None = None,
    warmup_days: float | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    resume: bool = False,
    progress: AssignProgress | None = None,
    sets: Sets | None = None,
) -> AssignmentOutcome:
    """Assign a scenario's demand flows to their routes with congestion feedback (DESIGN
    §13): simulate the split, price each route by its simulated cost, move the split toward
    the choice model's by successive averages until it moves less than the tolerance.

    ``seed``, ``replications`` (per iteration), ``iterations`` (at most) and ``warmup_days``
    replace the scenario's (its ``assignment:`` block). Replications run on ``executor``
    (``local``: ``jobs`` processes; ``dask``: the cluster at ``scheduler`` or a
    LocalCluster); the numbers do not depend on it. With ``out_dir`` each iteration is kept in
    its results store, and ``resume`` continues from there.
    ``outcome.document()`` is ``assign --json`` and ``assignment.json``.
    """
    from corridorsim.experiment.assignment import assign as run
    from corridorsim.experiment.executors import make_executor

    loaded = with_warmup(_scenario(scenario, sets), warmup_days)
    with make_executor(executor, jobs=jobs, scheduler=scheduler) as runner:
        return run(
            loaded,
            executor=runner,
            seed=seed,
            replications=replications,
            iterations=iterations,
            out_dir=out_dir,
            resume=resume,
            progress=progress,
        )


def capacity(
    scenario: Scenario | str | os.PathLike[str],
    shipment: str,
    *,
    max_p90_days: float | None = None,
    max_mean_wait_h: float | None = None,
    max_utilisation: float | None = None,
    executor: str = "local",
    jobs: int | None = 1,
    scheduler: str | None = None,
    seed: int | None = None,
    replications: int | None = None,
    warmup_days: float | None = None,
    progress: Progress | None = None,
    sets: Sets | None = None,
) -> CapacityOutcome:
    """The largest tonnes per year of ``shipment`` (a shipment or demand flow id) that meets
    one criterion: ``max_p90_days``, ``max_mean_wait_h`` or ``max_utilisation`` (give exactly
    one). Bisection on the tonnage with common random numbers; the outcome names the binding
    element and holds every tonnage tried. ``outcome.document()`` is ``capacity --json``.
    """
    from corridorsim.experiment.capacity import capacity as search
    from corridorsim.experiment.executors import make_executor

    given = {
        name: value
        for name, value in (
            ("max_p90_days", max_p90_days),
            ("max_mean_wait_h", max_mean_wait_h),
            ("max_utilisation", max_utilisation),
        )
        if value is not None
    }
    if len(given) != 1:
        raise ParameterError(
            "max_p90_days",
            "give exactly one criterion: max_p90_days, max_mean_wait_h or max_utilisation",
        )
    ((criterion, limit),) = given.items()
    _finite(**given)
    loaded = with_warmup(_scenario(scenario, sets), warmup_days)
    with make_executor(executor, jobs=jobs, scheduler=scheduler) as runner:
        try:
            return search(
                loaded,
                shipment,
                criterion,
                limit,
                executor=runner,
                seed=seed,
                replications=replications,
                progress=progress,
            )
        except ParameterError as exc:
            if exc.param == "limit":
                raise ParameterError(criterion, exc.messages[0]) from None
            raise
