"""Rich tables for the terminal: a finished sweep and its sensitivity indices."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from corridorsim.experiment.sweep import SweepOutcome


def _index(value: float | None) -> str:
    """An index as shown in tables: three decimals; "-" where there is none."""
    return format(value, ",.3f") if value is not None and math.isfinite(value) else "-"


def sweep_table(outcome: SweepOutcome) -> Group:
    """What ran, then per shipment and KPI the method's indices, strongest parameter first."""
    study = outcome.study
    failed = outcome.failed
    head = Text(
        f"{study.spec.name}: {len(outcome.rows)} points x {study.spec.replications} "
        f"replications ({study.spec.method}); ran {outcome.ran}, resumed {outcome.skipped}"
        + (f", {failed} failed (see points.csv)" if failed else "")
    )
    columns = study.method.table_columns
    key = columns[0]
    tables: list[Any] = [head]
    for shipment in study.shipments:
        for kpi in study.spec.kpis:
            rows = [r for r in outcome.indices if r["shipment"] == shipment and r["kpi"] == kpi]
            table = Table(title=f"{shipment} {kpi}", title_justify="left")
            table.add_column("parameter")
            for c in columns:
                table.add_column(c, justify="right")
            for r in sorted(rows, key=lambda r: -abs(r.get(key) or 0)):
                if "note" in r:
                    table.add_row(r["parameter"], r["note"], *[""] * (len(columns) - 1))
                    continue
                table.add_row(r["parameter"], *[_index(r[c]) for c in columns])
            tables.append(table)
    return Group(*tables)
