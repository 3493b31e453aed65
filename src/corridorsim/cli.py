"""The ``corridorsim`` command: parse the command line, call the library, render the result.

Heavy modules (numpy, shapely, matplotlib, simpy, networkx) are imported inside the commands
that need them, so ``corridorsim --help`` and ``network validate`` answer at once.
Errors are handled at one point (:class:`_Cli`): bad input exits 2 with one line per problem,
other deliberate failures exit 1; neither shows a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import click

from corridorsim import __version__
from corridorsim.errors import CorridorsimError, InputError

EXIT_RUNTIME = 1
EXIT_BAD_INPUT = 2


class _Cli(click.Group):
    """Turns corridorsim's own errors into exit codes and one-line messages."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as exc:
            for line in exc.problems:
                click.echo(line, err=True)
            ctx.exit(EXIT_BAD_INPUT)
        except CorridorsimError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(EXIT_RUNTIME)


def _split_words(values: Sequence[str]) -> list[str]:
    """``--avoid RU --avoid GE-POTI,GE-BATUMI`` -> ``["RU", "GE-POTI", "GE-BATUMI"]``."""
    return [w.strip() for v in values for w in v.split(",") if w.strip()]


def _emit_json(document: Any) -> None:
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


#: Options several commands share, declared once.
_jobs_option = click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: all cores).",
)
_quiet_option = click.option("--quiet", is_flag=True, help="No progress bar.")


def _console() -> Any:
    from rich.console import Console

    return Console()


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="corridorsim")
def main() -> None:
    """Freight corridor routing and simulation: the Middle Corridor, TRIPP and the Caucasus."""


@main.group()
def network() -> None:
    """Check, describe and draw network files (GeoJSON)."""


@network.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def network_validate(files: Sequence[str]) -> None:
    """Check network FILES; print every problem, one line each (exit 2 if any)."""
    from corridorsim.network.io import load_network

    problems: list[str] = []
    for path in files:
        try:
            net = load_network(path)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        click.echo(f"{path}: ok ({len(net.nodes)} nodes, {len(net.links)} links)")
    if problems:
        raise InputError(problems)


@network.command("info")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of tables.")
def network_info(file: str, as_json: bool) -> None:
    """Counts by mode, country and status, km by mode, components and facilities."""
    from corridorsim.network.io import load_network
    from corridorsim.network.summary import network_summary

    summary = network_summary(load_network(file))
    if as_json:
        _emit_json(summary)
        return
    from corridorsim.report.tables import print_network_summary

    print_network_summary(_console(), summary)


@network.command("plot")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="PNG file to write."
)
@click.option("--title", help="Title of the map (default: the network's name).")
@click.option("--labels/--no-labels", default=True, show_default=True, help="Label nodes.")
def network_plot(file: str, output: str, title: str | None, labels: bool) -> None:
    """Draw the network on a lon/lat map: links by mode, planned dashed, closed faint."""
    from corridorsim.network.io import load_network
    from corridorsim.report.maps import plot_network

    plot_network(load_network(file), output, title=title, labels=labels)
    click.echo(f"wrote {output}")


@main.command("routes")
@click.argument("source", metavar="NETWORK|SCENARIO", type=click.Path(dir_okay=False))
@click.option("--from", "origin", required=True, help="Origin node: id or unique name.")
@click.option("--to", "destination", required=True, help="Destination node: id or unique name.")
@click.option(
    "--by",
    "policy",
    type=click.Choice(["fastest", "cheapest", "generalized"]),
    default="fastest",
    show_default=True,
    help="What 'best' means.",
)
@click.option(
    "-k",
    "k",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="How many physically distinct routes.",
)
@click.option(
    "--avoid",
    multiple=True,
    metavar="ID|NAME|CC",
    help="Nodes, links or ISO countries to avoid (repeat or separate with commas).",
)
@click.option(
    "--open",
    "open_links",
    multiple=True,
    metavar="LINK",
    help="Open planned or closed links by id (repeat or separate with commas).",
)
@click.option(
    "--max-overlap",
    type=click.FloatRange(0, 1),
    help="Keep routes sharing at most this share of their km with each better one (0-1): "
    "different corridors instead of small detours.",
)
@click.option(
    "--tonnes-per-wagon",
    type=click.FloatRange(min=0, min_open=True),
    default=68.0,
    show_default=True,
    help="Net load per wagon, for USD and CO2 per tonne.",
)
@click.option(
    "--value-of-time",
    "value_of_time",
    type=click.FloatRange(min=0),
    default=0.5,
    show_default=True,
    help="USD per tonne per day, for --by generalized.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of tables.")
