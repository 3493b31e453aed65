"""Static routing: the expanded (node, carrier) graph, route costs and the k best routes.

A route never changes carrier (gauge, mode) except through a transfer facility at a node, and
its hours, USD, km and CO2 are sums over its legs: link running times, expected ferry waits,
and the dwell and fees of the facilities it meets.
"""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import corridorsim
from corridorsim.errors import InputError, ParameterError, UnknownNameError
from corridorsim.network.io import parse_network
from corridorsim.network.lookup import resolve_node
from corridorsim.network.model import Ferry, Network
from corridorsim.routing import (
    POLICIES,
    Avoid,
    CostModel,
    ExpandedGraph,
    Route,
    Router,
    links_that_would_connect,
    plan_route,
    resolve_avoid,
)
from corridorsim.routing.carriers import mode_of, transfer_allowed
from corridorsim.routing.search import check_open_links
from netgen import collection, link, node, routing_docs

NEWLINE = "XB-PORT--XC-DEST-NEWLINE"
ROAD = "XB-PORT--XC-DEST-ROAD"


def _transfer(route: Route, node_id: str, facility_type: str) -> list[str]:
    """The carrier changes (``a->b``) a route makes at ``node_id`` through ``facility_type``."""
    return [leg.carrier for leg in route.transfers
            if leg.id == node_id and leg.type == facility_type]


# --------------------------------------------------------------------------------------------
# The tiny network: which routes exist


@pytest.mark.parametrize("policy", POLICIES)
def test_tiny_offers_a_rail_route_with_a_gauge_change_and_a_road_route(
    tiny: Network, policy: str
) -> None:
    found = corridorsim.routes(tiny, "XA-ORIGIN", "XC-DEST", by=policy, k=3)
    assert len(found) == 2  # the planned new line stays shut
    rail = next(r for r in found if "XC-BORDER" in r.nodes)
    assert rail.nodes == ("XA-ORIGIN", "XA-PORT", "XB-PORT", "XB-BORDER", "XC-BORDER", "XC-DEST")
    assert rail.modes == ("rail", "ferry", "rail", "rail", "rail")
    assert _transfer(rail, "XC-BORDER", "gauge_change") == ["rail-1520->rail-1435"]
    assert rail.borders == ("XB-BORDER", "XC-BORDER")
    road = next(r for r in found if ROAD in r.links)
    assert road.nodes == ("XA-ORIGIN", "XA-PORT", "XB-PORT", "XC-DEST")
    assert road.modes == ("rail", "ferry", "road")
    assert _transfer(road, "XB-PORT", "terminal") == ["rail-1520->road"]
    for route in found:  # wagons roll onto the ferry and off it at the two ports
        assert _transfer(route, "XA-PORT", "port") == ["rail-1520->ferry:rail-1520"]
        assert _transfer(route, "XB-PORT", "port") == ["ferry:rail-1520->rail-1520"]
        assert NEWLINE not in route.links


def test_fastest_takes_the_road_and_cheapest_the_rail_on_tiny(tiny: Network) -> None:
    (fastest,) = corridorsim.routes(tiny, "XA-ORIGIN", "XC-DEST", by="fastest")
    (cheapest,) = corridorsim.routes(tiny, "XA-ORIGIN", "XC-DEST", by="cheapest")
    assert ROAD in fastest.links
    assert "XC-BORDER" in cheapest.nodes
    assert fastest.hours < cheapest.hours
    assert cheapest.usd_per_wagon < fastest.usd_per_wagon


def test_a_planned_link_is_used_only_once_opened(tiny: Network) -> None:
    shut = corridorsim.routes(tiny, "XA-ORIGIN", "XC-DEST", k=5)
    assert all(NEWLINE not in r.links for r in shut)
    opened = corridorsim.routes(tiny, "XA-ORIGIN", "XC-DEST", k=5, open_links=[NEWLINE])
    assert len(opened) == 3
    assert opened[0].links == ("XA-ORIGIN--XA-PORT", "XA-PORT--XB-PORT", NEWLINE)
    # no gauge change: the new line is 1520 all the way
    assert [leg.type for leg in opened[0].transfers] == ["port", "port"]
    assert opened[0].hours < shut[0].hours


