"""The shipped network, scenarios and studies: they load, route and run as the READMEs say.

These are end-to-end checks of the files a planner starts from; each is a short run (few
replications) so the suite stays fast.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import corridorsim
from corridorsim.cli import main
from corridorsim.experiment.study import load_study
from corridorsim.network.io import load_network

ROOT = Path(__file__).resolve().parents[1]
NETWORK = ROOT / "networks" / "caucasus-caspian.geojson"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
STUDIES = sorted((ROOT / "scenarios" / "studies").glob("*.yaml"))
TRIPP = [
    "AZ-HORADIZ--AZ-AGBEND",
    "AZ-AGBEND--AM-MEGHRI",
    "AM-MEGHRI--AZ-ORDUBAD",
    "AZ-ORDUBAD--AZ-JULFA",
    "AZ-JULFA--AZ-NAKHCHIVAN",
    "AZ-NAKHCHIVAN--AZ-SADARAK",
    "AZ-SADARAK--AM-YERASKH",
]


@pytest.fixture(scope="module")
def network() -> corridorsim.Network:
    return load_network(NETWORK)


def test_every_figure_names_its_source(network: corridorsim.Network) -> None:
    keys = network.source_keys()
    assert len(keys) >= 20
    for node in network.nodes.values():
        assert node.source, node.id
        for facility in node.facility:
            assert facility.source, f"{node.id} {facility.type}"
    for link in network.links.values():
        assert link.source, link.id
        assert link.tariff.source, link.id
        if link.ferry is not None:
            assert link.ferry.source, link.id


def test_brief_nodes_and_statuses_are_there(network: corridorsim.Network) -> None:
    for node_id in (
        "KZ-DOSTYK",
        "KZ-ALTYNKOL",
        "KZ-KOSTANAY",
        "KZ-ASTANA",
        "KZ-BEYNEU",
        "KZ-AKTAU",
        "KZ-KURYK",
        "TM-TURKMENBASHI",
        "RU-SAMUR",
        "AZ-YALAMA",
        "AZ-BALAJARY",
        "AZ-HAJIGABUL",
        "AZ-GANJA",
        "AZ-BEYUK-KESIK",
        "AZ-ALAT",
        "GE-GARDABANI",
        "GE-TBILISI",
        "GE-MARABDA",
        "GE-SADAKHLO",
        "GE-AKHALKALAKI",
        "GE-KARTSAKHI",
        "GE-POTI",
        "GE-BATUMI",
        "AM-AYRUM",
        "AM-VANADZOR",
        "AM-GYUMRI",
        "AM-YEREVAN",
        "AM-MASIS",
        "AM-DALARIK",
        "AM-YERASKH",
        "AM-MEGHRI",
        "AZ-HORADIZ",
        "AZ-AGBEND",
        "AZ-ORDUBAD",
        "AZ-JULFA",
        "AZ-NAKHCHIVAN",
        "AZ-SADARAK",
        "TR-KARS",
        "TR-DILUCU",
    ):
        assert node_id in network.nodes, node_id
    for link_id in TRIPP:
        assert network.links[link_id].status == "planned", link_id
    assert network.links["AM-GYUMRI--TR-KARS"].status == "closed"
    assert network.links["AM-YERASKH--AZ-HORADIZ"].status == "closed"
    assert network.nodes["GE-AKHALKALAKI"].facilities_of("gauge_change")
    assert network.nodes["KZ-DOSTYK"].facilities_of("gauge_change")
    assert {link.mode for link in network.links.values()} == {"rail", "road", "ferry", "sea"}


def test_kazakh_wheat_to_ayrum_route_families(network: corridorsim.Network) -> None:
    russia = corridorsim.routes(network, "Kostanay", "Ayrum")[0]
    assert {"RU-SAMUR", "AZ-YALAMA", "GE-GARDABANI"} <= set(russia.nodes)
    assert "ferry" not in russia.modes
    ferry = corridorsim.routes(network, "Kostanay", "Ayrum", avoid=["RU"])[0]
    assert "ferry" in ferry.modes
    assert {"KZ-AKTAU", "KZ-KURYK"} & set(ferry.nodes) and "AZ-ALAT" in ferry.nodes
    tripp = corridorsim.routes(network, "Kostanay", "Yerevan", open_links=TRIPP, avoid=["GE"])[0]
    assert {"AZ-HORADIZ", "AM-MEGHRI", "AZ-NAKHCHIVAN"} <= set(tripp.nodes)
    with pytest.raises(corridorsim.ParameterError, match=r"^open_links: no link 'NO-SUCH-LINK'$"):
        corridorsim.routes(network, "Kostanay", "Yerevan", open_links=["NO-SUCH-LINK"])


def test_the_k_best_include_the_ferry_when_asked_for_different_corridors(
    network: corridorsim.Network,
) -> None:
    found = corridorsim.routes(network, "Kostanay", "Ayrum", k=5, max_overlap=0.7)
    assert any("ferry" not in r.modes and "RU-SAMUR" in r.nodes for r in found)
    assert any("ferry" in r.modes for r in found)
    assert len({r.links for r in found}) == len(found)


@pytest.mark.parametrize("origin", ["Dostyk", "Altynkol"])
def test_middle_corridor_to_kars_breaks_gauge_at_akhalkalaki(
    network: corridorsim.Network, origin: str
) -> None:
    route = corridorsim.routes(network, origin, "Kars", avoid=["RU"])[0]
    assert "ferry" in route.modes and "AZ-ALAT" in route.nodes
    changes = [(leg.id, leg.type) for leg in route.transfers]
    assert ("GE-AKHALKALAKI", "gauge_change") in changes
    assert route.nodes[-3:] == ("GE-AKHALKALAKI", "GE-KARTSAKHI", "TR-KARS")


def test_routes_cli_on_the_shipped_network_as_json() -> None:
    result = CliRunner().invoke(
        main, ["routes", str(NETWORK), "--from", "ayrum", "--to", "kostanay", "-k", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [r["rank"] for r in document["routes"]] == [1, 2]
    assert document["routes"][0]["nodes"][0] == "AM-AYRUM"


def test_network_readme_counts_match_the_file(network: corridorsim.Network) -> None:
    text = (ROOT / "networks" / "README.md").read_text()
    found = re.search(r"\*\*(\d+) nodes, (\d+) links\*\*", text)
    assert found, "networks/README.md states the counts"
    assert (int(found[1]), int(found[2])) == (len(network.nodes), len(network.links))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenarios_run(path: Path) -> None:
    scenario = corridorsim.load_scenario(path)
    result = corridorsim.simulate(scenario, replications=2)
    summary = result.summary()
    for shipment_id, s in summary["shipments"].items():
        assert s["arrived"] > 0, shipment_id
        assert s["consignments"] == s["arrived"] + s["in_transit"]
        assert s["wagons_arrived"] <= s["wagons_departed"]
        assert s["transit_days"]["mean"] > 0


def test_the_pilot_goes_through_four_borders_without_a_ferry() -> None:
    scenario = corridorsim.load_scenario(ROOT / "scenarios" / "kz-wheat-ayrum-2025.yaml")
    pilot = scenario.shipment("pilot")
    assert pilot.wagons == 15
    assert "ferry" not in pilot.route.modes
    countries = [scenario.network.nodes[n].country for n in pilot.route.nodes]
    crossings = sum(1 for a, b in itertools.pairwise(countries) if a != b)
    assert crossings == 4
    assert pilot.route.nodes[-1] == "AM-DALARIK" and "AM-AYRUM" in pilot.route.nodes


def test_the_middle_corridor_train_is_split_across_ferry_sailings() -> None:
    scenario = corridorsim.load_scenario(ROOT / "scenarios" / "middle-corridor-china-turkey.yaml")
    plan = scenario.shipment("weekly-container")
    ferry = next(leg for leg in plan.route.legs if leg.type == "ferry")
    assert plan.wagons > scenario.network.links[ferry.id].ferry.capacity_wagons


def test_the_grain_flows_share_block_trains_from_kandyagash_to_balajary() -> None:
    scenario = corridorsim.load_scenario(ROOT / "scenarios" / "kz-wheat-block-trains.yaml")
    armenia = scenario.shipment("grain-armenia").route
    # One 06:00 departure a day: half a day's wait for it, on the link leaving Kandyagash.
    (first,) = [leg for leg in armenia.legs if leg.kind == "link" and leg.wait_h]
    assert (first.from_node, first.wait_h) == ("KZ-KANDYAGASH", 12.0)
    result = corridorsim.simulate(scenario, replications=2)
    (service,) = scenario.services
    trains = result.trains[service.id]
    blocks = sum(s.consignments for s in result.shipments.values()) / 2
    assert trains.blocks_per_train > 1.1 and trains.trains < blocks
    assert trains.wagons_per_train <= service.max_wagons
    assert result.shipment("grain-armenia").wait_h_by_cause["formation"] > 5


def test_the_hopper_fleet_returns_empty_and_holds_the_harvest_peak() -> None:
    scenario = corridorsim.load_scenario(ROOT / "scenarios" / "kz-wheat-hopper-fleet.yaml")
    plan = scenario.shipment("grain-armenia")
    assert plan.return_route is not None and plan.return_route.nodes[-1] == "KZ-KOSTANAY"
    result = corridorsim.simulate(scenario, replications=2)
    fleet = result.fleets["kostanay-hoppers"]
    # A round trip is the loaded run, a day to unload and the run home: about two weeks.
    assert 12 < fleet.turnaround_days_mean < 20
    assert 0.3 < fleet.utilisation <= 1
    shipment = result.shipment("grain-armenia")
    assert shipment.wait_h_by_cause["fleet"] > 0
    parts = shipment.usd_per_tonne_by_category or {}
    assert parts["wagon_hire"] > 0
    assert sum(parts.values()) == pytest.approx(shipment.usd_per_tonne.mean, rel=1e-9)


def test_the_2024_container_volume_queues_at_the_caspian() -> None:
    scenario = corridorsim.load_scenario(
        ROOT / "scenarios" / "middle-corridor-2024-containers.yaml")
    shipment = corridorsim.simulate(scenario, replications=2).shipment("containers-2024")
    assert shipment.top_waits[0].place == "KZ-KURYK--AZ-ALAT-FERRY"
    assert shipment.wait_h_by_cause["ferry"] > 24 * 30  # a month and more, on average
    assert shipment.in_transit > 0
    assert shipment.unit == "FEU" and shipment.usd_per_unit is not None


@pytest.mark.parametrize("path", STUDIES, ids=lambda p: p.stem)
def test_shipped_studies_load(path: Path) -> None:
    study = load_study(path)
    assert len(study.design()) >= 30
