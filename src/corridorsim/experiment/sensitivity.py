"""Sensitivity indices of a finished study, from SALib (Morris, Sobol) and SciPy (rank
correlations for Latin hypercubes); main effects for grids."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from corridorsim.experiment.study import Study, salib_problem, salib_samples


def kpi_matrix(study: Study, rows: list[dict[str, Any]], shipment: str, kpi: str) -> np.ndarray:
    """The KPI at every design point in order; nan where a point failed or had no value."""
    values = np.full(len(rows), np.nan)
    for i, row in enumerate(rows):
        if row["kpis"] is not None:
            value = row["kpis"][shipment][kpi][0]
            values[i] = np.nan if value is None else value
    return values


def indices(study: Study, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (shipment, KPI, parameter) with the method's indices."""
    out: list[dict[str, Any]] = []
    names = [p.path for p in study.parameters]
    method = study.spec.method
    for shipment in study.shipments:
        for kpi in study.spec.kpis:
            y = kpi_matrix(study, rows, shipment, kpi)
            base = {"shipment": shipment, "kpi": kpi}
            if np.isnan(y).any() or len(rows) != len(study.design()):
                out.extend(
                    {**base, "parameter": n, "note": "incomplete: some points failed"}
                    for n in names
                )
                continue
            if method == "morris":
                out.extend({**base, **r} for r in _morris(study, y))
            elif method == "sobol":
                out.extend({**base, **r} for r in _sobol(study, y))
            elif method == "lhs":
                out.extend({**base, **r} for r in _spearman(study, rows, y))
            else:
                out.extend({**base, **r} for r in _main_effects(study, rows, y))
    return out


def _clean(x: Any) -> float | None:
    value = float(x)
    return None if math.isnan(value) else value


def _morris(study: Study, y: np.ndarray) -> list[dict[str, Any]]:
    from SALib.analyze import morris

    x = salib_samples(study.spec, study.parameters)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = morris.analyze(
            salib_problem(study.parameters),
            x,
            y,
            num_levels=study.spec.levels,
            seed=study.spec.seed,
        )
    return [
        {
            "parameter": name,
            "mu": _clean(result["mu"][i]),
            "mu_star": _clean(result["mu_star"][i]),
            "mu_star_conf": _clean(result["mu_star_conf"][i]),
            "sigma": _clean(result["sigma"][i]),
        }
        for i, name in enumerate(result["names"])
    ]


def _sobol(study: Study, y: np.ndarray) -> list[dict[str, Any]]:
    from SALib.analyze import sobol

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = sobol.analyze(
            salib_problem(study.parameters), y, calc_second_order=False, seed=study.spec.seed
        )
    names = [p.path for p in study.parameters]
    return [
        {
            "parameter": name,
            "S1": _clean(result["S1"][i]),
            "S1_conf": _clean(result["S1_conf"][i]),
            "ST": _clean(result["ST"][i]),
            "ST_conf": _clean(result["ST_conf"][i]),
        }
        for i, name in enumerate(names)
    ]


def _columns(study: Study, rows: list[dict[str, Any]]) -> list[np.ndarray]:
    cols = []
    for p in study.parameters:
        values = [row["params"][p.path] for row in rows]
        if p.kind == "levels":
            # Levels may be anything (numbers, names): rank them by their position.
            values = [list(p.spec).index(v) for v in values]
        cols.append(np.asarray(values, dtype=float))
    return cols


def _spearman(study: Study, rows: list[dict[str, Any]], y: np.ndarray) -> list[dict[str, Any]]:
    from scipy.stats import spearmanr

    out = []
    for p, x in zip(study.parameters, _columns(study, rows), strict=True):
        if np.ptp(x) == 0 or np.ptp(y) == 0:
            rho, pvalue = math.nan, math.nan
        else:
            rho, pvalue = spearmanr(x, y)
        out.append({"parameter": p.path, "spearman_rho": _clean(rho), "p_value": _clean(pvalue)})
    return out


def _main_effects(study: Study, rows: list[dict[str, Any]], y: np.ndarray) -> list[dict[str, Any]]:
    out = []
    for p in study.parameters:
        levels = p.grid_values()
        means = [
            float(
                np.mean(
                    [yv for row, yv in zip(rows, y, strict=True) if row["params"][p.path] == level]
                )
            )
            for level in levels
        ]
        out.append(
            {
                "parameter": p.path,
                "levels": levels,
                "level_means": means,
                "effect_range": max(means) - min(means),
            }
        )
    return out