def test_opening_an_unknown_link_names_the_parameter(tiny: Network) -> None:
    with pytest.raises(ParameterError, match=r"^open_links: no link 'NOPE'$") as caught:
        corridorsim.routes(tiny, "XA-ORIGIN", "XC-DEST", open_links=["NOPE"])
    assert caught.value.param == "open_links"
    with pytest.raises(ParameterError) as several:
        check_open_links(tiny, [NEWLINE, "NOPE", "ALSO-NOPE"])
    assert several.value.problems == (
        "open_links: no link 'NOPE'",
        "open_links: no link 'ALSO-NOPE'",
    )
    assert check_open_links(tiny, [NEWLINE, NEWLINE]) == {NEWLINE}


def test_links_that_would_connect_names_the_planned_link(tiny: Network) -> None:
    avoid = Avoid(nodes=frozenset({"XB-BORDER"}), links=frozenset({ROAD}))
    assert Router(tiny, avoid=avoid).routes("XA-ORIGIN", "XC-DEST") == []
    assert links_that_would_connect(tiny, "XA-ORIGIN", "XC-DEST", avoid=avoid) == (NEWLINE,)
    cut_off = Avoid(nodes=frozenset({"XB-PORT"}))
    assert links_that_would_connect(tiny, "XA-ORIGIN", "XC-DEST", avoid=cut_off) == ()


# --------------------------------------------------------------------------------------------
# The hand network: every figure by hand (tonnes_per_wagon = 50 throughout)

T = 50.0  # tonnes per wagon


def test_rail_route_figures_by_hand(hand_network: Network) -> None:
    (rail,) = corridorsim.routes(hand_network, "A", "D", by="cheapest", tonnes_per_wagon=T)
    assert rail.links == ("A-B", "B-C", "C-D")
    assert [(leg.kind, leg.id) for leg in rail.legs] == [
        ("link", "A-B"), ("facility", "B"), ("link", "B-C"), ("facility", "C"), ("link", "C-D")]
    # hours: A-B 100 km / 50 km/h = 2; border at B 10; B-C 200 / 40 = 5; gauge change 5;
    # C-D 60 / 60 = 1.
    assert rail.hours == pytest.approx(2 + 10 + 5 + 5 + 1)  # 23
    assert rail.days == pytest.approx(23 / 24)
    # USD per wagon: A-B 1 USD/wagon-km x 100 km = 100; border fee 100;
    # B-C 0.01 USD/t-km x 200 km x 50 t = 100; gauge change 300; C-D fixed 40.
    assert rail.usd_per_wagon == pytest.approx(100 + 100 + 100 + 300 + 40)  # 640
    assert rail.usd_per_tonne == pytest.approx(640 / 50)  # 12.8
    assert rail.km == pytest.approx(100 + 200 + 60)
    # CO2: rail default 25 g/t-km on 300 km, C-D its own 20 g/t-km on 60 km.
    assert rail.co2_kg_per_tonne == pytest.approx((25 * 300 + 20 * 60) / 1000)  # 8.7
    assert rail.borders == ("B",)
    assert [(leg.id, leg.carrier) for leg in rail.transfers] == [("C", "rail-1520->rail-1435")]
    assert rail.score == rail.usd_per_wagon


def test_road_route_figures_by_hand(hand_network: Network) -> None:
    (road,) = corridorsim.routes(hand_network, "A", "D", by="fastest", tonnes_per_wagon=T)
    assert road.links == ("A-T", "T-D")
    # hours: A-T 50 / 50 = 1; terminal 2; T-D 240 / 60 = 4.
    assert road.hours == pytest.approx(1 + 2 + 4)
    # USD: A-T no tariff 0; terminal 50; T-D 0.05 USD/t-km x 240 km x 50 t = 600.
    assert road.usd_per_wagon == pytest.approx(0 + 50 + 600)
    assert road.km == pytest.approx(50 + 240)
    # CO2: rail 25 g/t-km x 50 km + road 80 g/t-km x 240 km.
    assert road.co2_kg_per_tonne == pytest.approx((25 * 50 + 80 * 240) / 1000)  # 20.45
    assert road.borders == ()
    assert [(leg.id, leg.type, leg.carrier) for leg in road.transfers] == [
        ("T", "terminal", "rail-1520->road")]
    assert road.score == road.hours


