"""The network model: nodes with their facilities, links with their tariffs and ferry services.

The models are frozen pydantic models: they are what a network file's feature properties
validate into (unknown keys rejected), and what routing and the engine read. Geometry rides
along as plain (lon, lat) tuples; shapely is only brought in where geometry is analysed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BeforeValidator,
    Field,
    PlainSerializer,
    PrivateAttr,
    StringConstraints,
    field_validator,
    model_validator,
)

from corridorsim._schema import FrozenDict, FrozenModel
from corridorsim.errors import InputError
from corridorsim.network.calendar import WEEKDAYS, merge_windows, parse_window
from corridorsim.network.distributions import Duration, Real, Whole
from corridorsim.network.geometry import line_length_km

Mode = Literal["rail", "road", "ferry", "sea"]
FacilityType = Literal["border", "yard", "port", "gauge_change", "terminal"]
Applies = Literal["entry", "exit", "both"]
NodeKind = Literal["station", "junction", "port", "border", "terminal", "city"]
Status = Literal["open", "planned", "closed"]

#: Facility types every consignment passing the node goes through (not only those changing carrier).
PASSING_FACILITIES = frozenset({"border", "yard"})

#: Running speeds when a link gives none. Rail: CAREC CPMM speed without delay, 42.2-53.9 km/h
#: (2020-2022), rounded; delays come from facilities. Road and sea: estimates (free-flow truck
#: speed on trunk roads; a 13-14 knot coaster).
DEFAULT_SPEED_KMH: Mapping[str, float] = {"rail": 50.0, "road": 60.0, "sea": 25.0}

#: CO2 (well-to-wheel, g per tonne-km) when a link gives none: estimates within the ranges of the
#: GLEC Framework default intensities (Smart Freight Centre): rail freight mixed traction ~25,
#: heavy truck ~80, ro-ro / rail ferry ~50, bulk sea ~10.
DEFAULT_EMISSIONS_G_PER_TONNE_KM: Mapping[str, float] = {
    "rail": 25.0,
    "road": 80.0,
    "ferry": 50.0,
    "sea": 10.0,
}

#: Ids are used in dotted paths (``links.ID.speed_kmh``), so they must not contain dots.
Slug = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$", max_length=120)]
Source = str | dict[str, str]
#: A WGS84 position as GeoJSON writes it: (longitude, latitude) in degrees.
LonLat = tuple[Annotated[Real, Field(ge=-180, le=180)], Annotated[Real, Field(ge=-90, le=90)]]
PositiveFloat = Annotated[Real, Field(gt=0)]
NonNegativeFloat = Annotated[Real, Field(ge=0)]
Probability = Annotated[Real, Field(ge=0, lt=1)]

#: The most frequent ferry or liner service, in hours between sailings: no ship sails every
#: six minutes, and a smaller gap would fill a run with millions of sailings.
MIN_FERRY_EVERY_H = 0.1

#: The length of a wagon when its cargo gives none (``wagon_length_m``): about the length
#: over couplers of a four-axle 1520 mm freight wagon (a grain hopper is 14.72 m).
WAGON_LENGTH_M = 14.7
#: The length a truck takes on a ferry: the EU maximum for an articulated vehicle, 16.5 m
#: (Directive 96/53/EC).
TRUCK_LENGTH_M = 16.5

#: Slack when timetable hours are compared: a ship due back at 20 + 4 h makes the 24 h slot.
_EPS_H = 1e-9
#: Slack when lane metres are divided: 44.1 m takes three 14.7 m wagons, whatever the rounding.
_EPS_M = 1e-9


def _iso_date(value: Any) -> Any:
    # Only an ISO date (2025-11-07) or a date already read, not the numbers pydantic would
    # take for Unix time.
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"must be an ISO date like 2025-11-07 (got {value!r})")


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
assert get_args(Weekday) == WEEKDAYS
#: A date written as in ISO 8601 (2025-11-07), read and written back as text.
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date), PlainSerializer(dt.date.isoformat)]
#: One opening window ``"08:00-20:00"`` or a list of them.
OpenHours = str | Annotated[tuple[str, ...], Field(min_length=1)]


def _one_or_many(value: Any) -> Any:
    # A node may hold one facility (an object) or several (a list); inside, always a tuple.
    return [value] if isinstance(value, dict) else value


class Facility(FrozenModel):
    """Processing at a node: customs, a port, a gauge change, a yard or a rail-road terminal."""

    type: FacilityType
    dwell_h: Duration
    #: Added per wagon: a visit dwells ``dwell_h`` + wagons x ``dwell_per_wagon_h`` (the
    #: per-wagon duration drawn once per visit and multiplied by the consignment's wagons).
    dwell_per_wagon_h: Duration | None = None
    servers: Whole = Field(1, ge=1)
    fee_usd_per_wagon: NonNegativeFloat = 0.0
    fee_usd_per_tonne: NonNegativeFloat = 0.0
    capacity_per_day: PositiveFloat | None = None
    modes: tuple[Mode, ...] | None = Field(None, min_length=1)
    #: Which crossings of the node's country boundary a border processes: consignments
    #: entering the country here, leaving it here, or either (once, on entry, if both).
    applies: Applies = "both"
    #: Demurrage: each wagon pays ``demurrage_usd_per_wagon_day`` for its time here (queue
    #: and dwell) beyond ``free_time_h``.
    free_time_h: NonNegativeFloat = 0.0
    demurrage_usd_per_wagon_day: NonNegativeFloat = 0.0
    source: Source | None = None
    note: str | None = None

    def demurrage_usd(self, wagons: float, hours: float) -> float:
        """Demurrage of ``wagons`` wagons that spent ``hours`` here (queue and dwell)."""
        over_h = hours - self.free_time_h
        if over_h <= 0 or not self.demurrage_usd_per_wagon_day:
            return 0.0
        return wagons * self.demurrage_usd_per_wagon_day * over_h / 24

    @model_validator(mode="after")
    def _applies_only_at_borders(self) -> Facility:
        if "applies" in self.model_fields_set and self.type != "border":
            raise ValueError(f"applies is only for border facilities, this one is a {self.type}")
        return self

    #: Opening hours on the scenario calendar (service starts only in an open window on an
    #: open day; the engine makes consignments wait, routing assumes the facility open).
    open_hours: OpenHours | None = None
    closed_weekdays: tuple[Weekday, ...] = ()
    closed_dates: tuple[IsoDate, ...] = ()

    @field_validator("open_hours")
    @classmethod
    def _windows(cls, value: str | tuple[str, ...] | None) -> str | tuple[str, ...] | None:
        if value is not None:
            for text in (value,) if isinstance(value, str) else value:
                parse_window(text)
        return value

    @model_validator(mode="after")
    def _some_open_day(self) -> Facility:
        if len(set(self.closed_weekdays)) == 7:
            raise ValueError(
                "closed_weekdays closes every day of the week: the facility would never open"
            )
        return self

    @property
    def has_opening_hours(self) -> bool:
        """Whether ``open_hours``, ``closed_weekdays`` or ``closed_dates`` is given."""
        return bool(self.open_hours is not None or self.closed_weekdays or self.closed_dates)

    @property
    def opening_windows(self) -> tuple[tuple[float, float], ...]:
        """The open windows of an open day in hours of the day, sorted and merged (the whole
        day when ``open_hours`` is not given)."""
        if self.open_hours is None:
            return ((0.0, 24.0),)
        texts = (self.open_hours,) if isinstance(self.open_hours, str) else self.open_hours
        return merge_windows(parse_window(text) for text in texts)

    @property
    def is_passing(self) -> bool:
        """True when every consignment passing the node is processed, not only transfers."""
        return self.type in PASSING_FACILITIES

    def serves(self, mode: str) -> bool:
        """Whether consignments moving by ``mode`` use this facility (all, unless ``modes``)."""
        return self.modes is None or mode in self.modes

    def mean_dwell_h(self, wagons: float = 1) -> float:
        """Expected dwell of a consignment of ``wagons`` wagons (what routing uses)."""
        if self.dwell_per_wagon_h is None:
            return self.dwell_h.mean()
        return self.dwell_h.mean() + wagons * self.dwell_per_wagon_h.mean()

    def fee_usd(self, wagons: float, tonnes: float) -> float:
        """The fees a consignment of ``wagons`` wagons and ``tonnes`` tonnes pays here."""
        return self.fee_usd_per_wagon * wagons + self.fee_usd_per_tonne * tonnes


class Tariff(FrozenModel):
    """What running on a link costs: per wagon-km, per tonne-km, a fixed charge per wagon and,
    on ferry links, a charge per running metre of wagon (``usd_per_metre``)."""

    usd_per_wagon_km: NonNegativeFloat = 0.0
    usd_per_tonne_km: NonNegativeFloat = 0.0
    usd_per_wagon: NonNegativeFloat = 0.0
    #: USD per running metre of wagon per passage, as ferry lines publish their rates (ASCO):
    #: a wagon pays this times its cargo's ``wagon_length_m``. Ferry links only.
    usd_per_metre: NonNegativeFloat = 0.0
    #: USD per gross tonne-km: the load and the wagons' own weight (the cargo's
    #: ``tare_tonnes_per_wagon``), as rail tariffs on gross weight are quoted.
    usd_per_gross_tonne_km: NonNegativeFloat = 0.0
    source: Source | None = None
    note: str | None = None

    def cost_usd(
        self,
        km: float,
        wagons: float,
        tonnes: float,
        wagon_length_m: float = WAGON_LENGTH_M,
        tare_tonnes: float = 0.0,
    ) -> float:
        """The charge for ``wagons`` wagons, each ``wagon_length_m`` long, carrying ``tonnes``
        tonnes (the wagons weighing ``tare_tonnes`` more) over ``km`` km."""
        usd = (
            self.usd_per_wagon_km * km * wagons
            + self.usd_per_tonne_km * km * tonnes
            + self.usd_per_wagon * wagons
        )
        if self.usd_per_metre:
            # Only added when charged, so a tariff without it sums exactly as before.
            usd += self.usd_per_metre * wagon_length_m * wagons
        if self.usd_per_gross_tonne_km:
            usd += self.usd_per_gross_tonne_km * km * (tonnes + tare_tonnes)
        return usd


class Ferry(FrozenModel):
    """A ferry (or liner) service on a link: sailings every ``every_h`` hours, or when full."""

    #: Wagons per sailing; optional when ``capacity_m`` gives the space in lane metres.
    capacity_wagons: Whole | None = Field(None, ge=1)
    #: Lane metres per sailing: used instead of ``capacity_wagons`` when given. A sailing
    #: takes the waiting wagons, first come first served, as long as their lengths (their
    #: cargo's ``wagon_length_m``) fit.
    capacity_m: PositiveFloat | None = None
    sailing_h: Duration
    every_h: Annotated[Real, Field(ge=MIN_FERRY_EVERY_H)]
    depart_when_full: bool = False
    cancel_prob: Probability | tuple[Probability, ...] = 0.0
    carries: tuple[Literal["rail", "road"], ...] = Field(("rail", "road"), min_length=1)
    #: How many ships serve the line (None: a sailing at every slot, as many ships as that
    #: takes). With vessels a ship sails from the end where it is, and is next available at
    #: the other end after its sailing time and ``turnaround_h``.
    vessels: Whole | None = Field(None, ge=1)
    #: Port time between a ship's arrival and its next departure (with ``vessels`` only).
    turnaround_h: NonNegativeFloat = 0.0
    source: Source | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _twelve_months(self) -> Ferry:
        if isinstance(self.cancel_prob, tuple) and len(self.cancel_prob) != 12:
            raise ValueError(
                f"cancel_prob needs one number or 12 monthly values (got {len(self.cancel_prob)})"
            )
        return self

    @model_validator(mode="after")
    def _capacity_and_ships(self) -> Ferry:
        if self.capacity_wagons is None and self.capacity_m is None:
            raise ValueError(
                "a ferry needs its capacity: capacity_wagons (wagons per sailing) or "
                "capacity_m (lane metres per sailing)"
            )
        if "turnaround_h" in self.model_fields_set and self.vessels is None:
            raise ValueError(
                "turnaround_h is the port time of a ship between sailings: it needs vessels "
                "(how many ships serve the line)"
            )
        return self

    def wagons_per_sailing(self, wagon_length_m: float = WAGON_LENGTH_M) -> int:
        """How many wagons of ``wagon_length_m`` one sailing takes: ``capacity_wagons``, or
        floor(``capacity_m`` / ``wagon_length_m``) when the capacity is in lane metres."""
        if self.capacity_m is None:
            assert self.capacity_wagons is not None
            return self.capacity_wagons
        return math.floor(self.capacity_m / wagon_length_m + _EPS_M)

    def cancel_prob_in_month(self, month: int) -> float:
        """Probability that a sailing is cancelled in ``month`` (1 = January)."""
        if isinstance(self.cancel_prob, tuple):
            return self.cancel_prob[month - 1]
        return self.cancel_prob

    @property
    def mean_cancel_prob(self) -> float:
        """The probability that a sailing is cancelled, averaged over the year's months."""
        if isinstance(self.cancel_prob, tuple):
            return sum(self.cancel_prob) / 12
        return self.cancel_prob

    def departure_interval_h(self) -> float:
        """Mean hours between departures from one end of the line.

        Without ``vessels``: ``every_h`` (a sailing at every slot). With n vessels, timetable
        ``every_h`` = e, mean sailing time s and turnaround t: a ship that arrives is ready
        again s + t after it left and sails at the next slot, so each leg takes
        L = ceil((s + t) / e) x e hours and a ship leaves a given end every 2L hours. With the
        n ships alternating ends that end sees a departure every max(e, 2L / n) hours. (On a
        one-way line the ship's empty return is not tied to the slots, so this is an upper
        bound there.)
        """
        every_h = self.every_h
        if self.vessels is None:
            return every_h
        legs = math.ceil((self.sailing_h.mean() + self.turnaround_h) / every_h - _EPS_H)
        cycle_h = 2 * max(legs, 1) * every_h
        return max(every_h, cycle_h / self.vessels)

    def expected_wait_h(self) -> float:
        """Expected wait for a sailing, arriving at a random time, with nothing else on board.

        Half an interval to the next departure, plus one interval per cancelled sailing: with
        independent cancellations of probability p the number cancelled is geometric, p/(1-p)
        on average. Departures of full ships come from congestion and are left to the engine.
        The interval is ``every_h`` without ``vessels``; with them it is
        :meth:`departure_interval_h` (a port sees a departure only when a ship is back):
        I / 2 + I x p / (1 - p).
        """
        p = self.mean_cancel_prob
        if self.vessels is None:
            return self.every_h / 2 + self.every_h * p / (1 - p)
        interval_h = self.departure_interval_h()
        return interval_h / 2 + interval_h * p / (1 - p)