def routes_command(
    source: str,
    origin: str,
    destination: str,
    policy: str,
    k: int,
    avoid: Sequence[str],
    open_links: Sequence[str],
    tonnes_per_wagon: float,
    value_of_time: float,
    max_overlap: float | None,
    as_json: bool,
) -> None:
    """The k best routes from --from to --to, with a per-leg breakdown."""
    from corridorsim.api import network_for
    from corridorsim.network.lookup import resolve_node
    from corridorsim.routing import CostModel, Router, links_that_would_connect, resolve_avoid
    from corridorsim.routing.search import check_open_links

    net = network_for(source)
    opened = check_open_links(net, _split_words(open_links))
    avoided = resolve_avoid(net, _split_words(avoid))
    start = resolve_node(net, origin, what="--from")
    end = resolve_node(net, destination, what="--to")
    router = Router(
        net, open_links=opened, avoid=avoided, cost=CostModel(tonnes_per_wagon, value_of_time)
    )
    found = router.routes(start, end, by=policy, k=k, max_overlap=max_overlap)
    if as_json:
        _emit_json(
            {
                "from": start,
                "to": end,
                "policy": policy,
                "routes": [r.to_dict(rank) for rank, r in enumerate(found, 1)],
            }
        )
    elif found:
        from corridorsim.report.tables import print_routes

        print_routes(_console(), found, net)
    if not found:
        missing = links_that_would_connect(net, start, end, avoid=avoided)
        hint = f"; opening {', '.join(missing)} would connect them (--open)" if missing else ""
        click.echo(f"no open route from {start} to {end}{hint}", err=True)
        sys.exit(EXIT_RUNTIME)


