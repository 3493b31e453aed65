"""Charts of a run (matplotlib, Agg): transit-time distribution, waiting breakdown (by cause
and by place), time-distance diagram, route map and the map of where time is lost, each a PNG
written atomically.

A run in which nothing arrived in the measured window (a horizon too short, a blocked route)
still gets every chart: each says so ("nothing arrived in the measured window") instead of
drawing empty axes.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from corridorsim.report.maps import plot_network, save_figure

if TYPE_CHECKING:
    from corridorsim.experiment.compare import Comparison
    from corridorsim.experiment.results import ShipmentResult, SimulationResult
    from corridorsim.network.model import Network
    from corridorsim.scenario.load import ShipmentPlan

CAUSE_COLOURS = {
    "facility": "#d62728",
    "ferry": "#0f9d8a",
    "headway": "#dd8452",
    "disruption": "#b8860b",
    "formation": "#8172b3",
    "fleet": "#937860",
    "running": "#d9d9d9",
    "processing": "#a6a6a6",
}
CAUSE_LABELS = {
    "facility": "facility queue",
    "ferry": "waiting for a ferry",
    "headway": "line headway",
    "disruption": "disruption",
    "formation": "train formation",
    "fleet": "waiting for wagons (fleet)",
    "running": "running (on links, at sea)",
    "processing": "processing (borders, ports, yards)",
}
#: The parts of a door-to-door time that are not waiting, drawn before the waits by cause.
MOVING_PARTS = ("running", "processing")
#: What every chart of a run without arrivals says.
NOTHING_ARRIVED = "nothing arrived in the measured window"
#: The most lines one panel of the time-distance diagram draws: more is a solid block of
#: colour. Beyond it every k-th is drawn, and the panel says so.
MOST_LINES = 400
#: The places named per shipment in the waiting chart's places panel.
TOP_PLACES = 6
#: Waits shorter than this (hours per consignment) are left out of the places panel and the
#: waiting map: they would read "0.0 h".
LEAST_WAIT_H = 0.05
#: The files :func:`write_run_charts` writes, in order.
RUN_CHARTS = ("transit.png", "waiting.png", "time_distance.png", "route_map.png",
              "waiting_map.png")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    return plt


def _arrived(result: SimulationResult) -> int:
    """Consignments of every shipment that arrived in the measured window."""
    return sum(s.arrived for s in result.shipments.values())


def _in_transit_note(result: SimulationResult) -> str:
    """Why nothing arrived, as far as the run tells: how many were still on their way."""
    spec = result.scenario.spec
    departed = sum(s.consignments for s in result.shipments.values())
    window = f"the horizon at {spec.horizon_days:g} days"
    if spec.warmup_days:
        window += f", after a warm-up of {spec.warmup_days:g} days"
    if departed:
        return f"{_count(departed, 'consignment')} departed; none arrived by {window}"
    return f"no consignment departed between the warm-up and {window}"


def _count(n: int, thing: str) -> str:
    return f"{n:,} {thing}{'s' if n != 1 else ''}"


def _message(ax: Any, text: str, *, fontsize: float = 12) -> None:
    """A boxed message in the middle of ``ax``, which shows nothing else."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center",
            fontsize=fontsize, color="#333333", wrap=True,
            bbox={"boxstyle": "round,pad=0.7", "fc": "white", "ec": "#999999"})


