"""corridorsim: a freight corridor routing simulator.

The public API, for library users (the CLI calls the same functions)::

    import corridorsim
    net = corridorsim.load_network("networks/caucasus-caspian.geojson")
    for route in corridorsim.routes(net, "Kostanay", "Ayrum", by="fastest", k=3):
        print(route.days, route.usd_per_tonne)
    scenario = corridorsim.load_scenario("scenarios/kz-wheat-ayrum-2025.yaml")
    result = corridorsim.simulate(scenario, replications=30, seed=1)
    pilot = result.shipment("pilot")
    print(pilot.transit_days.mean, pilot.transit_days.ci95, pilot.usd_per_tonne.mean)

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
    "search_routes": "corridorsim.api:search_routes",
    "load_scenario": "corridorsim.scenario.load:load_scenario",
    "simulate": "corridorsim.api:simulate",
    "compare": "corridorsim.api:compare",
    "load_study": "corridorsim.api:load_study",
    "sweep": "corridorsim.api:sweep",
    "assign": "corridorsim.api:assign",
    "capacity": "corridorsim.api:capacity",
    "Network": "corridorsim.network.model:Network",
    "Route": "corridorsim.routing.route:Route",
    "RouteSearch": "corridorsim.api:RouteSearch",
    "Scenario": "corridorsim.scenario.load:Scenario",
    "SimulationResult": "corridorsim.experiment.results:SimulationResult",
    "ShipmentResult": "corridorsim.experiment.results:ShipmentResult",
    "Estimate": "corridorsim.experiment.stats:Estimate",
    "Comparison": "corridorsim.experiment.compare:Comparison",
    "CorridorsimError": "corridorsim.errors:CorridorsimError",
    "InputError": "corridorsim.errors:InputError",
    "ParameterError": "corridorsim.errors:ParameterError",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    """The public name ``name``, imported on first use."""
    if name not in _API:
        raise AttributeError(f"module 'corridorsim' has no attribute '{name}'")
    module, _, attribute = _API[name].partition(":")
    value = getattr(import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names (for completion in a shell or a notebook)."""
    return sorted(__all__)