def test_generalized_adds_the_value_of_time(hand_network: Network) -> None:
    # rail: 640 USD + 0.5 USD/t/day x 50 t x 23/24 days = 663.96
    # road: 650 USD + 0.5 USD/t/day x 50 t x 7/24 days  = 657.29  -> road is better
    found = corridorsim.routes(hand_network, "A", "D", by="generalized", k=2, tonnes_per_wagon=T,
                               value_of_time_usd_per_tonne_day=0.5)
    assert [r.links for r in found] == [("A-T", "T-D"), ("A-B", "B-C", "C-D")]
    assert found[0].score == pytest.approx(650 + 0.5 * 50 * 7 / 24)
    assert found[1].score == pytest.approx(640 + 0.5 * 50 * 23 / 24)
    # at 10 USD/t/day the slow rail route costs far more: the order cannot change
    dear = corridorsim.routes(hand_network, "A", "D", by="generalized", k=2, tonnes_per_wagon=T,
                              value_of_time_usd_per_tonne_day=10)
    assert dear[0].score == pytest.approx(650 + 10 * 50 * 7 / 24)


def test_ferry_route_figures_by_hand(hand_network: Network) -> None:
    (sea,) = corridorsim.routes(hand_network, "A", "R", tonnes_per_wagon=T)
    assert sea.links == ("A-P", "P-Q", "Q-R")
    ferry = next(leg for leg in sea.legs if leg.id == "P-Q")
    # a sailing every 24 h, each cancelled with p = 0.5:
    # half an interval, plus one interval per cancelled sailing, p / (1 - p) = 1 on average.
    assert ferry.run_h == 12
    assert ferry.wait_h == pytest.approx(24 / 2 + 24 * 0.5 / (1 - 0.5))  # 36
    # hours: A-P 25/50 = 0.5; port at P 3; ferry 12 + 36; port at Q 3; Q-R 30/60 = 0.5.
    assert sea.hours == pytest.approx(0.5 + 3 + 48 + 3 + 0.5)  # 55
    # USD: ports 20 + 20, ferry fixed 500 per wagon.
    assert sea.usd_per_wagon == pytest.approx(20 + 500 + 20)
    assert sea.km == pytest.approx(25 + 120 + 30)
    # CO2: rail 25 g/t-km x 55 km, ferry 50 g/t-km x 120 km.
    assert sea.co2_kg_per_tonne == pytest.approx((25 * 55 + 50 * 120) / 1000)  # 7.375
    assert [leg.carrier for leg in sea.transfers] == [
        "rail-1520->ferry:rail-1520", "ferry:rail-1520->rail-1520"]


@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.9])
@pytest.mark.parametrize("every_h", [12, 24, 48])
def test_expected_ferry_wait_is_half_an_interval_plus_one_per_cancelled_sailing(
    p: float, every_h: float
) -> None:
    ferry = Ferry(capacity_wagons=10, sailing_h=10, every_h=every_h, cancel_prob=p)
    assert ferry.expected_wait_h() == pytest.approx(every_h / 2 + every_h * p / (1 - p))


def test_monthly_cancellations_use_their_yearly_mean() -> None:
    monthly = [0.5] * 6 + [0.0] * 6
    ferry = Ferry(capacity_wagons=10, sailing_h=10, every_h=24, cancel_prob=monthly)
    assert ferry.expected_wait_h() == pytest.approx(12 + 24 * 0.25 / 0.75)


def test_a_border_at_either_end_of_a_route_is_counted(hand_network: Network) -> None:
    (into,) = corridorsim.routes(hand_network, "A", "B", tonnes_per_wagon=T)
    assert into.hours == pytest.approx(2 + 10) and into.usd_per_wagon == pytest.approx(100 + 100)
    (out_of,) = corridorsim.routes(hand_network, "B", "A", tonnes_per_wagon=T)
    assert out_of.hours == pytest.approx(10 + 2)
    assert into.borders == out_of.borders == ("B",)


def test_leg_and_route_dicts_carry_the_stable_keys(hand_network: Network) -> None:
    (rail,) = corridorsim.routes(hand_network, "A", "D", by="cheapest", tonnes_per_wagon=T)
    out = rail.to_dict(rank=1)
    assert out["rank"] == 1
    assert out["nodes"] == ["A", "B", "C", "D"]
    assert (out["km"], out["hours"], out["usd_per_wagon"], out["usd_per_tonne"]) == (
        360, 23, 640, 12.8)
    assert out["days"] == round(23 / 24, 3)
    assert out["co2_kg_per_tonne"] == 8.7
    assert out["borders"] == ["B"]
    assert out["transfers"] == [{"node": "C", "type": "gauge_change", "from": "rail-1520",
                                 "to": "rail-1435", "hours": 5, "usd_per_wagon": 300}]
    assert [leg["kind"] for leg in out["legs"]] == ["link", "facility", "link", "facility", "link"]
    assert out["legs"][0] == {"kind": "link", "id": "A-B", "type": "rail", "carrier": "rail-1520",
                              "from": "A", "to": "B", "km": 100, "hours": 2, "run_h": 2,
                              "wait_h": 0, "usd_per_wagon": 100, "time_usd_per_wagon": 0,
                              "co2_kg_per_tonne": 2.5}


