"""Scenario files: schema, loading, dotted-path overrides and clear errors."""

from corridorsim.scenario.load import Scenario, ShipmentPlan, load_scenario
from corridorsim.scenario.paths import apply_network_sets, split_path

__all__ = ["Scenario", "ShipmentPlan", "apply_network_sets", "load_scenario", "split_path"]
