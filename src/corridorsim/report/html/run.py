"""The page of a run's folder (``corridorsim run -o``): summary.json, facilities.csv, the
per-consignment files summarised, the charts and the manifest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from corridorsim.report.html.format import (
    _DASH,
    _cell,
    _cut,
    _dict,
    _float,
    _kcell,
    _list,
    _ncell,
    _str,
    interval,
    num,
    pct,
    plain,
    whole,
)
from corridorsim.report.html.inputs import (
    _first_scenario,
    _optional_json,
    _read_csv,
    _scan_csv,
    read_json,
    read_question,
)
from corridorsim.report.html.model import Block, Card, Cards, Column, Report, Section, Table
from corridorsim.report.html.places import read_places
from corridorsim.report.html.provenance import _with_manifest_facts, files_table, manifest_blocks
from corridorsim.report.html.render import figures
from corridorsim.report.html.shipments import _cost_table, _routes_text, _time_table


def _shipment_cards(sid: str, s: Mapping[str, Any]) -> Cards:
    """The headline of one shipment of a run."""
    transit = _dict(s.get("transit_days"))
    usd = _dict(s.get("usd_per_tonne"))
    co2 = _dict(s.get("co2_kg_per_tonne"))
    target = _float(s.get("target_days"))
    within = (
        Card("P(within target)", pct(s.get("p_within_target")), "",
             f"within the {plain(target)}-day target; still under way past it: late")
        if target is not None
        else Card("P(within target)", _DASH, "", "no target_days in the scenario")
    )
    cards = [
        Card("Mean transit", num(transit.get("mean")), "days",
             f"95% CI {interval(transit.get('ci95'))} d · p50 {num(transit.get('p50'))} d"),
        Card("p90 transit", num(transit.get("p90")), "days",
             f"p95 {num(transit.get('p95'))} d · {num(transit.get('n'), 0)} consignments"),
        within,
        Card("Cost", num(usd.get("mean")), "USD/t", f"95% CI {interval(usd.get('ci95'))}"),
        Card("CO2", num(co2.get("mean"), 1), "kg/t",
             f"95% CI {interval(co2.get('ci95'), 1)}"),
    ]
    unit = _str(s.get("unit"))
    per_unit = _dict(s.get("usd_per_unit"))
    if unit and per_unit:
        cards.append(Card(f"Cost per {unit}", num(per_unit.get("mean"), 0), "USD",
                          f"95% CI {interval(per_unit.get('ci95'), 0)}"))
    consignments = _float(s.get("consignments")) or 0
    in_transit = _float(s.get("in_transit")) or 0
    cards.append(Card(
        "Arrived", num(s.get("arrived"), 0), f"of {num(consignments, 0)}",
        f"{num(in_transit, 0)} still in transit at the horizon",
        tone="bad" if consignments and in_transit / consignments > 0.05 else "",
    ))
    return Cards(f"Shipment {sid}", cards)


def _run_kpi_table(shipments: Mapping[str, Any]) -> Table:
    rows = []
    for sid, raw in shipments.items():
        s = _dict(raw)
        t = _dict(s.get("transit_days"))
        rows.append([
            _kcell(sid),
            _ncell(f"{num(s.get('arrived'), 0)}/{num(s.get('consignments'), 0)}"),
            _ncell(num(t.get("mean"))), _ncell(interval(t.get("ci95"))),
            _ncell(num(t.get("p50"))), _ncell(num(t.get("p90"))), _ncell(num(t.get("p95"))),
            _ncell(num(s.get("static_days"))),
            _ncell(pct(s.get("p_within_target"))), _ncell(num(s.get("target_days"), 0)),
            _ncell(num(_dict(s.get("usd_per_tonne")).get("mean"))),
            _ncell(num(_dict(s.get("co2_kg_per_tonne")).get("mean"), 1)),
        ])
    columns = [
        Column("shipment"), Column("arrived", "of departed", True),
        Column("mean", "days", True), Column("95% CI", "days", True),
        Column("p50", "days", True), Column("p90", "days", True), Column("p95", "days", True),
        Column("static route", "days", True), Column("within target", "share", True),
        Column("target", "days", True), Column("cost", "USD/t", True),
        Column("CO2", "kg/t", True),
    ]
    return Table("Transit, cost and emissions", columns, rows,
                 note="Mean and CI over replications (Student t), percentiles over arrived "
                 "consignments; static route: the planned route's time with no queueing.")


def _country_table(shipments: Mapping[str, Any]) -> Table | None:
    countries = sorted({c for s in shipments.values()
                        for c in _dict(_dict(s).get("usd_per_tonne_by_country"))})
    if not countries:
        return None
    rows = [[_kcell(sid), *(_ncell(num(_dict(_dict(s).get("usd_per_tonne_by_country")).get(c)))
                           for c in countries)] for sid, s in shipments.items()]
    return Table("What it costs, by country", [Column("shipment"),
                 *(Column(c, "USD/t", True) for c in countries)], rows)


def _waits_table(shipments: Mapping[str, Any]) -> Table | None:
    rows = [
        [_kcell(sid), _cell(_str(_dict(w).get("place"))), _cell(_str(_dict(w).get("kind"))),
         _ncell(num(_dict(w).get("wait_h"), 1))]
        for sid, s in shipments.items() for w in _list(_dict(s).get("top_waits"))
    ]
    if not rows:
        return None
    return Table("Where time is lost", [Column("shipment"), Column("place"), Column("kind"),
                                        Column("wait", "h per consignment", True)], rows)


def _extras_tables(summary: Mapping[str, Any]) -> list[Block]:
    """Trains, fleets and empty returns, when the scenario has them."""
    blocks: list[Block] = []
    trains = _dict(summary.get("trains"))
    if trains:
        blocks.append(Table("Trains", [
            Column("service"), Column("trains", "per replication", True),
            Column("wagons", "per train", True), Column("blocks", "per train", True),
            Column("load factor", "share", True), Column("run", "days", True)], [
            [_kcell(name), _ncell(num(t.get("trains"), 1)),
             _ncell(num(t.get("wagons_per_train"), 1)), _ncell(num(t.get("blocks_per_train"))),
             _ncell(pct(t.get("load_factor"), 1)), _ncell(num(t.get("run_days")))]
            for name, t in ((n, _dict(v)) for n, v in trains.items())]))
    fleets = _dict(summary.get("fleets"))
    if fleets:
        blocks.append(Table("Fleets", [
            Column("fleet"), Column("wagons", "", True), Column("trips", "per replication", True),
            Column("turnaround mean", "days", True), Column("turnaround p90", "days", True),
            Column("utilisation", "share", True)], [
            [_kcell(name), _ncell(num(f.get("wagons"), 0)), _ncell(num(f.get("trips"), 1)),
             _ncell(num(_dict(f.get("turnaround_days")).get("mean"))),
             _ncell(num(_dict(f.get("turnaround_days")).get("p90"))),
             _ncell(pct(f.get("utilisation"), 1))]
            for name, f in ((n, _dict(v)) for n, v in fleets.items())]))
    empties = _dict(summary.get("empties"))
    if empties:
        blocks.append(Table("Empty returns", [
            Column("fleet"), Column("returns", "per replication", True),
            Column("transit", "days", True), Column("cost", "USD/wagon", True),
            Column("CO2", "kg/wagon", True)], [
            [_kcell(name), _ncell(num(e.get("returns"), 1)), _ncell(num(e.get("transit_days"))),
             _ncell(num(e.get("usd_per_wagon"), 0)), _ncell(num(e.get("co2_kg_per_wagon"), 0))]
            for name, e in ((n, _dict(v)) for n, v in empties.items())]))
    return blocks


def _facilities_table(folder: Path, horizon: Any, warmup: Any) -> Table | None:
    rows = _read_csv(folder / "facilities.csv")
    if not rows:
        return None
    rows.sort(key=lambda r: -(_float(r.get("utilisation")) or 0))
    cells = [[
        _kcell(r.get("facility", "")), _cell(r.get("type", "")),
        _ncell(num(r.get("servers"), 0)), _ncell(num(r.get("served_per_replication"), 1)),
        _ncell(pct(r.get("utilisation"), 1)),
        _ncell(interval([r.get("utilisation_ci95_lo"), r.get("utilisation_ci95_hi")], 1, pct)),
        _ncell(num(r.get("mean_queue"))),
        _ncell(num(r.get("mean_wait_h"), 1)),
        _ncell(interval([r.get("mean_wait_h_ci95_lo"), r.get("mean_wait_h_ci95_hi")], 1)),
    ] for r in rows]
    shown, cut = _cut(cells, len(cells), "facilities, the busiest first", "facilities.csv")
    window = (_float(horizon) or 0) - (_float(warmup) or 0)
    note = (f"Time averages over the measured {num(window, 0)} days; " if window else "") + (
        "queue: consignments waiting for a server. " + cut)
    columns = [
        Column("facility"), Column("type"), Column("servers", "", True),
        Column("served", "per replication", True), Column("utilisation", "share", True),
        Column("95% CI", "share", True), Column("mean queue", "consignments", True),
        Column("mean wait", "h", True), Column("95% CI", "h", True),
    ]
    return Table("Busiest facilities", columns, shown, note=note.strip())


def _consignment_files(folder: Path) -> Table | None:
    """shipments.csv and legs.csv, summarised: they are too long to copy into a page."""
    per_shipment: dict[str, Counter[str]] = {}

    def visit_consignment(row: dict[str, str]) -> None:
        seen = per_shipment.setdefault(row.get("shipment") or "", Counter())
        seen["rows"] += 1
        seen["arrived" if row.get("arrive_h") else "in transit"] += 1
        if (_float(row.get("reroutes")) or 0) > 0:
            seen["rerouted"] += 1

    legs: Counter[str] = Counter()

    def visit_leg(row: dict[str, str]) -> None:
        legs[row.get("kind") or "?"] += 1

    consignments = _scan_csv(folder / "shipments.csv", visit_consignment)
    leg_rows = _scan_csv(folder / "legs.csv", visit_leg)
    if not consignments and not leg_rows:
        return None
    rows = [[_kcell("shipments.csv"), _cell(sid), _ncell(f"{c['rows']:,}"),
             _cell(f"{c['arrived']:,} arrived, {c['in transit']:,} in transit at the horizon, "
                   f"{c['rerouted']:,} rerouted")]
            for sid, c in per_shipment.items()]
    kinds = ", ".join(f"{n:,} {k}" for k, n in legs.most_common())
    rows.append([_kcell("legs.csv"), _cell("all"), _ncell(f"{leg_rows:,}"),
                 _cell(f"legs by kind: {kinds}" if kinds else "no legs")])
    return Table("Per-consignment files (not copied here)",
                 [Column("file"), Column("shipment"), Column("rows", "", True),
                  Column("summary")], rows,
                 note=f"One row per consignment per replication, and per leg: open them "
                 f"from {folder.absolute()} in a spreadsheet or notebook.")


def _run_facts(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    facts = [
        ("Seed", whole(summary.get("seed"))),
        ("Replications", num(summary.get("replications"), 0)),
    ]
    precision = _float(summary.get("precision"))
    if precision is not None:
        met = summary.get("precision_met")
        facts.append(("Precision", f"CI half-width ≤ {pct(precision, 1)} of the mean: "
                      + ("met" if met else "not met")))
    start = _str(summary.get("start"))
    horizon = f"{num(summary.get('horizon_days'), 0)} days" + (f" from {start}" if start else "")
    facts.append(("Horizon", horizon))
    facts.append(("Warm-up", f"{num(summary.get('warmup_days'), 0)} days"))
    return facts


def build_run(folder: Path) -> Report:
    """The report of a run's folder."""
    summary = read_json(folder / "summary.json")
    manifest = _optional_json(folder / "manifest.json")
    shipments = {str(k): _dict(v) for k, v in _dict(summary.get("shipments")).items()}
    recorded = _str(summary.get("file")) or _first_scenario(manifest)[0]
    digest = _str(_dict(_dict(manifest.get("inputs")).get(recorded)).get("sha256")) or None
    question = read_question(_str(summary.get("scenario")), recorded, folder, sha256=digest)
    details = Section("Details", "details", [
        _run_kpi_table(shipments),
        _time_table(shipments.items(), "shipment"),
        _cost_table(shipments.items(), "shipment"),
    ])
    for block in (_country_table(shipments), _waits_table(shipments)):
        if block is not None:
            details.blocks.append(block)
    details.blocks.extend(_extras_tables(summary))
    details.blocks.append(_routes_text(shipments, read_places(manifest, folder),
                                      "Planned routes"))
    for block in (
        _facilities_table(folder, summary.get("horizon_days"), summary.get("warmup_days")),
        _consignment_files(folder),
    ):
        if block is not None:
            details.blocks.append(block)
    figs, skipped = figures(folder, {})
    return Report(
        kind="run",
        title=question.name or "Simulation run",
        folder=str(folder.absolute()),
        facts=_with_manifest_facts(_run_facts(summary), folder),
        questions=[question],
        headline=[_shipment_cards(sid, s) for sid, s in shipments.items()],
        warnings=[_str(w) for w in _list(summary.get("warnings"))],
        sections=[details],
        figures=figs,
        files=files_table(folder),
        provenance=manifest_blocks(folder / "manifest.json", folder),
        skipped_images=skipped,
    )