class Node(FrozenModel):
    """A station, junction, port, border post, terminal or city, with its facilities."""

    id: Slug
    name: str = Field(min_length=1)
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    kind: NodeKind
    aliases: tuple[Annotated[str, StringConstraints(min_length=1)], ...] = ()
    facility: Annotated[tuple[Facility, ...], BeforeValidator(_one_or_many)] = ()
    source: Source | None = None
    note: str | None = None
    coords: LonLat

    @property
    def facilities(self) -> tuple[Facility, ...]:
        """The node's facilities, in file order (``facility`` may hold one or several)."""
        return self.facility

    def facilities_of(self, type_: str) -> tuple[Facility, ...]:
        """The node's facilities of one type (``border``, ``port`` ...)."""
        return tuple(f for f in self.facility if f.type == type_)


class Link(FrozenModel):
    """A rail, road, ferry or sea connection between two nodes, one-way or both ways."""

    id: Slug
    from_: Slug = Field(alias="from")
    to: Slug
    mode: Mode
    name: str | None = None
    bidirectional: bool = True
    length_km: PositiveFloat | None = None
    speed_kmh: PositiveFloat | None = None
    #: Added to each passage (running-time variability); not on ferry links.
    delay_h: Duration | None = None
    gauge_mm: Whole | None = Field(None, gt=0)
    status: Status = "open"
    opens_year: Whole | None = Field(None, ge=1800, le=2200)
    capacity_per_day: PositiveFloat | None = None
    #: 1: single track, a train running one way blocks the other way until it has cleared
    #: the link (the engine's :class:`~corridorsim.sim.components.SingleTrack`); rail and
    #: road links only. Static routing ignores it (it adds no congestion there).
    tracks: Whole = Field(2, ge=1, le=2)
    #: The longest train the line accepts, in wagons: a longer consignment is split into
    #: trains of at most this many at the last yard before the link and re-joined after it
    #: (the wait for its other parts is cause ``formation``). Rail links only.
    max_train_wagons: Whole | None = Field(None, ge=1)
    tariff: Tariff = Tariff()
    ferry: Ferry | None = None
    emissions_g_per_tonne_km: NonNegativeFloat | None = None
    source: Source | None = None
    note: str | None = None
    coords: tuple[LonLat, ...] = Field(min_length=2)
    _geodesic_km: float = PrivateAttr(default=0.0)

    @model_validator(mode="after")
    def _mode_fields(self) -> Link:
        if self.mode == "rail" and self.gauge_mm is None:
            raise ValueError("a rail link needs gauge_mm (1520 or 1435)")
        if self.mode != "rail" and self.gauge_mm is not None:
            raise ValueError(f"gauge_mm is only for rail links, this one is {self.mode}")
        if self.mode == "ferry" and self.ferry is None:
            raise ValueError(
                "a ferry link needs a ferry block (capacity_wagons, sailing_h, every_h)"
            )
        if self.mode in ("rail", "road") and self.ferry is not None:
            raise ValueError(f"a {self.mode} link cannot have a ferry block")
        if self.mode != "ferry" and self.tariff.usd_per_metre:
            raise ValueError(
                f"tariff.usd_per_metre is only for ferry links, this one is {self.mode}"
            )
        if self.mode == "ferry" and self.speed_kmh is not None:
            raise ValueError("a ferry link's time at sea is ferry.sailing_h, not speed_kmh")
        if self.mode == "ferry" and self.delay_h is not None:
            raise ValueError(
                "delay_h is not for ferry links: a ferry's time at sea is ferry.sailing_h "
                "(give the variability there)"
            )
        if self.mode in ("ferry", "sea") and "tracks" in self.model_fields_set:
            raise ValueError(
                f"tracks is only for rail and road links, this one is {self.mode} "
                "(a ship's capacity is its ferry block)"
            )
        if self.mode != "rail" and self.max_train_wagons is not None:
            raise ValueError(f"max_train_wagons is only for rail links, this one is {self.mode}")
        if self.from_ == self.to:
            raise ValueError("a link must join two different nodes")
        # Measured once here, so that every link read the same way compares equal, and
        # routing and the engine, which ask for every arc and leg, find it ready.
        self._geodesic_km = line_length_km(self.coords)
        return self

    @property
    def km(self) -> float:
        """Length in km: as given, else the geodesic length of the geometry."""
        return self.length_km if self.length_km is not None else self._geodesic_km

    @property
    def speed(self) -> float | None:
        """Running speed in km/h (mode default when not given); None for ferries."""
        if self.mode == "ferry":
            return None
        return self.speed_kmh if self.speed_kmh is not None else DEFAULT_SPEED_KMH[self.mode]

    @property
    def carrier(self) -> str:
        """What moves on the link: ``rail-1520``, ``road``, ``ferry``, ``sea``."""
        return f"rail-{self.gauge_mm}" if self.mode == "rail" else self.mode

    @property
    def co2_g_per_tonne_km(self) -> float:
        """Emissions per tonne-km: as given, else the mode's default."""
        if self.emissions_g_per_tonne_km is not None:
            return self.emissions_g_per_tonne_km
        return DEFAULT_EMISSIONS_G_PER_TONNE_KM[self.mode]

    def run_h(self) -> float:
        """Expected time on the link itself: at sea for a ferry service, else km / speed."""
        if self.ferry is not None:
            return self.ferry.sailing_h.mean()
        speed = self.speed
        assert speed is not None
        return self.km / speed

    def delay_mean_h(self) -> float:
        """Expected delay added to each passage (``delay_h``; 0 when not given)."""
        return 0.0 if self.delay_h is None else self.delay_h.mean()

    def headway_h(self) -> float:
        """Minimum time between two consignments entering the link (0: no limit)."""
        return 24.0 / self.capacity_per_day if self.capacity_per_day else 0.0

    def endpoints(self) -> tuple[str, str]:
        """The ids of the nodes the link joins, ``from`` first."""
        return self.from_, self.to


