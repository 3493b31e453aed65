"""Route plans are remembered by what can change them, and only that.

:func:`~corridorsim.routing.plan.plan_route` remembers each plan under
:func:`~corridorsim.routing.plan.routing_key` (the network as routing reads it) and the
query. A change routing does not read (servers, capacities, a dwell's spread) finds the plan
remembered; a change it reads (a mean dwell, a tariff, a link's status) plans again and can
give another route. Replications, sweep points and repeated loads share the memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from corridorsim import load_network, load_scenario, simulate
from corridorsim.network.model import Network
from corridorsim.routing.graph import CostModel
from corridorsim.routing.plan import (
    clear_plan_cache,
    plan_cache_info,
    plan_route,
    router_for,
    routing_key,
)
from corridorsim.routing.search import Avoid
from corridorsim.scenario.paths import apply_network_sets

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "networks" / "caucasus-caspian.geojson"
COST = CostModel(68.0, 0.5)
TRIP = ("KZ-KOSTANAY", "AM-AYRUM")


@pytest.fixture()
def fresh() -> Iterator[None]:
    clear_plan_cache()
    yield
    clear_plan_cache()


@pytest.fixture(scope="module")
def shipped() -> Network:
    return load_network(SHIPPED)


def changed(network: Network, sets: dict[str, Any]) -> Network:
    return apply_network_sets(network, sets, where="test")


def border(network: Network) -> str:
    """The first node on the Kostanay - Ayrum route with a border post."""
    route = plan_route(network, COST, *TRIP, "fastest")
    assert route is not None
    return route.borders[0]


def test_what_routing_does_not_read_leaves_the_key_as_it_was(shipped: Network) -> None:
    node_id = border(shipped)
    same = changed(shipped, {
        f"nodes.{node_id}.facility.0.servers": 7,
        f"nodes.{node_id}.facility.0.capacity_per_day": 3,
    })
    assert same is not shipped
    assert routing_key(same) == routing_key(shipped)
    dearer = changed(shipped, {f"nodes.{node_id}.facility.0.fee_usd_per_wagon": 999})
    slower = changed(shipped, {f"nodes.{node_id}.facility.0.dwell_h": 500})
    assert routing_key(dearer) != routing_key(shipped)
    assert routing_key(slower) != routing_key(shipped)


def test_a_plan_is_searched_once_for_equal_network_states(shipped: Network, fresh: None) -> None:
    first = plan_route(shipped, COST, *TRIP, "fastest")
    assert plan_cache_info().searches == 1
    node_id = border(shipped)
    for servers in (2, 3, 4):
        same = changed(shipped, {f"nodes.{node_id}.facility.0.servers": servers})
        assert plan_route(same, COST, *TRIP, "fastest") is first
    info = plan_cache_info()
    assert (info.searches, info.routers_built) == (1, 1)
    # Another policy, cargo or end is another plan.
    plan_route(shipped, COST, *TRIP, "cheapest")
    plan_route(shipped, CostModel(50.0, 0.5), *TRIP, "fastest")
    plan_route(shipped, COST, TRIP[0], "GE-POTI", "fastest")
    assert plan_cache_info().searches == 4


def test_a_change_routing_reads_plans_again_and_can_change_the_route(
    shipped: Network, fresh: None
) -> None:
    first = plan_route(shipped, COST, *TRIP, "fastest")
    assert first is not None
    node_id = first.borders[0]
    blocked = changed(shipped, {f"nodes.{node_id}.facility.0.dwell_h": 2000})
    other = plan_route(blocked, COST, *TRIP, "fastest")
    assert plan_cache_info().searches == 2
    assert other is not None and node_id not in other.nodes


def test_routers_are_shared_by_equal_network_states(shipped: Network, fresh: None) -> None:
    node_id = border(shipped)
    same = changed(shipped, {f"nodes.{node_id}.facility.0.servers": 9})
    assert router_for(shipped, COST, Avoid()) is router_for(same, COST, Avoid())
    assert router_for(shipped, COST, Avoid()) is not router_for(
        shipped, COST, Avoid(nodes=frozenset({node_id}))
    )


def test_replications_and_reloads_plan_nothing_again(fresh: None) -> None:
    path = ROOT / "scenarios" / "kz-wheat-monthly-flow.yaml"
    scenario = load_scenario(path)
    after_load = plan_cache_info().searches
    assert 1 <= after_load <= len(scenario.shipments)  # shipments may share a plan
    load_scenario(path)
    assert plan_cache_info().searches == after_load
    simulate(scenario, replications=3, jobs=1)
    during_runs = plan_cache_info().searches - after_load
    simulate(scenario, replications=3, seed=2, jobs=1)
    # Re-plans around closures are searched in the first runs at most, then remembered.
    assert plan_cache_info().searches - after_load == during_runs
