"""The scenario file format (YAML), validated with pydantic: unknown keys are errors.

See DESIGN section 4 and ``../../../README.md``. Everything here is frozen; the loader
(:mod:`corridorsim.scenario.load`) checks what needs the network (node ids, routes).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from corridorsim._schema import FrozenDict, FrozenModel, freeze_mapping
from corridorsim.network.calendar import parse_time_of_day
from corridorsim.network.distributions import (
    Distribution,
    Duration,
    Exponential,
    Fixed,
    Real,
    Whole,
)
from corridorsim.network.model import NonNegativeFloat, PositiveFloat, Slug
from corridorsim.routing.graph import CostModel

Policy = Literal["fastest", "cheapest", "generalized"]
HOURS_PER_YEAR = 8760.0
HOURS_PER_MONTH = HOURS_PER_YEAR / 12

#: The most replications a run makes (a file's ``replications``, the ``replications`` of
#: :func:`corridorsim.simulate`, ``-r``): results of every replication are held in memory.
MAX_REPLICATIONS = 100_000

#: The largest seed: a 64-bit signed integer, what the results store (SQLite) and most JSON
#: readers hold exactly.
MAX_SEED = 2**63 - 1
#: The most consignments one shipment may send in one replication, counted from its horizon
#: and mean gap: each is a process and a record in memory, and a million trains is more than
#: any corridor runs in a century.
MAX_DEPARTURES = 1_000_000


class Cargo(FrozenModel):
    """What a wagon carries: its load, and what its value and its time are worth."""

    tonnes_per_wagon: PositiveFloat
    wagon_length_m: PositiveFloat = 14.7  # ferry space in lane metres and tariffs per metre
    value_usd_per_tonne: NonNegativeFloat = 0.0
    value_of_time_usd_per_tonne_day: NonNegativeFloat = 0.0
    #: The wagon's own weight: CO2 counts what moves (net + tare; tare alone for empties).
    tare_tonnes_per_wagon: NonNegativeFloat = 0.0
    #: A consignment changing to road at a terminal becomes ceil(tonnes / this) trucks.
    tonnes_per_truck: PositiveFloat = 20.0
    #: Containers (or other units) per wagon, and what a unit is called: KPIs per unit.
    units_per_wagon: PositiveFloat | None = None
    unit: str | None = Field(None, min_length=1)
    #: Cost of each wagon-day from departure to arrival (simulated time).
    wagon_hire_usd_per_day: NonNegativeFloat = 0.0
    #: The share of the loaded tariff an empty wagon pays.
    empty_tariff_factor: NonNegativeFloat = 1.0
    note: str | None = None

    def cost_model(self, wagons: int) -> CostModel:
        """What routing reads of this cargo, for consignments of ``wagons`` wagons."""
        return CostModel(
            self.tonnes_per_wagon,
            self.value_of_time_usd_per_tonne_day,
            wagons,
            wagon_length_m=self.wagon_length_m,
            wagon_hire_usd_per_day=self.wagon_hire_usd_per_day,
            tonnes_per_truck=self.tonnes_per_truck,
            tare_tonnes_per_wagon=self.tare_tonnes_per_wagon,
        )

    @model_validator(mode="after")
    def _unit_named(self) -> Cargo:
        if (self.units_per_wagon is None) != (self.unit is None):
            raise ValueError("units_per_wagon and unit go together (unit: TEU, FEU, ...)")
        return self


class RouteChoice(FrozenModel):
    """How a shipment's route is chosen: by a policy, or as a fixed list of nodes."""

    policy: Policy | None = None
    fixed: tuple[str, ...] | None = Field(None, min_length=2)
    avoid: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _one_way(self) -> RouteChoice:
        if self.policy is not None and self.fixed is not None:
            raise ValueError("give either policy or fixed, not both")
        return self

    @property
    def effective_policy(self) -> str:
        """The routing policy in force (``fastest`` unless given)."""
        return self.policy or "fastest"


