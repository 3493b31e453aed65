"""Rich tables for the terminal: routes and network summaries."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from corridorsim.network.model import Network
from corridorsim.routing.costs import usd_per_tonne_by_category, usd_per_tonne_by_country
from corridorsim.routing.route import Route

if TYPE_CHECKING:
    from corridorsim.experiment.compare import Comparison
    from corridorsim.experiment.results import SimulationResult
    from corridorsim.experiment.stats import PairedDifference


def _money(usd: float) -> str:
    return f"{usd:,.0f}" if abs(usd) >= 100 else f"{usd:,.2f}"


def human_carrier(carrier: str) -> str:
    """``rail-1520`` -> ``rail 1520``; ``ferry:rail-1520`` -> ``ferry, wagons``; ``a->b`` both."""
    if "->" in carrier:
        return " -> ".join(human_carrier(c) for c in carrier.split("->"))
    if carrier.startswith("ferry:"):
        return "ferry, trucks" if carrier == "ferry:road" else "ferry, wagons"
    return carrier.replace("-", " ")


def routes_overview(routes: Sequence[Route], network: Network) -> Table:
    """One row per route: km, hours, days, USD, CO2, borders and carrier changes."""
    table = Table(
        title=f"{len(routes)} route(s), best by {routes[0].policy}",
        title_justify="left",
        caption_justify="left",
        caption="\n".join(
            f"{rank}: {describe_path(r, network)}" for rank, r in enumerate(routes, 1)
        ),
    )
    for header in (
        "#",
        "km",
        "hours",
        "days",
        "USD/wagon",
        "USD/t",
        "kg CO2/t",
        "borders",
        "changes",
    ):
        table.add_column(header, justify="right")
    for rank, route in enumerate(routes, 1):
        table.add_row(
            str(rank),
            f"{route.km:,.0f}",
            f"{route.hours:,.1f}",
            f"{route.days:,.1f}",
            _money(route.usd_per_wagon),
            _money(route.usd_per_tonne),
            f"{route.co2_kg_per_tonne:,.1f}",
            str(len(route.borders)),
            str(len(route.transfers)),
        )
    return table


def describe_path(route: Route, network: Network, *, most: int = 7) -> str:
    """The route's key places: ends, borders and carrier changes, in order, shortened."""
    keep = {route.nodes[0], route.nodes[-1], *route.borders, *(leg.id for leg in route.transfers)}
    names = list(dict.fromkeys(network.nodes[n].name for n in route.nodes if n in keep))
    if len(names) > most:
        names = [*names[: most - 2], "...", names[-1]]
    modes = "/".join(dict.fromkeys(route.modes))
    return f"{' - '.join(names)} ({modes})"