# --------------------------------------------------------------------------------------------
# k best routes


@pytest.mark.parametrize("policy", POLICIES)
def test_k_best_routes_are_distinct_and_sorted_by_score(tiny: Network, policy: str) -> None:
    found = corridorsim.routes(tiny, "XA-ORIGIN", "XC-DEST", by=policy, k=5, open_links=[NEWLINE])
    assert len(found) == 3
    assert len({r.links for r in found}) == len(found)
    scores = [r.score for r in found]
    assert scores == sorted(scores)
    cost = CostModel()
    for route in found:
        assert route.policy == policy
        assert route.score == pytest.approx(cost.weight(policy, route.hours, route.usd_per_wagon))
        assert len(set(route.nodes)) == len(route.nodes)  # no node twice


def test_k_is_an_upper_bound(tiny: Network) -> None:
    assert len(corridorsim.routes(tiny, "XA-ORIGIN", "XC-DEST", k=1)) == 1
    assert len(corridorsim.routes(tiny, "XA-ORIGIN", "XC-DEST", k=50)) == 2


@pytest.mark.parametrize(("kwargs", "param", "message"), [
    ({"by": "shortest"}, "by",
     r"^by: unknown policy 'shortest' \(one of fastest, cheapest, generalized\)$"),
    ({"k": 0}, "k", r"^k: must be at least 1 \(got 0\)$"),
    ({"max_overlap": -0.1}, "max_overlap", r"^max_overlap: must be between 0 and 1 \(got -0.1\)$"),
])
def test_a_bad_parameter_is_named_as_the_library_spells_it(
    tiny: Network, kwargs: dict[str, Any], param: str, message: str
) -> None:
    with pytest.raises(ParameterError, match=message) as caught:
        corridorsim.routes(tiny, "XA-ORIGIN", "XC-DEST", **kwargs)
    assert caught.value.param == param
    with pytest.raises(ParameterError, match=message):
        Router(tiny).routes("XA-ORIGIN", "XC-DEST", **kwargs)


def test_an_end_that_is_no_node_names_origin_or_destination(tiny: Network) -> None:
    router = Router(tiny)
    with pytest.raises(ParameterError, match=r"^origin: no node 'NOPE'$"):
        router.routes("NOPE", "XC-DEST")
    with pytest.raises(ParameterError, match=r"^destination: no node 'NOPE'$"):
        router.routes("XA-ORIGIN", "NOPE")


def test_origin_and_destination_must_differ(tiny: Network) -> None:
    same = r"^origin and destination are the same node \(XA-ORIGIN\)$"
    with pytest.raises(InputError, match=same):
        corridorsim.routes(tiny, "XA-ORIGIN", "origin yard")


def test_max_overlap_keeps_routes_through_different_corridors(tiny: Network) -> None:
    router = Router(tiny, open_links=[NEWLINE])
    # All three share the origin line and the ferry (136.6 + 450 = 586.6 km): that is 0.436 of
    # the road route (1346.6 km) and 0.446 of the rail route (1314.6 km).
    assert len(router.routes("XA-ORIGIN", "XC-DEST", k=5, max_overlap=0.45)) == 3
    (only,) = router.routes("XA-ORIGIN", "XC-DEST", k=5, max_overlap=0.4)
    assert only.links[-1] == NEWLINE
    with pytest.raises(ParameterError, match=r"^max_overlap: must be between 0 and 1 \(got 1.5\)$"):
        router.routes("XA-ORIGIN", "XC-DEST", max_overlap=1.5)


def test_routes_sharing_nothing_pass_any_overlap_limit(hand_network: Network) -> None:
    found = Router(hand_network).routes("A", "D", k=5, max_overlap=0.0)
    assert {r.links for r in found} == {("A-B", "B-C", "C-D"), ("A-T", "T-D")}


def test_origin_facilities_can_be_left_out(hand_network: Network) -> None:
    """A consignment re-planning at a border it has already passed does not pass it again."""
    router = Router(hand_network, cost=CostModel(tonnes_per_wagon=T))
    (fresh,) = router.routes("B", "A")
    (replanned,) = router.routes("B", "A", origin_facilities=False)
    assert fresh.hours == pytest.approx(10 + 2)
    assert replanned.hours == pytest.approx(2)
    assert replanned.borders == ()


