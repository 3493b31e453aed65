"""The flow map, the convergence chart and the capacity chart: each writes a readable PNG (also
when there is nothing to draw), without a warning, with the widths and labels it promises."""

from __future__ import annotations

import json
import logging
import math
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from corridorsim.experiment.flows import ElementFlow
from corridorsim.network.io import load_network
from corridorsim.network.model import Network
from corridorsim.report import capacity_chart as capacity_chart_module
from corridorsim.report import chart_common, flow_charts
from corridorsim.report import convergence_chart as convergence_chart_module
from corridorsim.report.flow_charts import (
    BACKGROUND_LINK,
    CRITERIA,
    MAX_WIDTH_PT,
    MIN_WIDTH_PT,
    capacity_chart,
    convergence_chart,
    flow_map,
)
from netgen import collection, link, node

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Small images: the tests check what is drawn, not how crisply (and stay fast).
DPI = 50
NAN = math.nan


@pytest.fixture(autouse=True)
def no_warnings(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every chart is drawn with warnings as errors, and matplotlib logs no warning either
    (it reports some layout problems through logging, not warnings)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with caplog.at_level(logging.WARNING, logger="matplotlib"):
            yield
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    from matplotlib import image

    pixels = image.imread(path)
    assert pixels.std() > 0, "the chart is one flat colour"


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Network:
    """A port, a gauge change and a border in the west; a ferry 18 degrees east to a port and
    a railway beyond: wider than one panel shows well."""
    port = {"type": "port", "dwell_h": 3}
    west = node("W", 40.0, 41.0, name="West Port", kind="port", facility=port)
    gauge = node("G", 41.0, 41.5, name="Gauge Town",
                 facility={"type": "gauge_change", "dwell_h": 5})
    border = node("B", 42.0, 41.0, name="Border Post", kind="border",
                  facility={"type": "border", "dwell_h": 4})
    quay = node("Q", 42.5, 40.2, name="Quay", kind="port", facility=port)
    east = node("E", 60.0, 43.0, name="East Port", kind="port", facility=port)
    far = node("F", 70.0, 44.0, name="Far East")
    spur = node("S", 41.5, 42.5, name="Spur End")
    doc = collection([
        west, gauge, border, quay, east, far, spur,
        link("W-G", west, gauge, mode="rail", gauge_mm=1520),
        link("G-B", gauge, border, mode="rail", gauge_mm=1435),
        link("B-Q", border, quay, mode="road"),
        link("Q-E", quay, east, mode="ferry",
             ferry={"capacity_wagons": 40, "sailing_h": 30, "every_h": 24}),
        link("E-F", east, far, mode="rail", gauge_mm=1520),
        link("G-S", gauge, spur, mode="rail", gauge_mm=1520),
    ])
    path = tmp_path_factory.mktemp("net") / "net.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return load_network(path)


def row(element: str, kind: str, tonnes: float, wait_h: float = 0.0) -> ElementFlow:
    return ElementFlow(element, kind, tonnes, tonnes / 365 / 2000, NAN, wait_h)


FLOWS = [
    row("W-G", "link", 1_200_000),
    row("G-B", "link", 900_000),
    row("B-Q", "link", 40_000),
    row("Q-E", "link", 900_000, wait_h=60.0),
    row("E-F", "link", 900_000),
    row("G-S", "link", 0),
    row("W", "facility", 1_200_000, wait_h=12.3),
    row("G", "facility", 1_200_000, wait_h=30.0),
    row("B", "facility", 900_000, wait_h=4.0),
    row("Q", "facility", 900_000, wait_h=2.0),
    row("E", "facility", 900_000, wait_h=8.0),
    row("F", "facility", 900_000, wait_h=NAN),
    row("S", "facility", 0, wait_h=0.0),
]


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The figures the charts save, kept open long enough to look inside."""
    kept: list[Any] = []
    real = flow_charts.save_figure

    def keep(fig: Any, path: Any, **keys: Any) -> None:
        from matplotlib.legend import Legend

        renderer = fig.canvas.get_renderer()
        kept.append(
            {
                "lines": [
                    [(line.get_linewidth(), line.get_color()) for line in ax.get_lines()]
                    for ax in fig.axes
                ],
                "texts": [t.get_text() for ax in fig.axes for t in ax.texts],
                "axes": len(fig.axes),
                "ylabels": [ax.get_ylabel() for ax in fig.axes],
                "xlim": [ax.get_xlim() for ax in fig.axes],
                "ylim": [ax.get_ylim() for ax in fig.axes],
                "xticks": [list(ax.get_xticks()) for ax in fig.axes],
                # Per axes: each wait label's text, display box and the place it names.
                "labels": [
                    [(t.get_text(), t.get_window_extent(renderer),
                      ax.transData.transform(t.xy)) for t in ax.texts
                     if t.get_text().endswith(" h") and hasattr(t, "xy")]
                    for ax in fig.axes
                ],
                "circles": [
                    sum(len(c.get_offsets()) for c in ax.collections if c.get_gid() == "waits")
                    for ax in fig.axes
                ],
                "legend_widths": {
                    text.get_text(): handle.get_linewidth()
                    for legend in fig.findobj(Legend)
                    for handle, text in zip(legend.legend_handles, legend.texts, strict=True)
                    if text.get_text().endswith("/yr")
                },
            }
        )
        real(fig, path, **keys)

    # Every module of the assignment's charts saves through its own name for save_figure.
    for module in (flow_charts, chart_common, capacity_chart_module, convergence_chart_module):
        monkeypatch.setattr(module, "save_figure", keep)
    return kept


def test_flow_map_draws_flows_wide_as_their_tonnes(
    network: Network, tmp_path: Path, figures: list[Any]
) -> None:
    path = tmp_path / "flows.png"
    flow_map(network, FLOWS, path, title="wide flow", dpi=DPI)
    assert_png(path)
    drawn = figures[0]
    widths = [w for w, colour in drawn["lines"][0] if colour != BACKGROUND_LINK]
    assert len(widths) == 5  # the link with 0 t is background only
    assert len(drawn["lines"][0]) == len(network.links) + 5
    assert max(widths) == pytest.approx(MAX_WIDTH_PT)
    # Square-root scale from MIN_WIDTH_PT: 40 kt of 1.2 Mt is a line, not a hairline.
    spread = MAX_WIDTH_PT - MIN_WIDTH_PT
    assert min(widths) == pytest.approx(MIN_WIDTH_PT + spread * math.sqrt(40 / 1200))
    assert sorted(widths)[1:4] == pytest.approx([MIN_WIDTH_PT + spread * math.sqrt(0.75)] * 3)
    # Wider than one panel: the whole flow and a detail of the west.
    assert drawn["axes"] == 2
    labels = [t for t in drawn["texts"] if t.endswith(" h")]
    assert "Gauge Town  30.0 h" in labels
    assert "Quay ferry  60.0 h" in labels  # a ferry's wait is at its from-node
    assert "West Port  12.3 h" in labels
    assert len(labels) <= flow_charts.LABELLED_WAITS
    assert not any(t.startswith("Far East") for t in labels)  # nan: no wait measured


def test_flow_map_of_a_narrow_flow_is_one_panel(
    network: Network, tmp_path: Path, figures: list[Any]
) -> None:
    path = tmp_path / "west.png"
    west = [f for f in FLOWS if f.element in {"W-G", "G-B", "B-Q", "W", "G", "B"}]
    flow_map(network, west, path, title="west only", dpi=DPI)
    assert_png(path)
    assert figures[0]["axes"] == 1


@pytest.mark.parametrize(
    "flows",
    [
        [],
        [row("W-G", "link", 0), row("W", "facility", 0)],
        [row("W-G", "link", NAN)],
        [row("no-such-link", "link", 1e6)],
    ],
    ids=["empty", "all-zero", "nan", "unknown-link"],
)
def test_flow_map_without_flow_says_so(
    network: Network, flows: list[ElementFlow], tmp_path: Path, figures: list[Any]
) -> None:
    path = tmp_path / "none.png"
    flow_map(network, flows, path, title="nothing", dpi=DPI)
    assert_png(path)
    assert figures[0]["texts"] == ["no flow in the measured window"]


def test_flow_map_leaves_out_waits_under_half_an_hour(
    network: Network, tmp_path: Path, figures: list[Any]
) -> None:
    path = tmp_path / "short.png"
    flows = [
        *(f for f in FLOWS if f.kind == "link"),
        row("W", "facility", 1_200_000, wait_h=0.04),  # reads 0.0 h
        row("B", "facility", 900_000, wait_h=0.44),  # reads 0.4 h
        row("G", "facility", 1_200_000, wait_h=0.5),
    ]
    flow_map(network, flows, path, title="short waits", dpi=DPI)
    assert_png(path)
    drawn = figures[0]
    labels = [t for t in drawn["texts"] if t.endswith(" h")]
    assert not any(t.startswith(("West Port", "Border Post")) for t in labels)
    assert "Gauge Town  0.5 h" in labels
    # Circles only for the ferry (60 h) and the gauge change: in each panel.
    assert drawn["circles"] == [2, 2]


def two_ports(tmp_path: Path) -> Network:
    """Two Caspian ports half a degree apart, each with a ferry to a port south, a railway
    far east: as Aktau and Kuryk on the container runs."""
    port = {"type": "port", "dwell_h": 3}
    aktau = node("A", 51.14, 43.6, name="Aktau", kind="port", facility=port)
    kuryk = node("K", 51.66, 43.18, name="Kuryk", kind="port", facility=port)
    turkmen = node("T", 52.97, 40.02, name="Turkmenbashi", kind="port", facility=port)
    alat = node("L", 49.41, 39.95, name="Alat", kind="port", facility=port)
    junction = node("M", 51.4, 43.7, name="Mangyshlak")
    east = node("E", 80.0, 44.2, name="Khorgos")
    west = node("W", 43.0, 41.0, name="Kars")
    ferry = {"capacity_wagons": 40, "sailing_h": 30, "every_h": 24}
    doc = collection([
        aktau, kuryk, turkmen, alat, junction, east, west,
        link("E-M", east, junction, mode="rail", gauge_mm=1520),
        link("M-A", junction, aktau, mode="rail", gauge_mm=1520),
        link("M-K", junction, kuryk, mode="rail", gauge_mm=1520),
        link("M-T", junction, turkmen, mode="rail", gauge_mm=1520),
        link("A-L", aktau, alat, mode="ferry", ferry=ferry),
        link("K-L", kuryk, alat, mode="ferry", ferry=ferry),
        link("T-L", turkmen, alat, mode="ferry", ferry=ferry),
        link("L-W", alat, west, mode="rail", gauge_mm=1520),
    ])
    path = tmp_path / "ports.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return load_network(path)


PORT_FLOWS = [
    row("E-M", "link", 500_000),
    row("M-A", "link", 80_000),
    row("M-K", "link", 400_000),
    row("M-T", "link", 28_000),
    row("A-L", "link", 42_000, wait_h=2054.2),
    row("K-L", "link", 312_000, wait_h=1166.5),
    row("T-L", "link", 29_000, wait_h=136.8),
    row("L-W", "link", 384_000),
    row("A", "facility", 80_000, wait_h=0.02),
    row("K", "facility", 400_000, wait_h=0.016),
    row("L", "facility", 384_000, wait_h=3.0),
]


def test_flow_map_labels_of_nearby_long_waits_do_not_overlap(
    tmp_path: Path, figures: list[Any]
) -> None:
    path = tmp_path / "ports.png"
    flow_map(two_ports(tmp_path), PORT_FLOWS, path, title="ports", dpi=DPI)
    assert_png(path)
    labels = [label for panel in figures[0]["labels"] for label in panel]
    texts = [text for text, _, _ in labels]
    assert {"Aktau ferry  2054.2 h", "Kuryk ferry  1166.5 h", "Turkmenbashi ferry  136.8 h",
            "Alat  3.0 h"} <= set(texts)
    assert not any(t.startswith(("Aktau  ", "Kuryk  ")) for t in texts)  # 0.0 h
    for panel in figures[0]["labels"]:
        for i, (text, box, _) in enumerate(panel):
            for other_text, other_box, _ in panel[i + 1:]:
                assert not box.overlaps(other_box), (text, other_text)
            for other_text, _, place in panel:
                if other_text != text:
                    assert not box.contains(*place), (text, other_text)
    # The largest circle is capped whatever the hours, the shortest still visible.
    assert flow_charts._circle_pt(2054.2, 2054.2) == flow_charts.MAX_CIRCLE_PT
    assert flow_charts._circle_pt(0.5, 2054.2) == flow_charts.MIN_CIRCLE_PT


def test_flow_map_detail_holds_the_longest_wait(
    network: Network, tmp_path: Path, figures: list[Any]
) -> None:
    """The flow crowds in the west, but the time is lost at the far East Port: the detail
    shows the East Port."""
    path = tmp_path / "east.png"
    flows = [*(f for f in FLOWS if f.kind == "link" and f.element != "Q-E"),
             row("Q-E", "link", 900_000), row("E", "facility", 900_000, wait_h=500.0),
             row("W", "facility", 1_200_000, wait_h=2.0)]
    flow_map(network, flows, path, title="east wait", dpi=DPI)
    assert_png(path)
    drawn = figures[0]
    assert drawn["axes"] == 2
    (x0, x1), (y0, y1) = drawn["xlim"][1], drawn["ylim"][1]
    assert x0 <= 60.0 <= x1 and y0 <= 43.0 <= y1
    assert drawn["labels"][1][0][0] == "East Port  500.0 h"  # the longest, named first


def test_flow_map_detail_holds_the_labelled_waits_and_the_crowd(
    tmp_path: Path, figures: list[Any]
) -> None:
    """As on the container runs: the detail holds the ports where the time is lost."""
    path = tmp_path / "caspian.png"
    flow_map(two_ports(tmp_path), PORT_FLOWS, path, title="ports", dpi=DPI)
    (x0, x1), (y0, y1) = figures[0]["xlim"][1], figures[0]["ylim"][1]
    for lon, lat in ((51.14, 43.6), (51.66, 43.18), (52.97, 40.02), (49.41, 39.95)):
        assert x0 <= lon <= x1 and y0 <= lat <= y1


def test_flow_map_keeps_small_flows_visible(
    network: Network, tmp_path: Path, figures: list[Any]
) -> None:
    """A 3.5 Mt flow beside 30 kt ones: the small ones are still lines of MIN_WIDTH_PT or more,
    and the legend's reference widths follow the same scale."""
    path = tmp_path / "grain.png"
    flows = [row("W-G", "link", 3_500_000), row("G-B", "link", 106_000),
             row("B-Q", "link", 30_000), row("Q-E", "link", 30_000, wait_h=17.0),
             row("E-F", "link", 1_000)]
    flow_map(network, flows, path, title="grain", dpi=DPI)
    assert_png(path)
    drawn = figures[0]
    widths = sorted(w for w, colour in drawn["lines"][0] if colour != BACKGROUND_LINK)
    assert len(widths) == 5
    assert min(widths) >= MIN_WIDTH_PT
    assert widths[-1] == pytest.approx(MAX_WIDTH_PT)
    assert widths[1] > MIN_WIDTH_PT + 0.5  # 30 kt is told apart from 1 kt
    legend = drawn["legend_widths"]
    assert legend["2.5 Mt/yr"] == pytest.approx(flow_charts._width_pt(2.5e6, 3.5e6))
    assert legend["1 kt/yr"] == pytest.approx(flow_charts._width_pt(1e3, 3.5e6))
    assert len(legend) >= 3


def test_long_titles_are_wrapped() -> None:
    plt = flow_charts._pyplot()
    fig = plt.figure(figsize=(8, 2))
    title = "Middle Corridor containers at the 2030 volume (11 Mt corridor), Khorgos - Kars, " * 2
    wrapped = flow_charts._wrap(fig, title.strip(), 13, 6.0)
    probe = fig.text(0, 0, wrapped, fontsize=13)
    assert probe.get_window_extent(fig.canvas.get_renderer()).width / fig.dpi <= 6.0
    assert "\n" in wrapped
    assert wrapped.replace("\n", " ") == title.strip()
    plt.close(fig)


def iterations(n: int, flows: int = 2, routes: int = 2) -> list[dict[str, Any]]:
    out = []
    for k in range(1, n + 1):
        split = {}
        for f in range(flows):
            first = 0.5 + (0.3 + 0.01 * f) * (1 - 1 / k)
            rest = [(1 - first) / (routes - 1)] * (routes - 1)
            split[f"flow-{f}"] = [first, *rest]
        out.append({"iteration": k, "max_share_change": 0.2 / k**2, "split": split})
    out[-1]["max_share_change"] = 0.0  # nothing moved: must not break the log axis
    return out


def test_convergence_chart_of_several_iterations(tmp_path: Path, figures: list[Any]) -> None:
    path = tmp_path / "convergence.png"
    convergence_chart(iterations(6), 0.01, path, title="settling", dpi=DPI)
    assert_png(path)
    assert "tolerance 0.01" in figures[0]["texts"]


@pytest.mark.parametrize("n", [1, 2, 3])
def test_convergence_chart_ticks_whole_iterations(
    n: int, tmp_path: Path, figures: list[Any]
) -> None:
    path = tmp_path / "few.png"
    convergence_chart(iterations(n), 0.01, path, title="a few steps", dpi=DPI)
    assert_png(path)
    for xlim, xticks in zip(figures[0]["xlim"], figures[0]["xticks"], strict=True):
        assert xlim == pytest.approx((0.5, n + 0.5))
        assert [t for t in xticks if xlim[0] <= t <= xlim[1]] == list(range(1, n + 1))


def test_convergence_chart_names_only_twelve_lines(tmp_path: Path) -> None:
    path = tmp_path / "many.png"
    from matplotlib.figure import Figure

    legends: list[list[str]] = []
    real = Figure.legend

    def spy(self: Figure, *args: Any, **keys: Any) -> Any:
        legend = real(self, *args, **keys)
        legends.append([legend.get_title().get_text(), *(t.get_text() for t in legend.texts)])
        return legend

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Figure, "legend", spy)
        convergence_chart(iterations(4, flows=7, routes=2), 0.001, path, title="busy", dpi=DPI)
    assert_png(path)
    title, *names = legends[0]
    assert title == "(12 of 14 shown in the legend)"
    assert len(names) == 12
    # The largest final shares are named: every flow's first route.
    assert {f"flow-{f} route 1" for f in range(7)} <= set(names)