class Shipment(FrozenModel):
    """One consignment, or a recurring flow of them, from origin to destination."""

    id: Slug
    cargo: str
    origin: str
    destination: str
    wagons: Whole = Field(ge=1, le=10_000)
    depart_h: NonNegativeFloat = 0.0
    interarrival_h: Duration | None = None
    count: Whole | None = Field(None, ge=1, le=MAX_DEPARTURES)
    tonnes_per_year: PositiveFloat | None = None
    tonnes_per_month: PositiveFloat | None = None
    arrivals: Literal["regular", "poisson"] = "regular"
    #: Twelve factors, January first, that scale a tonnage flow month by month on the
    #: scenario's calendar, normalised to keep the annual tonnage (see
    #: :mod:`corridorsim.scenario.seasons`; the loader asks for ``start``).
    monthly_factors: tuple[NonNegativeFloat, ...] | None = None
    until_h: PositiveFloat | None = None
    route: RouteChoice = RouteChoice()
    #: The fleet whose wagons it loads: a departure waits for them at the fleet's home.
    fleet: str | None = None
    target_days: PositiveFloat | None = None
    note: str | None = None

    @field_validator("monthly_factors")
    @classmethod
    def _twelve_months(
        cls, value: tuple[float, ...] | None, info: ValidationInfo
    ) -> tuple[float, ...] | None:
        if value is None:
            return value
        if len(value) != 12:
            raise ValueError(
                f"needs 12 numbers, one a month from January to December (got {len(value)})"
            )
        if not any(value):
            raise ValueError("needs a factor above 0 in some month (with all 0 no train leaves)")
        # The pattern keys are declared first: validated already, absent if they were not
        # valid (then their own error is the one to read).
        keys = ("interarrival_h", "tonnes_per_year", "tonnes_per_month")
        if all(k in info.data for k in keys) and not (
            info.data["tonnes_per_year"] or info.data["tonnes_per_month"]
        ):
            what = (
                "an interarrival_h flow" if info.data["interarrival_h"] is not None
                else "a single consignment"
            )
            raise ValueError(
                "scales a flow's tonnage: give tonnes_per_year or tonnes_per_month "
                f"({what} has none)"
            )
        return value

    @model_validator(mode="after")
    def _one_pattern(self) -> Shipment:
        if self.interarrival_h is not None and self.interarrival_h.mean() <= 0:
            raise ValueError("interarrival_h must have a mean above 0 (departures must advance)")
        patterns = [
            k
            for k in ("interarrival_h", "tonnes_per_year", "tonnes_per_month")
            if getattr(self, k) is not None
        ]
        if len(patterns) > 1:
            raise ValueError(
                f"give one of interarrival_h, tonnes_per_year, tonnes_per_month "
                f"(got {', '.join(patterns)})"
            )
        if not patterns and (self.count is not None or self.until_h is not None):
            raise ValueError(
                "count and until_h need a recurring flow "
                "(interarrival_h, tonnes_per_year or tonnes_per_month)"
            )
        if self.arrivals != "regular" and not (self.tonnes_per_year or self.tonnes_per_month):
            raise ValueError("arrivals applies to tonnes_per_year / tonnes_per_month flows")
        if self.until_h is not None and self.until_h <= self.depart_h:
            raise ValueError("until_h must be after depart_h")
        return self

    @property
    def is_recurring(self) -> bool:
        """Whether the shipment is a flow of several consignments, not a single one."""
        return any(
            v is not None
            for v in (self.interarrival_h, self.tonnes_per_year, self.tonnes_per_month)
        )

    def tonnes_per_hour(self) -> float | None:
        """The flow's tonnage per hour (from tonnes per year or month); None if not given."""
        if self.tonnes_per_year:
            return self.tonnes_per_year / HOURS_PER_YEAR
        if self.tonnes_per_month:
            return self.tonnes_per_month / HOURS_PER_MONTH
        return None


