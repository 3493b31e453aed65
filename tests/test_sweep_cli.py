"""``corridorsim sweep`` as a user meets it (DESIGN sections 7 and 8): the files it writes, their
columns, and what it says when an output folder already holds results."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from corridorsim.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
TINY_STUDY = FIXTURES / "tiny-study.yaml"
PARAMETERS = ("links.XB-PORT--XB-BORDER.speed_kmh", "links.XA-PORT--XB-PORT.ferry.every_h",
              "links.XC-BORDER--XC-DEST.speed_kmh")
KPIS = ("transit_days.mean", "transit_days.p90", "usd_per_tonne.mean")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def cli(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tiny-study.yaml swept once, with charts, into a fresh folder."""
    folder = tmp_path_factory.mktemp("sweep") / "out"
    result = cli("sweep", TINY_STUDY, "-o", folder, "--jobs", "1", "--plots", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return folder


@pytest.fixture(scope="module")
def points(out: Path) -> list[dict[str, str]]:
    with (out / "points.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_writes_every_output_file(out: Path) -> None:
    for name in ("results.sqlite", "points.csv", "points.parquet", "indices.csv",
                 "indices.json", "study.json"):
        assert (out / name).is_file(), name
    charts = sorted(out.glob("*.png"))
    assert charts
    assert all(chart.read_bytes().startswith(PNG_MAGIC) for chart in charts)
    assert (out / "sensitivity_pilot_transit_days_mean.png").is_file()


def test_points_csv_columns(points: list[dict[str, str]]) -> None:
    assert len(points) == 10 * (3 + 1)
    columns = list(points[0])
    assert columns[0] == "point"
    for parameter in PARAMETERS:
        assert parameter in columns
    for kpi in KPIS:
        assert f"pilot.{kpi}" in columns
        has_ci = kpi.endswith(".mean")
        assert (f"pilot.{kpi}.ci95_lo" in columns) is has_ci
        assert (f"pilot.{kpi}.ci95_hi" in columns) is has_ci
    assert {"replications", "seed", "error"} <= set(columns)
    assert [int(row["point"]) for row in points] == list(range(len(points)))
    for row in points:
        assert row["error"] == ""
        assert (row["replications"], row["seed"]) == ("5", "7")
        lo, mean, hi = (float(row[f"pilot.transit_days.mean{s}"])
                        for s in (".ci95_lo", "", ".ci95_hi"))
        assert lo <= mean <= hi
        assert 30 <= float(row[PARAMETERS[0]]) <= 70


def test_points_parquet_matches_points_csv(out: Path, points: list[dict[str, str]]) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(out / "points.parquet")
    assert table.column_names == list(points[0])
    assert table.num_rows == len(points)
    means = table.column("pilot.transit_days.mean").to_pylist()
    assert means == pytest.approx([float(row["pilot.transit_days.mean"]) for row in points],
                                  abs=1e-6)
    assert table.column(PARAMETERS[1]).to_pylist() == pytest.approx(
        [float(row[PARAMETERS[1]]) for row in points], abs=1e-6)


def test_indices_files(out: Path) -> None:
    document = json.loads((out / "indices.json").read_text(encoding="utf-8"))
    assert document["method"] == "morris"
    rows = document["indices"]
    assert len(rows) == len(PARAMETERS) * len(KPIS)
    assert {(r["kpi"], r["parameter"]) for r in rows} == {(k, p) for k in KPIS
                                                          for p in PARAMETERS}
    for r in rows:
        assert r["shipment"] == "pilot"
        assert {"mu", "mu_star", "mu_star_conf", "sigma"} <= set(r)
    with (out / "indices.csv").open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == len(rows)
    assert {"shipment", "kpi", "parameter", "mu_star", "sigma"} <= set(table[0])


def test_study_json(out: Path) -> None:
    document = json.loads((out / "study.json").read_text(encoding="utf-8"))
    assert document["method"] == "morris"
    assert document["points"] == 40
    assert document["replications_per_point"] == 5
    assert document["seed"] == 7
    assert document["parameters"] == list(PARAMETERS)
    assert document["kpis"] == list(KPIS)
    assert document["shipments"] == ["pilot"]
    assert document["failed_points"] == 0


def test_running_again_without_resume_exits_2(out: Path) -> None:
    before = (out / "points.csv").read_bytes()
    result = cli("sweep", TINY_STUDY, "-o", out, "--jobs", "1", "--quiet")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line == (
        f"--resume: {out / 'results.sqlite'} already holds 40 finished points of this study: "
        "turn it on to continue them, or use a new output folder"
    )
    assert (out / "points.csv").read_bytes() == before


def test_resuming_a_finished_sweep_reruns_nothing_and_rewrites_the_same_files(out: Path) -> None:
    before = {n: (out / n).read_bytes() for n in ("points.csv", "indices.json", "indices.csv")}
    result = cli("sweep", TINY_STUDY, "-o", out, "--jobs", "1", "--resume", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert "ran 0, resumed 40" in " ".join(result.stdout.split())
    assert {n: (out / n).read_bytes() for n in before} == before


def test_output_must_be_a_folder(tmp_path: Path) -> None:
    file = tmp_path / "a-file"
    file.write_text("x", encoding="utf-8")
    result = cli("sweep", TINY_STUDY, "-o", file, "--quiet")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
