"""What the engine records, in columnar buffers (``array`` while running, numpy afterwards).

One row per consignment and one per leg a consignment walked. Typed arrays keep a leg record
at under a hundred bytes however long the run, and the hot loop free of per-event dicts; the
numpy columns of a finished replication are views of those arrays, not copies. A finished
replication is a :class:`ReplicationResult`: the numpy columns, read as named records
(:class:`ConsignmentRecord`, :class:`LegRecord`) wherever a row is wanted.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

#: Why a consignment waited. The order is the column order of every output.
CAUSES = ("facility", "ferry", "headway", "disruption", "formation", "fleet")
FACILITY, FERRY, HEADWAY, DISRUPTION, FORMATION, FLEET = range(len(CAUSES))
NO_CAUSE = -1


def frozen_columns(buffer: Any, fields: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The ``array`` columns ``fields`` of ``buffer`` as numpy arrays over their own memory
    (no copy: the buffer cannot grow after this)."""
    return {
        name: np.frombuffer(getattr(buffer, name), dtype=getattr(buffer, name).typecode)
        for name in fields
    }


#: Leg rows wait as tuples in :attr:`LegBuffer.pending` until this many are there, then move
#: into the typed columns: appending one tuple is several times cheaper than appending to ten
#: arrays, and the tuples (a few hundred bytes each) never pile up.
CHUNK = 4096


class LegBuffer:
    """Leg rows: which consignment, which leg, when it arrived, started and ended, and waits.

    A row is appended to ``pending`` as a tuple in the order of :attr:`FIELDS` (the engine
    holds ``pending.append``) and moved into the typed columns by :meth:`flush`, which the
    engine calls once ``pending`` holds :data:`CHUNK` rows or more.
    """

    #: The columns, in the order of a row tuple.
    FIELDS = (
        "consignment",
        "seq",
        "label",
        "arrive",
        "start",
        "end",
        "wait",
        "cause",
        "cost_usd",
        "co2_kg",
        "hire_usd",
        "demurrage_usd",
    )
    __slots__ = (*FIELDS, "pending")

    def __init__(self) -> None:
        self.consignment = array("l")
        self.seq = array("l")
        self.label = array("l")
        self.arrive = array("d")
        self.start = array("d")
        self.end = array("d")
        self.wait = array("d")
        self.cause = array("b")
        self.cost_usd = array("d")
        self.co2_kg = array("d")
        #: The parts of ``cost_usd`` that are the cost of the time: wagon hire, demurrage.
        self.hire_usd = array("d")
        self.demurrage_usd = array("d")
        self.pending: list[tuple[Any, ...]] = []

    def add(
        self,
        consignment: int,
        seq: int,
        label: int,
        arrive: float,
        start: float,
        end: float,
        wait: float,
        cause: int,
        cost_usd: float,
        co2_kg: float,
        hire_usd: float = 0.0,
        demurrage_usd: float = 0.0,
    ) -> None:
        """Append one leg row."""
        self.pending.append(
            (consignment, seq, label, arrive, start, end, wait, cause, cost_usd, co2_kg,
             hire_usd, demurrage_usd)
        )

    def flush(self) -> None:
        """Move the pending rows into the columns."""
        if self.pending:
            for name, values in zip(self.FIELDS, zip(*self.pending, strict=True), strict=True):
                getattr(self, name).extend(values)
            self.pending.clear()

    def __len__(self) -> int:
        return len(self.seq) + len(self.pending)

    def freeze(self) -> dict[str, np.ndarray]:
        """The columns as numpy arrays over the buffer's own memory (no copy: a replication
        of a million consignments holds its legs once). The buffer cannot grow after this."""
        self.flush()
        return frozen_columns(self, self.FIELDS)