def test_convergence_chart_without_iterations_says_so(
    tmp_path: Path, figures: list[Any]
) -> None:
    path = tmp_path / "none.png"
    convergence_chart([], 0.01, path, title="first split", dpi=DPI)
    assert_png(path)
    assert figures[0]["texts"] == ["no iterations: the split is the first one (iterations: 0)"]


POINTS = [
    {"tonnes_per_year": t, "p50_days": 12 + 4 * (t / 1e6) ** 3, "p90_days": 15 + 9 * (t / 1e6) ** 4,
     "mean_wait_h": 10 + 40 * (t / 1e6) ** 3, "utilisation": min(0.3 + 0.5 * t / 1e6, 1.0)}
    for t in (400_000, 1_600_000, 800_000, 1_200_000, 1_000_000, 1_100_000)
]
POINTS[0] = {**POINTS[0], "mean_wait_h": NAN, "utilisation": NAN}


@pytest.mark.parametrize(
    ("criterion", "limit", "capacity"),
    [("max_p90_days", 20.0, 1_150_000.0), ("max_mean_wait_h", 48.0, 1_020_000.0),
     ("max_utilisation", 0.85, None)],
)
def test_capacity_chart_for_each_criterion(
    criterion: str, limit: float, capacity: float | None, tmp_path: Path, figures: list[Any]
) -> None:
    path = tmp_path / f"{criterion}.png"
    capacity_chart(POINTS, criterion=criterion, limit=limit, capacity_tonnes_per_year=capacity,
                   path=path, title=criterion, dpi=DPI)
    assert_png(path)
    # A twin axis carries the criterion's own measure unless it is the p90 days.
    assert figures[0]["axes"] == (1 if criterion == "max_p90_days" else 2)
    if capacity is not None:
        assert f"capacity {capacity / 1e6:.2f} Mt/yr" in figures[0]["texts"]