def test_start_carrier_pins_what_the_consignment_is_in(hand_network: Network) -> None:
    """Trucks at the terminal T must be loaded onto wagons (2 h) before the 1 h run to A."""
    router = Router(hand_network, cost=CostModel(tonnes_per_wagon=T))
    (any_carrier,) = router.routes("T", "A")
    (in_trucks,) = router.routes("T", "A", start_carrier="road")
    assert any_carrier.hours == pytest.approx(1)
    assert in_trucks.hours == pytest.approx(2 + 1)
    assert [leg.carrier for leg in in_trucks.transfers] == ["road->rail-1520"]


# --------------------------------------------------------------------------------------------
# Planning one shipment's route


def test_plan_route_takes_the_best_route_under_the_policy(hand_network: Network) -> None:
    cost = CostModel(tonnes_per_wagon=T)
    fastest = plan_route(hand_network, cost, "A", "D", "fastest")
    cheapest = plan_route(hand_network, cost, "A", "D", "cheapest")
    assert fastest is not None and fastest.links == ("A-T", "T-D")
    assert cheapest is not None and cheapest.links == ("A-B", "B-C", "C-D")
    assert fastest == Router(hand_network, cost=cost).routes("A", "D")[0]


def test_plan_route_keeps_to_the_fixed_nodes(hand_network: Network) -> None:
    cost = CostModel(tonnes_per_wagon=T)
    route = plan_route(hand_network, cost, "A", "D", "fastest", fixed=("A", "B", "C", "D"))
    assert route is not None and route.links == ("A-B", "B-C", "C-D")
    assert plan_route(hand_network, cost, "A", "D", "fastest", fixed=("A", "C", "D")) is None


def test_plan_route_goes_around_what_is_avoided_or_closed(hand_network: Network) -> None:
    cost = CostModel(tonnes_per_wagon=T)
    around = plan_route(hand_network, cost, "A", "D", "fastest", avoid_tokens=("XT",))
    assert around is not None and around.links == ("A-B", "B-C", "C-D")
    closed = plan_route(hand_network, cost, "A", "D", "fastest", avoid_extra=frozenset({"T-D"}))
    assert closed == around
    assert plan_route(hand_network, cost, "A", "D", "fastest",
                      avoid_extra=frozenset({"T", "C"})) is None


def test_plan_route_re_plans_from_where_a_consignment_is(hand_network: Network) -> None:
    """Trucks at T keep their carrier; the border at B already passed is not met again."""
    cost = CostModel(tonnes_per_wagon=T)
    in_trucks = plan_route(hand_network, cost, "T", "A", "fastest", start_carrier="road")
    assert in_trucks is not None and in_trucks.hours == pytest.approx(2 + 1)
    past = plan_route(hand_network, cost, "B", "A", "fastest", origin_facilities=False)
    assert past is not None and past.borders == ()


# --------------------------------------------------------------------------------------------
# Avoiding nodes, links and countries


def test_avoid_a_node(tiny: Network) -> None:
    found = corridorsim.routes(tiny, "XA-ORIGIN", "XC-DEST", k=5, avoid=["XB-BORDER"])
    assert [r.links[-1] for r in found] == [ROAD]


def test_avoid_a_node_by_its_name(tiny: Network) -> None:
    found = corridorsim.routes(tiny, "XA-ORIGIN", "XC-DEST", k=5, avoid=["border east"])
    assert all("XB-BORDER" not in r.nodes for r in found) and found


def test_avoid_a_link(tiny: Network) -> None:
    found = corridorsim.routes(tiny, "XA-ORIGIN", "XC-DEST", k=5, avoid=[ROAD])
    assert len(found) == 1 and "XC-BORDER" in found[0].nodes


def test_avoid_a_country(hand_network: Network) -> None:
    found = corridorsim.routes(hand_network, "A", "D", k=5, avoid=["XT"])
    assert [r.links for r in found] == [("A-B", "B-C", "C-D")]
    assert corridorsim.routes(hand_network, "A", "D", k=5, avoid=["xt"]) == found


def test_avoiding_the_country_of_an_end_is_an_input_error(hand_network: Network) -> None:
    with pytest.raises(InputError, match=r"^origin A is among the nodes to avoid$"):
        corridorsim.routes(hand_network, "A", "D", avoid=["XA"])
    with pytest.raises(InputError, match=r"^destination D is among the nodes to avoid$"):
        corridorsim.routes(hand_network, "A", "D", avoid=["XB"])


