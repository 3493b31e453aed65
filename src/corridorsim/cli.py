"""The ``corridorsim`` command: parse the command line, call the library, render the result.

Every command calls :mod:`corridorsim.api` and renders with :mod:`corridorsim.report`; no model
logic lives here. Heavy modules (numpy, shapely, matplotlib, simpy, networkx) are imported
inside the commands that need them, so ``corridorsim --help`` and ``network validate`` answer at
once. Errors are handled at one point (:class:`_Cli`): bad input exits 2 with one line per
problem, other deliberate failures exit 1; neither shows a traceback. A library error that
names one of its parameters (``by: unknown policy``) is shown with the flag the user typed
(``--by: unknown policy``). An operating-system error that still reaches that point (a disk
that refuses a write) is one line too, exit 1.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click

from corridorsim import __version__
from corridorsim.errors import CorridorsimError, InputError, ParameterError

EXIT_RUNTIME = 1
EXIT_BAD_INPUT = 2

F = TypeVar("F", bound=Callable[..., Any])

#: Library parameters whose flag has another name than the parameter.
_FLAG_NAMES = {"value_of_time_usd_per_tonne_day": "value_of_time", "path": "output"}


class _Command(click.Command):
    """A command that shows a library :class:`ParameterError` with the command's own flag."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ParameterError as exc:
            wanted = _FLAG_NAMES.get(exc.param, exc.param)
            for param in self.params:
                if param.name == wanted:
                    is_flag = isinstance(param, click.Option)
                    hint = param.opts[0] if is_flag else param.human_readable_name
                    raise InputError(f"{hint}: {m}" for m in exc.messages) from None
            raise


