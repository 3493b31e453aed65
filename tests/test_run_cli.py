"""``corridorsim run``: the JSON document, the output folder and the exit codes (DESIGN 8).

Runs go through click's CliRunner, in this process. The JSON keys checked here are the stable
ones that users' scripts rely on; the CSV files are checked against the summary they come with.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from scipy import stats

from corridorsim.cli import main
from corridorsim.sim.records import CAUSES

TINY_YAML = Path(__file__).parent / "fixtures" / "tiny.yaml"
TINY_GEOJSON = TINY_YAML.with_name("tiny.geojson")
SHIPMENTS = ("pilot", "weekly", "fixed-road")
STAT_KEYS = ("mean", "sd", "ci95", "p50", "p90", "p95")
SHIPMENT_COLUMNS = ("shipment", "replication", "consignment", "wagons", "tonnes", "origin",
                    "destination", "depart_h", "arrive_h", "transit_h", "cost_usd", "co2_kg",
                    *(f"wait_h_{cause}" for cause in CAUSES))
LEG_COLUMNS = ("shipment", "replication", "consignment", "seq", "kind", "id", "arrive_h",
               "start_h", "end_h", "wait_h", "cause")
PLOTS = ("transit.png", "waiting.png", "time_distance.png", "route_map.png")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


@pytest.fixture(scope="module")
def json_run() -> Result:
    return invoke("run", str(TINY_YAML), "-r", "5", "--json", "--jobs", "1")


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("run") / "out"
    result = invoke("run", str(TINY_YAML), "-r", "5", "--jobs", "1", "-o", str(folder),
                    "--plots", "--quiet")
    assert result.exit_code == 0, result.output
    return folder


# --------------------------------------------------------------------------------------------
# --json


def test_run_json_prints_one_json_document(json_run: Result) -> None:
    assert json_run.exit_code == 0, json_run.output
    document = json.loads(json_run.stdout)  # the whole of stdout: nothing else on it
    assert isinstance(document, dict)
    decoder = json.JSONDecoder()
    _, end = decoder.raw_decode(json_run.stdout.lstrip())
    assert json_run.stdout.lstrip()[end:].strip() == ""


def test_run_json_has_the_stable_keys(json_run: Result) -> None:
    document = json.loads(json_run.stdout)
    assert document["scenario"] == "Tiny example - grain by ferry and rail"
    assert document["seed"] == 42
    assert document["replications"] == 5
    assert tuple(document["shipments"]) == SHIPMENTS
    for shipment_id, s in document["shipments"].items():
        for metric in ("transit_days", "usd_per_tonne", "co2_kg_per_tonne"):
            assert set(STAT_KEYS) <= set(s[metric]), (shipment_id, metric)
            lo, hi = s[metric]["ci95"]
            assert lo <= s[metric]["mean"] <= hi
            assert s[metric]["p50"] <= s[metric]["p90"] <= s[metric]["p95"]
        assert 0 <= s["p_within_target"] <= 1
        assert set(s["wait_h_by_cause"]) == set(CAUSES)
        assert all(v >= 0 for v in s["wait_h_by_cause"].values())
        assert isinstance(s["arrived"], int) and isinstance(s["in_transit"], int)
        assert s["arrived"] > 0 and s["in_transit"] >= 0
    # One pilot and one fixed-road consignment per replication; up to 10 weekly ones.
    assert document["shipments"]["pilot"]["arrived"] == 5
    weekly = document["shipments"]["weekly"]
    assert weekly["arrived"] + weekly["in_transit"] <= 50


def test_run_json_is_reproducible(json_run: Result) -> None:
    again = invoke("run", str(TINY_YAML), "-r", "5", "--json", "--jobs", "1")
    assert again.stdout == json_run.stdout


def test_run_seed_and_replications_flags(json_run: Result) -> None:
    other = invoke("run", str(TINY_YAML), "-r", "3", "--seed", "7", "--json", "--jobs", "1")
    document = json.loads(other.stdout)
    assert (document["seed"], document["replications"]) == (7, 3)
    assert document["shipments"]["pilot"]["arrived"] == 3
    assert other.stdout != json_run.stdout


def test_run_without_json_prints_tables(tmp_path: Path) -> None:
    result = invoke("run", str(TINY_YAML), "-r", "2", "--jobs", "1", "--quiet")
    assert result.exit_code == 0
    for shipment_id in SHIPMENTS:
        assert shipment_id in result.stdout
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.stdout)


# --------------------------------------------------------------------------------------------
# -o DIR


def test_output_dir_holds_the_five_files(out_dir: Path) -> None:
    for name in ("summary.json", "shipments.csv", "legs.csv", "facilities.csv",
                 "manifest.json"):
        assert (out_dir / name).is_file(), name
    # Nothing half-written is left behind.
    assert not [p for p in out_dir.iterdir() if p.name.startswith(".") or "tmp" in p.name]


def test_summary_json_matches_run_json(out_dir: Path, json_run: Result) -> None:
    summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary == json.loads(json_run.stdout)


def test_shipments_csv_columns_and_rows(out_dir: Path) -> None:
    columns, rows = read_csv(out_dir / "shipments.csv")
    for column in SHIPMENT_COLUMNS:
        assert column in columns, column
    summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    for shipment_id, s in summary["shipments"].items():
        mine = [r for r in rows if r["shipment"] == shipment_id]
        arrived = [r for r in mine if r["arrive_h"] != ""]
        assert len(arrived) == s["arrived"]
        assert len(mine) - len(arrived) == s["in_transit"]
        for r in mine:
            assert r["origin"] == "XA-ORIGIN" and r["destination"] == "XC-DEST"
            assert int(r["replication"]) in range(5)
            assert float(r["tonnes"]) == pytest.approx(int(r["wagons"]) * 68)
            if r["arrive_h"] == "":
                assert r["transit_h"] == ""
            else:
                assert float(r["transit_h"]) == pytest.approx(
                    float(r["arrive_h"]) - float(r["depart_h"]), abs=1e-5)
            for cause in CAUSES:
                assert float(r[f"wait_h_{cause}"]) >= 0
        # The summary's mean is the mean of the replication means, from the same rows.
        per_rep = [
            np.mean([float(r["transit_h"]) / 24 for r in arrived if r["replication"] == str(k)])
            for k in range(5) if any(r["replication"] == str(k) for r in arrived)
        ]
        assert s["transit_days"]["mean"] == pytest.approx(np.mean(per_rep), abs=1e-4)
        if len(per_rep) > 1:
            half = stats.t.ppf(0.975, len(per_rep) - 1) * np.std(per_rep, ddof=1) / math.sqrt(
                len(per_rep))
            lo, hi = s["transit_days"]["ci95"]
            assert (lo, hi) == (pytest.approx(np.mean(per_rep) - half, abs=1e-4),
                                pytest.approx(np.mean(per_rep) + half, abs=1e-4))
        pooled = [float(r["transit_h"]) / 24 for r in arrived]
        assert s["transit_days"]["p90"] == pytest.approx(np.percentile(pooled, 90), abs=1e-4)
        for cause in CAUSES:
            total = sum(float(r[f"wait_h_{cause}"]) for r in arrived)
            assert s["wait_h_by_cause"][cause] == pytest.approx(total / len(arrived), abs=1e-3)


def test_legs_csv_columns_and_journeys(out_dir: Path) -> None:
    columns, legs = read_csv(out_dir / "legs.csv")
    assert tuple(columns[: len(LEG_COLUMNS)]) == LEG_COLUMNS
    _, shipments = read_csv(out_dir / "shipments.csv")
    by_consignment: dict[tuple[str, str, str], list[dict[str, str]]] = {}
    for leg in legs:
        by_consignment.setdefault(
            (leg["shipment"], leg["replication"], leg["consignment"]), []).append(leg)
        assert leg["kind"] in ("link", "facility")
        assert leg["cause"] in ("", *CAUSES)
        assert float(leg["arrive_h"]) <= float(leg["start_h"]) + 1e-5
        assert float(leg["start_h"]) <= float(leg["end_h"]) + 1e-5
        assert float(leg["wait_h"]) >= 0
        assert (leg["cause"] == "") == (float(leg["wait_h"]) == 0)
    for row in shipments:
        mine = by_consignment[(row["shipment"], row["replication"], row["consignment"])]
        assert [int(leg["seq"]) for leg in mine] == list(range(len(mine)))
        assert float(mine[0]["arrive_h"]) == pytest.approx(float(row["depart_h"]), abs=1e-5)
        if row["arrive_h"]:
            assert float(mine[-1]["end_h"]) == pytest.approx(float(row["arrive_h"]), abs=1e-5)
            assert mine[-1]["id"] in ("XC-BORDER--XC-DEST", "XB-PORT--XC-DEST-ROAD",
                                      "XC-DEST")
            total_wait = sum(float(leg["wait_h"]) for leg in mine)
            causes = sum(float(row[f"wait_h_{c}"]) for c in CAUSES)
            assert total_wait == pytest.approx(causes, abs=1e-3)
            for column in ("cost_usd", "co2_kg"):
                if column in columns:  # per-leg figures, when legs.csv carries them
                    assert sum(float(leg[column]) for leg in mine) == pytest.approx(
                        float(row[column]), rel=1e-5)


def test_facilities_csv(out_dir: Path) -> None:
    columns, rows = read_csv(out_dir / "facilities.csv")
    assert columns == ["facility", "node", "type", "servers", "served_per_replication",
                       "utilisation", "utilisation_ci95_lo", "utilisation_ci95_hi",
                       "mean_queue", "mean_queue_ci95_lo", "mean_queue_ci95_hi",
                       "mean_wait_h", "mean_wait_h_ci95_lo", "mean_wait_h_ci95_hi"]
    assert {r["facility"] for r in rows} >= {"XA-PORT:port", "XB-PORT:port"}
    for r in rows:
        assert r["facility"] == f"{r['node']}:{r['type']}"
        assert 0 <= float(r["utilisation"]) <= 1
        assert float(r["mean_wait_h"]) >= 0 and float(r["mean_queue"]) >= 0
        assert float(r["served_per_replication"]) > 0
        for kpi in ("utilisation", "mean_queue"):  # 5 replications: every CI is there
            assert float(r[f"{kpi}_ci95_lo"]) <= float(r[kpi]) <= float(r[f"{kpi}_ci95_hi"])


def test_manifest_records_version_inputs_and_seed(out_dir: Path) -> None:
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 42 and manifest["replications"] == 5
    assert manifest["corridorsim"]
    assert isinstance(manifest["command"], list)
    inputs = manifest["inputs"]
    assert len(inputs) == 2
    digests = {Path(p).name: entry["sha256"] for p, entry in inputs.items()}
    assert digests == {
        "tiny.yaml": hashlib.sha256(TINY_YAML.read_bytes()).hexdigest(),
        "tiny.geojson": hashlib.sha256(TINY_GEOJSON.read_bytes()).hexdigest(),
    }


def test_plots_are_png_files(out_dir: Path) -> None:
    for name in PLOTS:
        data = (out_dir / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", name
        assert len(data) > 5000, name


def test_no_plots_without_the_flag(tmp_path: Path) -> None:
    result = invoke("run", str(TINY_YAML), "-r", "1", "--jobs", "1", "-o", str(tmp_path / "o"),
                    "--json")
    assert result.exit_code == 0
    json.loads(result.stdout)
    assert not list((tmp_path / "o").glob("*.png"))


def test_summary_json_is_byte_identical_for_any_jobs(tmp_path: Path) -> None:
    texts = []
    for jobs in ("1", "2"):
        folder = tmp_path / f"jobs{jobs}"
        result = invoke("run", str(TINY_YAML), "-r", "6", "--jobs", jobs, "-o", str(folder),
                        "--quiet")
        assert result.exit_code == 0, result.output
        texts.append((folder / "summary.json").read_bytes())
        for name in ("shipments.csv", "legs.csv", "facilities.csv"):
            texts.append((folder / name).read_bytes())
    assert texts[0] == texts[4]  # summary.json
    assert texts[1:4] == texts[5:8]  # and the CSV files too


# --------------------------------------------------------------------------------------------
# Bad flags: exit 2, no traceback


@pytest.mark.parametrize(("args", "words"), [
    (["--plots"], ["--plots", "-o"]),
    (["-r", "0"], ["0"]),
    (["-r", "many"], ["many"]),
    (["--jobs", "0"], ["--jobs"]),
    (["--seed", "-1"], ["--seed"]),
    (["--frobnicate"], ["--frobnicate"]),
])
def test_bad_flags_exit_2(args: list[str], words: list[str]) -> None:
    result = CliRunner().invoke(main, ["run", str(TINY_YAML), *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    for word in words:
        assert word in result.stderr, result.stderr


def test_output_dir_that_is_a_file_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(main, ["run", str(TINY_YAML), "-r", "1", "--jobs", "1",
                                       "-o", str(blocker)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output

