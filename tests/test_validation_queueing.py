"""Analytic validation of the engine against queueing theory (DESIGN section 9).

Each test builds a small network in which one mechanism of the engine acts alone, runs it for
many consignments and several replications, and checks the simulated mean against the textbook
value:

- one facility with ``c`` servers, Poisson arrivals and exponential dwell is an M/M/c queue:
  its mean queue wait is Erlang C, ``Wq = C(c, a) / (c mu - lambda)``;
- M/M/c facilities in series form a Jackson network: the mean sojourn is the sum of the
  stations' M/M/c sojourns (Burke: each station's departures are Poisson again);
- with every duration fixed and no congestion, a consignment takes exactly the static route time;
- a ferry every ``H`` hours met at random times costs ``H/2`` of waiting, and ``H/2 + H p/(1-p)``
  when each sailing is cancelled with probability ``p``.

Replications are the independent samples: the analytic value must lie in the 99% Student-t
confidence interval of the replication means. Seeds are fixed, so each test is deterministic.
The M/M/c and Jackson estimators read a replication's numpy columns (50 000 consignments a
test); the other checks read its named records (``rep.consignment_records()``, ``rep.ferries``).
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

import corridorsim
from corridorsim.experiment.replications import simulate
from corridorsim.scenario.load import Scenario, load_scenario
from corridorsim.sim.records import CAUSES
from netgen import link, node
from scenariogen import write_scenario

FACILITY_WAIT = CAUSES.index("facility")

#: Links that take a negligible, constant time: 1 m at 1000 km/h.
TINY_LINK = {"mode": "rail", "gauge_mm": 1520, "length_km": 0.001, "speed_kmh": 1000}


# --------------------------------------------------------------------------------------------
# Helpers


def poisson_flow(origin: str, destination: str, rate_per_h: float, count: int) -> dict[str, Any]:
    """A shipment of ``count`` one-wagon consignments departing as a Poisson process."""
    return {
        "id": "flow",
        "cargo": "box",
        "origin": origin,
        "destination": destination,
        "wagons": 1,
        "interarrival_h": {"dist": "exponential", "mean": 1 / rate_per_h},
        "count": count,
    }


def erlang_c(servers: int, offered: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (offered load a = lambda/mu < c)."""
    assert offered < servers
    below = sum(offered**k / math.factorial(k) for k in range(servers))
    top = offered**servers / math.factorial(servers) / (1 - offered / servers)
    return top / (below + top)