#: The Caspian capacity search: a far point at 551 kt, the rest bisecting about 178 kt.
CASPIAN = [
    {"tonnes_per_year": t, "p50_days": p50, "p90_days": p90, "mean_wait_h": wait,
     "utilisation": u, "meets": p90 <= 18}
    for t, p50, p90, wait, u in [
        (137750.0, 13.44, 16.45, 58.0, 0.42), (172187.5, 13.44, 17.82, 64.1, 0.53),
        (176492.2, 13.52, 17.82, 64.5, 0.544), (177568.4, 13.49, 17.72, 62.3, 0.549),
        (178644.5, 13.53, 18.35, 67.4, 0.557), (180796.9, 13.61, 18.43, 71.4, 0.558),
        (189406.2, 13.57, 19.66, 85.4, 0.585), (206625.0, 13.92, 23.95, 111.3, 0.638),
        (275500.0, 15.0, 26.93, 149.9, 0.816), (551000.0, 84.47, 156.16, 1111.3, 0.986),
    ]
]


def test_capacity_chart_cuts_the_days_axis_below_a_far_point(
    tmp_path: Path, figures: list[Any]
) -> None:
    path = tmp_path / "caspian.png"
    capacity_chart(CASPIAN, criterion="max_p90_days", limit=18.0,
                   capacity_tonnes_per_year=177568.4, path=path, title="caspian", dpi=DPI)
    assert_png(path)
    drawn = figures[0]
    top = drawn["ylim"][0][1]
    assert top == pytest.approx(54.0)  # 3 x the 18-day limit
    assert top < 156.16
    # The far point is still there: written at the top edge.
    assert any(t.startswith("p90 156 d") for t in drawn["texts"])
    assert any(t.startswith("p50 84.5 d") for t in drawn["texts"])
    # The bisection about the capacity has a panel of its own, the capacity marked in both.
    assert drawn["axes"] == 2
    assert drawn["texts"].count("capacity 178 kt/yr") == 2
    x0, x1 = drawn["xlim"][1]
    assert x0 < 172187.5 and 189406.2 < x1 < 206625.0


