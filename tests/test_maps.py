"""The maps: base layer, scale bars, route map panels and legend, label placement; and the
helpers test_charts.py shares, which read what a chart drew from its figure just before it
is saved (the tests look inside the figures rather than at pixels)."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from corridorsim.report import (
    capacity_chart,
    chart_common,
    charts,
    convergence_chart,
    flow_charts,
    maps,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Small images: the tests check what is drawn, not how crisply (and stay fast).
DPI = 50


def assert_png(path: Path) -> None:
    """``path`` is a PNG that is not one flat colour."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, path
    from matplotlib import image

    pixels = image.imread(path)
    assert pixels.std() > 0, f"{path.name} is one flat colour"


def axes_info(ax: Any, renderer: Any) -> dict[str, Any]:
    """What one axes holds."""
    from matplotlib.legend import Legend

    legends = [a for a in [ax.get_legend(), *ax.artists] if isinstance(a, Legend)]
    return {
        "title": " ".join(ax.get_title(loc) for loc in ("left", "center", "right")).strip(),
        "xlabel": ax.get_xlabel(),
        "ylabel": ax.get_ylabel(),
        "xlim": ax.get_xlim(),
        "ylim": ax.get_ylim(),
        "yticklabels": [t.get_text() for t in ax.get_yticklabels()],
        "texts": [t.get_text() for t in ax.texts],
        "lines": len(ax.get_lines()),
        "gids": {a.get_gid() for a in [*ax.patches, *ax.collections, *ax.artists]
                 if a.get_gid()},
        "legend": [t.get_text() for legend in legends for t in legend.get_texts()],
        "legend_boxes": [legend.get_window_extent(renderer) for legend in legends],
        "box": ax.get_window_extent(renderer),
        "labels": [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts
                   if t.get_gid() == maps.LABEL_GID],
        "targets": [t.get_window_extent(renderer) for t in ax.texts
                    if t.get_gid() == "target"],
        "scale_bars": [a.get_window_extent(renderer) for a in ax.artists
                       if a.get_gid() == "scale-bar"],
    }


def figure_info(fig: Any) -> dict[str, Any]:
    """What a figure holds: its axes (see :func:`axes_info`) and every text in it."""
    renderer = fig.canvas.get_renderer()
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))
             if isinstance(t.get_text(), str)]
    return {"axes": [axes_info(ax, renderer) for ax in fig.axes], "texts": texts,
            "suptitle": fig._suptitle.get_text() if fig._suptitle else ""}


@contextmanager
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, dict[str, Any]]]:
    """Charts saved meanwhile, by file name: what their figures hold. Saved small, and with
    every warning an error."""
    seen: dict[str, dict[str, Any]] = {}
    real = maps.save_figure

    def keep(fig: Any, path: Any, **keys: Any) -> None:
        seen[Path(path).name] = figure_info(fig)
        keys["dpi"] = DPI
        real(fig, path, **keys)

    # The sweep charts import save_figure from maps when they run: patched there too.
    for module in (charts, maps, flow_charts, chart_common, capacity_chart, convergence_chart):
        monkeypatch.setattr(module, "save_figure", keep)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield seen


def overlapping(boxes: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    """The pairs of named display boxes that overlap."""
    return [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2)
            if box_a.overlaps(box_b)]


# --------------------------------------------------------------------------------------------
# The maps themselves

import json  # noqa: E402
import math  # noqa: E402

from corridorsim.api import load_scenario  # noqa: E402
from corridorsim.network.io import load_network  # noqa: E402
from corridorsim.report import basemap  # noqa: E402
from corridorsim.report.maps import LabelItem, place_labels, plot_network  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NETWORK = ROOT / "networks" / "caucasus-caspian.geojson"
SCENARIOS = ROOT / "scenarios"
DATA = ROOT / "src" / "corridorsim" / "report" / "data"
BASE_GIDS = {basemap.SEA_GID, basemap.LAND_GID, basemap.COAST_GID, basemap.BORDER_GID}