class ConsignmentBuffer:
    """Consignment rows; waits by cause are accumulated in place while the consignment runs."""

    def __init__(self) -> None:
        self.shipment = array("l")
        self.number = array("l")
        self.wagons = array("l")
        self.tonnes = array("d")
        self.depart = array("d")
        self.arrive = array("d")
        self.cost_usd = array("d")
        self.co2_kg = array("d")
        self.km = array("d")
        self.reroutes = array("l")
        #: Which of its shipment's routes the consignment took (0 with a single route).
        self.route = array("l")
        self.waits = [array("d") for _ in CAUSES]

    def new(self, shipment: int, number: int, wagons: int, tonnes: float, depart: float) -> int:
        """Add a consignment departing now; return its row."""
        self.shipment.append(shipment)
        self.number.append(number)
        self.wagons.append(wagons)
        self.tonnes.append(tonnes)
        self.depart.append(depart)
        self.arrive.append(np.nan)
        self.cost_usd.append(0.0)
        self.co2_kg.append(0.0)
        self.km.append(0.0)
        self.reroutes.append(0)
        self.route.append(0)
        for column in self.waits:
            column.append(0.0)
        return len(self.shipment) - 1

    def freeze(self) -> dict[str, np.ndarray]:
        """The columns as numpy arrays over the buffer's memory (no copy; the buffer cannot
        grow after this); ``waits`` as one (consignments x causes) array."""
        out: dict[str, Any] = {}
        for name in (
            "shipment",
            "number",
            "wagons",
            "tonnes",
            "depart",
            "arrive",
            "cost_usd",
            "co2_kg",
            "km",
            "reroutes",
            "route",
        ):
            column = getattr(self, name)
            out[name] = np.frombuffer(column, dtype=column.typecode)
        out["waits"] = (
            np.vstack([np.frombuffer(c, dtype="d") for c in self.waits]).T.copy()
            if len(self.shipment)
            else np.zeros((0, len(CAUSES)))
        )
        return out


class TrainBuffer:
    """Train rows: the trains of services and the parts of split consignments, each running
    one section as one train; their legs go into a :class:`LegBuffer` of their own."""

    FIELDS = ("name", "wagons", "blocks", "depart", "arrive")
    __slots__ = (*FIELDS, "legs")

    def __init__(self) -> None:
        #: The number of the train's name (a service id, or ``split:LINK``) in ``names``.
        self.name = array("l")
        self.wagons = array("l")
        #: How many consignments (or parts of them) it carries.
        self.blocks = array("l")
        self.depart = array("d")
        self.arrive = array("d")
        self.legs = LegBuffer()

    def new(self, name: int, wagons: int, blocks: int, depart: float) -> int:
        """Add a train departing now; return its row."""
        self.name.append(name)
        self.wagons.append(wagons)
        self.blocks.append(blocks)
        self.depart.append(depart)
        self.arrive.append(np.nan)
        return len(self.name) - 1

    def __len__(self) -> int:
        return len(self.name)

    def freeze(self) -> dict[str, np.ndarray]:
        """The columns as numpy arrays over the buffer's memory (no copy)."""
        return frozen_columns(self, self.FIELDS)


class TrainRecord(NamedTuple):
    """One train of one replication: a service's departure or a part of a split consignment."""

    row: int
    #: The service's id, or ``split:LINK`` for a consignment split ahead of ``LINK``.
    name: str
    wagons: int
    #: How many consignments (or parts of them) it carried.
    blocks: int
    depart_h: float
    #: nan while still running at the horizon.
    arrive_h: float
    #: (kind, id, arrive_h, start_h, end_h) of each leg it ran, in order.
    legs: tuple[tuple[str, str, float, float, float], ...]


class ConsignmentRecord(NamedTuple):
    """One consignment of one replication, as the engine recorded it."""

    #: Row of the consignment in its replication's columns.
    row: int
    #: Index of its shipment in the scenario's shipments.
    shipment: int
    #: Number of the consignment within its shipment (0, 1, ...).
    number: int
    wagons: int
    tonnes: float
    depart_h: float
    #: nan while still in transit at the horizon.
    arrive_h: float
    cost_usd: float
    co2_kg: float
    km: float
    reroutes: int
    #: Hours waited by cause, in the order of :data:`CAUSES`.
    wait_h: tuple[float, ...]

    @property
    def arrived(self) -> bool:
        """Whether it reached its destination within the horizon."""
        return self.arrive_h == self.arrive_h  # nan is the only value unequal to itself

    @property
    def transit_h(self) -> float:
        """Door-to-door hours (nan while in transit)."""
        return self.arrive_h - self.depart_h

    def wait(self, cause: str) -> float:
        """Hours waited for ``cause`` (one of :data:`CAUSES`)."""
        return self.wait_h[CAUSES.index(cause)]


class LegRecord(NamedTuple):
    """One leg (a facility or a link) a consignment walked: a row of ``legs.csv``."""

    #: The shipment's id.
    shipment: str
    replication: int
    #: Number of the consignment within its shipment (0, 1, ...).
    consignment: int
    seq: int
    #: ``facility`` or ``link``.
    kind: str
    #: The node id (facility) or link id.
    id: str
    arrive_h: float
    start_h: float
    end_h: float
    wait_h: float
    #: The cause of the wait (one of :data:`CAUSES`), "" where there was none.
    cause: str
    cost_usd: float
    co2_kg: float
    #: The parts of ``cost_usd`` for the time on the leg: wagon hire and demurrage.
    hire_usd: float = 0.0
    demurrage_usd: float = 0.0


