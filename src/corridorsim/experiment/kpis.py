"""KPIs: the names a study file uses for a shipment's results, and their values.

A KPI names a field of :class:`~corridorsim.experiment.results.ShipmentResult`: a statistic
of one of its estimates (``transit_days.p90``, ``usd_per_tonne.mean``), an entry of one of its
breakdowns (``wait_h_by_cause.ferry``, ``time_h.running``) or a single number
(``p_within_target``). The vocabulary is read off the result types themselves, so a field
added there is a KPI at once. Values are rounded as in ``summary.json``.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import Any

from corridorsim.experiment.results import TIME_PARTS, WAIT_CAUSES, ShipmentResult
from corridorsim.experiment.stats import Estimate, clean

#: KPI names for messages that list what a study may ask for.
EXAMPLES = (
    "transit_days.mean",
    "transit_days.p90",
    "usd_per_tonne.mean",
    "co2_kg_per_tonne.mean",
    "p_within_target",
)


def _vocabulary() -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """(group -> its keys, single numbers) of a shipment's results."""
    hints = typing.get_type_hints(ShipmentResult)
    statistics = tuple(
        name for name, kind in typing.get_type_hints(Estimate).items() if kind in (float, int)
    )
    groups: dict[str, tuple[str, ...]] = {}
    scalars = {"in_transit"}
    for field in dataclasses.fields(ShipmentResult):
        kind = hints[field.name]
        if kind is Estimate:
            groups[field.name] = statistics
        elif kind in (int, float, float | None):
            scalars.add(field.name)
    groups["wait_h_by_cause"] = tuple(WAIT_CAUSES)
    groups["time_h"] = TIME_PARTS
    return groups, frozenset(scalars)


_GROUPS, _SCALARS = _vocabulary()


def is_kpi(name: str) -> bool:
    """Whether ``name`` is a KPI a study may ask for (``transit_days.p90``: yes)."""
    group, _, key = name.partition(".")
    if group in _GROUPS:
        return key in _GROUPS[group]
    return name in _SCALARS


def kpi_value(shipment: ShipmentResult, kpi: str) -> tuple[Any, Any, Any]:
    """``(value, ci_lo, ci_hi)`` of a KPI of one shipment's results, rounded as in
    ``summary.json`` (None where it cannot be computed); the CI only for ``*.mean`` of an
    estimate."""
    group, _, key = kpi.partition(".")
    if not key:
        return clean(getattr(shipment, group)), None, None
    block = getattr(shipment, group)
    if isinstance(block, Estimate):
        if key == "mean":
            lo, hi = block.ci95
            return clean(block.mean), clean(lo), clean(hi)
        return clean(getattr(block, key)), None, None
    assert isinstance(block, Mapping)
    return clean(block[key]), None, None
