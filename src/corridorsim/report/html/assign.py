"""The page of an assignment's folder (``corridorsim assign -o``): assignment.json (the split
of every flow over its routes, the iterations, the bottlenecks) and flows.csv.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    read_json,
    read_question,
)
from corridorsim.report.html.model import Block, Card, Cards, Column, Report, Section, Table, Text
from corridorsim.report.html.places import Places, read_places
from corridorsim.report.html.provenance import _with_manifest_facts, files_table, manifest_blocks
from corridorsim.report.html.render import figures


def _route_via(nodes: Sequence[str], others: Sequence[Sequence[str]]) -> str:
    """What tells a route from the flow's other routes, without the network: where it
    leaves each of them (its first node that the other does not pass)."""
    marks = []
    for other in others:
        seen = set(other)
        first = next((n for n in nodes[1:-1] if n not in seen), None)
        if first is not None:
            marks.append(first)
    return ", ".join(n for n in nodes if n in set(marks))


def _route_label(
    route: Mapping[str, Any], routes: Sequence[Mapping[str, Any]], places: Places
) -> str:
    nodes = [_str(n) for n in _list(route.get("nodes"))]
    described = places.describe(nodes, [_str(k) for k in _list(route.get("links"))])
    if described:
        return described
    others = [[_str(n) for n in _list(r.get("nodes"))] for r in routes if r is not route]
    via = _route_via(nodes, others)
    ends = f"{nodes[0]} → {nodes[-1]}" if nodes else _DASH
    return f"{ends} via {via}" if via else ends


def _flow_cards(fid: str, flow: Mapping[str, Any], places: Places) -> Cards:
    routes = [_dict(r) for r in _list(flow.get("routes"))]
    cards = []
    for r in routes:
        t = _dict(r.get("transit_days"))
        cards.append(Card(
            f"Route {whole(r.get('rank'))}: {_route_label(r, routes, places)}",
            pct(r.get("share"), 1), "of the tonnes",
            f"95% CI {interval(r.get('share_ci95'), 1, pct)} · {num(t.get('mean'))} d mean, "
            f"p90 {num(t.get('p90'))} d · {num(r.get('usd_per_tonne'))} USD/t · "
            f"{num(r.get('tonnes_per_year'), 0)} t/year",
        ))
    title = (f"Flow {fid}: {_str(flow.get('cargo'))}, {_str(flow.get('origin'))} → "
             f"{_str(flow.get('destination'))}, {num(flow.get('tonnes_per_year'), 0)} t/year")
    return Cards(title, cards, note="Share of the flow's tonnes on each route at the end of "
                 "the assignment, with its 95% CI; days and cost as simulated with that split.")


def _routes_table(fid: str, flow: Mapping[str, Any], places: Places) -> list[Block]:
    routes = [_dict(r) for r in _list(flow.get("routes"))]
    rows = []
    for r in routes:
        t = _dict(r.get("transit_days"))
        simulated = r.get("simulated") is not False
        rows.append([
            _ncell(whole(r.get("rank"))), _cell(_route_label(r, routes, places)),
            _ncell(pct(r.get("share"), 1)), _ncell(interval(r.get("share_ci95"), 1, pct)),
            _ncell(num(r.get("tonnes_per_year"), 0)),
            _ncell(num(t.get("mean")) + ("" if simulated else " *")),
            _ncell(num(t.get("p50"))), _ncell(num(t.get("p90"))),
            _ncell(num(r.get("usd_per_tonne"))), _ncell(num(r.get("generalized_usd_per_tonne"))),
            _ncell(num(r.get("static_days"))), _ncell(num(r.get("consignments"), 0)),
            _ncell(num(r.get("in_transit"), 0)),
        ])
    columns = [
        Column("#", "", True), Column("route"), Column("share", "of tonnes", True),
        Column("95% CI", "share", True), Column("tonnes", "per year", True),
        Column("mean", "days", True), Column("p50", "days", True), Column("p90", "days", True),
        Column("cost", "USD/t", True), Column("generalized", "USD/t", True),
        Column("static", "days", True), Column("consignments", "", True),
        Column("in transit", "", True),
    ]
    starred = any(r.get("simulated") is False for r in routes)
    paths = [f"Route {whole(r.get('rank'))}: "
             f"{' → '.join(_str(n) for n in _list(r.get('nodes')))}" for r in routes]
    return [Table(f"Flow {fid}: routes", columns, rows,
                  note="Simulated with the final split; generalized cost adds the cargo's "
                  "value of time." + (" * no train took the route: its static cost plus the "
                                      "queues at its facilities." if starred else "")),
            Text(paths, title=f"Flow {fid}: the routes' nodes")]


def _iterations_table(fid: str, flow: Mapping[str, Any]) -> Table:
    rows = []
    for it in (_dict(i) for i in _list(flow.get("iterations"))):
        rows.append([
            _ncell(whole(it.get("iteration"))),
            _ncell(" / ".join(pct(v, 1) for v in _list(it.get("shares")))),
            _ncell(" / ".join(num(v) for v in _list(it.get("costs")))),
            _ncell(" / ".join(pct(v, 1) for v in _list(it.get("target")))),
            _ncell(num(it.get("max_share_change"), 4)), _ncell(num(it.get("max_gap"), 4)),
        ])
    shown, note = _cut(rows, len(rows), "iterations", "assignment.json")
    return Table(f"Flow {fid}: iterations", [
        Column("iteration", "", True), Column("split simulated", "share per route", True),
        Column("costs", "per route", True), Column("model's split", "share per route", True),
        Column("largest change", "share", True), Column("gap", "share", True)], shown,
        note=note)


def _bottlenecks_table(document: Mapping[str, Any]) -> Table | None:
    rows = [[
        _kcell(_str(b.get("element"))), _cell(_str(b.get("kind"))),
        _ncell(pct(b.get("utilisation"), 1)), _ncell(num(b.get("mean_wait_h"), 1)),
        _ncell(num(b.get("tonnes_per_year"), 0)),
    ] for b in (_dict(x) for x in _list(document.get("bottlenecks")))]
    if not rows:
        return None
    return Table("Bottlenecks: the busiest elements", [
        Column("element"), Column("kind"), Column("utilisation", "share", True),
        Column("mean wait", "h", True), Column("tonnes", "per year, all flows", True)], rows)


def _flows_csv_table(folder: Path) -> Table | None:
    records = _read_csv(folder / "flows.csv")
    if not records:
        return None
    records.sort(key=lambda r: (-(_float(r.get("utilisation")) or -1),
                                -(_float(r.get("tonnes_per_year")) or 0)))
    rows = [[
        _kcell(r.get("element", "")), _cell(r.get("kind", "")),
        _ncell(num(r.get("tonnes_per_year"), 0)), _ncell(num(r.get("trains_per_day"), 2)),
        _ncell(pct(r.get("utilisation"), 1)), _ncell(num(r.get("mean_wait_h"), 1)),
    ] for r in records]
    shown, note = _cut(rows, len(rows), "elements, the busiest first", "flows.csv")
    return Table("Flows on the network", [
        Column("element"), Column("kind"), Column("tonnes", "per year", True),
        Column("trains", "per day", True), Column("utilisation", "share", True),
        Column("mean wait", "h", True)], shown,
        note=(note + " " if note else "") + "Utilisation “–”: no capacity limit.")


def build_assign(folder: Path) -> Report:
    """The report of an assignment's folder."""
    document = read_json(folder / "assignment.json")
    manifest = _optional_json(folder / "manifest.json")
    recorded, digest = _first_scenario(manifest)
    question = read_question(_str(document.get("scenario")), recorded, folder, sha256=digest)
    flows = {str(k): _dict(v) for k, v in _dict(document.get("flows")).items()}
    details = Section("Details", "details")
    places = read_places(manifest, folder)
    for fid, flow in flows.items():
        details.blocks.extend(_routes_table(fid, flow, places))
        details.blocks.append(_iterations_table(fid, flow))
    for block in (_bottlenecks_table(document), _flows_csv_table(folder)):
        if block is not None:
            details.blocks.append(block)
    warnings = [_str(w) for w in _list(document.get("warnings"))]
    if document.get("converged") is False:
        warnings.append(
            f"the split did not converge in {num(document.get('iterations'), 0)} iterations: "
            "the shares may still move"
        )
    facts = [
        ("Choice model", f"{_str(document.get('model'))} on {_str(document.get('cost'))} cost"
         + (f", theta {plain(document.get('theta'))}" if _float(document.get("theta")) else "")),
        ("Converged", ("yes" if document.get("converged") else "no")
         + f" after {num(document.get('iterations'), 0)} iteration(s), tolerance "
         f"{plain(document.get('tolerance'))}"),
        ("Seed", whole(document.get("seed"))),
        ("Replications", f"{num(document.get('replications'), 0)} per iteration"),
    ]
    figs, skipped = figures(folder, {})
    return Report(
        kind="assign", title=question.name or "Route assignment",
        folder=str(folder.absolute()), facts=_with_manifest_facts(facts, folder),
        questions=[question], headline=[_flow_cards(fid, f, places) for fid, f in flows.items()],
        warnings=warnings, sections=[details], figures=figs, files=files_table(folder),
        provenance=manifest_blocks(folder / "manifest.json", folder), skipped_images=skipped,
    )