class FacilityTotals(NamedTuple):
    """One facility over the measured window [W, H] of one replication (W the warm-up, H the
    horizon): time averages over the window, work in progress at H included.

    ``busy_h / (servers * window_h)`` is the utilisation and ``queue_h / window_h`` the mean
    number waiting for a server; ``wait_h / waited`` is the mean completed queue wait, so
    Little's law (mean queue = arrival rate x mean wait) is a check, not an identity.
    """

    node: str
    #: Position of the facility in its node's list.
    position: int
    label: str
    servers: int
    #: H - W, the hours measured.
    window_h: float
    #: Visits whose service ended in the window (an end at exactly H is not reached).
    served: int
    #: Server-hours held inside [W, H]: each visit's [grant, end] (headway and dwell, as a
    #: server is held through both) clipped to the window, services running past H included.
    busy_h: float
    #: Consignment-hours waiting for a server inside [W, H]: each visit's [arrive, grant]
    #: clipped to the window, those still waiting at H included. Headway is not queue.
    queue_h: float
    #: Sum of the queue waits (grant - arrive) of visits that arrived in [W, H) and were
    #: granted a server before H.
    wait_h: float
    #: How many such completed waits ``wait_h`` sums (zero waits included).
    waited: int


class FerryTotals(NamedTuple):
    """One direction of a ferry line over one replication: sailings made and cancelled, and
    the space of the sailings in the measured window (wagons, or lane metres with
    ``capacity_m``): ``used / offered`` is their mean load factor."""

    link: str
    from_node: str
    sailings: int
    cancelled: int
    used: float = 0.0
    offered: float = 0.0


class LineTotals(NamedTuple):
    """One direction of a line over the measured window of one replication: the trains that
    entered it and, for a single-track link, the hours trains of either direction held it."""

    link: str
    from_node: str
    window_h: float
    entered: int
    headway_h: float
    #: nan for a link of two tracks.
    single_track_held_h: float = math.nan

    @property
    def utilisation(self) -> float:
        """The share of its capacity used: for a single track the share of the window it was
        held, else entries x headway / window; nan for a line without a headway limit."""
        if not math.isnan(self.single_track_held_h):
            return self.single_track_held_h / self.window_h if self.window_h > 0 else math.nan
        if self.headway_h <= 0 or self.window_h <= 0:
            return math.nan
        return self.entered * self.headway_h / self.window_h