def _empty_chart(result: SimulationResult, path: str | os.PathLike[str], title: str) -> None:
    """The chart of a run in which nothing arrived: what it would have shown, and why not."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 4))
    _message(ax, f"{title}: {NOTHING_ARRIVED}\n{_in_transit_note(result)}")
    fig.suptitle(result.scenario.name, fontsize=11, x=0.01, ha="left")
    save_figure(fig, path)


# --------------------------------------------------------------------------------------------
# Transit time


def transit_chart(result: SimulationResult, path: str | os.PathLike[str]) -> None:
    """ECDF (left) and histogram (right) of door-to-door days, one colour per shipment, each
    target a dotted line (labelled at its foot, clear of the legend)."""
    if not _arrived(result):
        _empty_chart(result, path, "Transit time")
        return
    plt = _pyplot()
    fig, (ecdf, hist) = plt.subplots(1, 2, figsize=(13, 5))
    colours = plt.get_cmap("tab10")
    for i, plan in enumerate(result.scenario.shipments):
        days = np.sort(result.shipment(plan.id).transit_days.pooled)
        colour = colours(i % 10)
        if days.size == 0:
            # In the legend all the same, so that a missing shipment is not a surprise.
            ecdf.plot([], [], color=colour, label=f"{plan.id}: {NOTHING_ARRIVED}")
            continue
        y = np.arange(1, days.size + 1) / days.size
        ecdf.step(
            days,
            y,
            where="post",
            color=colour,
            label=f"{plan.id} (n={days.size}, mean {days.mean():.1f} d)",
        )
        hist.hist(
            days,
            bins=min(40, max(8, days.size // 5)),
            histtype="stepfilled",
            alpha=0.35,
            color=colour,
            edgecolor=colour,
            label=plan.id,
        )
        target = result.scenario.target_days(plan.id)
        if target:
            ecdf.axvline(target, color=colour, linestyle=":", linewidth=1)
            # At the foot of its line, right of it: the ECDF is low there at the left and
            # the legend sits top left, so neither covers it.
            ecdf.annotate(
                f"target {target:g} d",
                (target, 0.0),
                xycoords=("data", "axes fraction"),
                rotation=90,
                fontsize=7,
                color=colour,
                xytext=(3, 4),
                textcoords="offset points",
                ha="left",
                va="bottom",
                gid="target",
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
            )
    for p in (0.5, 0.9):
        ecdf.axhline(p, color="#999999", linewidth=0.6, linestyle="--")
    ecdf.set_xlabel("door-to-door transit (days)")
    ecdf.set_ylabel("share of consignments arrived")
    ecdf.set_title("Transit time, cumulative", loc="left")
    ecdf.set_ylim(0, 1.02)
    _widen_for_targets(ecdf, result)
    ecdf.legend(fontsize=8, loc="upper left")
    hist.set_xlabel("door-to-door transit (days)")
    hist.set_ylabel("consignments (all replications)")
    hist.set_title("Transit time, histogram", loc="left")
    hist.legend(fontsize=8)
    for ax in (ecdf, hist):
        ax.grid(color="#e5e5e5", linewidth=0.6)
    n = len(result.replications)
    fig.suptitle(
        f"{result.scenario.name} - {n} replication{'s' if n != 1 else ''}, seed {result.seed}",
        fontsize=11,
        x=0.01,
        ha="left",
    )
    save_figure(fig, path)


def _widen_for_targets(ax: Any, result: SimulationResult) -> None:
    """Room right of the last target line for its label: a target beyond every transit time
    would otherwise put its label on the axes' edge, half cut off."""
    targets = [t for plan in result.scenario.shipments
               if (t := result.scenario.target_days(plan.id))]
    if not targets:
        return
    lo, hi = ax.get_xlim()
    ax.set_xlim(min(lo, min(targets)), max(hi, max(targets) + 0.04 * (hi - lo)))


# --------------------------------------------------------------------------------------------
# Waiting, by cause and by place


def _time_parts(shipments: Sequence[ShipmentResult]) -> dict[str, np.ndarray]:
    """Mean hours per consignment of each part of the door-to-door time (moving, then
    waiting by cause), one value per shipment, in the order they are drawn."""
    parts = {part: np.array([s.time_h[part] for s in shipments]) for part in MOVING_PARTS}
    causes = list(shipments[0].wait_h_by_cause) if shipments else []
    for cause in causes:
        parts[cause] = np.array([s.wait_h_by_cause[cause] for s in shipments])
    return parts


def _time_bars(ax: Any, labels: Sequence[str], shipments: Sequence[ShipmentResult]) -> None:
    """Stacked bars, one per label: mean hours per consignment running, processing and
    waiting by cause, each part wide enough labelled with its hours. A label whose shipment
    had no arrivals gets no bar but a note."""
    left = np.zeros(len(labels))
    parts = _time_parts(shipments)
    total = np.sum(list(parts.values()), axis=0) if parts else np.zeros(len(labels))
    for cause, values in parts.items():
        if not np.any(values > 0):
            # A cause no shipment waited for has no bar: its legend entry would name nothing.
            continue
        ax.barh(labels, values, left=left, color=CAUSE_COLOURS[cause], label=CAUSE_LABELS[cause])
        for y, (x0, w) in enumerate(zip(left, values, strict=True)):
            if w > 0.06 * max(total.max(), 1):
                ax.text(
                    x0 + w / 2,
                    y,
                    f"{w:,.0f} h",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="#222222" if cause in MOVING_PARTS else "white",
                )
        left += values
    for y, shipment in enumerate(shipments):
        if not shipment.arrived:
            ax.text(0, y, f"  {NOTHING_ARRIVED}", ha="left", va="center", fontsize=8,
                    color="#555555")
    if not ax.containers:
        ax.barh(labels, np.zeros(len(labels)))
    ax.invert_yaxis()
    ax.set_xlabel("mean hours per consignment (door to door)")
    ax.set_title("Where the time goes, by cause", loc="left")
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)


