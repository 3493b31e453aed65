"""`network info`: what a network holds, and the geometry slips it points out."""

from __future__ import annotations

import copy
from typing import Any

from corridorsim.network.io import parse_network
from corridorsim.network.summary import network_summary


def test_tiny_counts_and_kilometres(tiny_doc: dict[str, Any]) -> None:
    summary = network_summary(parse_network(tiny_doc, filename="tiny.geojson"))
    assert (summary["nodes"], summary["links"]) == (6, 7)
    assert summary["links_by_mode"] == {"ferry": 1, "rail": 5, "road": 1}
    assert summary["links_by_status"] == {"open": 6, "planned": 1}
    assert summary["km_by_mode"]["road"] == 760.0
    assert summary["components_open"] == 1
    assert summary["planned"] == [{"id": "XB-PORT--XC-DEST-NEWLINE", "opens_year": 2028,
                                   "km": 610.0}]
    assert summary["bounds_lon_lat"] == [50.0, 44.0, 57.0, 45.0]
    assert summary["self_crossing_links"] == []


def test_a_link_drawn_across_itself_is_pointed_out(tiny_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(tiny_doc)
    road = next(f for f in doc["features"]
                if f["properties"]["id"] == "XB-PORT--XC-DEST-ROAD")
    # A bow-tie: out to the north-east, back across the straight line, on to the end.
    road["geometry"]["coordinates"] = [[53.0, 44.0], [56.0, 45.5], [54.0, 45.5],
                                       [55.0, 43.5], [57.0, 45.0]]
    summary = network_summary(parse_network(doc, filename="bowtie.geojson"))
    assert summary["self_crossing_links"] == ["XB-PORT--XC-DEST-ROAD"]
