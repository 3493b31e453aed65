"""corridorsim: a freight corridor routing simulator.

The public API, for library users (the CLI calls the same functions)::

    import corridorsim
    net = corridorsim.load_network("networks/caucasus-caspian.geojson")
    for route in corridorsim.routes(net, "Kostanay", "Ayrum", by="fastest", k=3):
        print(route.days, route.usd_per_tonne)
    scenario = corridorsim.load_scenario("scenarios/kz-wheat-ayrum-2025.yaml")
    result = corridorsim.simulate(scenario, replications=30, seed=1)
    print(result.summary()["shipments"]["pilot"]["transit_days"])

Names are imported on first use, so ``import corridorsim`` (and the CLI's ``--help``) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

#: Public name -> "module:attribute".
_API = {
    "load_network": "corridorsim.network.io:load_network",
    "write_network": "corridorsim.network.io:write_network",
    "routes": "corridorsim.api:routes",
    "load_scenario": "corridorsim.scenario.load:load_scenario",
    "simulate": "corridorsim.api:simulate",
    "compare": "corridorsim.api:compare",
    "Network": "corridorsim.network.model:Network",
    "Route": "corridorsim.routing.route:Route",
    "CorridorsimError": "corridorsim.errors:CorridorsimError",
    "InputError": "corridorsim.errors:InputError",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'corridorsim' has no attribute '{name}'")
    module, _, attribute = _API[name].partition(":")
    value = getattr(import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