class PlaceWait(NamedTuple):
    """Hours lost at one place for one cause, per arrived consignment (of one shipment, or of
    all of a run's shipments)."""

    #: ``facility``, ``formation`` or ``fleet`` (at a node) or ``link`` (for a sailing, a
    #: headway or a disruption on it).
    kind: str
    #: The node or link id.
    place: str
    cause: str
    wait_h: float


def place_waits(result: SimulationResult) -> tuple[dict[str, list[PlaceWait]], dict[str, int]]:
    """Per shipment: where its arrived consignments waited and why, in hours per arrived
    consignment, longest first; and how many arrived.

    The consignments are those of the shipment's ``top_waits`` (departing in the measured
    window and arrived by the horizon, over every replication), so the hours are the same;
    this gives every place, each cause apart.
    """
    from corridorsim.experiment.results import WAIT_CAUSES

    plans = result.scenario.shipments
    warmup_h = result.scenario.warmup_h
    totals: dict[str, dict[tuple[str, str, str], float]] = {p.id: defaultdict(float)
                                                           for p in plans}
    arrived = dict.fromkeys((p.id for p in plans), 0)
    for rep in result.replications:
        c, legs = rep.consignments, rep.legs
        done = (c["depart"] >= warmup_h) & ~np.isnan(c["arrive"])
        for index, plan in enumerate(plans):
            arrived[plan.id] += int((done & (c["shipment"] == index)).sum())
        rows = legs["consignment"]
        # A leg without a cause (cause -1) waited for nothing: there is none with a wait.
        mask = (legs["wait"] > 0) & done[rows] & (legs["cause"] >= 0)
        if not mask.any():
            continue
        shipment = c["shipment"][rows[mask]]
        keys = np.stack([shipment, legs["label"][mask], legs["cause"][mask]], axis=1)
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        sums = np.bincount(inverse.ravel(), weights=legs["wait"][mask])
        for (s, label, cause), total in zip(unique, sums, strict=True):
            kind, _, place = rep.labels[int(label)].partition(":")
            totals[plans[int(s)].id][(kind, place, WAIT_CAUSES[int(cause)])] += float(total)
    out = {}
    for plan in plans:
        n = max(arrived[plan.id], 1)
        waits = [PlaceWait(kind, place, cause, total / n)
                 for (kind, place, cause), total in totals[plan.id].items()]
        out[plan.id] = sorted(waits, key=lambda w: (-w.wait_h, w.place, w.cause))
    return out, arrived


def _place_name(network: Network, wait: PlaceWait) -> str:
    """A place as a planner reads it: the node's name, or a link's from its ends."""
    if wait.kind == "link" and wait.place in network.links:
        link = network.links[wait.place]
        a, b = (network.nodes[n].name for n in link.endpoints())
        return f"{a} - {b} {'ferry' if link.mode == 'ferry' else link.mode}"
    if wait.place in network.nodes:
        return network.nodes[wait.place].name
    return wait.place


