"""Sensitivity indices of a finished study: per shipment and KPI, the study's method reads
them from the KPI at every design point (:mod:`corridorsim.experiment.methods`).

Indices are computed only from a complete design: where a point failed or has no value for a
KPI, that KPI's rows carry a ``note`` instead of numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from corridorsim.experiment.store import PointResult
    from corridorsim.experiment.study import Study

#: What an incomplete KPI's rows say instead of indices.
INCOMPLETE = "incomplete: some points failed"


def kpi_vector(rows: Sequence[PointResult], shipment: str, kpi: str) -> np.ndarray:
    """The KPI at every design point in order; nan where a point failed or had no value."""
    values = np.full(len(rows), np.nan)
    for i, row in enumerate(rows):
        if row.kpis is not None:
            value = row.kpis[shipment][kpi][0]
            values[i] = np.nan if value is None else value
    return values


def indices(study: Study, rows: Sequence[PointResult]) -> list[dict[str, Any]]:
    """One row per (shipment, KPI, parameter): ``shipment``, ``kpi``, ``parameter`` and the
    method's indices (its ``index_columns``), or a ``note`` where the KPI is incomplete."""
    out: list[dict[str, Any]] = []
    names = [p.path for p in study.parameters]
    complete = len(rows) == len(study.design())
    for shipment in study.shipments:
        for kpi in study.spec.kpis:
            y = kpi_vector(rows, shipment, kpi)
            base = {"shipment": shipment, "kpi": kpi}
            if np.isnan(y).any() or not complete:
                out.extend({**base, "parameter": n, "note": INCOMPLETE} for n in names)
                continue
            out.extend({**base, **r} for r in study.method.analyse(study, rows, y))
    return out