def route_map(scenario: str, path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The route map of a shipped scenario as write_run_charts draws it: what it holds."""
    loaded = load_scenario(SCENARIOS / scenario)
    network = loaded.network
    routes = {f"{p.id}: {network.nodes[p.route.nodes[0]].name} - "
              f"{network.nodes[p.route.nodes[-1]].name}": p.route.links
              for p in loaded.shipments}
    with recorded(monkeypatch) as seen:
        plot_network(network, path, routes=routes, title="routes")
    assert_png(path)
    return {"figure": seen[path.name], "scenario": loaded}


@pytest.fixture(scope="module")
def ferry_map(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as patch:
        return route_map("kz-wheat-ayrum-ferry.yaml",
                         tmp_path_factory.mktemp("maps") / "route_map.png", patch)


@pytest.fixture(scope="module")
def container_map(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as patch:
        return route_map("middle-corridor-china-turkey.yaml",
                         tmp_path_factory.mktemp("maps") / "route_map.png", patch)


@pytest.fixture(scope="module")
def network_map(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("maps") / "network.png"
    with pytest.MonkeyPatch.context() as patch, recorded(patch) as seen:
        plot_network(load_network(NETWORK), path)
    assert_png(path)
    return seen[path.name]


def test_the_base_layer_file_is_small_and_names_its_source() -> None:
    path = DATA / basemap.DATA_FILE
    assert path.stat().st_size < 400_000
    document = json.loads(path.read_text(encoding="utf-8"))
    assert "Natural Earth" in document["source"] and "1:50m" in document["source"]
    assert "public domain" in document["license"]
    assert {f["properties"]["kind"] for f in document["features"]} == {
        "land", "coastline", "border"}
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert "Natural Earth" in readme and basemap.DATA_FILE in readme


def test_the_base_layer_knows_land_from_sea() -> None:
    from shapely.geometry import Point

    land = basemap.base_layer().land
    assert land.contains(Point(44.8, 41.7))  # Tbilisi
    assert land.contains(Point(71.4, 51.2))  # Astana
    assert not land.contains(Point(51.0, 42.0))  # the Caspian
    assert not land.contains(Point(34.0, 43.0))  # the Black Sea


def test_every_panel_of_the_network_map_has_the_base_layer_and_a_scale_bar(
    network_map: dict[str, Any],
) -> None:
    panels = [ax for ax in network_map["axes"] if ax["xlabel"].startswith("longitude")]
    assert len(panels) == 2  # the whole network and its densest part
    for panel in panels:
        assert panel["gids"] >= BASE_GIDS | {basemap.SCALE_GID}
        assert len(panel["scale_bars"]) == 1
    assert any("Natural Earth" in t for t in network_map["texts"])


def test_a_map_outside_the_base_layer_is_drawn_plain(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots()
    try:
        basemap.draw_base_layer(ax, (-70.0, -10.0, -60.0, 0.0))  # the Amazon: not covered
        assert not {a.get_gid() for a in [*ax.patches, *ax.collections]} & BASE_GIDS
    finally:
        plt.close(fig)


@pytest.mark.parametrize(("km", "nice"), [(1234, 1000), (480, 200), (51, 50), (7.5, 5),
                                          (0.3, 0.2)])
def test_scale_bars_are_round_lengths(km: float, nice: float) -> None:
    assert basemap.nice_km(km) == pytest.approx(nice)


def test_a_scale_bar_is_about_a_fifth_of_the_map_and_true_at_its_middle() -> None:
    box = (40.0, 38.0, 50.0, 44.0)
    km, degrees = basemap.scale_bar_km(box)
    width_km = 10 * basemap.KM_PER_DEG * math.cos(math.radians(41))
    assert km == basemap.nice_km(0.2 * width_km)
    assert degrees * basemap.KM_PER_DEG * math.cos(math.radians(41)) == pytest.approx(km)


def test_the_route_map_names_the_route_in_its_legend(ferry_map: dict[str, Any]) -> None:
    legend = [t for ax in ferry_map["figure"]["axes"] for t in ax["legend"]]
    assert "pilot: Kostanay - Dalarik" in legend


def test_the_route_detail_holds_every_node_of_the_route(ferry_map: dict[str, Any]) -> None:
    scenario = ferry_map["scenario"]
    axes = ferry_map["figure"]["axes"]
    detail = next(ax for ax in axes if ax["title"].startswith("route detail"))
    (x0, x1), (y0, y1) = detail["xlim"], detail["ylim"]
    (plan,) = scenario.shipments
    for node_id in plan.route.nodes:
        lon, lat = scenario.network.nodes[node_id].coords
        assert x0 <= lon <= x1 and y0 <= lat <= y1, node_id
    for ax in axes:
        assert ax["gids"] >= BASE_GIDS | {basemap.SCALE_GID}


def test_a_long_route_gets_where_its_stops_crowd_with_the_whole_crossing(
    container_map: dict[str, Any],
) -> None:
    scenario = container_map["scenario"]
    axes = container_map["figure"]["axes"]
    # The whole route is in a panel (here the first: the route is most of the network) ...
    (plan,) = scenario.shipments
    nodes = [scenario.network.nodes[n].coords for n in plan.route.nodes]

    def holds(ax: dict[str, Any], points: list[tuple[float, float]]) -> bool:
        (x0, x1), (y0, y1) = ax["xlim"], ax["ylim"]
        return all(x0 <= x <= x1 and y0 <= y <= y1 for x, y in points)

    assert any(holds(ax, nodes) for ax in axes)
    # ... and the Caucasus knot has both ends of the Caspian crossing.
    crowd = next(ax for ax in axes if "crowd" in ax["title"])
    ports = [scenario.network.nodes[n].coords for n in ("KZ-KURYK", "AZ-ALAT")]
    assert holds(crowd, ports)


@pytest.mark.parametrize("which", ["ferry_map", "container_map", "network_map"])
def test_no_two_labels_overlap_nor_leave_their_panel(
    which: str, request: pytest.FixtureRequest,
) -> None:
    found = request.getfixturevalue(which)
    figure = found.get("figure", found)
    counted = 0
    for ax in figure["axes"]:
        labels = ax["labels"]
        counted += len(labels)
        assert not overlapping(labels)
        for text, box in labels:
            assert ax["box"].contains(box.x0, box.y0) and ax["box"].contains(box.x1, box.y1), text
            assert not any(box.overlaps(bar) for bar in ax["scale_bars"]), text
    assert counted > 20  # the placer labels most of what it is given


def test_route_nodes_are_labelled_before_the_rest(ferry_map: dict[str, Any]) -> None:
    labelled = {text for ax in ferry_map["figure"]["axes"] for text, _ in ax["labels"]}
    scenario = ferry_map["scenario"]
    (plan,) = scenario.shipments
    ends = [scenario.network.nodes[n].name for n in (plan.route.nodes[0], plan.route.nodes[-1])]
    assert set(ends) <= labelled
    ports = {scenario.network.nodes[n].name for n in ("KZ-KURYK", "AZ-ALAT")}
    assert ports <= labelled


def test_the_placer_never_overlaps_labels_even_in_a_crowd() -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    try:
        ax.set_xlim(0, 10)
        ax.set_ylim(0, 10)
        # A knot of 40 points in one corner and a few far apart.
        points = [(1 + (i % 8) * 0.3, 1 + (i // 8) * 0.3) for i in range(40)]
        points += [(8.0, 8.0), (5.0, 9.0), (9.0, 2.0)]
        items = [LabelItem(f"place number {i}", p) for i, p in enumerate(points)]
        placed = place_labels(ax, items, gaps_pt=(2.0, 8.0, 20.0), leader_from=1)
        renderer = fig.canvas.get_renderer()
        boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in placed]
        assert not overlapping(boxes)
        inside = ax.get_window_extent(renderer)
        assert all(inside.contains(b.x0, b.y0) and inside.contains(b.x1, b.y1)
                   for _, b in boxes)
        names = {t.get_text() for t in placed}
        # The first item always gets a place, lone points too; the knot cannot all fit.
        assert {"place number 0", "place number 40", "place number 41"} <= names
        assert len(placed) < len(items)
        assert all(t.get_gid() == maps.LABEL_GID for t in placed)
    finally:
        plt.close(fig)


def test_a_flow_map_has_the_base_layer_and_scale_bars(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from corridorsim.experiment.flows import ElementFlow

    network = load_network(NETWORK)
    flows = [ElementFlow("KZ-KURYK--AZ-ALAT-FERRY", "link", 900_000.0, 1.0, 0.5, 20.0),
             ElementFlow("AZ-ALAT--AZ-HAJIGABUL", "link", 900_000.0, 1.0, 0.2, 0.0)]
    path = tmp_path / "flow_map.png"
    with recorded(monkeypatch) as seen:
        flow_charts.flow_map(network, flows, path, title="flows", dpi=DPI)
    assert_png(path)
    for ax in seen[path.name]["axes"]:
        assert ax["gids"] >= BASE_GIDS | {basemap.SCALE_GID}
