"""A run's charts (transit, waiting by cause and by place, time-distance, route map, where time
is lost), a comparison's, and the sensitivity charts: each a readable PNG, drawn without a
warning, with what it promises; a run in which nothing arrived says so on every chart."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from corridorsim.api import load_scenario, simulate
from corridorsim.experiment.results import SimulationResult
from corridorsim.report import charts
from corridorsim.report.charts import (
    NOTHING_ARRIVED,
    RUN_CHARTS,
    place_waits,
    time_distance_chart,
    write_run_charts,
)
from corridorsim.report.sweep_outputs import CHARTS, kpi_unit
from test_maps import SCENARIOS, assert_png, overlapping, recorded


def run(name: str, **sets: Any) -> SimulationResult:
    return simulate(load_scenario(SCENARIOS / name, sets or None), replications=1, jobs=1)


@pytest.fixture(scope="module")
def ferry() -> SimulationResult:
    """One consignment across the Caspian: it waits for a sailing at Kuryk."""
    return run("kz-wheat-ayrum-ferry.yaml")


@pytest.fixture(scope="module")
def block_trains() -> SimulationResult:
    """Two shipments riding shared block trains: two months of them."""
    return run("kz-wheat-block-trains.yaml", horizon_days=60)


@pytest.fixture(scope="module")
def empty() -> SimulationResult:
    """A horizon too short for anything to arrive."""
    return run("kz-wheat-ayrum-ferry.yaml", horizon_days=2)


def charts_of(result: SimulationResult, folder: Path) -> dict[str, dict[str, Any]]:
    with pytest.MonkeyPatch.context() as patch, recorded(patch) as seen:
        written = write_run_charts(result, folder)
    assert [p.name for p in written] == list(RUN_CHARTS)
    for path in written:
        assert_png(path)
    return seen


@pytest.fixture(scope="module")
def ferry_charts(ferry: SimulationResult, tmp_path_factory: pytest.TempPathFactory
                 ) -> dict[str, dict[str, Any]]:
    return charts_of(ferry, tmp_path_factory.mktemp("ferry"))


@pytest.fixture(scope="module")
def block_charts(block_trains: SimulationResult, tmp_path_factory: pytest.TempPathFactory
                 ) -> dict[str, dict[str, Any]]:
    return charts_of(block_trains, tmp_path_factory.mktemp("block"))


@pytest.fixture(scope="module")
def empty_charts(empty: SimulationResult, tmp_path_factory: pytest.TempPathFactory
                 ) -> dict[str, dict[str, Any]]:
    return charts_of(empty, tmp_path_factory.mktemp("empty"))


# --------------------------------------------------------------------------------------------
# Every chart of a shipped scenario


@pytest.mark.parametrize("which", ["ferry_charts", "block_charts"])
def test_a_run_writes_every_chart(which: str, request: pytest.FixtureRequest) -> None:
    seen = request.getfixturevalue(which)
    assert set(seen) == set(RUN_CHARTS)
    assert not any(NOTHING_ARRIVED in t for chart in seen.values() for t in chart["texts"])


def test_the_transit_target_label_is_inside_and_clear_of_the_legend(
    ferry_charts: dict[str, dict[str, Any]],
) -> None:
    ecdf = ferry_charts["transit.png"]["axes"][0]
    (target,) = ecdf["targets"]
    box = ecdf["box"]
    assert box.contains(target.x0, target.y0) and box.contains(target.x1, target.y1)
    assert not any(target.overlaps(legend) for legend in ecdf["legend_boxes"])


def test_the_waiting_chart_has_a_places_panel(ferry_charts: dict[str, dict[str, Any]]) -> None:
    causes, places = ferry_charts["waiting.png"]["axes"]
    assert "by cause" in causes["title"]
    assert "by place" in places["title"]
    assert "Kuryk - Alat ferry" in places["yticklabels"]
    assert "waiting for a ferry" in places["legend"]


def test_the_places_panel_groups_places_by_shipment(
    block_charts: dict[str, dict[str, Any]],
) -> None:
    _, places = block_charts["waiting.png"]["axes"]
    labels = places["yticklabels"]
    assert labels.index("grain-armenia:") < labels.index("grain-azerbaijan:")
    assert "  Kandyagash" in labels


def test_place_waits_add_up_to_the_summary_top_waits(block_trains: SimulationResult) -> None:
    waits, arrived = place_waits(block_trains)
    for shipment_id, result in block_trains.shipments.items():
        assert arrived[shipment_id] == result.arrived
        by_place: dict[str, float] = {}
        for wait in waits[shipment_id]:
            by_place[wait.place] = by_place.get(wait.place, 0.0) + wait.wait_h
        for top in result.top_waits:
            assert by_place[top.place] == pytest.approx(top.wait_h)
        assert sum(by_place.values()) == pytest.approx(sum(result.wait_h_by_cause.values()))


def test_time_distance_names_the_stations_and_draws_every_train(
    block_trains: SimulationResult, block_charts: dict[str, dict[str, Any]],
) -> None:
    axes = block_charts["time_distance.png"]["axes"]
    network = block_trains.scenario.network
    panels = [ax for ax in axes if ax["lines"]]
    for plan, ax in zip(block_trains.scenario.shipments, panels, strict=False):
        names = {network.nodes[n].name for n in plan.route.nodes}
        ticks = {name for label in ax["yticklabels"] for name in label.split(" / ")}
        assert ticks <= names
        ends = {network.nodes[plan.route.nodes[0]].name, network.nodes[plan.route.nodes[-1]].name}
        assert ends <= ticks
    rep = block_trains.replications[0]
    trains = list(rep.train_records())
    (train_panel,) = [ax for ax in axes if ax["title"].startswith("Trains of")]
    assert f"all {len(trains)} trains" in train_panel["title"]
    assert train_panel["lines"] == len(trains)
    assert {"Kandyagash", "Balajary"} <= set(" / ".join(train_panel["yticklabels"]).split(" / "))
    journeys = sum(1 for j in block_trains.journeys(0) if j.legs)
    assert sum(ax["lines"] for ax in panels[:2]) == journeys


def test_time_distance_says_when_it_samples(
    block_trains: SimulationResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(charts, "MOST_LINES", 10)
    trains = len(list(block_trains.replications[0].train_records()))
    step = math.ceil(trains / 10)
    with recorded(monkeypatch) as seen:
        time_distance_chart(block_trains, tmp_path / "td.png")
    (panel,) = [ax for ax in seen["td.png"]["axes"] if ax["title"].startswith("Trains of")]
    shown = math.ceil(trains / step)
    assert f"{shown} of {trains} shown, every {step}th" in panel["title"]
    assert panel["lines"] == shown


def test_the_waiting_map_sizes_the_ferry_wait_at_its_port(
    ferry: SimulationResult, ferry_charts: dict[str, dict[str, Any]],
) -> None:
    chart = ferry_charts["waiting_map.png"]
    labels = [text for ax in chart["axes"] for text in ax["texts"]]
    wait = ferry.shipment("pilot").wait_h_by_cause["ferry"]
    assert f"Kuryk  {wait:,.1f} h (waiting for a ferry)" in labels
    for ax in chart["axes"]:
        assert {"base-land", "base-sea", "scale-bar", "waits"} <= ax["gids"]
    assert any("waiting for a ferry" in ax["legend"] for ax in chart["axes"])


def test_the_route_map_names_each_route(block_charts: dict[str, dict[str, Any]]) -> None:
    legend = [t for ax in block_charts["route_map.png"]["axes"] for t in ax["legend"]]
    assert "grain-armenia: Kostanay - Dalarik" in legend
    assert "grain-azerbaijan: Astana - Balajary" in legend


# --------------------------------------------------------------------------------------------
# Nothing arrived


def test_a_run_without_arrivals_says_so_on_every_chart(
    empty: SimulationResult, empty_charts: dict[str, dict[str, Any]],
) -> None:
    assert empty.shipment("pilot").arrived == 0
    for name in ("transit.png", "waiting.png", "time_distance.png", "waiting_map.png"):
        assert any(NOTHING_ARRIVED in t for t in empty_charts[name]["texts"]), name
    # The planned route is still the planned route.
    assert any("pilot" in t for ax in empty_charts["route_map.png"]["axes"]
               for t in ax["legend"])


def test_a_comparison_with_a_run_without_arrivals_says_so(
    ferry: SimulationResult, empty: SimulationResult, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from corridorsim.experiment.compare import Comparison

    comparison = Comparison(labels=["ferry", "short"], results=[ferry, empty], seed=1)
    with recorded(monkeypatch) as seen:
        written = charts.write_compare_charts(comparison, tmp_path)
    for path in written:
        assert_png(path)
    assert any(NOTHING_ARRIVED in t for t in seen["compare_pilot.png"]["texts"])


# --------------------------------------------------------------------------------------------
# Sensitivity charts


def morris_rows(n: int) -> list[dict[str, Any]]:
    # A knot near the origin, as screening usually gives, and two clear effects.
    rows = [{"parameter": f"nodes.N{i}.facility.border.dwell_h.mean", "mu": 0.01 * i,
             "mu_star": 0.01 * (i % 5) + 0.002 * i, "mu_star_conf": 0.01,
             "sigma": 0.004 * (i % 3)} for i in range(n)]
    rows[0].update(mu_star=1.2, sigma=0.04)
    rows[1].update(mu_star=1.1, sigma=0.03)
    return rows


def test_morris_labels_do_not_overlap(monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib import pyplot as plt

    rows = morris_rows(14)
    fig = CHARTS["elementary_effects"](rows, [r["parameter"] for r in rows],
                                       "transit_days.mean")
    try:
        from test_maps import figure_info

        scatter = figure_info(fig)["axes"][0]
        assert len(scatter["labels"]) >= 6
        assert not overlapping(scatter["labels"])
        assert "N0 dwell_h" in [t for t, _ in scatter["labels"]]
        assert "(days)" in scatter["xlabel"]
    finally:
        plt.close(fig)


def test_the_sobol_legend_is_outside_the_bars() -> None:
    from matplotlib import pyplot as plt

    from test_maps import figure_info

    rows = [{"parameter": f"links.L{i}.speed_kmh", "S1": 0.2 * i, "S1_conf": 0.05,
             "ST": 0.25 * i, "ST_conf": 0.05} for i in range(1, 5)]
    fig = CHARTS["variance_shares"](rows, [r["parameter"] for r in rows], "transit_days.mean")
    try:
        fig.tight_layout()
        (ax,) = figure_info(fig)["axes"]
        (legend,) = ax["legend_boxes"]
        assert legend.x0 >= ax["box"].x1
    finally:
        plt.close(fig)


def test_the_grid_tornado_says_which_way_and_in_what_unit() -> None:
    from matplotlib import pyplot as plt

    from test_maps import figure_info

    rows = [
        {"parameter": "links.F.ferry.every_h", "levels": [24, 48, 96],
         "level_means": [8.5, 9.9, 10.4], "effect_range": 1.9},
        {"parameter": "network_changes.open", "levels": [[], ["A", "B"]],
         "level_means": [10.6, 8.6], "effect_range": 2.0},
    ]
    fig = CHARTS["effect_tornado"](rows, [r["parameter"] for r in rows], "transit_days.mean")
    try:
        (ax,) = figure_info(fig)["axes"]
        assert ax["xlabel"].endswith("(days)")
        assert {"24: 8.5", "96: 10.4", "none: 10.6", "2 items: 8.6"} <= set(ax["texts"])
        assert any("rises" in t for t in ax["legend"]) and any("falls" in t for t in ax["legend"])
    finally:
        plt.close(fig)


@pytest.mark.parametrize(("kpi", "unit"), [("transit_days.p90", "days"),
                                           ("usd_per_tonne.mean", "USD per tonne"),
                                           ("wait_h_by_cause.ferry", "hours per consignment"),
                                           ("p_within_target", "share of consignments")])
def test_kpi_units(kpi: str, unit: str) -> None:
    assert kpi_unit(kpi) == unit