def tonnage_gap(shipment: Shipment, tonnes_per_wagon: float) -> Distribution:
    """Time between trains of ``wagons`` wagons that carry the flow's yearly/monthly tonnage."""
    rate = shipment.tonnes_per_hour()
    assert rate is not None
    mean_h = shipment.wagons * tonnes_per_wagon / rate
    if shipment.arrivals == "poisson":
        return Exponential.model_validate({"dist": "exponential", "mean": mean_h})
    return Fixed(value=mean_h)


class Effect(FrozenModel):
    """What a disruption does short of closing: less capacity, or extra dwell."""

    capacity_factor: Real | None = Field(None, gt=0, le=1)
    extra_dwell_h: Duration | None = None

    @model_validator(mode="after")
    def _one_effect(self) -> Effect:
        if (self.capacity_factor is None) == (self.extra_dwell_h is None):
            raise ValueError("give one of capacity_factor or extra_dwell_h")
        return self


class Disruption(FrozenModel):
    """A node or link closed or degraded between ``from_h`` and ``to_h``."""

    target: str
    from_h: NonNegativeFloat
    to_h: Real
    effect: Literal["closed"] | Effect = "closed"
    reroute: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _window(self) -> Disruption:
        if self.to_h <= self.from_h:
            raise ValueError("to_h must be after from_h")
        if self.reroute and self.effect != "closed":
            raise ValueError("reroute applies to closures (effect: closed)")
        return self

    @property
    def closes(self) -> bool:
        """Whether the disruption closes its target."""
        return self.effect == "closed"


def _time_of_day(text: str) -> str:
    parse_time_of_day(text)  # ValueError with the reason when it is not a time of day
    return text


class Service(FrozenModel):
    """Scheduled or when-full trains from ``from`` to ``to``: the consignments whose route runs
    from one to the other wait at ``from`` for a departure (cause ``formation``) and run as one
    train in between, with at most ``max_wagons`` wagons; a block that does not fit is split
    across departures and re-joined at ``to``.

    Departures are every ``every_h`` hours from ``offset_h``, or at the ``departures`` times of
    day on the scenario's calendar; with ``depart_when_full`` a train also leaves as soon as
    ``max_wagons`` wait.
    """

    id: Slug
    from_: str = Field(alias="from")
    to: str
    max_wagons: Whole = Field(ge=1, le=10_000)
    every_h: PositiveFloat | None = None
    offset_h: NonNegativeFloat = 0.0
    departures: (
        tuple[Annotated[str, AfterValidator(_time_of_day)], ...] | None
    ) = Field(None, min_length=1)
    depart_when_full: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _one_timetable(self) -> Service:
        if (self.every_h is None) == (self.departures is None):
            raise ValueError("give one of every_h or departures")
        if self.departures is not None and "offset_h" in self.model_fields_set:
            raise ValueError("offset_h goes with every_h; departures are times of day")
        if self.departures is not None and len(set(self.departure_hours())) < len(
            self.departures
        ):
            raise ValueError("departures lists a time twice")
        if self.from_ == self.to:
            raise ValueError("a service runs between two different nodes")
        return self

    def departure_hours(self) -> tuple[float, ...]:
        """The times of day of ``departures`` in hours after midnight, earliest first."""
        return tuple(sorted(parse_time_of_day(t) for t in self.departures or ()))

    def expected_wait_h(self) -> float:
        """The mean wait for a departure of a block arriving at a random time, with room on
        the train: half the interval, or over a day of ``departures`` the gaps' squares
        over twice the day (a longer gap is both waited in longer and arrived in more often).
        Departures of full trains come from congestion and are left to the engine."""
        if self.every_h is not None:
            return self.every_h / 2
        hours = self.departure_hours()
        gaps = [b - a for a, b in zip(hours, (*hours[1:], hours[0] + 24), strict=True)]
        return sum(gap * gap for gap in gaps) / 48


