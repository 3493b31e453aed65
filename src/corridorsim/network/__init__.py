"""The network: nodes, links, facilities and ferry services, read from and written to GeoJSON."""

from corridorsim.network.io import load_network, network_to_geojson, parse_network, write_network
from corridorsim.network.model import Facility, Ferry, Link, Network, Node, Tariff

__all__ = [
    "Facility",
    "Ferry",
    "Link",
    "Network",
    "Node",
    "Tariff",
    "load_network",
    "network_to_geojson",
    "parse_network",
    "write_network",
]