def mmc_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean queue wait Wq of an M/M/c queue."""
    offered = arrival_rate / service_rate
    return erlang_c(servers, offered) / (servers * service_rate - arrival_rate)


def ci99(values: np.ndarray) -> tuple[float, float]:
    """99% Student-t confidence interval of the mean of independent ``values``."""
    mean = float(values.mean())
    half = float(stats.t.ppf(0.995, values.size - 1)) * values.std(ddof=1) / math.sqrt(values.size)
    return mean - half, mean + half


def assert_in_ci(analytic: float, replication_means: list[float], what: str) -> None:
    lo, hi = ci99(np.asarray(replication_means))
    assert lo <= analytic <= hi, (
        f"{what}: analytic {analytic:.4f} outside the simulated 99% CI [{lo:.4f}, {hi:.4f}] "
        f"(replication means {np.round(replication_means, 4).tolist()})"
    )


def test_erlang_c_helper_matches_known_values() -> None:
    # M/M/1: C = rho, Wq = rho / (mu - lambda). M/M/2 with a = 1: C = 1/3 (textbook table).
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    assert mmc_wait(1, 1.0, 2.0) == pytest.approx(0.5)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # M/M/3 with a = 2: C = 4/9.
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9)


# --------------------------------------------------------------------------------------------
# M/M/c: one facility

ARRIVAL_RATE = 1.0  # consignments per hour
CONSIGNMENTS = 5000  # per replication
REPLICATIONS = 10
WARM_UP = CONSIGNMENTS // 10  # the first 10% start from an empty system: discarded


def chain_network(stations: list[tuple[int, float]]) -> list[dict[str, Any]]:
    """Origin O, one border node per ``(servers, mean dwell)`` station, destination D, joined
    by negligible links; every node in a country of its own (a border processes only
    consignments crossing into or out of its country, a ``both`` border once)."""
    nodes = [node("O", 40.0, 40.0)]
    for i, (servers, mean_dwell) in enumerate(stations):
        nodes.append(node(
            f"S{i}", 40.0 + 0.0001 * (i + 1), 40.0, kind="border", country=f"Y{chr(65 + i)}",
            facility={"type": "border", "servers": servers,
                      "dwell_h": {"dist": "exponential", "mean": mean_dwell}},
        ))
    nodes.append(node("D", 40.0 + 0.0001 * (len(stations) + 1), 40.0, country="XZ"))
    links = [
        link(f"L{i}", a, b, **TINY_LINK) for i, (a, b) in enumerate(itertools.pairwise(nodes))
    ]
    return [*nodes, *links]


def queue_scenario(tmp_path: Path, stations: list[tuple[int, float]]) -> Scenario:
    # The horizon leaves room for the last consignments to clear, so every one of them arrives
    # and none is cut off at the horizon (waits depend only on earlier arrivals).
    horizon_h = CONSIGNMENTS / ARRIVAL_RATE + 1000
    path = write_scenario(
        tmp_path, chain_network(stations), horizon_days=horizon_h / 24,
        shipments=[poisson_flow("O", "D", ARRIVAL_RATE, CONSIGNMENTS)],
    )
    return load_scenario(path)


@pytest.mark.parametrize("servers", [1, 2, 3])
def test_mmc_facility_wait_matches_erlang_c(tmp_path: Path, servers: int) -> None:
    utilisation = 0.7
    service_rate = ARRIVAL_RATE / (utilisation * servers)
    scenario = queue_scenario(tmp_path, [(servers, 1 / service_rate)])
    assert scenario.shipments[0].route.nodes == ("O", "S0", "D")
    result = simulate(scenario, replications=REPLICATIONS, seed=11, jobs=2)
    means = []
    for rep in result.replications:
        c = rep.consignments
        assert c["shipment"].size == CONSIGNMENTS
        assert not np.isnan(c["arrive"]).any(), "every consignment clears before the horizon"
        order = np.argsort(c["number"])
        waits = c["waits"][order, FACILITY_WAIT]
        assert (c["waits"][:, [i for i in range(len(CAUSES)) if i != FACILITY_WAIT]] == 0).all()
        means.append(float(waits[WARM_UP:].mean()))
    analytic = mmc_wait(servers, ARRIVAL_RATE, service_rate)
    assert_in_ci(analytic, means, f"M/M/{servers} Wq")


def test_mmc_facility_wait_legs_agree_with_consignment_totals(tmp_path: Path) -> None:
    """The per-leg queue waits (legs.csv) add up to the per-consignment facility waits."""
    scenario = queue_scenario(tmp_path, [(2, 1 / (ARRIVAL_RATE / 1.4))])
    rep = simulate(scenario, replications=1, seed=3).replications[0]
    legs = rep.legs
    facility_label = rep.labels.index("facility:S0")
    per_consignment = np.bincount(
        legs["consignment"][legs["label"] == facility_label],
        weights=legs["wait"][legs["label"] == facility_label],
        minlength=rep.consignments["shipment"].size,
    )
    np.testing.assert_allclose(per_consignment, rep.consignments["waits"][:, FACILITY_WAIT],
                               rtol=0, atol=1e-9)


# --------------------------------------------------------------------------------------------
# Jackson network: M/M/c stations in series


def test_jackson_series_sojourn_is_sum_of_station_sojourns(tmp_path: Path) -> None:
    # (servers, utilisation) per station; all see Poisson arrivals at rate lambda (Burke).
    design = [(1, 0.6), (2, 0.7), (3, 0.65)]
    stations = [(c, rho * c / ARRIVAL_RATE) for c, rho in design]  # mean dwell = rho c / lambda
    scenario = queue_scenario(tmp_path, stations)
    assert scenario.shipments[0].route.nodes == ("O", "S0", "S1", "S2", "D")
    analytic = sum(
        mmc_wait(c, ARRIVAL_RATE, 1 / dwell) + dwell for c, dwell in stations
    )
    result = simulate(scenario, replications=REPLICATIONS, seed=5, jobs=2)
    means = []
    for rep in result.replications:
        legs = rep.legs
        at_facility = np.array([label.startswith("facility:") for label in rep.labels])
        mask = at_facility[legs["label"]]
        # Time in facilities = queue + service, from arrival at the facility to leaving it.
        sojourn = np.bincount(legs["consignment"][mask],
                              weights=(legs["end"] - legs["arrive"])[mask],
                              minlength=rep.consignments["shipment"].size)
        assert np.bincount(legs["consignment"][mask]).min() == 3  # every consignment, 3 stations
        order = np.argsort(rep.consignments["number"])
        means.append(float(sojourn[order][WARM_UP:].mean()))
    assert_in_ci(analytic, means, "Jackson series sojourn")


# --------------------------------------------------------------------------------------------
# Zero variance, no congestion: simulated time == static route time


def deterministic_features() -> list[dict[str, Any]]:
    """A -(1520)- B border -(1520)- Y yard -(1520)- G gauge change -(1435)- K border -(1435)- Z,
    every figure fixed and odd enough that float sums are not trivially exact. Countries:
    A | B Y | G K | Z, so B and G process entering consignments, K (``applies: exit``) the
    leaving ones, before the run out of K."""
    a = node("A", 40.0, 40.0)
    b = node("B", 40.5, 40.0, kind="border", country="XB",
             facility={"type": "border", "dwell_h": 7.3, "fee_usd_per_wagon": 40})
    y = node("Y", 41.0, 40.0, kind="junction", country="XB",
             facility={"type": "yard", "dwell_h": 3.7})
    g = node("G", 41.5, 40.0, kind="terminal", country="XC",
             facility=[{"type": "gauge_change", "dwell_h": 5.9, "fee_usd_per_wagon": 300},
                       {"type": "border", "dwell_h": 2.2}])
    k = node("K", 42.0, 40.0, kind="border", country="XC",
             facility={"type": "border", "dwell_h": 11.1, "applies": "exit"})
    z = node("Z", 42.5, 40.0, kind="city", country="XD")
    return [
        a, b, y, g, k, z,
        link("A-B", a, b, mode="rail", gauge_mm=1520, length_km=123.4, speed_kmh=47.0,
             tariff={"usd_per_wagon_km": 0.9}),
        link("B-Y", b, y, mode="rail", gauge_mm=1520, length_km=61.7, speed_kmh=33.0),
        link("Y-G", y, g, mode="rail", gauge_mm=1520, length_km=17.3, speed_kmh=51.0),
        link("G-K", g, k, mode="rail", gauge_mm=1435, length_km=88.8, speed_kmh=71.0,
             tariff={"usd_per_tonne_km": 0.02}),
        link("K-Z", k, z, mode="rail", gauge_mm=1435, length_km=45.5, speed_kmh=29.0),
    ]


def test_zero_variance_transit_equals_static_route_time(tmp_path: Path) -> None:
    shipments = [
        # One consignment at time 0, and a flow whose consignments are 200 h apart: more than
        # a whole transit, so none ever meets another.
        {"id": "single", "cargo": "box", "origin": "A", "destination": "Z", "wagons": 12},
        {"id": "flow", "cargo": "box", "origin": "A", "destination": "Z", "wagons": 3,
         "depart_h": 50.5, "interarrival_h": 200.0, "count": 4},
    ]
    path = write_scenario(tmp_path, deterministic_features(), horizon_days=60,
                          shipments=shipments)
    scenario = load_scenario(path)
    static = corridorsim.routes(scenario.network, "A", "Z", by="fastest", k=1)[0]
    route = scenario.shipments[0].route
    assert route.hours == static.hours
    # The route crosses both borders, the yard and the gauge change.
    assert {(leg.id, leg.type) for leg in route.legs if leg.kind == "facility"} == {
        ("B", "border"), ("Y", "yard"), ("G", "gauge_change"), ("G", "border"), ("K", "border")
    }
    tonnes_per_wagon = scenario.shipments[0].cargo.tonnes_per_wagon
    result = simulate(scenario, replications=2, seed=9)
    for rep in result.replications:
        consignments = list(rep.consignment_records())
        assert len(consignments) == 5
        first = next(c for c in consignments if c.shipment == 0 and c.number == 0)
        assert first.depart_h == 0.0
        assert first.transit_h == route.hours  # exactly: the same sums in the same order
        for c in consignments:
            assert c.transit_h == pytest.approx(route.hours, rel=0, abs=1e-9)
            assert c.wait_h == (0.0,) * len(CAUSES)
            assert c.cost_usd == pytest.approx(route.usd_per_wagon * c.wagons, rel=1e-12, abs=0)
            assert c.km == pytest.approx(route.km, rel=1e-12, abs=0)
            assert c.co2_kg == pytest.approx(
                route.co2_kg_per_tonne * tonnes_per_wagon * c.wagons, rel=1e-12, abs=0
            )
    summary = result.summary()["shipments"]["single"]
    assert summary["transit_days"]["mean"] == pytest.approx(route.days, abs=1e-6)
    assert summary["transit_days"]["sd"] == 0.0


# --------------------------------------------------------------------------------------------
# Ferry waits

FERRY_EVERY_H = 24.0


def ferry_features(cancel_prob: float) -> list[dict[str, Any]]:
    """A -rail- P port == ferry == Q port -rail- B; ports take no time and never queue."""
    a = node("A", 40.0, 40.0)
    port = {"type": "port", "dwell_h": 0, "servers": 1000}
    p = node("P", 40.01, 40.0, kind="port", facility=port)
    q = node("Q", 41.0, 40.0, kind="port", facility=port)
    b = node("B", 41.01, 40.0)
    return [
        a, p, q, b,
        link("A-P", a, p, mode="rail", gauge_mm=1520, length_km=10, speed_kmh=50),
        link("P-Q", p, q, mode="ferry", ferry={
            "capacity_wagons": 10_000, "sailing_h": 9.5, "every_h": FERRY_EVERY_H,
            "depart_when_full": False, "cancel_prob": cancel_prob,
        }),
        link("Q-B", q, b, mode="rail", gauge_mm=1520, length_km=10, speed_kmh=50),
    ]


@pytest.mark.parametrize("cancel_prob", [0.0, 0.3])
def test_ferry_wait_of_random_arrivals(tmp_path: Path, cancel_prob: float) -> None:
    # Poisson arrivals see time averages (PASTA): the phase of an arrival within the sailing
    # interval is uniform, so the wait for the next sailing is H/2, plus H for each sailing in
    # a row cancelled (geometric, mean p/(1-p)).
    count = 1500
    rate = 0.25
    path = write_scenario(
        tmp_path, ferry_features(cancel_prob), horizon_days=(count / rate + 2000) / 24,
        shipments=[poisson_flow("A", "B", rate, count)],
    )
    scenario = load_scenario(path)
    assert scenario.shipments[0].route.links == ("A-P", "P-Q", "Q-B")
    analytic = FERRY_EVERY_H / 2 + FERRY_EVERY_H * cancel_prob / (1 - cancel_prob)
    assert scenario.network.links["P-Q"].ferry.expected_wait_h() == pytest.approx(analytic)
    result = simulate(scenario, replications=8, seed=21, jobs=2)
    means = []
    for rep in result.replications:
        consignments = list(rep.consignment_records())
        assert all(c.arrived for c in consignments)
        waits = [c.wait("ferry") for c in consignments]
        assert min(waits) >= 0
        (service,) = [f for f in rep.ferries if f.from_node == "P"]
        if cancel_prob == 0:
            assert max(waits) <= FERRY_EVERY_H + 1e-9
            assert service.cancelled == 0
        else:
            assert service.cancelled > 0
        means.append(float(np.mean(waits)))
    assert_in_ci(analytic, means, f"ferry wait, cancel_prob {cancel_prob}")
