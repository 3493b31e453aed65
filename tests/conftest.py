"""Shared fixtures: the tiny example network, and a hand-made network with round numbers.

``hand_network`` is small enough to check every figure by hand (the arithmetic is written out in
``test_routing.py``)::

                 rail 1520              rail 1520                 rail 1435
    A Alpha Yard ---------- B Bravo ------------------ C Charlie -------------- D Delta
      |  |   100 km 50 km/h   border     200 km 40 km/h   gauge     60 km 60 km/h
      |  |   1 USD/wagon-km   10 h       0.01 USD/t-km    change    40 USD/wagon
      |  |                    100 USD/w                   5 h       20 g CO2/t-km
      |  |                                                300 USD/w
      |  +-- rail 1520 50 km 50 km/h -- T Tango terminal -- road 240 km 60 km/h -- D
      |                                 (2 h, 50 USD/w)      0.05 USD/t-km
      +-- rail 1520 25 km 50 km/h -- P Papa port == ferry 120 km == Q Quebec port -- R Romeo
                                      (3 h, 20 USD/w)   sailing 12 h,  (3 h, 20 USD/w)
                                                        every 24 h,      rail 1520 30 km 60 km/h
                                                        cancel p 0.5,
                                                        500 USD/wagon

Countries: A, P: XA; B, C, D: XB; T: XT; Q, R: XQ.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from corridorsim.network.io import load_network, parse_network
from corridorsim.network.model import Network
from netgen import collection, link, node

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def tiny_path() -> Path:
    """The documented example network: 6 nodes, 7 links (one of them planned)."""
    return FIXTURES / "tiny.geojson"


@pytest.fixture(scope="session")
def tiny(tiny_path: Path) -> Network:
    """tiny.geojson, loaded (networks are frozen, so one copy serves every test)."""
    return load_network(tiny_path)


@pytest.fixture(scope="session")
def _tiny_doc_pristine(tiny_path: Path) -> dict[str, Any]:
    return json.loads(tiny_path.read_text(encoding="utf-8"))


@pytest.fixture
def tiny_doc(_tiny_doc_pristine: dict[str, Any]) -> dict[str, Any]:
    """A fresh, mutable deep copy of tiny.geojson as a dict: corrupt it at will."""
    return copy.deepcopy(_tiny_doc_pristine)


@pytest.fixture
def copy_tiny_doc(_tiny_doc_pristine: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """A helper giving a new deep copy of tiny.geojson on every call."""
    return lambda: copy.deepcopy(_tiny_doc_pristine)


@pytest.fixture
def write_doc(tmp_path: Path) -> Callable[..., Path]:
    """Write a network document to ``tmp_path/NAME`` and return the path."""

    def write(doc: Any, name: str = "network.geojson") -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
        return path

    return write


def hand_features() -> list[dict[str, Any]]:
    a = node("A", 40.0, 40.0, name="Alpha Yard", country="XA")
    b = node("B", 41.0, 40.0, name="Bravo Border", country="XB", kind="border",
             facility={"type": "border", "dwell_h": 10, "fee_usd_per_wagon": 100})
    c = node("C", 42.0, 40.0, name="Charlie Gauge", country="XB",
             facility={"type": "gauge_change", "dwell_h": 5, "fee_usd_per_wagon": 300})
    d = node("D", 43.0, 40.0, name="Delta City", country="XB", kind="city")
    t = node("T", 41.5, 39.0, name="Tango Terminal", country="XT", kind="terminal",
             facility={"type": "terminal", "dwell_h": 2, "fee_usd_per_wagon": 50})
    p = node("P", 39.0, 40.0, name="Papa Port", country="XA", kind="port",
             facility={"type": "port", "dwell_h": 3, "fee_usd_per_wagon": 20})
    q = node("Q", 38.0, 40.0, name="Quebec Port", country="XQ", kind="port",
             facility={"type": "port", "dwell_h": 3, "fee_usd_per_wagon": 20})
    r = node("R", 37.0, 40.0, name="Romeo", country="XQ")
    return [
        a, b, c, d, t, p, q, r,
        link("A-B", a, b, mode="rail", gauge_mm=1520, length_km=100, speed_kmh=50,
             tariff={"usd_per_wagon_km": 1}),
        link("B-C", b, c, mode="rail", gauge_mm=1520, length_km=200, speed_kmh=40,
             tariff={"usd_per_tonne_km": 0.01}),
        link("C-D", c, d, mode="rail", gauge_mm=1435, length_km=60, speed_kmh=60,
             tariff={"usd_per_wagon": 40}, emissions_g_per_tonne_km=20),
        link("A-T", a, t, mode="rail", gauge_mm=1520, length_km=50, speed_kmh=50),
        link("T-D", t, d, mode="road", length_km=240, speed_kmh=60,
             tariff={"usd_per_tonne_km": 0.05}),
        link("A-P", a, p, mode="rail", gauge_mm=1520, length_km=25, speed_kmh=50),
        link("P-Q", p, q, mode="ferry", length_km=120, tariff={"usd_per_wagon": 500},
             ferry={"capacity_wagons": 40, "sailing_h": 12, "every_h": 24,
                    "cancel_prob": 0.5}),
        link("Q-R", q, r, mode="rail", gauge_mm=1520, length_km=30, speed_kmh=60),
    ]


@pytest.fixture
def hand_doc() -> dict[str, Any]:
    """The hand-checkable network as a GeoJSON dict (see the module docstring)."""
    return collection(hand_features(), name="Hand-checked network")


@pytest.fixture
def hand_network(hand_doc: dict[str, Any]) -> Network:
    """The hand-checkable network, validated (see the module docstring for its figures)."""
    return parse_network(hand_doc, filename="hand.geojson")
