"""Dotted paths into a scenario's data (DESIGN sections 4 and 7): what a study's design point,
or a value set on the command line, changes. Network paths go to ``network_changes.set``."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from corridorsim._schema import dotted
from corridorsim.errors import InputError
from corridorsim.scenario.paths import apply_scenario_sets, split_path

DATA: dict[str, Any] = {
    "name": "paths",
    "horizon_days": 90,
    "network_changes": {"set": {"links.A-B.speed_kmh": 40}},
    "cargo": {"wheat": {"tonnes_per_wagon": 68}},
    "shipments": [
        {"id": "pilot", "wagons": 15},
        {"id": "weekly", "wagons": 30, "route": {"policy": "fastest"}},
    ],
    "disruptions": [{"target": "B", "from_h": 0, "to_h": 10}],
}


def test_scenario_paths_are_set_in_a_copy() -> None:
    pristine = copy.deepcopy(DATA)
    out = apply_scenario_sets(DATA, {
        "horizon_days": 60,
        "cargo.wheat.tonnes_per_wagon": 55.5,
        "shipments.pilot.wagons": 7,
        "shipments[1].wagons": 9,
        "disruptions.0.to_h": 20,
        "shipments.pilot.route.policy": "cheapest",  # a block the shipment leaves out
    })
    assert out["horizon_days"] == 60
    assert out["cargo"]["wheat"]["tonnes_per_wagon"] == 55.5
    assert out["shipments"] == [
        {"id": "pilot", "wagons": 7, "route": {"policy": "cheapest"}},
        {"id": "weekly", "wagons": 9, "route": {"policy": "fastest"}},
    ]
    assert out["disruptions"][0]["to_h"] == 20
    assert pristine == DATA


def test_network_paths_go_to_network_changes_set() -> None:
    out = apply_scenario_sets(DATA, {"nodes.B.facility.dwell_h.mean": 12,
                                     "links.A-B.speed_kmh": 60})
    assert out["network_changes"]["set"] == {"links.A-B.speed_kmh": 60,
                                             "nodes.B.facility.dwell_h.mean": 12}
    bare = apply_scenario_sets({"name": "x", "network_changes": None},
                               {"links.A-B.ferry.every_h": 24})
    assert bare["network_changes"] == {"set": {"links.A-B.ferry.every_h": 24}}


@pytest.mark.parametrize(("path", "message"), [
    ("shipments.pilott.wagons",
     r"^shipments\.pilott: no item with id 'pilott' \(closest: 'pilot'\)$"),
    ("shipments.nobody.wagons",
     r"^shipments\.nobody: no item with id 'nobody' \(ids: 'pilot', 'weekly'\)$"),
    ("shipments.pilot", r"^shipments\.pilot: names a whole item"),
    ("disruptions[3].to_h", r"^disruptions\[3\]: not in the scenario$"),
    ("disruptions[3]", r"^disruptions\[3\]: index 3 is past the end$"),
    ("horizon_days.x", r"^horizon_days is 90, not a block with keys \(set it whole\)$"),
    ("a..b", r"^a\.\.b: not a dotted path \(empty part\)$"),
])
def test_a_path_that_leads_nowhere_is_an_input_error_naming_it(path: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        apply_scenario_sets(DATA, {path: 1})


@pytest.mark.parametrize("path", ["a.b[2].c", "shipments.pilot.wagons", "facility[0].dwell_h",
                                  "links.AKTAU--ALAT.ferry.every_h", "x[1][2]"])
def test_split_and_join_are_inverse(path: str) -> None:
    assert dotted(split_path(path)) == path


def test_split_reads_indices_in_both_spellings() -> None:
    assert split_path("facility.1.dwell_h") == split_path("facility[1].dwell_h")
    assert split_path("facility[1].dwell_h") == ["facility", 1, "dwell_h"]