class Fleet(FrozenModel):
    """A finite pool of wagons at a home node: a shipment drawing on it departs only when its
    wagons are at home; at the destination they unload and return empty, along a planned
    route and through the same facilities and ferries as loaded trains."""

    id: Slug
    wagons: Whole = Field(ge=1, le=1_000_000)
    home: str
    #: At the destination, before the empty return.
    unload_h: Duration = Field(default_factory=lambda: Fixed(value=0.0))
    #: How the empty wagons' route home is chosen.
    return_: RouteChoice = Field(RouteChoice(), alias="return")
    note: str | None = None

    @field_validator("return_")
    @classmethod
    def _no_fixed_return(cls, value: RouteChoice) -> RouteChoice:
        if value.fixed is not None:
            raise ValueError("an empty return takes a policy (and avoid), not a fixed route")
        return value


class Demand(FrozenModel):
    """An origin-destination flow split over a choice set of routes (DESIGN §13)."""

    id: Slug
    cargo: str
    #: A node, or a zone: a list of nodes over which the tonnage is split equally (a zone
    #: at both ends splits it over every origin-destination pair).
    origin: str | tuple[str, ...] = Field(min_length=1)
    destination: str | tuple[str, ...] = Field(min_length=1)
    tonnes_per_year: PositiveFloat | None = None
    tonnes_per_month: PositiveFloat | None = None
    monthly_factors: tuple[NonNegativeFloat, ...] | None = None
    #: The train size of this flow.
    wagons: Whole = Field(ge=1, le=10_000)
    arrivals: Literal["regular", "poisson"] = "poisson"
    until_h: PositiveFloat | None = None
    #: The choice set: up to this many physically distinct routes, found by ``policy`` ...
    routes: Whole = Field(3, ge=1, le=20)
    #: ... sharing at most this share of their km with a better one ...
    max_overlap: Annotated[Real, Field(ge=0, le=1)] | None = None
    #: ... or the choice set given as node lists.
    fixed_routes: tuple[tuple[str, ...], ...] | None = Field(None, min_length=1)
    policy: Policy = "generalized"
    note: str | None = None

    @model_validator(mode="after")
    def _one_tonnage(self) -> Demand:
        if (self.tonnes_per_year is None) == (self.tonnes_per_month is None):
            raise ValueError("give one of tonnes_per_year or tonnes_per_month")
        return self

    @property
    def origins(self) -> tuple[str, ...]:
        """The origin, or the nodes of the origin zone."""
        return (self.origin,) if isinstance(self.origin, str) else self.origin

    @property
    def destinations(self) -> tuple[str, ...]:
        """The destination, or the nodes of the destination zone."""
        return (self.destination,) if isinstance(self.destination, str) else self.destination

    def pairs(self) -> list[tuple[str, str]]:
        """Every (origin, destination) of the flow, origin zone first."""
        return [(o, d) for o in self.origins for d in self.destinations]

    def shipment(
        self, origin: str | None = None, destination: str | None = None, *, share: float = 1.0
    ) -> Shipment:
        """The flow between one pair of its places as a shipment (its departures, cargo and
        train size), carrying ``share`` of the flow's tonnage; the flow's id for its only
        pair, ``ID_ORIGIN_DESTINATION`` for a pair of zones."""
        origin = self.origins[0] if origin is None else origin
        destination = self.destinations[0] if destination is None else destination
        single = len(self.origins) == 1 and len(self.destinations) == 1
        return Shipment.model_validate(
            {
                "id": self.id if single else f"{self.id}_{origin}_{destination}",
                "cargo": self.cargo,
                "origin": origin,
                "destination": destination,
                "wagons": self.wagons,
                "tonnes_per_year": _times(self.tonnes_per_year, share),
                "tonnes_per_month": _times(self.tonnes_per_month, share),
                "monthly_factors": self.monthly_factors,
                "arrivals": self.arrivals,
                "until_h": self.until_h,
                "route": {"policy": self.policy},
            }
        )


def _times(value: float | None, share: float) -> float | None:
    return None if value is None else value * share


class Assignment(FrozenModel):
    """How demand flows choose among their routes (DESIGN §13)."""

    model: Literal["logit", "path_size_logit", "all_or_nothing"] = "logit"
    #: Per unit of ``cost``: per USD per tonne (generalized, usd) or per day (days).
    theta: NonNegativeFloat = 0.05
    cost: Literal["generalized", "days", "usd"] = "generalized"
    iterations: Whole = Field(30, ge=0, le=1000)
    tolerance: PositiveFloat = 0.01
    replications: Whole = Field(5, ge=1, le=MAX_REPLICATIONS)