def test_capacity_chart_cuts_the_criterion_axis_too(tmp_path: Path, figures: list[Any]) -> None:
    path = tmp_path / "wait.png"
    capacity_chart(CASPIAN, criterion="max_mean_wait_h", limit=72.0,
                   capacity_tonnes_per_year=180796.9, path=path, title="caspian", dpi=DPI)
    assert_png(path)
    drawn = figures[0]
    # Days (left), the mean wait (right), the zoom on the mean wait near the capacity.
    assert drawn["axes"] == 3
    assert drawn["ylabels"] == ["transit days", "mean wait (h)", "mean wait (h)"]
    wait_top = drawn["ylim"][2][1]  # the twin axis, made after the zoom panel
    assert wait_top == pytest.approx(3 * 72.0) and wait_top < 1111.3
    assert any(t.startswith("mean wait 1111 h") for t in drawn["texts"])
    assert drawn["ylim"][0][1] < 156.16  # days: twice the p90 at the capacity


@pytest.mark.parametrize("points", [[], [{"tonnes_per_year": NAN, "p50_days": 3.0}]],
                         ids=["empty", "no-tonnage"])
def test_capacity_chart_without_points_says_so(
    points: list[dict[str, float]], tmp_path: Path, figures: list[Any]
) -> None:
    path = tmp_path / "none.png"
    capacity_chart(points, criterion="max_p90_days", limit=12, capacity_tonnes_per_year=None,
                   path=path, title="nothing evaluated", dpi=DPI)
    assert_png(path)
    assert figures[0]["texts"] == ["no points: the capacity search evaluated nothing"]


