"""Comparing scenarios under common random numbers (DESIGN sections 3, 7 and 8).

``compare`` runs every scenario with the same seed and replication numbers and pairs them
replication by replication; ``compare --json`` is one document with stable keys.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner, Result

import corridorsim
from corridorsim.cli import main
from corridorsim.errors import InputError
from corridorsim.experiment.compare import (
    Comparison,
    compare,
)
from corridorsim.experiment.replications import simulate
from corridorsim.experiment.stats import PairedDifference
from corridorsim.scenario.load import Scenario, load_scenario

FIXTURES = Path(__file__).parent / "fixtures"
SCENARIOS = Path(__file__).parents[1] / "scenarios"
TINY = FIXTURES / "tiny.yaml"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def write_variant(folder: Path) -> Path:
    """tiny.yaml with a ferry every 24 h instead of 36 h, without the ``fixed-road`` shipment
    and with an ``extra`` one: two shipments shared, one on each side only."""
    data = yaml.safe_load(TINY.read_text(encoding="utf-8"))
    data["network"] = str((FIXTURES / "tiny.geojson").resolve())
    data["network_changes"]["set"]["links.XA-PORT--XB-PORT.ferry.every_h"] = 24
    pilot = next(s for s in data["shipments"] if s["id"] == "pilot")
    data["shipments"] = [s for s in data["shipments"] if s["id"] != "fixed-road"]
    data["shipments"].append({**pilot, "id": "extra", "wagons": 5, "depart_h": 6})
    path = folder / "variant.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def variant_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_variant(tmp_path_factory.mktemp("compare"))


@pytest.fixture(scope="module")
def pair(variant_path: Path) -> tuple[Scenario, Scenario]:
    return load_scenario(TINY), load_scenario(variant_path)


@pytest.fixture(scope="module")
def comparison(pair: tuple[Scenario, Scenario]) -> Comparison:
    return compare(list(pair), replications=4)


@pytest.fixture(scope="module")
def document(comparison: Comparison) -> dict[str, Any]:
    return comparison.document()


# --------------------------------------------------------------------------------------------
# The document


def test_document_has_the_stable_keys(document: dict[str, Any]) -> None:
    assert [s["label"] for s in document["scenarios"]] == ["tiny", "variant"]
    assert document["seed"] == 42  # the first scenario's
    assert document["replications"] == 4
    for shipment_id in ("pilot", "weekly"):
        entry = document["shipments"][shipment_id]
        assert set(entry["per_scenario"]) == {"tiny", "variant"}
        for kpis in entry["per_scenario"].values():
            assert {"mean", "ci95", "p50", "p90", "p95"} <= set(kpis["transit_days"])
        assert set(entry["diff_vs_first"]) == {"variant"}  # never the first against itself
        diff = entry["diff_vs_first"]["variant"]
        assert {"mean", "ci95", "significant"} <= set(diff)
        lo, hi = diff["ci95"]
        assert lo <= diff["mean"] <= hi
        assert diff["significant"] is (lo > 0 or hi < 0)
        for kpi in ("usd_per_tonne", "co2_kg_per_tonne"):
            assert {"mean", "ci95", "significant"} <= set(diff[kpi])
    json.dumps(document, allow_nan=False)  # plain JSON: no nan, no numpy types


def test_paired_mean_is_the_difference_of_the_scenario_means(document: dict[str, Any]) -> None:
    """Every replication delivers, so the mean paired difference is the difference of the means
    of the replication means (each rounded to 6 digits in the document)."""
    for shipment_id in ("pilot", "weekly"):
        entry = document["shipments"][shipment_id]
        first = entry["per_scenario"]["tiny"]["transit_days"]["mean"]
        second = entry["per_scenario"]["variant"]["transit_days"]["mean"]
        assert entry["diff_vs_first"]["variant"]["mean"] == pytest.approx(second - first, abs=2e-6)


def test_shipments_in_only_one_scenario_are_listed_as_missing(document: dict[str, Any]) -> None:
    assert document["missing"] == {"fixed-road": ["variant"], "extra": ["tiny"]}
    only_first = document["shipments"]["fixed-road"]
    assert set(only_first["per_scenario"]) == {"tiny"}
    assert only_first["diff_vs_first"] == {}
    only_second = document["shipments"]["extra"]
    assert set(only_second["per_scenario"]) == {"variant"}
    assert only_second["diff_vs_first"] == {}
    assert "pilot" not in document["missing"]


def test_comparing_a_scenario_with_itself_gives_zero_difference(
    pair: tuple[Scenario, Scenario],
) -> None:
    tiny = pair[0]
    document = compare([tiny, tiny], replications=3).document()
    assert [s["label"] for s in document["scenarios"]] == ["tiny#1", "tiny#2"]
    assert document["missing"] == {}
    for entry in document["shipments"].values():
        diff = entry["diff_vs_first"]["tiny#2"]
        assert diff["mean"] == 0
        assert diff["ci95"] == [0, 0]
        assert diff["significant"] is False
        assert entry["per_scenario"]["tiny#1"] == entry["per_scenario"]["tiny#2"]


def test_swapping_the_scenarios_flips_the_sign(
    pair: tuple[Scenario, Scenario], document: dict[str, Any]
) -> None:
    swapped = compare([pair[1], pair[0]], replications=4, seed=42).document()
    for shipment_id in ("pilot", "weekly"):
        forward = document["shipments"][shipment_id]["diff_vs_first"]["variant"]
        backward = swapped["shipments"][shipment_id]["diff_vs_first"]["tiny"]
        assert backward["mean"] == pytest.approx(-forward["mean"], abs=1e-6)
        assert backward["ci95"] == pytest.approx([-forward["ci95"][1], -forward["ci95"][0]],
                                                 abs=1e-6)


def test_seed_and_replications_are_shared(pair: tuple[Scenario, Scenario]) -> None:
    result = compare(list(pair), replications=2, seed=9)
    assert result.seed == 9
    assert [len(r.replications) for r in result.results] == [2, 2]
    assert [r.seed for r in result.results] == [9, 9]


def test_compare_needs_two_scenarios(pair: tuple[Scenario, Scenario]) -> None:
    with pytest.raises(InputError, match="at least two"):
        compare([pair[0]])


def test_paired_difference_ignores_replications_missing_on_either_side() -> None:
    nan = math.nan
    diff = PairedDifference.of(np.array([1.0, 2.0, nan, 4.0]), np.array([2.0, nan, 5.0, 6.0]))
    assert diff.n == 2
    assert diff.mean == pytest.approx(1.5)


def test_the_typed_comparison_is_what_the_document_shows(
    comparison: Comparison, document: dict[str, Any]
) -> None:
    """The document is the typed comparison, rounded: nothing is computed twice."""
    pilot = comparison.shipments["pilot"]
    diff = pilot.diff_vs_first["variant"]["transit_days"]
    assert document["shipments"]["pilot"]["diff_vs_first"]["variant"]["mean"] == pytest.approx(
        diff.mean, abs=1e-6
    )
    first = pilot.per_scenario["tiny"].transit_days.per_replication
    second = pilot.per_scenario["variant"].transit_days.per_replication
    assert diff.mean == pytest.approx(float(np.nanmean(second - first)))
    assert comparison.shipments["extra"].missing_from == ("tiny",)


def test_the_public_api_compares_files_or_scenarios(
    pair: tuple[Scenario, Scenario], variant_path: Path
) -> None:
    """DESIGN section 1: ``corridorsim.compare([...])`` does what ``compare`` does."""
    by_path = corridorsim.compare([TINY, variant_path], replications=2)
    by_object = corridorsim.compare(list(pair), replications=2)
    assert isinstance(by_path, Comparison)
    assert by_path.document() == by_object.document()
    assert by_path.document() == compare(list(pair), replications=2).document()


# --------------------------------------------------------------------------------------------
# Common random numbers


def test_common_random_numbers_narrow_the_paired_ci() -> None:
    """The pilot via Georgia vs via TRIPP share every component up to Hajigabul. With the same
    seed those components draw the same numbers in replication r of both, so the per-replication
    transit times are correlated and the paired CI of the difference is narrower than when the
    second scenario draws independent numbers (another seed)."""
    import numpy as np

    ayrum = load_scenario(SCENARIOS / "kz-wheat-ayrum-2025.yaml")
    tripp = load_scenario(SCENARIOS / "kz-wheat-tripp-open.yaml")
    seed, count = ayrum.seed, 20
    def transit(scenario: Scenario, seed: int) -> np.ndarray:
        result = simulate(scenario, replications=count, seed=seed)
        return result.shipment("pilot").transit_days.per_replication

    base, same, other = transit(ayrum, seed), transit(tripp, seed), transit(tripp, seed + 1)

    def half_width(diff: PairedDifference) -> float:
        lo, hi = diff.ci95
        return (hi - lo) / 2

    crn = PairedDifference.of(base, same)
    independent = PairedDifference.of(base, other)
    assert crn.n == independent.n == count
    assert half_width(crn) < half_width(independent)
    # ... because the shared stretch makes the replications positively correlated.
    assert np.corrcoef(base, same)[0, 1] > 0.2


def test_compare_pairs_under_the_first_scenarios_seed() -> None:
    ayrum = load_scenario(SCENARIOS / "kz-wheat-ayrum-2025.yaml")
    tripp = load_scenario(SCENARIOS / "kz-wheat-tripp-open.yaml")
    result = compare([ayrum, tripp], replications=6)
    alone = simulate(tripp, replications=6, seed=ayrum.seed)
    assert result.results[1].summary() == alone.summary()


# --------------------------------------------------------------------------------------------
# The command


def test_cli_json_is_one_document(variant_path: Path) -> None:
    result = run("compare", TINY, variant_path, "-r", "5", "--jobs", "1", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)  # the whole of stdout is one JSON document
    assert document["replications"] == 5
    assert [s["label"] for s in document["scenarios"]] == ["tiny", "variant"]
    assert set(document["shipments"]) == {"pilot", "weekly", "fixed-road", "extra"}
    assert set(document["shipments"]["pilot"]["diff_vs_first"]["variant"]) >= {
        "mean", "ci95", "significant"}
    assert document["missing"] == {"fixed-road": ["variant"], "extra": ["tiny"]}
    assert "Traceback" not in result.stderr


def test_cli_writes_compare_json_scenario_folders_and_charts(
    variant_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run("compare", TINY, variant_path, "-r", "3", "--jobs", "1", "-o", out, "--plots",
                 "--quiet")
    assert result.exit_code == 0, result.stderr
    document = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert document["replications"] == 3
    for label in ("tiny", "variant"):
        for name in ("summary.json", "shipments.csv", "legs.csv", "facilities.csv",
                     "manifest.json"):
            assert (out / label / name).is_file(), (label, name)
        summary = json.loads((out / label / "summary.json").read_text(encoding="utf-8"))
        assert summary["replications"] == 3
    charts = sorted(out.glob("*.png"))
    assert charts
    assert all(p.read_bytes().startswith(PNG_MAGIC) for p in charts)
    assert (out / "compare_pilot.png").is_file()


def test_cli_with_one_scenario_exits_2() -> None:
    result = run("compare", TINY, "-r", "3")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert "two" in line


def test_cli_plots_need_an_output_folder(variant_path: Path) -> None:
    result = run("compare", TINY, variant_path, "--plots")
    assert result.exit_code == 2
    assert "-o" in result.stderr


def test_cli_names_a_bad_scenario_file(variant_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.read_text(encoding="utf-8").replace("horizon_days: 90",
                                                             "horizon_days: -1"),
                   encoding="utf-8")
    result = run("compare", TINY, bad, "-r", "3")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith(str(bad)) for line in lines)
    assert any("horizon_days" in line for line in lines)