def test_resolve_avoid_sorts_words_into_nodes_links_and_countries(tiny: Network) -> None:
    avoid = resolve_avoid(tiny, ["XB-BORDER", ROAD, "xc", "port east"])
    assert avoid == Avoid(nodes=frozenset({"XB-BORDER", "XB-PORT"}), links=frozenset({ROAD}),
                          countries=frozenset({"XC"}))
    with pytest.raises(UnknownNameError, match="no node, link or country to avoid 'ZZ'"):
        resolve_avoid(tiny, ["ZZ"])


def test_no_route_is_an_empty_list(tiny: Network) -> None:
    assert corridorsim.routes(tiny, "XA-ORIGIN", "XC-DEST", avoid=["XB"]) == []


# --------------------------------------------------------------------------------------------
# Node names


@pytest.mark.parametrize("typed", [
    "XA-ORIGIN", "xa-origin", "Origin Yard", "origin yard", "ORIGIN YARD", "  origin yard ",
    "origin", "yard",
])
def test_a_node_is_found_by_id_or_name_ignoring_case(tiny: Network, typed: str) -> None:
    assert resolve_node(tiny, typed) == "XA-ORIGIN"


def test_aliases_are_names_too(tiny_doc: dict[str, Any]) -> None:
    tiny_doc["features"][0]["properties"]["aliases"] = ["Kostanay"]
    net = parse_network(tiny_doc)
    assert resolve_node(net, "kostanay") == "XA-ORIGIN"


def test_an_ambiguous_name_lists_the_candidates(tiny: Network) -> None:
    with pytest.raises(UnknownNameError) as caught:
        resolve_node(tiny, "port", what="--from")
    (line,) = caught.value.problems
    assert line.startswith("--from 'port' is ambiguous")
    assert "XA-PORT (Port West)" in line and "XB-PORT (Port East)" in line


def test_an_unknown_name_lists_the_closest_nodes(tiny: Network) -> None:
    with pytest.raises(UnknownNameError) as caught:
        resolve_node(tiny, "Destinaton Terminal", what="destination")
    (line,) = caught.value.problems
    assert line.startswith("no destination 'Destinaton Terminal' (closest: ")
    assert "XC-DEST (Destination Terminal)" in line
    assert isinstance(caught.value, InputError)


def test_an_unknown_end_of_a_route_query_names_the_parameter(tiny: Network) -> None:
    with pytest.raises(ParameterError, match=r"^destination: .*'Destinaton Terminal'") as caught:
        corridorsim.routes(tiny, "XA-ORIGIN", "Destinaton Terminal")
    assert caught.value.param == "destination"
    assert "XC-DEST (Destination Terminal)" in str(caught.value)


def test_an_empty_name_is_an_error(tiny: Network) -> None:
    with pytest.raises(UnknownNameError, match="empty name"):
        resolve_node(tiny, "  ")


# --------------------------------------------------------------------------------------------
# The expanded graph: carriers change only where a facility allows it


def test_transfer_rules() -> None:
    assert transfer_allowed("gauge_change", "rail-1520", "rail-1435")
    assert not transfer_allowed("gauge_change", "rail-1520", "road")
    assert transfer_allowed("terminal", "rail-1435", "road")
    assert not transfer_allowed("terminal", "rail-1435", "rail-1520")
    assert transfer_allowed("port", "rail-1520", "ferry:rail-1520")
    assert not transfer_allowed("port", "rail-1520", "ferry:rail-1435")  # wagons keep gauge
    assert transfer_allowed("port", "ferry:road", "road")
    assert transfer_allowed("port", "sea", "rail-1435")
    assert not transfer_allowed("border", "rail-1520", "rail-1435")
    assert not transfer_allowed("yard", "road", "rail-1520")
    assert mode_of("ferry:rail-1520") == "ferry"


def _states(graph: Any) -> list[tuple[tuple[str, str], tuple[str, str], tuple[Any, ...]]]:
    """Arcs between two states of one node, as ((node, carrier), (node, carrier), legs).

    A state vertex is a tuple starting (node, carrier, ...); the vertex carrying a second link
    between the same nodes (``("via", ...)``) is left out.
    """
    out = []
    for u, v, legs in graph.edges(data="legs"):
        if len(u) >= 2 and len(v) >= 2 and "via" not in (u[0], v[0]) and u[0] == v[0]:
            out.append(((u[0], u[1]), (v[0], v[1]), tuple(legs)))
    return out