@dataclass(frozen=True)
class Network:
    """A validated network: nodes and links by id, in file order."""

    nodes: Mapping[str, Node]
    links: Mapping[str, Link]
    name: str = ""
    description: str = ""
    sources: tuple[str, ...] = ()
    path: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # A network without nodes has nothing to route, simulate or draw. One with nodes and
        # no links is a network (an atlas of places being built up): it validates.
        if not self.nodes:
            raise InputError(
                f"{self.path or '<network>'}: features: no nodes "
                "(a network needs at least one valid Point feature)"
            )
        # The mappings of a validated network do not change: the engine relies on it.
        object.__setattr__(self, "nodes", FrozenDict(self.nodes))
        object.__setattr__(self, "links", FrozenDict(self.links))

    def node(self, node_id: str) -> Node:
        """The node with this id (KeyError if none)."""
        return self.nodes[node_id]

    def link(self, link_id: str) -> Link:
        """The link with this id (KeyError if none)."""
        return self.links[link_id]

    def links_by_status(self, *statuses: str) -> Iterator[Link]:
        """The links whose status is one of ``statuses`` (``open``, ``planned``, ``closed``)."""
        return (link for link in self.links.values() if link.status in statuses)

    def source_keys(self) -> dict[str, str]:
        """The keyed sources of the collection: ``"KEY: reference"`` -> {KEY: reference}."""
        keyed = {}
        for entry in self.sources:
            key, sep, ref = entry.partition(":")
            if sep and key.strip() and " " not in key.strip() and key.strip() != "estimate":
                keyed[key.strip()] = ref.strip()
        return keyed

    def with_links_status(self, status_by_link: Mapping[str, str]) -> Network:
        """A copy with some links' status changed (opening planned links, closing others)."""
        links = dict(self.links)
        for link_id, status in status_by_link.items():
            links[link_id] = links[link_id].model_copy(update={"status": status})
        return dataclasses.replace(self, links=links)
