"""What a ``NETWORK|SCENARIO`` argument stands for: the network state to route on."""

from __future__ import annotations

import os
from pathlib import Path

from corridorsim.network.io import load_network
from corridorsim.network.model import Network

SCENARIO_SUFFIXES = (".yaml", ".yml")


def network_for(path: str | os.PathLike[str]) -> tuple[Network, tuple[str, ...]]:
    """The network a file describes and the links it opens on top of the file's own status.

    A network file is taken as it is; a scenario file gives its network with its
    ``network_changes`` applied (opened links are returned so routing can name them).
    """
    if Path(path).suffix.lower() in SCENARIO_SUFFIXES:
        from corridorsim.scenario.load import load_scenario

        scenario = load_scenario(path)
        return scenario.network, ()
    return load_network(path), ()