class _ProgressBar:
    """A rich progress bar on stderr that appears only once a job has run for a second."""

    def __init__(self, label: str, enabled: bool) -> None:
        import time

        self._label = label
        self._enabled = enabled
        self._started = time.monotonic()
        self._bar: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        import time

        if not self._enabled:
            return
        if self._bar is None:
            if time.monotonic() - self._started < 1.0 and done < total:
                return
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                "{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self._label, total=total)
        self._bar.update(self._task, completed=done)

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def _progress_enabled(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


@main.command("run")
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(dir_okay=False))
@click.option(
    "-r",
    "--replications",
    type=click.IntRange(min=1),
    help="Replications (default: the scenario's).",
)
@click.option("--seed", type=click.IntRange(min=0), help="Seed (default: the scenario's).")
@_jobs_option
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Write summary.json, shipments.csv, legs.csv, facilities.csv, manifest.json.",
)
@click.option("--plots", is_flag=True, help="With -o: also write PNG charts.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON document.")
@_quiet_option
def run_command(
    scenario_file: str,
    replications: int | None,
    seed: int | None,
    jobs: int | None,
    out_dir: str | None,
    plots: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Simulate SCENARIO: transit times, costs and where the time goes, with 95% CIs."""
    from corridorsim.experiment.replications import default_jobs, simulate
    from corridorsim.scenario.load import load_scenario

    if plots and not out_dir:
        raise InputError("--plots: needs -o DIR to write the charts into")
    scenario = load_scenario(scenario_file)
    with _ProgressBar("replications", _progress_enabled(quiet)) as bar:
        result = simulate(
            scenario,
            replications=replications,
            seed=seed,
            jobs=jobs or default_jobs(),
            progress=bar,
        )
    summary = result.summary()
    if out_dir:
        from corridorsim.report.outputs import write_run_outputs

        write_run_outputs(result, out_dir)
        if plots:
            from corridorsim.report.charts import write_run_charts

            write_run_charts(result, out_dir)
    if as_json:
        _emit_json(summary)
        return
    from corridorsim.report.tables import run_tables

    console = _console()
    console.print(run_tables(summary))
    if out_dir:
        console.print(f"wrote {out_dir}/")


@main.command("compare")
@click.argument(
    "scenario_files",
    metavar="SCENARIO SCENARIO...",
    nargs=-1,
    required=True,
    type=click.Path(dir_okay=False),
)
@click.option(
    "-r",
    "--replications",
    type=click.IntRange(min=2),
    help="Replications (default: the first scenario's).",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    help="Seed shared by all scenarios (default: the first scenario's).",
)
@_jobs_option
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Write compare.json and each scenario's run files into DIR/<scenario>/.",
)
@click.option("--plots", is_flag=True, help="With -o: also write comparison charts.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@_quiet_option
def compare_command(
    scenario_files: Sequence[str],
    replications: int | None,
    seed: int | None,
    jobs: int | None,
    out_dir: str | None,
    plots: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Run scenarios under common random numbers; KPIs and paired differences to the first."""
    from corridorsim.experiment.compare import compare
    from corridorsim.experiment.replications import default_jobs
    from corridorsim.scenario.load import load_scenario

    if len(scenario_files) < 2:
        raise InputError("compare: give at least two scenario files")
    if plots and not out_dir:
        raise InputError("--plots: needs -o DIR to write the charts into")
    problems: list[str] = []
    scenarios = []
    for path in scenario_files:
        try:
            scenarios.append(load_scenario(path))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    with _ProgressBar("replications", _progress_enabled(quiet)) as bar:
        comparison = compare(
            scenarios,
            replications=replications,
            seed=seed,
            jobs=jobs or default_jobs(),
            progress=bar,
        )
    document = comparison.document()
    if out_dir:
        from pathlib import Path

        from corridorsim._files import write_text_atomic
        from corridorsim.report.outputs import json_text, prepare_output_dir, write_run_outputs

        out = prepare_output_dir(out_dir)
        write_text_atomic(out / "compare.json", json_text(document))
        for label, result in zip(comparison.labels, comparison.results, strict=True):
            write_run_outputs(result, Path(out) / label)
        if plots:
            from corridorsim.report.charts import write_compare_charts

            write_compare_charts(comparison, document, out)
    if as_json:
        _emit_json(document)
        return
    from corridorsim.report.tables import compare_tables

    _console().print(compare_tables(document))


class _SweepProgress:
    """Points done, runs per second and time left, on stderr."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self._bar: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int, runs_per_s: float) -> None:
        if not self._enabled:
            return
        if self._bar is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                "points",
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("points", total=total, rate="")
        self._bar.update(self._task, completed=done, rate=f"{runs_per_s:,.1f} runs/s")

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


@main.command("sweep")
@click.argument("study_file", metavar="STUDY", type=click.Path(dir_okay=False))
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Workers (default: all cores; with dask, the LocalCluster's size).",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Where the runs go.",
)
@click.option(
    "--scheduler",
    metavar="ADDR",
    help="With --executor dask: a running scheduler (tcp://HOST:PORT).",
)
@click.option("--resume", is_flag=True, help="Continue a study from the results in -o DIR.")
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False),
    required=True,
    help="Output folder: results.sqlite, points.csv/.parquet, indices.csv/.json.",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    help="Design points per task (default: about four tasks per worker).",
)
@click.option("--plots", is_flag=True, help="Also write sensitivity charts.")
@_quiet_option
def sweep_command(
    study_file: str,
    jobs: int | None,
    executor: str,
    scheduler: str | None,
    resume: bool,
    out_dir: str,
    chunk_size: int | None,
    plots: bool,
    quiet: bool,
) -> None:
    """Run a study: every design point, sensitivity indices, resumable results."""
    from corridorsim.experiment.executors import make_executor
    from corridorsim.experiment.replications import default_jobs
    from corridorsim.experiment.sensitivity import indices as compute_indices
    from corridorsim.experiment.study import load_study
    from corridorsim.experiment.sweep import run_sweep
    from corridorsim.report.outputs import prepare_output_dir
    from corridorsim.report.sweep_outputs import write_sweep_charts, write_sweep_outputs
    from corridorsim.report.tables import sweep_table

    study = load_study(study_file)
    out = prepare_output_dir(out_dir)
    runner = make_executor(executor, jobs=jobs or default_jobs(), scheduler=scheduler)
    try:
        with _SweepProgress(_progress_enabled(quiet)) as bar:
            outcome = run_sweep(
                study, out, runner, resume=resume, chunk_size=chunk_size, progress=bar
            )
    finally:
        runner.close()
    found = compute_indices(study, outcome.rows)
    write_sweep_outputs(outcome, found, out)
    if plots:
        write_sweep_charts(outcome, found, out)
    _console().print(sweep_table(outcome, found))
    _console().print(f"wrote {out}/")
