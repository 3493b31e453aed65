"""Capacity search (``corridorsim capacity``, DESIGN §13): on one M/M/1 border the tonnage
found for each criterion is the analytic one, and what cannot be met is refused."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from cliguard import cli, one_line
from corridorsim.experiment.capacity import capacity
from corridorsim.scenario.load import load_scenario
from netgen import link, node
from scenariogen import write_scenario

TINY = {"mode": "rail", "gauge_mm": 1520, "length_km": 0.001, "speed_kmh": 1000}
SERVICE_PER_H = 1.0
#: Net tonnes a train of one 50 t wagon carries, and hours a year: tonnes/year per train/h.
TONNES_PER_RATE = 50 * 8760


def one_border(**facility: Any) -> list[dict[str, Any]]:
    o = node("O", 40.0, 40.0)
    b = node("B", 40.001, 40.0, kind="border", country="YA", facility={
        "type": "border", "servers": 1,
        "dwell_h": {"dist": "exponential", "mean": 1 / SERVICE_PER_H}, **facility})
    d = node("D", 40.002, 40.0, country="XZ")
    return [o, b, d, link("O-B", o, b, **TINY), link("B-D", b, d, **TINY)]


def flow(**keys: Any) -> dict[str, Any]:
    return {"id": "flow", "cargo": "box", "origin": "O", "destination": "D", "wagons": 1,
            "tonnes_per_year": 0.5 * TONNES_PER_RATE, "arrivals": "poisson", **keys}


def scenario_path(tmp_path: Path, features: list[dict[str, Any]] | None = None) -> Path:
    return write_scenario(tmp_path, features or one_border(), horizon_days=400,
                          warmup_days=20, replications=4, shipments=[flow()])


@pytest.mark.parametrize(
    ("criterion", "limit", "analytic_rate_per_h"),
    [
        # M/M/1 queue wait Wq = rho / (mu - lambda) = H  ->  lambda = H mu^2 / (1 + H mu).
        ("max_mean_wait_h", 2.0, 2.0 * SERVICE_PER_H**2 / (1 + 2.0 * SERVICE_PER_H)),
        # The sojourn is exponential of rate mu - lambda: its p90 is ln 10 / (mu - lambda).
        ("max_p90_days", 8 / 24, SERVICE_PER_H - math.log(10) / 8),
        # Utilisation rho = lambda / mu.
        ("max_utilisation", 0.8, 0.8 * SERVICE_PER_H),
    ],
)
def test_the_capacity_of_one_mm1_border_is_the_analytic_one(
    tmp_path: Path, criterion: str, limit: float, analytic_rate_per_h: float
) -> None:
    outcome = capacity(load_scenario(scenario_path(tmp_path)), "flow", criterion, limit)
    found_rate = outcome.capacity_tonnes_per_year / TONNES_PER_RATE
    assert found_rate == pytest.approx(analytic_rate_per_h, rel=0.03)
    binding = outcome.at_capacity.binding
    assert binding is not None and (binding.element, binding.kind) == ("B", "facility")
    assert binding.utilisation == pytest.approx(found_rate / SERVICE_PER_H, rel=0.05)
    # The bisection ended with a bracket narrower than 1%: a point just above failed.
    above = [p for p in outcome.points if p.tonnes_per_year > outcome.capacity_tonnes_per_year]
    assert above and min(p.tonnes_per_year for p in above) <= (
        outcome.capacity_tonnes_per_year * 1.0102)
    assert all(not p.meets for p in above)


def test_capacity_on_the_command_line(tmp_path: Path) -> None:
    path = scenario_path(tmp_path / "s")
    out = tmp_path / "out"
    result = cli("capacity", path, "--shipment", "flow", "--max-utilisation", "0.7", "-r", "2",
                 "--json", "--quiet", "-o", out, "--plots")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) >= {"shipment", "criterion", "capacity_tonnes_per_year", "binding",
                             "points"}
    assert document["binding"]["element"] == "B"
    assert set(document["points"][0]) >= {"tonnes_per_year", "p50_days", "p90_days",
                                          "mean_wait_h", "utilisation"}
    assert json.loads((out / "capacity.json").read_text()) == document
    assert (out / "capacity.png").stat().st_size > 0
    table = cli("capacity", path, "--shipment", "flow", "--max-utilisation", "0.7", "-r", "2",
                "--quiet")
    assert "capacity:" in table.stdout and "binding: facility B" in table.stdout


def test_a_p90_below_the_running_time_is_refused(tmp_path: Path) -> None:
    slow = one_border()
    slow[-1]["properties"].update(length_km=100, speed_kmh=50)  # 2 h running
    path = scenario_path(tmp_path, slow)
    line = one_line(cli("capacity", path, "--shipment", "flow", "--max-p90-days", "0.05",
                        "--quiet"), 2)
    assert line.startswith("--max-p90-days:") and "no tonnage can meet it" in line


def test_a_criterion_no_tonnage_meets_has_no_capacity_above_zero(tmp_path: Path) -> None:
    # Each consignment waits for a border open 8 h a day, so it waits some 8 h on average
    # however little the flow is: 1 h of mean wait is never met.
    path = write_scenario(tmp_path, one_border(open_hours="08:00-16:00"), horizon_days=60,
                          replications=2, start="2025-01-01", shipments=[flow()])
    result = cli("capacity", path, "--shipment", "flow", "--max-mean-wait-h", "1", "--quiet")
    assert "no capacity above zero" in one_line(result, 1)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--shipment", "nope", "--max-utilisation", "0.5"], "no shipment or demand flow 'nope'"),
        (["--shipment", "flow"], "give exactly one of"),
        (["--shipment", "flow", "--max-utilisation", "0.5", "--max-p90-days", "3"],
         "give exactly one of"),
        (["--shipment", "flow", "--max-utilisation", "1.5"], "--max-utilisation"),
    ],
)
def test_bad_flags_are_refused_in_one_line(tmp_path: Path, args: list[str], expected: str) -> None:
    line = one_line(cli("capacity", scenario_path(tmp_path), *args, "--quiet"), 2)
    assert expected in line


def test_a_shipment_without_a_tonnage_cannot_be_scaled(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, one_border(), shipments=[{
        "id": "one", "cargo": "box", "origin": "O", "destination": "D", "wagons": 1}])
    line = one_line(cli("capacity", path, "--shipment", "one", "--max-utilisation", "0.5",
                        "--quiet"), 2)
    assert "tonnes_per_year" in line
