"""``report.html`` (corridorsim.report.html): one self-contained page for every kind of output
folder, with its headline figures as the folder's JSON gives them, nothing fetched from
anywhere, and a real browser that renders it with its charts decoded.

Each kind of folder is made once per module with the command line (click's runner) on small
scenarios; the browser checks run headless Chromium and are skipped only where it is not
installed.
"""

from __future__ import annotations

import html
import json
import re
import shlex
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from cliguard import cli
from corridorsim.errors import InputError
from corridorsim.report.html import CONTENT_SECURITY_POLICY, REPORT_NAME, write_report
from netgen import link, node
from scenariogen import write_scenario

FIXTURES = Path(__file__).parent / "fixtures"
CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed: the browser checks need it (CI has it)"
)
KINDS = ("run", "compare", "sweep", "assign", "capacity")
#: A short, fast link: the scenarios here are about facilities, not distances.
TINY = {"mode": "rail", "gauge_mm": 1520, "length_km": 0.001, "speed_kmh": 1000}


# --------------------------------------------------------------------------------------------
# Small output folders of every kind, made once


def ok(*args: object) -> None:
    result = cli(*args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def one_border(servers: int = 1) -> list[dict[str, Any]]:
    """O - B - D with one border post of exponential dwell, mean 1 h."""
    o = node("O", 40.0, 40.0)
    b = node("B", 40.001, 40.0, kind="border", facility={
        "type": "border", "servers": servers, "dwell_h": {"dist": "exponential", "mean": 1.0}})
    d = node("D", 40.002, 40.0, country="XZ")
    return [o, b, d, link("O-B", o, b, **TINY), link("B-D", b, d, **TINY)]


def two_borders() -> list[dict[str, Any]]:
    """O - B1 - D and O - B2 - D, the second an hour longer: two routes to split over."""
    o = node("O", 40.0, 40.0)
    facility = {"type": "border", "servers": 1, "dwell_h": {"dist": "exponential", "mean": 1.0}}
    b1 = node("B1", 40.001, 40.001, kind="border", country="YA", facility=facility)
    b2 = node("B2", 40.001, 39.999, kind="border", country="YB", facility=facility)
    d = node("D", 40.002, 40.0, country="XZ")
    return [o, b1, b2, d, link("O-B1", o, b1, **TINY), link("B1-D", b1, d, **TINY),
            link("O-B2", o, b2, **TINY),
            link("B2-D", b2, d, mode="rail", gauge_mm=1520, length_km=100, speed_kmh=100)]


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One output folder of each kind, with charts, each with its report.html written."""
    base = tmp_path_factory.mktemp("report")
    inputs = base / "inputs"
    inputs.mkdir()
    for name in ("tiny.yaml", "tiny.geojson"):
        shutil.copy(FIXTURES / name, inputs / name)
    ferry = (FIXTURES / "tiny.yaml").read_text(encoding="utf-8")
    ferry = ferry.replace("every_h: 36", "every_h: 12").replace(
        "network: tiny.geojson",
        "description: The tiny network with a ferry every 12 hours.\nnetwork: tiny.geojson")
    (inputs / "tiny-ferry.yaml").write_text(ferry, encoding="utf-8")
    out = {kind: base / kind for kind in KINDS}
    ok("run", inputs / "tiny.yaml", "-r", "2", "-o", out["run"], "--plots", "--quiet")
    ok("compare", inputs / "tiny.yaml", inputs / "tiny-ferry.yaml", "-r", "2",
       "-o", out["compare"], "--plots")
    ok("sweep", FIXTURES / "study_small.yaml", "-o", out["sweep"], "--jobs", "1", "--plots",
       "--quiet")
    assign = write_scenario(
        base / "assign-in", two_borders(), horizon_days=60, warmup_days=10, replications=2,
        name="Two borders, one flow",
        demand=[{"id": "flow", "cargo": "box", "origin": "O", "destination": "D", "wagons": 1,
                 "tonnes_per_year": 0.8 * 50 * 8760, "routes": 2}],
        assignment={"model": "logit", "theta": 24.0, "cost": "days", "iterations": 3})
    ok("assign", assign, "-o", out["assign"], "--plots", "--quiet")
    capacity = write_scenario(
        base / "capacity-in", one_border(), horizon_days=400, warmup_days=20, replications=2,
        name="One border post",
        shipments=[{"id": "flow", "cargo": "box", "origin": "O", "destination": "D",
                    "wagons": 1, "tonnes_per_year": 0.5 * 50 * 8760, "arrivals": "poisson"}])
    ok("capacity", capacity, "--shipment", "flow", "--max-utilisation", "0.7", "-r", "2",
       "-o", out["capacity"], "--plots", "--quiet")
    for folder in out.values():
        assert write_report(folder) == folder / REPORT_NAME
    return out


def page(folder: Path) -> str:
    return (folder / REPORT_NAME).read_text(encoding="utf-8")


class _Text(HTMLParser):
    """The text of a page as a reader sees it: tags gone, entities decoded, spaces folded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("style", "script")
        if tag in ("br", "p", "div", "span", "li", "td", "th", "tr", "dd", "dt", "h1", "h2",
                   "h3"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    return " ".join("".join(parser.parts).split())


def masthead(markup: str) -> str:
    found = re.search(r'<header class="masthead">(.*?)</header>', markup, re.S)
    assert found
    return found.group(1)


def section(markup: str, anchor: str) -> str:
    """The markup of ``<section id=anchor>``."""
    found = re.search(rf'<section id="{anchor}">(.*?)</section>', markup, re.S)
    assert found, anchor
    return found.group(1)


def load(folder: Path, name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((folder / name).read_text(encoding="utf-8"))
    return document


# --------------------------------------------------------------------------------------------
# The headline figures, against the JSON documents


def expected(kind: str, folder: Path) -> list[str]:
    """The headline texts a folder's report must show, formatted from its JSON."""
    return {"run": _run_texts, "compare": _compare_texts, "sweep": _sweep_texts,
            "assign": _assign_texts, "capacity": _capacity_texts}[kind](folder)


def _run_texts(folder: Path) -> list[str]:
    summary = load(folder, "summary.json")
    texts = [summary["scenario"]]
    for sid, s in summary["shipments"].items():
        t = s["transit_days"]
        lo, hi = t["ci95"]
        texts += [
            f"Shipment {sid}",
            f"{t['mean']:,.2f} days",
            f"95% CI {lo:,.2f} – {hi:,.2f} d",
            f"p90 transit {t['p90']:,.2f} days",
            f"P(within target) {100 * s['p_within_target']:.0f}%",
            f"Cost {s['usd_per_tonne']['mean']:,.2f} USD/t",
            f"CO2 {s['co2_kg_per_tonne']['mean']:,.1f} kg/t",
        ]
    return texts


def _compare_texts(folder: Path) -> list[str]:
    document = load(folder, "compare.json")
    texts = [s["label"] for s in document["scenarios"]]
    for sid, entry in document["shipments"].items():
        for label, diff in entry["diff_vs_first"].items():
            lo, hi = diff["ci95"]
            verdict = "significant" if diff["significant"] else "not significant"
            texts += [
                f"Shipment {sid} · {label} against",
                f"Δ transit {diff['mean']:+,.2f} days 95% CI {lo:+,.2f} – {hi:+,.2f} · {verdict}",
                f"Δ cost {diff['usd_per_tonne']['mean']:+,.2f} USD/t",
            ]
    return texts


def short(parameter: str) -> str:
    parts = parameter.split(".")
    return f"{parts[1]} {'.'.join(parts[2:])}" if parts[0] in ("links", "nodes") else parameter


def _sweep_texts(folder: Path) -> list[str]:
    study = load(folder, "study.json")
    texts = [study["study"]]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in load(folder, "indices.json")["indices"]:
        groups.setdefault((row["shipment"], row["kpi"]), []).append(row)
    for (shipment, kpi), rows in groups.items():
        texts.append(f"{shipment} · {kpi}")
        values = sorted((r["mu_star"] for r in rows), reverse=True)
        if values[0] > values[1]:  # a clear first parameter: it heads the card
            top = max(rows, key=lambda r: r["mu_star"])
            texts.append(f"{short(top['parameter'])} — mu* {top['mu_star']:,.3f}")
    return texts


def _assign_texts(folder: Path) -> list[str]:
    document = load(folder, "assignment.json")
    texts = [document["scenario"]]
    for fid, flow in document["flows"].items():
        texts.append(f"Flow {fid}")
        for route in flow["routes"]:
            texts += [f"{100 * route['share']:.1f}% of the tonnes",
                      f"{route['transit_days']['mean']:,.2f} d mean"]
    return texts


def _capacity_texts(folder: Path) -> list[str]:
    document = load(folder, "capacity.json")
    binding = document["binding"]
    return [
        f"Capacity {document['capacity_tonnes_per_year']:,.0f} t/year",
        f"Binding element {binding['element']}",
        f"{100 * binding['utilisation']:.1f}% used at the capacity",
        f"≤ {100 * document['criterion']['limit']:.0f}%",
        "no element on its routes used beyond 70%",
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_shows_its_headline_figures(folders: dict[str, Path], kind: str) -> None:
    markup = page(folders[kind])
    headline = " ".join(text(part) for part in (
        masthead(markup), section(markup, "question"), section(markup, "headline")))
    missing = [t for t in expected(kind, folders[kind]) if t not in headline]
    assert not missing, missing
    assert f'<body class="kind-{kind}">' in markup


def test_a_run_report_has_its_tables_warnings_and_manifest(folders: dict[str, Path]) -> None:
    folder = folders["run"]
    words = text(page(folder))
    summary = load(folder, "summary.json")
    # The question: the scenario's header comment, read from the file the run names.
    assert "A complete scenario in the documented format" in words
    for heading in ("Transit, cost and emissions", "Where the time goes",
                    "What it costs, by category", "Busiest facilities",
                    "Per-consignment files (not copied here)"):
        assert heading in words
    # Units in the headers, long files summarised with their row counts, not copied.
    assert "mean days" in words and "cost USD/t" in words
    legs = (folder / "legs.csv").read_text(encoding="utf-8").splitlines()
    assert f"legs.csv all {len(legs) - 1:,}" in words
    assert page(folder).count("<tr") < len(legs) / 2  # the legs are counted, not copied
    # The manifest: command line and every input with its sha256, still unchanged.
    manifest = load(folder, "manifest.json")
    for recorded, entry in manifest["inputs"].items():
        assert f"{recorded} {entry['sha256']} unchanged" in words
    assert f"Command line {shlex.join(manifest['command'])}" in words
    assert words.count("No warnings") == (0 if summary["warnings"] else 1)


def test_warnings_are_shown_and_announced_above_the_figures(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    folder = tmp_path / "run"
    shutil.copytree(folders["run"], folder)
    summary = load(folder, "summary.json")
    summary["warnings"] = ["pilot: 9 of 10 consignments still in transit <at> the horizon"]
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    markup = write_report(folder).read_text(encoding="utf-8")
    assert "pilot: 9 of 10 consignments still in transit &lt;at&gt; the horizon" in markup
    assert "1 warning" in text(section(markup, "headline"))


def test_a_comparison_shows_each_scenario_and_the_differences(folders: dict[str, Path]) -> None:
    words = text(page(folders["compare"]))
    assert "The tiny network with a ferry every 12 hours." in words  # its description
    assert "tiny · pilot" in words and "tiny-ferry · pilot" in words  # from the run folders
    assert "Δ transit days [95% CI]" in words


def test_a_sweep_ranks_every_parameter_and_summarises_the_points(
    folders: dict[str, Path],
) -> None:
    folder = folders["sweep"]
    words = text(page(folder))
    study = load(folder, "study.json")
    for parameter in study["parameters"]:
        assert short(parameter) in words
    assert f"{study['points']:,} design points" in words
    assert "Small study for executor and resume tests" in words
    assert "Light tiny scenario for sweeps" in words  # the base scenario, beside the study
    assert "no manifest.json" in words.lower()


def test_an_assignment_lists_routes_iterations_and_bottlenecks(
    folders: dict[str, Path],
) -> None:
    folder = folders["assign"]
    words = text(page(folder))
    document = load(folder, "assignment.json")
    assert "Flow flow: iterations" in words and "Bottlenecks: the busiest elements" in words
    for bottleneck in document["bottlenecks"]:
        assert f"{100 * bottleneck['utilisation']:.1f}%" in words
    # Routes named by their key places, read from the network file of the manifest.
    assert "O - B1 - D (rail)" in words and "O - B2 - D (rail)" in words


def test_a_capacity_search_lists_every_tonnage_tried(folders: dict[str, Path]) -> None:
    folder = folders["capacity"]
    markup = page(folder)
    document = load(folder, "capacity.json")
    words = text(markup)
    for point in document["points"]:
        assert f"{point['tonnes_per_year']:,.0f}" in words
    assert markup.count('<tr class="marked">') == 1  # the capacity's row


# --------------------------------------------------------------------------------------------
# Self-contained: nothing requested from anywhere


ATTRIBUTE = re.compile(
    r"""\b(src|href|action|data|poster|srcset)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", re.I)


@pytest.mark.parametrize("kind", KINDS)
def test_the_page_requests_nothing_from_any_server(folders: dict[str, Path], kind: str) -> None:
    markup = page(folders[kind])
    for _, raw in ATTRIBUTE.findall(markup):
        value = html.unescape(raw.strip("'\""))
        assert not value.lower().startswith(("http:", "https:", "//", "ftp:", "file:")), value
    assert f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">' in (
        markup.replace("&#39;", "'"))
    assert CONTENT_SECURITY_POLICY == "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    images = re.findall(r"<img\b[^>]*>", markup)
    pngs = sorted(folders[kind].glob("*.png"))
    assert pngs and len(images) == len(pngs)
    assert all('src="data:image/png;base64,' in tag for tag in images)
    for needle in ("<script", "<link", "<iframe", "@import", "url("):
        assert needle not in markup.lower()


def test_text_from_files_is_escaped(tmp_path: Path) -> None:
    name = "<b>Tom & Jerry</b> <script>alert(1)</script>"
    path = write_scenario(tmp_path / "in", one_border(), name=name,
                          description="Cargo <i>and</i> \"quotes\" & 'more'",
                          shipments=[{"id": "one", "cargo": "box", "origin": "O",
                                      "destination": "D", "wagons": 1, "depart_h": 0}])
    ok("run", path, "-r", "1", "-o", tmp_path / "out", "--quiet")
    markup = write_report(tmp_path / "out").read_text(encoding="utf-8")
    assert "<script" not in markup and "<b>Tom" not in markup and "<i>and" not in markup
    assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in markup
    assert name in text(markup) and "Cargo <i>and</i>" in text(markup)


# --------------------------------------------------------------------------------------------
# Charts, the question when its file is gone, the write


def test_every_png_is_embedded_with_a_caption_and_a_broken_one_is_named(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    folder = tmp_path / "run"
    shutil.copytree(folders["run"], folder)
    shutil.copy(folder / "waiting.png", folder / "extra_chart.png")
    (folder / "broken.png").write_text("not an image", encoding="utf-8")
    markup = write_report(folder).read_text(encoding="utf-8")
    charts = section(markup, "charts")
    captions = re.findall(r"<figcaption><strong>([^<]+)</strong> · ([^<]+)</figcaption>", charts)
    names = [n for n, _ in captions]
    assert names[:4] == ["transit.png", "waiting.png", "time_distance.png", "route_map.png"]
    assert "extra_chart.png" in names and "broken.png" not in names
    assert dict(captions)["extra_chart.png"] == "Chart extra chart (extra_chart.png)."
    assert all(len(c) > 20 for _, c in captions)
    assert "broken.png: not a PNG image, left out" in charts


def test_nothing_is_said_of_a_scenario_file_that_is_gone(tmp_path: Path) -> None:
    path = write_scenario(tmp_path / "in", one_border(), name="Gone tomorrow",
                          description="A description only the file holds.",
                          shipments=[{"id": "one", "cargo": "box", "origin": "O",
                                      "destination": "D", "wagons": 1, "depart_h": 0}])
    ok("run", path, "-r", "1", "-o", tmp_path / "out", "--quiet")
    here = text(write_report(tmp_path / "out").read_text(encoding="utf-8"))
    assert "A description only the file holds." in here
    path.unlink()
    gone = text(write_report(tmp_path / "out").read_text(encoding="utf-8"))
    assert "Gone tomorrow" in gone  # the name, from summary.json
    assert "A description only the file holds." not in gone
    assert "not found here" in gone  # the manifest's input, looked for


def test_a_relative_scenario_path_is_found_from_the_folder_or_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    write_scenario(work / "in", one_border(), name="Relative", description="Found again.",
                   shipments=[{"id": "one", "cargo": "box", "origin": "O",
                               "destination": "D", "wagons": 1, "depart_h": 0}])
    monkeypatch.chdir(work)
    ok("run", "in/scenario.yaml", "-r", "1", "-o", "out/run", "--quiet")
    assert load(work / "out" / "run", "summary.json")["file"] == "in/scenario.yaml"
    assert "Found again." in text(write_report("out/run").read_text(encoding="utf-8"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # found beside the folder's parent, where the run ran
    assert "Found again." in text(write_report(work / "out" / "run").read_text(encoding="utf-8"))
    moved = tmp_path / "far" / "away" / "down" / "here" / "run"
    shutil.copytree(work / "out" / "run", moved)
    assert "Found again." not in text(write_report(moved).read_text(encoding="utf-8"))
    shutil.copytree(work / "in", elsewhere / "in")  # and in the current directory
    assert "Found again." in text(write_report(moved).read_text(encoding="utf-8"))


def test_a_header_comment_reads_as_paragraphs_and_list_items() -> None:
    from corridorsim.report.html import header_comment

    source = (
        "# A first sentence that wraps\n"
        "# onto a second line.\n"
        "# - an item that also\n"
        "#   wraps\n"
        "#   (a) a lettered one\n"
        "#       continued\n"
        "# Back at the margin.\n"
        "#\n"
        "# A new paragraph.\n"
        "name: x  # not the header\n"
        "# nor this\n"
    )
    assert header_comment(source) == (
        ("A first sentence that wraps onto a second line.", "- an item that also wraps",
         "(a) a lettered one continued", "Back at the margin."),
        ("A new paragraph.",),
    )
    assert header_comment("name: x\n# later\n") == ()


def test_the_page_is_replaced_in_one_step(folders: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "capacity"
    shutil.copytree(folders["capacity"], folder)
    (folder / REPORT_NAME).write_text("old", encoding="utf-8")
    write_report(folder)
    assert page(folder).startswith("<!DOCTYPE html>")
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]


# --------------------------------------------------------------------------------------------
# Not an output folder


def test_a_folder_that_is_not_an_output_folder_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        write_report(tmp_path)
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"{tmp_path}: not a corridorsim output folder")
    for name in ("summary.json", "compare.json", "study.json", "assignment.json",
                 "capacity.json"):
        assert name in line
    assert not (tmp_path / REPORT_NAME).exists()


@pytest.mark.parametrize("what", ["missing", "file"])
def test_a_path_that_is_not_a_folder_is_refused_in_one_line(tmp_path: Path, what: str) -> None:
    path = tmp_path / "out"
    if what == "file":
        path.write_text("x", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        write_report(path)
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"{path}: ") and "output folder" in line


def test_a_broken_document_is_refused_in_one_line_naming_it(tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text('{"scenario": "x",\n "shipments": [}',
                                           encoding="utf-8")
    with pytest.raises(InputError) as caught:
        write_report(tmp_path)
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"{tmp_path / 'summary.json'}: not valid JSON: line 2")


# --------------------------------------------------------------------------------------------
# In a real browser


def chromium(*args: str, profile: Path) -> str:
    """Headless Chromium's standard output (the DOM with --dump-dom), bounded in time."""
    assert CHROMIUM is not None
    run = subprocess.run(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--no-first-run", f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


#: A page that frames the report and writes what the report's own document holds once it
#: has loaded: each image's decoded size, the style applied, the resources it fetched.
HARNESS = """<!DOCTYPE html>
<html><body><pre id="out">pending</pre>
<iframe id="report" src="{src}" style="width:1280px;height:2000px"></iframe>
<script>
document.getElementById("report").addEventListener("load", function () {{
  var out = document.getElementById("out"), doc = this.contentDocument;
  if (!doc) {{ out.textContent = "no access to the report"; return; }}
  var images = Array.prototype.map.call(doc.images, function (img) {{
    return {{complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
             data: img.getAttribute("src").indexOf("data:image/png;base64,") === 0}};
  }});
  var card = doc.querySelector(".card");
  out.textContent = JSON.stringify({{
    images: images, text: doc.body.innerText,
    card: card ? doc.defaultView.getComputedStyle(card).backgroundColor : null,
    fetched: doc.defaultView.performance.getEntriesByType("resource").map(function (e) {{
      return e.name.slice(0, 40); }})
  }});
}});
</script></body></html>
"""


def png_sizes(folder: Path) -> list[tuple[int, int]]:
    sizes = []
    for path in sorted(folder.glob("*.png")):
        head = path.read_bytes()[:24]
        sizes.append((int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")))
    return sizes


@needs_chromium
@pytest.mark.parametrize("kind", KINDS)
def test_a_browser_renders_the_figures_and_decodes_every_chart(
    folders: dict[str, Path], kind: str, tmp_path: Path
) -> None:
    folder = folders[kind]
    harness = tmp_path / "harness.html"
    harness.write_text(HARNESS.format(src=(folder / REPORT_NAME).as_uri()), encoding="utf-8")
    dom = chromium("--allow-file-access-from-files", "--dump-dom", harness.as_uri(),
                   profile=tmp_path / "profile")
    found = re.search(r'<pre id="out">(.*?)</pre>', dom, re.S)
    assert found, dom[:500]
    seen = json.loads(html.unescape(found.group(1)))
    rendered = " ".join(seen["text"].split())
    missing = [t for t in expected(kind, folder) if t not in rendered]
    assert not missing, missing
    # Every chart decoded at its own size: the policy lets data: images through.
    assert all(i["complete"] and i["data"] for i in seen["images"])
    assert sorted((i["width"], i["height"]) for i in seen["images"]) == sorted(png_sizes(folder))
    # The inline style sheet applied (a card's panel colour), and nothing fetched but data:.
    assert seen["card"] == "rgb(244, 246, 249)"
    assert all(name.startswith("data:") for name in seen["fetched"])


@needs_chromium
@pytest.mark.parametrize("kind", KINDS)
def test_a_screenshot_of_the_page_is_not_blank(
    folders: dict[str, Path], kind: str, tmp_path: Path
) -> None:
    from PIL import Image

    folder = folders[kind]
    shot = tmp_path / f"{kind}.png"
    dom = chromium("--dump-dom", f"--screenshot={shot}", "--window-size=1280,2000",
                   (folder / REPORT_NAME).as_uri(), profile=tmp_path / "profile")
    # The DOM after rendering: the headline texts and every chart still there.
    rendered = text(dom)
    assert not [t for t in expected(kind, folder) if t not in rendered]
    assert len(re.findall(r'<img src="data:image/png;base64,', dom)) == len(png_sizes(folder))
    with Image.open(shot) as image:
        assert image.size == (1280, 2000)
        pixels = image.convert("RGB")
        colours = pixels.getcolors(maxcolors=1 << 20) or []
        assert len(colours) > 50  # text, cards, rules: not a blank or single-colour page
        white = max((count for count, rgb in colours if rgb == (255, 255, 255)), default=0)
        assert white < 0.97 * image.size[0] * image.size[1]