class NetworkAdditions(FrozenModel):
    """Stations and links a scenario adds to its network: GeoJSON features with the same
    properties as the network file's, validated as the file's are."""

    nodes: tuple[Annotated[dict[str, Any], AfterValidator(freeze_mapping)], ...] = ()
    links: tuple[Annotated[dict[str, Any], AfterValidator(freeze_mapping)], ...] = ()


class NetworkChanges(FrozenModel):
    """What-ifs on top of the network file: stations and links added, links opened, links or
    nodes closed, values set."""

    add: NetworkAdditions = NetworkAdditions()
    open: tuple[str, ...] = ()
    close: tuple[str, ...] = ()
    set: Annotated[dict[str, Any], AfterValidator(freeze_mapping)] = Field(
        default_factory=FrozenDict
    )


class ScenarioFile(FrozenModel):
    """A scenario file as written; see :class:`corridorsim.scenario.load.Scenario`."""

    name: str = Field(min_length=1)
    description: str | None = None
    network: str = Field(min_length=1)
    start: dt.date | None = None
    #: Up to a century: runs are about corridors' operations, and calendar months must exist.
    horizon_days: Annotated[Real, Field(gt=0, le=36_500)]
    #: The start of the measured window: consignments departing earlier run but are not
    #: counted, and facility statistics cover [warm-up, horizon]. Less than the horizon.
    warmup_days: Annotated[Real, Field(ge=0)] = 0.0
    replications: Whole = Field(30, ge=1, le=MAX_REPLICATIONS)
    seed: Whole = Field(0, ge=0, le=MAX_SEED)
    target_days: PositiveFloat | None = None
    network_changes: NetworkChanges = NetworkChanges()
    cargo: Annotated[dict[Slug, Cargo], AfterValidator(freeze_mapping)] = Field(min_length=1)
    shipments: tuple[Shipment, ...] = ()
    disruptions: tuple[Disruption, ...] = ()
    services: tuple[Service, ...] = ()
    fleets: tuple[Fleet, ...] = ()
    #: Origin-destination flows split over their routes, and how they choose.
    demand: tuple[Demand, ...] = ()
    assignment: Assignment = Assignment()

    @model_validator(mode="after")
    def _references(self) -> ScenarioFile:
        if not self.shipments and not self.demand:
            raise ValueError("give shipments, demand or both: there is nothing to move")
        groups: tuple[tuple[str, tuple[str, ...]], ...] = (
            ("shipments", tuple(x.id for x in self.shipments)),
            ("services", tuple(x.id for x in self.services)),
            ("fleets", tuple(x.id for x in self.fleets)),
            (
                "shipments and demand flows",
                (*(x.id for x in self.shipments), *(x.id for x in self.demand)),
            ),
        )
        for what, ids in groups:
            seen: set[str] = set()
            for item_id in ids:
                if item_id in seen:
                    raise ValueError(f"two {what} have the id '{item_id}'")
                seen.add(item_id)
        return self

    @model_validator(mode="after")
    def _calendar(self) -> ScenarioFile:
        if self.start is not None and self.start.year + self.horizon_days / 365.25 > 9998:
            raise ValueError("start + horizon_days runs past the year 9998")
        return self

    @field_validator("warmup_days")
    @classmethod
    def _warmup_before_horizon(cls, value: float, info: ValidationInfo) -> float:
        # horizon_days is declared first: validated already, absent if it was not valid.
        horizon = info.data.get("horizon_days")
        if horizon is not None and value >= horizon:
            raise ValueError(
                f"must be less than horizon_days (got {value:g}, horizon_days {horizon:g})"
            )
        return value

    @property
    def horizon_h(self) -> float:
        """The simulated time in hours."""
        return self.horizon_days * 24