def test_tiny_expanded_graph_changes_gauge_only_at_the_gauge_change(tiny: Network) -> None:
    expanded = ExpandedGraph(tiny)
    changes = {(u[0], u[1], v[1]) for u, v, _ in _states(expanded.graph)
               if u[1].startswith("rail-") and v[1].startswith("rail-") and u[1] != v[1]}
    assert changes == {
        ("XC-BORDER", "rail-1520", "rail-1435"),
        ("XC-BORDER", "rail-1435", "rail-1520"),
    }
    assert expanded.carriers_at["XB-PORT"] == {"ferry:rail-1520", "ferry:road", "rail-1520",
                                               "road"}


def test_passing_legs_are_the_borders_and_yards_a_carrier_meets(tiny: Network) -> None:
    """At XC-BORDER a border (index 0) processes everyone; its gauge change only transfers."""
    expanded = ExpandedGraph(tiny)
    (border,) = expanded.passing_legs("XC-BORDER", "rail-1520")
    assert (border.kind, border.type, border.facility_index) == ("facility", "border", 0)
    assert border.carrier == "rail-1520"
    assert expanded.passing_legs("XA-PORT", "rail-1520") == ()  # a port only transfers


def _check_graph(network: Network, expanded: ExpandedGraph) -> None:
    """Every arc from one carrier to another at a node is a chain of allowed transfers there,
    and every change of rail gauge among them goes through a gauge_change facility."""
    for (node_id, a), (_, b), legs in _states(expanded.graph):
        carrier = a
        for leg in legs:
            assert leg.kind == "facility" and leg.id == node_id, (a, b, leg)
            if not leg.is_transfer:
                continue
            before, after = leg.carrier.split("->")
            assert before == carrier
            assert transfer_allowed(leg.type, before, after)
            g1, g2 = _gauge(before), _gauge(after)
            if g1 and g2 and g1 != g2:
                assert leg.type == "gauge_change"
                assert _has_facility(network, node_id, "gauge_change")
            carrier = after
        assert carrier == b, (node_id, a, b, legs)
        g1, g2 = _gauge(a), _gauge(b)
        if g1 and g2 and g1 != g2:
            assert _has_facility(network, node_id, "gauge_change"), (node_id, a, b)


def _gauge(carrier: str) -> str | None:
    return carrier[len("rail-"):] if carrier.startswith("rail-") else None


def _has_facility(network: Network, node_id: str, facility_type: str) -> bool:
    return bool(network.node(node_id).facilities_of(facility_type))


def _check_walk(network: Network, route: Route) -> None:
    """Walk the legs: each link leaves from where the last ended, in the current carrier; the
    carrier changes only in a transfer leg at that node, through a facility that allows it."""
    place, carrier = route.origin, None
    for leg in route.legs:
        if leg.kind == "link":
            assert leg.from_node == place
            assert carrier in (None, leg.carrier), (carrier, leg)
            place, carrier = leg.to_node, leg.carrier
        elif leg.is_transfer:
            before, after = leg.carrier.split("->")
            assert leg.id == place
            assert carrier in (None, before), (carrier, leg)
            facility = network.node(place).facility[leg.facility_index]
            assert facility.type == leg.type
            assert transfer_allowed(facility.type, before, after)
            carrier = after
        else:  # a border or a yard processing the consignment as it is
            assert leg.id == place
            assert network.node(place).facility[leg.facility_index].type in ("border", "yard")
            carrier = carrier or leg.carrier
            assert leg.carrier == carrier
    assert place == route.destination


def _check_rail_gauges(network: Network, route: Route) -> None:
    """Consecutive rail link legs of different gauges meet at a gauge_change, with its leg."""
    links = [i for i, leg in enumerate(route.legs) if leg.kind == "link"]
    for i, j in pairwise(links):
        first, second = route.legs[i], route.legs[j]
        g1, g2 = _gauge(first.carrier), _gauge(second.carrier)
        if g1 and g2 and g1 != g2:
            meeting = first.to_node
            assert _has_facility(network, meeting, "gauge_change"), (meeting, route.legs)
            between = route.legs[i + 1 : j]
            assert any(leg.kind == "facility" and leg.type == "gauge_change"
                       and leg.id == meeting for leg in between)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=routing_docs(ferries=False), data=st.data())