def route_legs(route: Route, rank: int, network: Network) -> Table:
    """One row per leg of a route: where, what, km, hours and USD per wagon."""
    table = Table(
        title=(
            f"Route {rank}: {route.km:,.0f} km, {route.hours:,.1f} h ({route.days:.1f} days), "
            f"USD {_money(route.usd_per_wagon)}/wagon, {route.co2_kg_per_tonne:.1f} kg CO2/t"
        ),
        title_justify="left",
    )
    for header, justify in (
        ("#", "right"),
        ("leg", "left"),
        ("what", "left"),
        ("km", "right"),
        ("run h", "right"),
        ("wait h", "right"),
        ("USD/wagon", "right"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for seq, leg in enumerate(route.legs, 1):
        if leg.kind == "link":
            place = f"{network.nodes[leg.from_node].name} -> {network.nodes[leg.to_node].name}"
            what = human_carrier(leg.carrier)
            km = f"{leg.km:,.0f}"
        else:
            place = network.nodes[leg.id].name
            what = leg.type.replace("_", " ")
            if leg.is_transfer:
                what += f": {human_carrier(leg.carrier)}"
            km = ""
        table.add_row(
            str(seq),
            place,
            what,
            km,
            f"{leg.run_h:,.1f}",
            f"{leg.wait_h:,.1f}" if leg.wait_h else "",
            _money(leg.total_usd_per_wagon),
        )
    table.caption = cost_caption(
        usd_per_tonne_by_category(network, route), usd_per_tonne_by_country(network, route)
    )
    table.caption_justify = "left"
    return table


def cost_caption(by_category: Mapping[str, float], by_country: Mapping[str, float]) -> str:
    """``USD/t: tariff 81.31, facility fees 13.37; by country: AZ 20.99, ...`` (zeros left
    out)."""
    categories = ", ".join(
        f"{k.replace('_', ' ')} {v:,.2f}" for k, v in by_category.items() if v
    )
    countries = ", ".join(f"{k} {v:,.2f}" for k, v in by_country.items() if v)
    return f"USD/t: {categories or '0'}; by country: {countries or '0'}"


def print_routes(
    console: Console, routes: Sequence[Route], network: Network, cargo: str | None = None
) -> None:
    """The overview of the routes, then each route leg by leg; ``cargo``: the scenario's
    cargo the costs are for."""
    overview = routes_overview(routes, network)
    if cargo is not None:
        overview.title = (
            f"{overview.title}; costs for {cargo}, {routes[0].tonnes_per_wagon:g} t a wagon"
        )
    console.print(overview)
    for rank, route in enumerate(routes, 1):
        console.print()
        console.print(route_legs(route, rank, network))


def _count_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    """A small table: a name column, then right-aligned counts."""
    table = Table(title=title, title_justify="left")
    table.add_column(headers[0])
    for header in headers[1:]:
        table.add_column(header, justify="right")
    for row in rows:
        table.add_row(*row)
    return table


def print_network_summary(console: Console, summary: dict[str, Any]) -> None:
    """What ``network info`` prints: counts, km, facilities, planned and closed links."""
    console.print(Text(f"{summary['name'] or summary['file']}", style="bold"))
    console.print(
        f"{summary['nodes']} nodes, {summary['links']} links; "
        f"{summary['components_open']} connected component(s) on open links, "
        f"{summary['components_all']} with planned and closed links"
    )
    counts = _count_table(
        "Links",
        ("mode", "links", "km"),
        [
            (mode, str(n), f"{summary['km_by_mode'][mode]:,.0f}")
            for mode, n in summary["links_by_mode"].items()
        ],
    )
    status = _count_table(
        "Status",
        ("status", "links", "km"),
        [
            (name, str(n), f"{summary['km_by_status'][name]:,.0f}")
            for name, n in summary["links_by_status"].items()
        ],
    )
    countries = _count_table(
        "Nodes by country",
        ("country", "nodes"),
        [(code, str(n)) for code, n in summary["nodes_by_country"].items()],
    )
    facilities = Table(title="Facilities", title_justify="left")
    for header in ("type", "count", "nodes"):
        facilities.add_column(header)
    for kind, items in summary["facilities"].items():
        facilities.add_row(kind, str(len(items)), ", ".join(i["node"] for i in items))
    console.print(Group(counts, status, countries, facilities))
    if summary["planned"] or summary["closed"]:
        future = Table(title="Planned and closed links", title_justify="left")
        for header in ("link", "status", "km", "opens"):
            future.add_column(header)
        for item in summary["planned"]:
            future.add_row(
                item["id"], "planned", f"{item['km']:,.0f}", str(item["opens_year"] or "-")
            )
        for item in summary["closed"]:
            future.add_row(item["id"], "closed", f"{item['km']:,.0f}", "")
        console.print(future)
    for link_id in summary["self_crossing_links"]:
        console.print(f"[yellow]geometry crosses itself:[/] {link_id}")
    for part in summary["isolated_when_open_only"]:
        console.print(f"[yellow]not connected on open links:[/] {', '.join(part)}")


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _num(value: float | None, fmt: str = ",.1f") -> str:
    """A number as shown in tables; "-" where there is none (None or nan)."""
    return format(value, fmt) if _finite(value) else "-"


def _range(ci: tuple[float, float]) -> str:
    lo, hi = ci
    return f"{lo:,.2f} - {hi:,.2f}" if _finite(lo) else "-"


def _column_style(header: str, shipment_ids: Sequence[str]) -> dict[str, Any]:
    """Shipment ids are never cut short (they are what a reader looks up); numbers align."""
    if header == "shipment":
        longest = max((len(s) for s in shipment_ids), default=8)
        return {"justify": "left", "no_wrap": True, "min_width": longest}
    return {"justify": "right"}


def run_tables(result: SimulationResult) -> Group:
    """The summary of a run: one row per shipment, then where the time goes."""
    ids = list(result.shipments)
    title = f"{result.scenario.name}: {len(result.replications)} replications, seed {result.seed}"
    warmup = result.scenario.spec.warmup_days
    if warmup:
        title += f", warm-up {warmup:g} days"
    if result.precision is not None:
        met = "met" if result.precision_met else "NOT met"
        title += f", precision ±{result.precision:.1%} {met}"
    head = Table(
        title=title,
        title_justify="left",
        caption="transit in days; mean with its 95% CI over replications, percentiles over "
        "consignments",
        caption_justify="left",
    )
    for header in (
        "shipment",
        "arrived",
        "mean days",
        "95% CI",
        "p50",
        "p90",
        "p95",
        "P(on time)",
        "USD/t",
        "kg CO2/t",
    ):
        head.add_column(header, **_column_style(header, ids))
    waits = Table(title="Where the time goes (mean hours per consignment)", title_justify="left")
    for header in (
        "shipment",
        "running",
        "processing",
        "facility queue",
        "ferry wait",
        "headway",
        "disruption",
        "formation",
        "fleet",
    ):
        waits.add_column(header, **_column_style(header, ids))
    most: list[str] = []
    for shipment_id, s in result.shipments.items():
        t = s.transit_days
        head.add_row(
            shipment_id,
            f"{s.arrived}/{s.consignments}",
            _num(t.mean, ",.2f"),
            _range(t.ci95),
            _num(t.p50),
            _num(t.p90),
            _num(t.p95),
            f"{s.p_within_target:.0%} ≤ {s.target_days:g} d"
            if s.target_days is not None and _finite(s.p_within_target)
            else "-",
            _num(s.usd_per_tonne.mean, ",.2f"),
            _num(s.co2_kg_per_tonne.mean),
        )
        w = s.wait_h_by_cause
        places = ", ".join(f"{p.place} {p.wait_h:,.1f} h" for p in s.top_waits[:3])
        if places:
            most.append(f"{shipment_id}: {places}")
        waits.add_row(
            shipment_id,
            _num(s.time_h["running"]),
            _num(s.time_h["processing"]),
            _num(w["facility"]),
            _num(w["ferry"]),
            _num(w["headway"]),
            _num(w["disruption"]),
            _num(w["formation"]),
            _num(w["fleet"]),
        )
    if most:
        waits.caption = "most waiting at (hours per consignment): " + "; ".join(most)
        waits.caption_justify = "left"
    parts: list[Any] = [head, waits, cost_table(result), facility_table(result)]
    if result.trains:
        parts.append(train_table(result))
    return Group(*parts)


#: The busiest facilities the run tables show (facilities.csv has them all).
FACILITY_ROWS = 8


def facility_table(result: SimulationResult) -> Table:
    """The busiest facilities over the measured window, with 95% CIs over replications."""
    window = (result.scenario.horizon_h - result.scenario.warmup_h) / 24
    table = Table(
        title=f"Busiest facilities (time averages over {window:g} days)",
        title_justify="left",
        caption="mean [95% CI] over replications; queue: consignments waiting for a server, "
        "wait: hours queued per consignment; all facilities in facilities.csv",
        caption_justify="left",
    )
    for header in ("facility", "servers", "utilisation", "mean queue", "mean wait h", "served"):
        table.add_column(header, justify="left" if header == "facility" else "right")
    busiest = sorted(result.facilities, key=lambda f: (-f.utilisation, f.facility))
    for f in busiest[:FACILITY_ROWS]:
        table.add_row(
            f.facility,
            str(f.servers),
            _with_ci(f.utilisation, f.utilisation_ci95_lo, f.utilisation_ci95_hi, ".0%"),
            _with_ci(f.mean_queue, f.mean_queue_ci95_lo, f.mean_queue_ci95_hi, ",.2f"),
            _with_ci(f.mean_wait_h, f.mean_wait_h_ci95_lo, f.mean_wait_h_ci95_hi, ",.1f"),
            _num(f.served_per_replication, ",.1f"),
        )
    return table


def cost_table(result: SimulationResult) -> Table:
    """Mean USD per tonne by cost category, and the countries it is paid in."""
    table = Table(title="What it costs (mean USD per tonne)", title_justify="left")
    headers = ("shipment", "tariff", "facility fees", "ferry", "wagon hire", "demurrage",
               "total")
    for header in headers:
        table.add_column(header, justify="left" if header == "shipment" else "right")
    countries = []
    for shipment_id, s in result.shipments.items():
        parts = s.usd_per_tonne_by_category or {}
        table.add_row(shipment_id, *(_num(v, ",.2f") for v in parts.values()),
                      _num(s.usd_per_tonne.mean, ",.2f"))
        paid = ", ".join(
            f"{k} {v:,.2f}" for k, v in (s.usd_per_tonne_by_country or {}).items() if v
        )
        if paid:
            countries.append(f"{shipment_id}: {paid}")
    if countries:
        table.caption = "by country: " + "; ".join(countries)
        table.caption_justify = "left"
    return table


def train_table(result: SimulationResult) -> Table:
    """The trains of each service (and of split consignments) departing in the window."""
    table = Table(
        title="Trains (per replication, departing in the measured window)",
        title_justify="left",
        caption="load: wagons over the service's max_wagons; split:LINK are consignments "
        "split into shorter trains ahead of LINK",
        caption_justify="left",
    )
    for header in ("service", "trains", "wagons/train", "blocks/train", "load", "run days"):
        table.add_column(header, justify="left" if header == "service" else "right")
    for name, t in result.trains.items():
        table.add_row(
            name,
            _num(t.trains, ",.1f"),
            _num(t.wagons_per_train, ",.1f"),
            _num(t.blocks_per_train, ",.2f"),
            _num(t.load_factor, ".0%"),
            _num(t.run_days, ",.2f"),
        )
    return table


def _with_ci(mean: float, lo: float, hi: float, spec: str) -> str:
    """``mean [lo, hi]``, or the mean alone where there is no CI (one replication)."""
    if not _finite(lo) or not _finite(hi):
        return _num(mean, spec)
    return f"{_num(mean, spec)} [{_num(lo, spec)}, {_num(hi, spec)}]"


def compare_tables(comparison: Comparison) -> Group:
    """Per shipment: each scenario's KPIs and its paired difference to the first."""
    labels = comparison.labels
    parts: list[Any] = []
    for shipment_id, entry in comparison.shipments.items():
        table = Table(
            title=f"{shipment_id}: {comparison.replications} replications, "
            f"seed {comparison.seed}, common random numbers",
            title_justify="left",
            caption="Δ: paired difference to the first scenario, mean and 95% CI; "
            "* where the CI excludes 0",
            caption_justify="left",
        )
        for header in (
            "scenario",
            "mean days",
            "p50",
            "p90",
            "p95",
            "P(on time)",
            "USD/t",
            "kg CO2/t",
            "Δ days",
            "Δ USD/t",
        ):
            table.add_column(header, justify="left" if header == "scenario" else "right")
        for label in labels:
            s = entry.per_scenario.get(label)
            if s is None:
                table.add_row(label, "(no such shipment)", *[""] * 8)
                continue
            t = s.transit_days
            diff = entry.diff_vs_first.get(label)
            reference = "ref" if label == labels[0] else "-"
            table.add_row(
                label,
                _num(t.mean, ",.2f"),
                _num(t.p50),
                _num(t.p90),
                _num(t.p95),
                f"{s.p_within_target:.0%}" if _finite(s.p_within_target) else "-",
                _num(s.usd_per_tonne.mean, ",.2f"),
                _num(s.co2_kg_per_tonne.mean),
                _delta(diff["transit_days"]) if diff else reference,
                _delta(diff["usd_per_tonne"]) if diff else reference,
            )
        parts.append(table)
        if entry.missing_from:
            parts.append(
                Text(
                    f"shipment {shipment_id} is missing from: {', '.join(entry.missing_from)}",
                    style="yellow",
                )
            )
    return Group(*parts)


def _delta(diff: PairedDifference) -> str:
    if not _finite(diff.mean):
        return "-"
    mark = "*" if diff.significant else ""
    lo, hi = diff.ci95
    if not _finite(lo):
        return f"{diff.mean:+,.2f}{mark}"
    return f"{diff.mean:+,.2f} [{lo:+,.2f}, {hi:+,.2f}]{mark}"