def test_capacity_chart_refuses_an_unknown_criterion(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_p90_days, max_mean_wait_h, max_utilisation"):
        capacity_chart(POINTS, criterion="max_cost", limit=1, capacity_tonnes_per_year=None,
                       path=tmp_path / "x.png", title="x")
    assert not (tmp_path / "x.png").exists()


def test_the_criteria_are_those_of_the_capacity_search() -> None:
    from corridorsim.experiment.capacity import CRITERIA as SEARCH_CRITERIA

    assert set(CRITERIA) == set(SEARCH_CRITERIA)


@pytest.mark.parametrize(
    ("value", "nice"),
    [(1_450_000, 1_000_000), (2_600_000, 2_500_000), (725_000, 500_000), (362_500, 250_000),
     (1_000_000, 1_000_000), (40, 25)],
)
def test_legend_widths_are_round_tonnages(value: float, nice: float) -> None:
    assert flow_charts._nice_floor(value) == pytest.approx(nice)


def test_tonnages_read_as_a_planner_says_them() -> None:
    assert flow_charts._tonnes(1_000_000) == "1.0 Mt"
    assert flow_charts._tonnes(1_234_567, 2) == "1.23 Mt"
    assert flow_charts._tonnes(250_000) == "250 kt"
    assert flow_charts._tonnes(2_500) == "2.5 kt"
    assert flow_charts._tonnes(800) == "800 t"


def test_reference_waits_are_hours_a_planner_counts_in() -> None:
    assert flow_charts._wait_references(200) == [12, 48, 168]
    assert flow_charts._wait_references(30) == [1, 6, 24]
    assert flow_charts._wait_references(0.1) == [0.1]