def test_gauge_never_changes_without_a_gauge_change_facility(
    doc: dict[str, Any], data: st.DataObject
) -> None:
    network = parse_network(doc)
    _check_graph(network, ExpandedGraph(network))
    ids = list(network.nodes)
    origin = data.draw(st.sampled_from(ids))
    destination = data.draw(st.sampled_from([i for i in ids if i != origin]))
    policy = data.draw(st.sampled_from(POLICIES))
    for route in Router(network).routes(origin, destination, by=policy, k=3):
        _check_rail_gauges(network, route)
        _check_walk(network, route)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=routing_docs(ferries=True), data=st.data())
def test_routes_change_carrier_only_through_a_facility_that_allows_it(
    doc: dict[str, Any], data: st.DataObject
) -> None:
    network = parse_network(doc)
    ids = list(network.nodes)
    origin = data.draw(st.sampled_from(ids))
    destination = data.draw(st.sampled_from([i for i in ids if i != origin]))
    policy = data.draw(st.sampled_from(POLICIES))
    found = Router(network).routes(origin, destination, by=policy, k=3)
    assert len({r.links for r in found}) == len(found)
    assert [r.score for r in found] == sorted(r.score for r in found)
    _check_graph(network, Router(network).expanded)
    for route in found:
        _check_walk(network, route)
        _check_rail_gauges(network, route)
        assert route.hours >= 0 and route.usd_per_wagon >= 0


def _two_ferries_doc() -> dict[str, Any]:
    """Wagons of both gauges reach two ports joined by two ferry lines; no gauge change anywhere."""
    a, b = node("A", 40.0, 40.0), node("B", 43.0, 40.0)
    p = node("P", 41.0, 40.0, kind="port", facility={"type": "port", "dwell_h": 1})
    q = node("Q", 42.0, 40.0, kind="port", facility={"type": "port", "dwell_h": 1})
    ferry = {"capacity_wagons": 20, "sailing_h": 10, "every_h": 24}
    return collection([
        a, p, q, b,
        link("A-P-1435", a, p, mode="rail", gauge_mm=1435, length_km=10),
        link("Q-B-1520", q, b, mode="rail", gauge_mm=1520, length_km=10),
        # each port also has a short siding of the other gauge, so the ferries carry both
        link("A-P-1520", a, p, mode="rail", gauge_mm=1520, length_km=500),
        link("Q-B-1435", q, b, mode="rail", gauge_mm=1435, length_km=500),
        link("P-Q-SLOW", p, q, mode="ferry", ferry=ferry),
        link("P-Q-FAST", p, q, mode="ferry", ferry={**ferry, "sailing_h": 5}),
    ])


def test_parallel_ferries_keep_each_carrier_apart() -> None:
    network = parse_network(_two_ferries_doc())
    for route in Router(network).routes("A", "B", k=6):
        _check_walk(network, route)


def test_a_route_ending_at_a_port_by_ferry_is_unloaded_there(tiny: Network) -> None:
    (to_port,) = corridorsim.routes(tiny, "XA-ORIGIN", "XB-PORT")
    assert to_port.legs[-1].kind == "facility" and to_port.legs[-1].type == "port"
    (from_port,) = corridorsim.routes(tiny, "XB-PORT", "XA-ORIGIN")
    assert from_port.legs[0].kind == "facility" and from_port.legs[0].type == "port"


def test_a_terminal_is_no_gauge_change() -> None:
    a = node("A", 40.0, 40.0)
    t = node("T", 41.0, 40.0, kind="terminal", facility={"type": "terminal", "dwell_h": 1})
    b, c = node("B", 42.0, 40.0), node("C", 40.0, 41.0)
    network = parse_network(collection([
        a, t, b, c,
        link("A-T", a, t, mode="rail", gauge_mm=1520, length_km=10),
        link("T-B", t, b, mode="rail", gauge_mm=1435, length_km=10),
        link("C-T", c, t, mode="road", length_km=10),  # gives T its road side
    ]))
    assert not _has_facility(network, "T", "gauge_change")
    found = Router(network).routes("A", "B", k=3)
    for route in found:
        _check_rail_gauges(network, route)
    assert found == [], "A (1520) and B (1435) meet only at T, which cannot change gauge"


@pytest.mark.parametrize(
    "option", ["tonnes_per_wagon", "value_of_time_usd_per_tonne_day", "max_overlap"]
)
@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_a_non_finite_option_names_the_parameter(tiny: Network, option: str, value: float) -> None:
    with pytest.raises(ParameterError, match=rf"^{option}: must be a finite number"):
        corridorsim.routes(tiny, "XA-ORIGIN", "XC-DEST", **{option: value})