class _Cli(click.Group):
    """Turns corridorsim's own errors into exit codes and one-line messages."""

    command_class = _Command

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; a usage error (a bad flag or value that click itself
        checks) is one line on stderr and exit 2, like every other bad input."""
        run = super().main
        if not standalone_mode:
            return run(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = run(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            click.echo(_usage_line(exc), err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("aborted", err=True)
            sys.exit(EXIT_RUNTIME)
        # Without standalone mode click returns the exit code of ``ctx.exit`` (and of --help).
        sys.exit(code if isinstance(code, int) else 0)

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
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"error: {where}{exc.strerror or exc}", err=True)
            ctx.exit(EXIT_RUNTIME)


def _usage_line(exc: click.UsageError) -> str:
    """A click usage error as one line: ``--max-overlap: inf is not in the range 0<=x<=1``."""
    command = exc.ctx.command_path if exc.ctx is not None else "corridorsim"
    missing = isinstance(exc, click.MissingParameter)
    if isinstance(exc, click.BadParameter) and exc.param is not None and not missing:
        param = exc.param
        hint = param.opts[0] if isinstance(param, click.Option) else param.human_readable_name
        return f"{hint}: {exc.message.rstrip('.')} (see {command} --help)"
    return f"{exc.format_message().rstrip('.')} (see {command} --help)"


class _Group(click.Group):
    """A sub-group whose commands map parameter errors to flags too."""

    command_class = _Command


def _split_words(values: Sequence[str]) -> list[str]:
    """``--avoid RU --avoid GE-POTI,GE-BATUMI`` -> ``["RU", "GE-POTI", "GE-BATUMI"]``."""
    return [w.strip() for v in values for w in v.split(",") if w.strip()]


def _emit_json(document: Any) -> None:
    # Strict JSON: a value that is not a finite number is written as null, never as NaN.
    click.echo(json.dumps(_finite(document), indent=2, ensure_ascii=False, allow_nan=False))


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, inf) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


#: Options several commands share, declared once.
_jobs_option = click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: all cores).",
)
_quiet_option = click.option("--quiet", is_flag=True, help="No progress bar.")
_xlsx_option = click.option(
    "--xlsx", is_flag=True, help="With -o: also write results.xlsx, a sheet per table."
)
_set_option = click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="PATH=VALUE",
    help="A what-if without editing a file (repeatable): a dotted path as in "
    "network_changes.set (links.ID.ferry.every_h=12) or into the scenario "
    "(shipments.pilot.wagons=30); VALUE is read as YAML.",
)


def _parsed_sets(values: Sequence[str]) -> dict[str, Any]:
    """``--set`` values as ``{path: value}`` (the value read as YAML); one line per bad one."""
    from corridorsim.api import parse_value

    out: dict[str, Any] = {}
    problems = []
    for text in values:
        path, equals, raw = text.partition("=")
        if not equals or not path.strip():
            problems.append(f"--set: expected PATH=VALUE (got '{text}')")
            continue
        try:
            out[path.strip()] = parse_value(raw.strip(), what=f"--set {path.strip()}")
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return out
_warmup_option = click.option(
    "--warmup-days",
    type=click.FloatRange(min=0),
    help="Warm-up: consignments departing before it run but are not counted, and facility "
    "figures cover the rest of the horizon (default: the scenario's warmup_days, else 0).",
)


def _simulation_options(
    *, least_replications: int, defaults: str, writes: str, charts: str, document: str
) -> Callable[[F], F]:
    """The options of the commands that simulate: -r, --seed, --jobs, --warmup-days,
    --precision, --max-replications, -o, --plots, --json, --quiet (the help says what each
    command does with them)."""
    options = (
        click.option(
            "-r",
            "--replications",
            type=click.IntRange(min=least_replications),
            help=f"Replications (default: {defaults}).",
        ),
        click.option(
            "--seed",
            type=click.IntRange(min=0, max=2**63 - 1),
            help=f"Seed (default: {defaults}).",
        ),
        _jobs_option,
        _warmup_option,
        click.option(
            "--precision",
            type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
            metavar="REL",
            help="Add replications in batches until every shipment's 95% CI half-width of "
            "mean transit days is at most REL x the mean (e.g. 0.02).",
        ),
        click.option(
            "--max-replications",
            type=click.IntRange(min=2, max=100_000),
            default=1000,
            show_default=True,
            help="With --precision: stop there, met or not.",
        ),
        click.option(
            "-o", "--output", "out_dir", type=click.Path(file_okay=False), help=f"Write {writes}."
        ),
        click.option("--plots", is_flag=True, help=f"With -o: also write {charts}."),
        _xlsx_option,
        click.option("--json", "as_json", is_flag=True, help=f"Print {document}."),
        _set_option,
        _quiet_option,
    )

    def apply(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return apply


#: The width tables get when stdout is not a terminal: a file or a pipe has no screen to fit,
#: so no table is cut or wrapped (COLUMNS, when set, still rules).
PIPE_WIDTH = 1_000


def _console() -> Any:
    import os

    from rich.console import Console

    console = Console()
    if console.is_terminal or os.environ.get("COLUMNS"):
        return console
    return Console(width=PIPE_WIDTH)


def _progress(label: str, quiet: bool, unit: str | None = None) -> Any:
    from corridorsim.report.progress import ProgressBar, progress_enabled

    return ProgressBar(label, enabled=progress_enabled(quiet), unit=unit)


def _warn(warnings: Iterable[str]) -> None:
    """Each warning of a run on stderr, one line each (they are in summary.json too)."""
    for text in warnings:
        click.echo(f"warning: {text}", err=True)


def _needs_output_dir(plots: bool, out_dir: str | None, xlsx: bool = False) -> None:
    """Refuse --plots or --xlsx without -o, and an -o folder that cannot be written, before
    any run."""
    if plots and out_dir is None:
        raise InputError("--plots: needs -o DIR to write the charts into")
    if xlsx and out_dir is None:
        raise InputError("--xlsx: needs -o DIR to write results.xlsx into")
    if out_dir is not None:
        from corridorsim.report.outputs import check_output_dir

        try:
            check_output_dir(out_dir, replaced=True)
        except ParameterError as exc:
            raise InputError(f"-o: {m}" for m in exc.messages) from None


def _finish(
    out_dir: str | None,
    as_json: bool,
    *,
    write: Callable[[str], object],
    document: Callable[[], Any],
    tables: Callable[[], Any],
) -> None:
    """The end of a command that produced results: write its folder (``-o``), then print its
    JSON document (``--json``) or its tables and where the files went."""
    if out_dir is not None:
        write(out_dir)
    if as_json:
        _emit_json(document())
        return
    console = _console()
    console.print(tables())
    if out_dir is not None:
        console.print(f"wrote {out_dir}/")


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="corridorsim")
def main() -> None:
    """Freight corridor routing and simulation: the Middle Corridor, TRIPP and the Caucasus."""


@main.group(cls=_Group)
def network() -> None:
    """Check, describe and draw network files (GeoJSON)."""


@network.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def network_validate(files: Sequence[str]) -> None:
    """Check network FILES (or scenario files: their network with its changes); print every
    problem, one line each (exit 2 if any), and warn of links without a tariff."""
    from corridorsim.api import free_links, network_for

    problems: list[str] = []
    for path in files:
        try:
            net = network_for(path)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        click.echo(f"{path}: ok ({len(net.nodes)} nodes, {len(net.links)} links)")
        for link_id in free_links(net):
            click.echo(
                f"warning: {path}: link {link_id} has no tariff: it carries for free (give "
                "its tariff, or one of 0 with a note saying why it is free)",
                err=True,
            )
    if problems:
        raise InputError(problems)


@network.command("info")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of tables.")
def network_info(file: str, as_json: bool) -> None:
    """Counts by mode, country and status, km by mode, components and facilities."""
    from corridorsim.api import network_summary

    summary = network_summary(file)
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
    from corridorsim.api import load_network
    from corridorsim.report.maps import plot_network
    from corridorsim.report.outputs import check_output_file

    check_output_file(output)
    plot_network(load_network(file), output, title=title, labels=labels)
    click.echo(f"wrote {output}")


@network.command("export")
@click.argument("file", metavar="NETWORK|SCENARIO", type=click.Path(dir_okay=False))
@click.option(
    "--gmns",
    "gmns_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to write the GMNS tables into (node.csv, link.csv, config.csv, "
    "use_definition.csv).",
)
def network_export(file: str, gmns_dir: str) -> None:
    """Write a network (or a scenario's network with its changes) as GMNS v0.96 tables; what
    GMNS has no field for goes in u_ columns, so importing them gives the network back."""
    from corridorsim.api import export_gmns
    from corridorsim.report.outputs import check_output_dir

    try:
        check_output_dir(gmns_dir)
    except ParameterError as exc:
        raise InputError(f"--gmns: {m}" for m in exc.messages) from None
    written = export_gmns(file, gmns_dir)
    click.echo(f"wrote {len(written)} GMNS tables into {gmns_dir}/")


@network.command("import")
@click.argument("gmns_dir", metavar="DIR", type=click.Path(file_okay=False))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="The corridorsim network (GeoJSON) to write.",
)
def network_import(gmns_dir: str, output: str) -> None:
    """Read a GMNS network folder (node.csv, link.csv, ...) into a corridorsim network file:
    links are road unless allowed_uses or u_mode say otherwise."""
    from corridorsim.api import free_links, import_gmns
    from corridorsim.report.outputs import check_output_file

    check_output_file(output)
    network = import_gmns(gmns_dir, output)
    click.echo(f"wrote {output} ({len(network.nodes)} nodes, {len(network.links)} links)")
    free = free_links(network)
    if free:
        click.echo(
            f"warning: {output}: {len(free)} of its links have no tariff: they carry for free "
            "until you give them one",
            err=True,
        )


@main.command("routes")
@click.argument("source", metavar="NETWORK|SCENARIO", type=click.Path(dir_okay=False))
@click.option("--from", "origin", required=True, help="Origin node: id or unique name.")
@click.option("--to", "destination", required=True, help="Destination node: id or unique name.")
@click.option(
    "--by",
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
    help="Net load per wagon, for USD and CO2 per tonne (default: 68, or on a scenario file "
    "its cargo's).",
)
@click.option(
    "--value-of-time",
    "value_of_time",
    type=click.FloatRange(min=0),
    help="USD per tonne per day, for --by generalized (default: 0.5, or on a scenario file "
    "its cargo's).",
)
@click.option(
    "--cargo",
    help="On a scenario file: the cargo to price for (default: that of its first shipment "
    "between the two places, else of its first shipment).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of tables.")
@click.option("--csv", "as_csv", is_flag=True, help="Print a CSV row per leg of every route.")
@_set_option
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False),
    help="With --csv: write the CSV to this file instead of stdout.",
)
def routes_command(
    source: str,
    origin: str,
    destination: str,
    by: str,
    k: int,
    avoid: Sequence[str],
    open_links: Sequence[str],
    tonnes_per_wagon: float | None,
    value_of_time: float | None,
    max_overlap: float | None,
    cargo: str | None,
    as_json: bool,
    as_csv: bool,
    output: str | None,
    sets: Sequence[str],
) -> None:
    """The k best routes from --from to --to, with a per-leg breakdown and what they cost by
    category and by country."""
    from corridorsim.api import search_routes

    if as_json and as_csv:
        raise InputError("routes: give --json or --csv, not both")
    if output is not None and not as_csv:
        raise InputError("-o: only with --csv (the CSV file to write)")
    if output is not None:
        from corridorsim.report.outputs import check_output_file

        try:
            check_output_file(output)
        except ParameterError as exc:
            raise InputError(f"-o: {m}" for m in exc.messages) from None
    found = search_routes(
        source,
        origin,
        destination,
        by=by,
        k=k,
        avoid=_split_words(avoid),
        open_links=_split_words(open_links),
        tonnes_per_wagon=tonnes_per_wagon,
        value_of_time_usd_per_tonne_day=value_of_time,
        max_overlap=max_overlap,
        cargo=cargo,
        sets=_parsed_sets(sets),
    )
    if as_json:
        _emit_json(found.document())
    elif as_csv:
        from corridorsim.api import ROUTE_LEG_COLUMNS
        from corridorsim.report.outputs import csv_text

        text = csv_text(found.leg_rows(), ROUTE_LEG_COLUMNS)
        if output is None:
            click.echo(text, nl=False)
        else:
            from corridorsim.report.outputs import write_text_file

            write_text_file(output, text)
    elif found.routes:
        from corridorsim.report.tables import print_routes

        print_routes(_console(), found.routes, found.network, found.cargo)
    if not found.routes:
        missing = found.would_connect
        hint = f"; opening {', '.join(missing)} would connect them (--open)" if missing else ""
        click.echo(f"no open route from {found.origin} to {found.destination}{hint}", err=True)
        sys.exit(EXIT_RUNTIME)


@main.command("run")
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(dir_okay=False))
@_simulation_options(
    least_replications=1,
    defaults="the scenario's",
    writes="summary.json, shipments.csv, legs.csv, facilities.csv, manifest.json",
    charts="PNG charts",
    document="the summary as one JSON document",
)
def run_command(
    scenario_file: str,
    replications: int | None,
    seed: int | None,
    jobs: int | None,
    warmup_days: float | None,
    precision: float | None,
    max_replications: int,
    out_dir: str | None,
    plots: bool,
    xlsx: bool,
    as_json: bool,
    sets: Sequence[str],
    quiet: bool,
) -> None:
    """Simulate SCENARIO: transit times, costs and where the time goes, with 95% CIs."""
    from corridorsim.api import load_scenario, simulate

    _needs_output_dir(plots, out_dir, xlsx)
    scenario = load_scenario(scenario_file, _parsed_sets(sets))
    with _progress("replications", quiet) as bar:
        result = simulate(
            scenario,
            replications=replications,
            seed=seed,
            jobs=jobs,
            warmup_days=warmup_days,
            precision=precision,
            max_replications=max_replications,
            progress=bar,
        )
    _warn(result.warnings)
    from corridorsim.report.outputs import write_run_outputs
    from corridorsim.report.tables import run_tables

    _finish(
        out_dir,
        as_json,
        write=lambda out: write_run_outputs(result, out, plots=plots, xlsx=xlsx),
        document=result.summary,
        tables=lambda: run_tables(result),
    )


@main.command("compare")
@click.argument(
    "scenario_files",
    metavar="SCENARIO SCENARIO...",
    nargs=-1,
    required=True,
    type=click.Path(dir_okay=False),
)
@_simulation_options(
    least_replications=2,
    defaults="the first scenario's, shared by all",
    writes="compare.json and each scenario's run files into DIR/<scenario>/",
    charts="comparison charts",
    document="one JSON document",
)
def compare_command(
    scenario_files: Sequence[str],
    replications: int | None,
    seed: int | None,
    jobs: int | None,
    warmup_days: float | None,
    precision: float | None,
    max_replications: int,
    out_dir: str | None,
    plots: bool,
    xlsx: bool,
    as_json: bool,
    sets: Sequence[str],
    quiet: bool,
) -> None:
    """Run scenarios under common random numbers; KPIs and paired differences to the first."""
    from corridorsim.api import compare

    if len(scenario_files) < 2:
        raise InputError("compare: give at least two scenario files")
    _needs_output_dir(plots, out_dir, xlsx)
    with _progress("replications", quiet) as bar:
        comparison = compare(
            list(scenario_files),
            replications=replications,
            seed=seed,
            jobs=jobs,
            warmup_days=warmup_days,
            precision=precision,
            max_replications=max_replications,
            progress=bar,
            sets=_parsed_sets(sets),
        )
    _warn(comparison.warnings)
    if out_dir is not None:
        from corridorsim.report.outputs import write_compare_outputs

        write_compare_outputs(comparison, out_dir, plots=plots, xlsx=xlsx)
    if as_json:
        _emit_json(comparison.document())
        return
    from corridorsim.report.tables import compare_tables

    _console().print(compare_tables(comparison))


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
@_warmup_option
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
    warmup_days: float | None,
    quiet: bool,
) -> None:
    """Run a study: every design point, sensitivity indices, resumable results."""
    from corridorsim import api
    from corridorsim.report.outputs import check_output_dir
    from corridorsim.report.sweep_outputs import write_sweep_folder
    from corridorsim.report.sweep_tables import sweep_table

    study = api.load_study(study_file)
    # Checked here, made by the library once the executor is known to be usable: bad input
    # leaves nothing behind.
    out = check_output_dir(out_dir)
    try:
        with _progress("points", quiet, unit="runs/s") as bar:
            outcome = api.sweep(
                study,
                out,
                executor=executor,
                jobs=jobs,
                scheduler=scheduler,
                resume=resume,
                chunk_size=chunk_size,
                warmup_days=warmup_days,
                progress=bar,
            )
    except api.WorkerLostError as exc:
        raise CorridorsimError(f"{exc}; --resume continues") from None
    write_sweep_folder(outcome, out, plots=plots)
    console = _console()
    console.print(sweep_table(outcome))
    console.print(f"wrote {out}/")


_executor_options = (
    click.option(
        "--jobs",
        type=click.IntRange(min=1),
        default=None,
        help="Workers (default: all cores; with dask, the LocalCluster's size).",
    ),
    click.option(
        "--executor",
        type=click.Choice(["local", "dask"]),
        default="local",
        show_default=True,
        help="Where the replications go.",
    ),
    click.option(
        "--scheduler",
        metavar="ADDR",
        help="With --executor dask: a running scheduler (tcp://HOST:PORT).",
    ),
    click.option(
        "--seed", type=click.IntRange(min=0, max=2**63 - 1), help="Seed (default: the scenario's)."
    ),
    _warmup_option,
)


def _with_executor_options(per: str, default: str = "the scenario's") -> Callable[[F], F]:
    """--jobs, --executor, --scheduler, -r (replications ``per`` iteration, tonnage...),
    --seed and --warmup-days."""
    replications = click.option(
        "-r",
        "--replications",
        type=click.IntRange(min=1),
        help=f"Replications per {per} (default: {default}).",
    )

    def apply(command: F) -> F:
        for option in reversed((*_executor_options[:3], replications, *_executor_options[3:])):
            command = option(command)
        return command

    return apply


@main.command("assign")
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(dir_okay=False))
@_with_executor_options("iteration", "the scenario's assignment: replications")
@click.option(
    "--iterations",
    type=click.IntRange(min=0, max=1000),
    help="At most this many iterations (default: the scenario's assignment: iterations).",
)
@click.option("--resume", is_flag=True, help="Continue an assignment from the results in -o DIR.")
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Write assignment.json, flows.csv, manifest.json and the results store.",
)
@click.option("--plots", is_flag=True, help="With -o: also write flow_map.png, convergence.png.")
@_xlsx_option
@click.option("--json", "as_json", is_flag=True, help="Print assignment.json instead of tables.")
@_set_option
@_quiet_option
def assign_command(
    scenario_file: str,
    jobs: int | None,
    executor: str,
    scheduler: str | None,
    replications: int | None,
    seed: int | None,
    warmup_days: float | None,
    iterations: int | None,
    resume: bool,
    out_dir: str | None,
    plots: bool,
    xlsx: bool,
    as_json: bool,
    sets: Sequence[str],
    quiet: bool,
) -> None:
    """Split SCENARIO's demand flows over their routes until the split is consistent with the
    congestion it causes (logit, path-size logit or all-or-nothing; successive averages)."""
    from corridorsim import api

    if resume and out_dir is None:
        raise InputError("--resume: needs -o DIR, where the iterations are kept")
    _needs_output_dir(plots, out_dir, xlsx)
    scenario = api.load_scenario(scenario_file, _parsed_sets(sets))
    try:
        with _progress("iterations", quiet) as bar:
            outcome = api.assign(
                scenario,
                executor=executor,
                jobs=jobs,
                scheduler=scheduler,
                seed=seed,
                replications=replications,
                iterations=iterations,
                warmup_days=warmup_days,
                out_dir=out_dir,
                resume=resume,
                progress=bar,
            )
    except api.WorkerLostError as exc:
        raise CorridorsimError(f"{exc}; --resume continues") from None
    _warn(outcome.warnings())
    from corridorsim.report.flow_outputs import write_assign_folder
    from corridorsim.report.flow_tables import assignment_tables

    _finish(
        out_dir,
        as_json,
        write=lambda out: write_assign_folder(outcome, out, plots=plots, xlsx=xlsx),
        document=outcome.document,
        tables=lambda: assignment_tables(outcome),
    )


@main.command("capacity")
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(dir_okay=False))
@click.option("--shipment", required=True, help="The shipment or demand flow to scale.")
@click.option(
    "--max-p90-days",
    type=click.FloatRange(min=0, min_open=True),
    help="Criterion: 90% of its consignments arrive within D days.",
    metavar="D",
)
@click.option(
    "--max-mean-wait-h",
    type=click.FloatRange(min=0, min_open=True),
    help="Criterion: its consignments queue at facilities at most H hours on average.",
    metavar="H",
)
@click.option(
    "--max-utilisation",
    type=click.FloatRange(min=0, max=1, min_open=True),
    help="Criterion: no facility or link on its routes used beyond U (0-1).",
    metavar="U",
)
@_with_executor_options("tonnage tried")
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Write capacity.json and manifest.json.",
)
@click.option("--plots", is_flag=True, help="With -o: also write capacity.png.")
@_xlsx_option
@click.option("--json", "as_json", is_flag=True, help="Print capacity.json instead of a table.")
@_set_option
@_quiet_option
def capacity_command(
    scenario_file: str,
    shipment: str,
    max_p90_days: float | None,
    max_mean_wait_h: float | None,
    max_utilisation: float | None,
    jobs: int | None,
    executor: str,
    scheduler: str | None,
    replications: int | None,
    seed: int | None,
    warmup_days: float | None,
    out_dir: str | None,
    plots: bool,
    xlsx: bool,
    as_json: bool,
    sets: Sequence[str],
    quiet: bool,
) -> None:
    """The largest tonnes per year of one flow that meets a criterion, by bisection, and the
    facility or link that binds."""
    from corridorsim import api

    given = [v for v in (max_p90_days, max_mean_wait_h, max_utilisation) if v is not None]
    if len(given) != 1:
        raise InputError(
            "capacity: give exactly one of --max-p90-days, --max-mean-wait-h, --max-utilisation"
        )
    _needs_output_dir(plots, out_dir, xlsx)
    scenario = api.load_scenario(scenario_file, _parsed_sets(sets))
    with _progress("tonnages", quiet) as bar:
        outcome = api.capacity(
            scenario,
            shipment,
            max_p90_days=max_p90_days,
            max_mean_wait_h=max_mean_wait_h,
            max_utilisation=max_utilisation,
            executor=executor,
            jobs=jobs,
            scheduler=scheduler,
            seed=seed,
            replications=replications,
            warmup_days=warmup_days,
            progress=bar,
        )
    from corridorsim.report.flow_outputs import write_capacity_folder
    from corridorsim.report.flow_tables import capacity_table

    _finish(
        out_dir,
        as_json,
        write=lambda out: write_capacity_folder(outcome, out, plots=plots, xlsx=xlsx),
        document=outcome.document,
        tables=lambda: capacity_table(outcome),
    )


@main.command("report")
@click.argument("out_dir", metavar="DIR", type=click.Path(file_okay=False))
def report_command(out_dir: str) -> None:
    """Write DIR/report.html for the output folder of run, compare, sweep, assign or capacity:
    one self-contained page (the question, headline KPIs, tables, charts, maps and the inputs'
    checksums) that opens in any browser without a network."""
    from corridorsim.report.html import write_report

    path = write_report(out_dir)
    click.echo(f"wrote {path}")