@dataclass
class ReplicationResult:
    """Everything one replication recorded, as numpy columns (cheap to pickle and merge)."""

    replication: int
    consignments: dict[str, np.ndarray]
    legs: dict[str, np.ndarray]
    #: ``kind:id`` of every leg label number.
    labels: list[str]
    facilities: list[FacilityTotals]
    ferries: list[FerryTotals]
    horizon_h: float
    events: int
    #: The scenario's shipment ids, by shipment index.
    shipment_ids: tuple[str, ...]
    #: Each direction of a line any train entered.
    lines: list[LineTotals] = field(default_factory=list)
    #: Trains (see :class:`TrainBuffer`) and their legs, as columns; train names by number.
    trains: dict[str, np.ndarray] | None = None
    train_legs: dict[str, np.ndarray] | None = None
    train_names: tuple[str, ...] = ()
    #: The country each label's costs are booked to (the node of a facility, the node a
    #: link is left from), by label number.
    label_countries: tuple[str, ...] = ()
    #: With fleets: each trip of a consignment's wagons (see ``FleetCycles``), and the empty
    #: returns as consignment columns (row = trip) with their legs.
    fleet_cycles: dict[str, np.ndarray] | None = None
    empties: dict[str, np.ndarray] | None = None
    empty_legs: dict[str, np.ndarray] | None = None

    def train_records(self) -> Iterator[TrainRecord]:
        """Every train, in the order they departed, with its legs."""
        if self.trains is None or self.train_legs is None:
            return
        legs = self.train_legs
        by_train: dict[int, list[tuple[str, str, float, float, float]]] = {}
        for j in range(legs["seq"].size):
            kind, _, place = self.labels[int(legs["label"][j])].partition(":")
            by_train.setdefault(int(legs["consignment"][j]), []).append(
                (kind, place, float(legs["arrive"][j]), float(legs["start"][j]),
                 float(legs["end"][j]))
            )
        trains = self.trains
        for row in range(trains["name"].size):
            yield TrainRecord(
                row=row,
                name=self.train_names[int(trains["name"][row])],
                wagons=int(trains["wagons"][row]),
                blocks=int(trains["blocks"][row]),
                depart_h=float(trains["depart"][row]),
                arrive_h=float(trains["arrive"][row]),
                legs=tuple(by_train.get(row, ())),
            )

    def facility_labels(self) -> np.ndarray:
        """The label numbers of facility legs (the others are links)."""
        return np.asarray(
            [i for i, text in enumerate(self.labels) if text.startswith("facility:")], dtype=int
        )

    def consignment(self, row: int) -> ConsignmentRecord:
        """The consignment in ``row`` as a named record."""
        c = self.consignments
        return ConsignmentRecord(
            row=row,
            shipment=int(c["shipment"][row]),
            number=int(c["number"][row]),
            wagons=int(c["wagons"][row]),
            tonnes=float(c["tonnes"][row]),
            depart_h=float(c["depart"][row]),
            arrive_h=float(c["arrive"][row]),
            cost_usd=float(c["cost_usd"][row]),
            co2_kg=float(c["co2_kg"][row]),
            km=float(c["km"][row]),
            reroutes=int(c["reroutes"][row]),
            wait_h=tuple(float(w) for w in c["waits"][row]),
        )

    def consignment_records(self) -> Iterator[ConsignmentRecord]:
        """Every consignment, in the order they departed."""
        for row in range(self.consignments["shipment"].size):
            yield self.consignment(row)

    def leg_records(self, consignment: int | None = None) -> Iterator[LegRecord]:
        """Every leg in the order recorded, or only the legs of the consignment in row
        ``consignment``, in the order it walked them."""
        legs = self.legs
        if consignment is None:
            rows: Any = range(legs["seq"].size)
        else:
            mine = np.flatnonzero(legs["consignment"] == consignment)
            rows = mine[np.argsort(legs["seq"][mine], kind="stable")]
        shipments, numbers = self.consignments["shipment"], self.consignments["number"]
        for j in rows:
            kind, _, place = self.labels[int(legs["label"][j])].partition(":")
            cause = int(legs["cause"][j])
            row = int(legs["consignment"][j])
            yield LegRecord(
                shipment=self.shipment_ids[int(shipments[row])],
                replication=self.replication,
                consignment=int(numbers[row]),
                seq=int(legs["seq"][j]),
                kind=kind,
                id=place,
                arrive_h=float(legs["arrive"][j]),
                start_h=float(legs["start"][j]),
                end_h=float(legs["end"][j]),
                wait_h=float(legs["wait"][j]),
                cause=CAUSES[cause] if cause != NO_CAUSE else "",
                cost_usd=float(legs["cost_usd"][j]),
                co2_kg=float(legs["co2_kg"][j]),
                hire_usd=float(legs["hire_usd"][j]),
                demurrage_usd=float(legs["demurrage_usd"][j]),
            )


class FacilityStats:
    """Per facility over one replication, as the engine accumulates it: integrals over the
    measured window [W, H] (see :class:`FacilityTotals`), and the visits of the SimPy
    resource path waiting for a server now (their count, and the sum of their max(arrive, W)),
    whose queue hours up to H are added when the run ends (:meth:`totals`)."""

    __slots__ = ("busy_h", "label", "queue_h", "served", "servers", "wait_h", "waited",
                 "waiting", "waiting_since")

    def __init__(self, label: str, servers: int) -> None:
        self.label = label
        self.servers = servers
        self.served = 0
        self.busy_h = 0.0
        self.queue_h = 0.0
        self.wait_h = 0.0
        self.waited = 0
        self.waiting = 0
        self.waiting_since = 0.0

    def totals(self, node: str, position: int, warmup_h: float, horizon_h: float
               ) -> FacilityTotals:
        """The totals at the horizon: what still waits at H adds its [max(arrive, W), H]."""
        queue_h = self.queue_h
        if self.waiting:
            queue_h += self.waiting * horizon_h - self.waiting_since
        return FacilityTotals(
            node=node,
            position=position,
            label=self.label,
            servers=self.servers,
            window_h=horizon_h - warmup_h,
            served=self.served,
            busy_h=self.busy_h,
            queue_h=queue_h,
            wait_h=self.wait_h,
            waited=self.waited,
        )
