"""The rows and columns of a run's CSV files, which its folder and its spreadsheet share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from corridorsim.experiment.results import ConsignmentRow


def shipment_row(row: ConsignmentRow) -> dict[str, Any]:
    """A consignment as a ``shipments.csv`` row: empty cells while in transit, one
    ``wait_h_<cause>`` column per cause."""
    cells = row._asdict()
    waits = cells.pop("wait_h")
    out = {k: "" if v is None else v for k, v in cells.items()}
    out.update({f"wait_h_{cause}": hours for cause, hours in waits.items()})
    return out


#: The columns of ``legs.csv`` and of ``facilities.csv``, in order.
LEG_COLUMNS = (
    "shipment",
    "replication",
    "consignment",
    "seq",
    "kind",
    "id",
    "arrive_h",
    "start_h",
    "end_h",
    "wait_h",
    "cause",
    "cost_usd",
    "co2_kg",
)
FACILITY_COLUMNS = (
    "facility",
    "node",
    "type",
    "servers",
    "served_per_replication",
    "utilisation",
    "utilisation_ci95_lo",
    "utilisation_ci95_hi",
    "mean_queue",
    "mean_queue_ci95_lo",
    "mean_queue_ci95_hi",
    "mean_wait_h",
    "mean_wait_h_ci95_lo",
    "mean_wait_h_ci95_hi",
)
