"""What a ``NETWORK|SCENARIO`` argument stands for: the network state to route on."""

from __future__ import annotations

import os
from pathlib import Path

from corridorsim.network.io import load_network
from corridorsim.network.model import Network

SCENARIO_SUFFIXES = (".yaml", ".yml")


def network_for(path: str | os.PathLike[str]) -> Network:
    """The network a file describes: a network file as it is, a scenario file's network with
    the scenario's ``network_changes`` applied (opened, closed and set)."""
    if Path(path).suffix.lower() in SCENARIO_SUFFIXES:
        from corridorsim.scenario.load import load_scenario

        return load_scenario(path).network
    return load_network(path)