def _places_panel(ax: Any, result: SimulationResult,
                  waits: Mapping[str, Sequence[PlaceWait]]) -> None:
    """Horizontal bars: the places where each shipment loses the most time (hours per
    arrived consignment, stacked by cause), grouped by shipment."""
    network = result.scenario.network
    labels: list[str] = []
    rows: list[dict[str, float]] = []
    groups: list[tuple[int, str]] = []
    several = len(waits) > 1
    for shipment, found in waits.items():
        by_place: dict[str, dict[str, float]] = {}
        for wait in found:
            if wait.wait_h < LEAST_WAIT_H:
                continue
            by_place.setdefault(_place_name(network, wait), {})[wait.cause] = wait.wait_h
        top = sorted(by_place.items(), key=lambda kv: -sum(kv[1].values()))[:TOP_PLACES]
        if several:
            groups.append((len(labels), shipment))
            labels.append(f"{shipment}:")
            rows.append({})
        for name, causes in top:
            labels.append(f"{name}" if not several else f"  {name}")
            rows.append(causes)
        if not top:
            labels.append("  no waiting" if several else "no waiting")
            rows.append({})
    y = np.arange(len(labels))
    left = np.zeros(len(labels))
    drawn: set[str] = set()
    for cause in CAUSE_COLOURS:
        values = np.array([row.get(cause, 0.0) for row in rows])
        if not values.any():
            continue
        ax.barh(y, values, left=left, color=CAUSE_COLOURS[cause],
                label=CAUSE_LABELS[cause] if cause not in drawn else None, height=0.7)
        drawn.add(cause)
        left += values
    for k, total in enumerate(left):
        if total > 0:
            ax.text(total, k, f" {total:,.1f} h", va="center", ha="left", fontsize=8,
                    color="#333333")
    ax.set_yticks(y, labels, fontsize=8)
    for k, _ in groups:
        ax.get_yticklabels()[k].set_fontweight("bold")
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xlim(0, max(float(left.max()) * 1.18, 1.0))
    ax.set_xlabel("hours lost there per arrived consignment (mean over the run)")
    ax.set_title(f"Where the time is lost, by place (up to {TOP_PLACES} per shipment)",
                 loc="left")
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    if drawn:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))


def waiting_chart(result: SimulationResult, path: str | os.PathLike[str]) -> None:
    """Mean hours per consignment by cause (running, processing, waiting by cause; top) and
    the places where each shipment loses the most time (bottom)."""
    if not _arrived(result):
        _empty_chart(result, path, "Where the time goes")
        return
    plt = _pyplot()
    ids = list(result.shipments)
    waits, _ = place_waits(result)
    n_places = sum(
        1 + min(TOP_PLACES, max(1, len({w.place for w in found if w.wait_h >= LEAST_WAIT_H})))
        for found in waits.values()
    )
    top_h = 1.2 + 0.7 * len(ids)
    bottom_h = 1.3 + 0.32 * n_places
    fig, (causes, places) = plt.subplots(
        2, 1, figsize=(11, top_h + bottom_h + 0.6), gridspec_kw={"height_ratios": [top_h,
                                                                                  bottom_h]}
    )
    _time_bars(causes, ids, list(result.shipments.values()))
    _places_panel(places, result, waits)
    save_figure(fig, path)


# --------------------------------------------------------------------------------------------
# Time-distance diagram


class Station(NamedTuple):
    """A place along a section, at its km from the section's start."""

    name: str
    km: float
    #: 0 the section's ends, 1 a facility, 2 any other node: lower is labelled first.
    rank: int


def _stations(network: Network, nodes: Sequence[str], links: Sequence[str]) -> list[Station]:
    """The places of a section of ``nodes`` joined by ``links``, at their km."""
    out, km = [], 0.0
    for i, node_id in enumerate(nodes):
        node = network.nodes[node_id]
        rank = 0 if i in (0, len(nodes) - 1) else 1 if node.facility else 2
        out.append(Station(node.name, km, rank))
        if i < len(links):
            km += network.links[links[i]].km
    return out


def _section_nodes(network: Network, links: Sequence[str]) -> list[str]:
    """The nodes along consecutive ``links``, in the order run (a lone link: as drawn)."""
    nodes: list[str] = []
    for i, link_id in enumerate(links):
        a, b = network.links[link_id].endpoints()
        if not nodes:
            following = network.links[links[i + 1]].endpoints() if i + 1 < len(links) else ()
            # The first link ends where the next one starts (a lone one runs as drawn).
            nodes = [b, a] if a in following and b not in following else [a, b]
        else:
            nodes.append(b if nodes[-1] == a else a)
    return nodes


