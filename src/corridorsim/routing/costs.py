"""What a route costs, by category and by country (the static side of the cost breakdown).

The categories are those of the simulated breakdown (DESIGN §11 and §16): a link's tariff is
``tariff``, or ``ferry`` on a ferry link; a facility's fees are ``facility_fees``; the expected
cost of the time is ``wagon_hire`` and ``demurrage``. A link's costs go to the country of the
node it leaves, a facility's to its node's country, and hire to the country where its hours are
spent (by the same rule). Each breakdown adds up to the route's USD per tonne.
"""

from __future__ import annotations

from corridorsim.network.model import Network
from corridorsim.routing.route import Leg, Route

COST_CATEGORIES = ("tariff", "facility_fees", "ferry", "wagon_hire", "demurrage")


def place_category(network: Network, kind: str, place: str) -> str:
    """The category of the charges of a leg of ``kind`` (``facility``, ``link``, ...) at
    ``place`` (a node or link id): ``facility_fees``, ``ferry`` or ``tariff`` (a leg that
    charges nothing, such as a formation wait, counts as ``tariff``)."""
    if kind == "facility":
        return "facility_fees"
    link = network.links.get(place) if kind == "link" else None
    return "ferry" if link is not None and link.ferry is not None else "tariff"


def charge_category(network: Network, leg: Leg) -> str:
    """The category of a route leg's charges (see :func:`place_category`)."""
    return place_category(network, leg.kind, leg.id)


def usd_per_tonne_by_category(network: Network, route: Route) -> dict[str, float]:
    """The route's expected USD per tonne, by category."""
    out = dict.fromkeys(COST_CATEGORIES, 0.0)
    for leg in route.legs:
        out[charge_category(network, leg)] += leg.usd_per_wagon
        out["wagon_hire"] += leg.hire_usd_per_wagon
        out["demurrage"] += leg.demurrage_usd_per_wagon
    return {k: v / route.tonnes_per_wagon for k, v in out.items()}


def usd_per_tonne_by_country(network: Network, route: Route) -> dict[str, float]:
    """The route's expected USD per tonne, by country (sorted by country code)."""
    out: dict[str, float] = {}
    for leg in route.legs:
        country = network.nodes[leg.from_node].country
        out[country] = out.get(country, 0.0) + leg.total_usd_per_wagon
    return {k: out[k] / route.tonnes_per_wagon for k in sorted(out)}
