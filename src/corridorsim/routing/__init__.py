"""Static analysis: the expanded (node, carrier) graph, route costs and the k best routes."""

from corridorsim.routing.graph import POLICIES, CostModel, ExpandedGraph
from corridorsim.routing.plan import plan_route
from corridorsim.routing.route import Leg, Route
from corridorsim.routing.search import (
    Avoid,
    Router,
    links_that_would_connect,
    resolve_avoid,
)

__all__ = [
    "POLICIES",
    "Avoid",
    "CostModel",
    "ExpandedGraph",
    "Leg",
    "Route",
    "Router",
    "links_that_would_connect",
    "plan_route",
    "resolve_avoid",
]