def _station_axis(ax: Any, stations: Sequence[Station], height_in: float) -> None:
    """The places as the distance axis's tick labels, as many as fit ``height_in`` without
    overlap: the ends first, then the facilities, then the rest; a facility too close to a
    labelled one shares its label ("Samur / Yalama"). Every place gets a faint line."""
    from matplotlib.ticker import FixedLocator

    if not stations:
        return
    top = max(s.km for s in stations) or 1.0
    ax.set_ylim(-0.03 * top, top * 1.03)
    km_per_pt = top * 1.06 / max(height_in * 72, 1.0)
    gap_km = 10.5 * km_per_pt  # an 8 pt label and its spacing
    chosen: dict[float, list[str]] = {}
    for station in sorted(stations, key=lambda s: (s.rank, s.km)):
        near = [km for km in chosen if abs(km - station.km) < gap_km]
        if not near:
            chosen[station.km] = [station.name]
        elif station.rank <= 1 and len(near) == 1 and len(chosen[near[0]]) < 2 and (
            station.name not in chosen[near[0]]
        ):
            chosen[near[0]].append(station.name)
    for km in chosen:
        # In the order along the line, whichever was labelled first.
        chosen[km].sort(key=lambda name: next(s.km for s in stations if s.name == name))
    ticks = sorted(chosen)
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.set_yticklabels([" / ".join(chosen[km]) for km in ticks], fontsize=8)
    ax.yaxis.set_minor_locator(FixedLocator(sorted({s.km for s in stations})))
    ax.grid(axis="y", which="both", color="#e3e3e3", linewidth=0.6)
    ax.grid(axis="x", color="#eeeeee", linewidth=0.6)
    right = ax.secondary_yaxis("right")
    right.set_ylabel("km", fontsize=8)
    right.tick_params(labelsize=7)


def _sample(count: int) -> tuple[int, str]:
    """Every how many-th line to draw of ``count``, and what to say of it (empty: all)."""
    if count <= MOST_LINES:
        return 1, ""
    step = math.ceil(count / MOST_LINES)
    shown = math.ceil(count / step)
    return step, f"{shown:,} of {count:,} shown, every {_ordinal(step)}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _journey_xy(network: Network, start_h: float,
                legs: Sequence[tuple[str, str, float, float, float]]) -> tuple[Any, Any]:
    """Days and km covered along ``legs`` (kind, place, arrive, start, end hours)."""
    t, d, covered = [start_h], [0.0], 0.0
    for kind, place, arrive_h, begin_h, end_h in legs:
        km = network.links[place].km if kind == "link" else 0.0
        t.extend([arrive_h, begin_h, end_h])
        d.extend([covered, covered, covered + km])
        covered += km
    return np.array(t) / 24, d


def _shipment_panel(ax: Any, result: SimulationResult, plan: ShipmentPlan,
                    journeys: Sequence[Any], colour: Any, height_in: float) -> None:
    network = result.scenario.network
    step, sampled = _sample(len(journeys))
    for journey in journeys[::step]:
        legs = [(leg.kind, leg.id, leg.arrive_h, leg.start_h, leg.end_h)
                for leg in journey.legs]
        ax.plot(*_journey_xy(network, journey.consignment.depart_h, legs), color=colour,
                linewidth=0.9, alpha=0.75)
    _station_axis(ax, _stations(network, plan.route.nodes, plan.route.links), height_in)
    shown = sampled or f"all {_count(len(journeys), 'consignment')}"
    ax.set_title(f"{plan.id}: {shown}, first replication (flat = waiting or processing)",
                 loc="left", fontsize=10)
    if not result.shipment(plan.id).arrived:
        ax.text(0.02, 0.95, f"{NOTHING_ARRIVED}: each line ends where the consignment was "
                "at the horizon", transform=ax.transAxes, ha="left", va="top", fontsize=9,
                color="#333333", zorder=10,
                bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "#999999"})


def _train_panel(ax: Any, network: Network, name: str, trains: Sequence[Any], colour: Any,
                 height_in: float) -> None:
    """The trains of one service (or split) along their section: distance from where each
    was formed."""
    step, sampled = _sample(len(trains))
    for train in trains[::step]:
        ax.plot(*_journey_xy(network, train.depart_h, train.legs), color=colour,
                linewidth=1.3, alpha=0.8)
    longest = max(trains, key=lambda t: sum(1 for leg in t.legs if leg[0] == "link"))
    links = [place for kind, place, *_ in longest.legs if kind == "link"]
    nodes = _section_nodes(network, links) if links else []
    _station_axis(ax, _stations(network, nodes, links), height_in)
    shown = sampled or f"all {_count(len(trains), 'train')}"
    ax.set_title(f"Trains of {name}: {shown}, first replication (distance from where each was "
                 "formed)", loc="left", fontsize=10)


def time_distance_chart(result: SimulationResult, path: str | os.PathLike[str]) -> None:
    """Kilometres covered against time for the first replication: a panel per shipment
    (every consignment along its planned route, the route's places on the distance axis;
    flat stretches are waits and processing, steep ones running) and, when the scenario
    runs trains (services, split consignments), a panel per service along its section.
    Every line is drawn up to :data:`MOST_LINES` a panel; beyond, every k-th, as the panel
    says."""
    plt = _pyplot()
    network = result.scenario.network
    rep = result.replications[0] if result.replications else None
    journeys: dict[str, list[Any]] = {plan.id: [] for plan in result.scenario.shipments}
    if rep is not None:
        for journey in result.journeys(0):
            if journey.legs:
                journeys[journey.consignment.shipment].append(journey)
    trains: dict[str, list[Any]] = {}
    for train in rep.train_records() if rep is not None else ():
        trains.setdefault(train.name, []).append(train)
    shown = [plan for plan in result.scenario.shipments if journeys[plan.id]]
    if not shown:
        _empty_chart(result, path, "Time-distance diagram")
        return
    heights = [max(3.2, 0.14 * len(plan.route.nodes)) for plan in shown]
    heights += [3.0] * len(trains)
    fig, axes = plt.subplots(len(heights), 1, figsize=(12, sum(heights) + 0.9 * len(heights)),
                             sharex=True, squeeze=False,
                             gridspec_kw={"height_ratios": heights})
    axes = list(axes[:, 0])
    colours = plt.get_cmap("tab10")
    ids = [plan.id for plan in result.scenario.shipments]
    for ax, plan, height in zip(axes, shown, heights, strict=False):
        _shipment_panel(ax, result, plan, journeys[plan.id], colours(ids.index(plan.id) % 10),
                        height)
    train_colours = plt.get_cmap("Dark2")
    for k, (name, runs) in enumerate(trains.items()):
        index = len(shown) + k
        _train_panel(axes[index], network, name, runs, train_colours(k % 8), heights[index])
    warmup_days = result.scenario.warmup_h / 24
    for ax in axes:
        if warmup_days > 0:
            ax.axvspan(0, warmup_days, color="#f0f0f0", zorder=0)
    if warmup_days > 0:
        axes[0].annotate("warm-up (not measured)", (warmup_days / 2, 1.0),
                         xycoords=("data", "axes fraction"), xytext=(0, -3),
                         textcoords="offset points", ha="center", va="top", fontsize=7,
                         color="#777777")
    axes[-1].set_xlabel("time since start (days)")
    fig.suptitle(f"{result.scenario.name}: time-distance diagram", fontsize=11, x=0.01,
                 ha="left")
    save_figure(fig, path)


# --------------------------------------------------------------------------------------------
# Where time is lost (map)


def waiting_map(result: SimulationResult, path: str | os.PathLike[str]) -> None:
    """The places where consignments lose time, on the map of the routes: a circle at each
    facility, formation yard and ferry port as large as the hours lost there per arrived
    consignment (all shipments together), coloured by cause, the longest named."""
    from corridorsim.report.flow_charts import Wait
    from corridorsim.report.flow_charts import waiting_map as draw

    network = result.scenario.network
    waits, arrived = place_waits(result)
    total = sum(arrived.values())
    plans = result.scenario.shipments
    links = [link for plan in plans for route in (plan.route, *plan.choices)
             for link in route.links]
    title = f"{result.scenario.name}: where time is lost"
    if not total:
        draw(network, [], path, title=title, links=links, kinds=(), note="",
             message=f"{NOTHING_ARRIVED}\n{_in_transit_note(result)}")
        return
    # A link's wait (a sailing, a headway) is lost at the node it is left from: per shipment,
    # the node before it on the planned route.
    starts: dict[tuple[str, str], str] = {}
    for plan in plans:
        for route in (plan.route, *plan.choices):
            for leg in route.link_legs:
                starts[(plan.id, leg.id)] = leg.from_node
    hours: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for shipment, found in waits.items():
        for wait in found:
            if wait.kind == "link":
                node = starts.get((shipment, wait.place)) or network.links[wait.place].from_
            else:
                node = wait.place
            if node in network.nodes:
                hours[node][wait.cause] += wait.wait_h * arrived[shipment] / total
    circles = []
    for node_id, causes in hours.items():
        h = sum(causes.values())
        if h < LEAST_WAIT_H:
            continue
        main = max(causes, key=lambda cause: causes[cause])
        why = ", ".join(CAUSE_LABELS[c] for c in sorted(causes, key=lambda c: -causes[c])
                        if causes[c] >= 0.1 * h)
        place = network.nodes[node_id]
        circles.append(Wait(place.coords[0], place.coords[1], h,
                            f"{place.name}  {h:,.1f} h ({why})", CAUSE_COLOURS[main]))
    kinds = [(CAUSE_COLOURS[c], CAUSE_LABELS[c]) for c in CAUSE_COLOURS
             if c not in MOVING_PARTS]
    n_reps = len(result.replications)
    note = (
        f"Circle area: hours lost there per arrived consignment, over all {total:,} "
        f"consignments of the run's shipments that arrived in the measured window "
        f"({n_reps} replication{'s' if n_reps != 1 else ''}); its colour the main cause. "
        "A wait for a sailing or a headway is drawn at the node the link is left from. "
        f"Waits under {LEAST_WAIT_H:g} h not drawn. Per visit queue waits: facilities.csv."
    )
    draw(network, circles, path, title=title, links=links, kinds=kinds, note=note)


# --------------------------------------------------------------------------------------------
# A run's charts, a comparison's


def _route_labels(result: SimulationResult) -> dict[str, tuple[str, ...]]:
    """Each planned route by its legend label (a split flow's every route)."""
    network = result.scenario.network
    routes: dict[str, tuple[str, ...]] = {}
    for plan in result.scenario.shipments:
        ends = (f"{network.nodes[plan.route.nodes[0]].name} - "
                f"{network.nodes[plan.route.nodes[-1]].name}")
        if not plan.choices:
            routes[f"{plan.id}: {ends}"] = plan.route.links
            continue
        for k, (route, share) in enumerate(zip(plan.choices, plan.shares, strict=True)):
            routes[f"{plan.id} route {k + 1} ({share:.0%}): {ends}"] = route.links
    return routes


def write_run_charts(result: SimulationResult, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write a run's charts (:data:`RUN_CHARTS`) into ``out_dir``; return their paths."""
    out = Path(out_dir)
    transit_chart(result, out / "transit.png")
    waiting_chart(result, out / "waiting.png")
    time_distance_chart(result, out / "time_distance.png")
    plot_network(result.scenario.network, out / "route_map.png", routes=_route_labels(result),
                 title=f"{result.scenario.name}: planned routes")
    waiting_map(result, out / "waiting_map.png")
    return [out / name for name in RUN_CHARTS]


def write_compare_charts(comparison: Comparison, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Per shipment: transit-time ECDFs of every scenario overlaid (left) and the waiting
    breakdown side by side (right)."""
    plt = _pyplot()
    written = []
    colours = plt.get_cmap("tab10")
    for shipment_id, entry in comparison.shipments.items():
        fig, (ecdf, waits) = plt.subplots(1, 2, figsize=(14, 5))
        labels = list(entry.per_scenario)
        for i, label in enumerate(comparison.labels):
            if label not in entry.per_scenario:
                continue
            days = np.sort(entry.per_scenario[label].transit_days.pooled)
            if days.size:
                diff = entry.diff_vs_first.get(label)
                note = "" if diff is None else f", Δ {diff['transit_days'].mean:+.2f} d"
                ecdf.step(
                    days,
                    np.arange(1, days.size + 1) / days.size,
                    where="post",
                    color=colours(i % 10),
                    label=f"{label} (mean {days.mean():.2f} d{note})",
                )
            else:
                ecdf.plot([], [], color=colours(i % 10), label=f"{label}: {NOTHING_ARRIVED}")
        if not any(entry.per_scenario[lab].arrived for lab in labels):
            ecdf.text(0.5, 0.5, NOTHING_ARRIVED, transform=ecdf.transAxes, ha="center",
                      va="center", fontsize=11, color="#333333")
        ecdf.set_xlabel("door-to-door transit (days)")
        ecdf.set_ylabel("share of consignments arrived")
        ecdf.set_title(f"{shipment_id}: transit time by scenario", loc="left")
        ecdf.set_ylim(0, 1.02)
        # "best": the curves of a few replications leave no corner reliably empty.
        ecdf.legend(fontsize=8, loc="best")
        ecdf.grid(color="#e5e5e5", linewidth=0.6)
        _time_bars(waits, labels, [entry.per_scenario[lab] for lab in labels])
        path = Path(out_dir) / f"compare_{shipment_id}.png"
        save_figure(fig, path)
        written.append(path)
    return written
