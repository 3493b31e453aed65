"""Sensitivity methods: how each one samples a study's design points and reads sensitivity
indices from the results.

Each method (grid, lhs, morris, sobol) is one object with the interface of :class:`Method`;
:data:`METHODS` is the one place that names them. SALib samples lhs, morris and sobol designs
and analyses morris and sobol results; the rank correlations of a Latin hypercube come from
SciPy; a grid's main effects are the mean KPI at each level of a parameter.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import numpy as np

from corridorsim.errors import InputError

if TYPE_CHECKING:
    from corridorsim.experiment.store import PointResult
    from corridorsim.experiment.study import Study
    from corridorsim.experiment.study.parameters import Parameter
    from corridorsim.experiment.study.schema import StudyFile


class MethodProblem(NamedTuple):
    """Something a method cannot work with, at a place in the study file."""

    #: The place in the study file (``("samples",)``, ``("parameters", PATH)``).
    place: tuple[str | int, ...]
    #: What is wrong, without the place (``morris needs at least 2 (got 1)``).
    message: str


class Method:
    """A sensitivity method: its needs, its design points, its indices and its chart.

    Subclasses set the class attributes and supply :meth:`design` and :meth:`analyse`;
    :meth:`problems` checks the common needs and asks the hooks :meth:`_samples_problem` and
    :meth:`_parameter_problem` for the method's own.
    """

    #: The name a study file gives in ``method:``.
    name: ClassVar[str]
    #: The fewest ``samples`` the method can do anything with; None: it takes no samples.
    min_samples: ClassVar[int | None] = None
    #: The fewest parameters the method can do anything with.
    min_parameters: ClassVar[int] = 1
    #: The indices of each parameter, in the order of each row of ``indices.csv/.json``.
    index_columns: ClassVar[tuple[str, ...]]
    #: The indices shown in the terminal table; rows are ranked by the first.
    table_columns: ClassVar[tuple[str, ...]]
    #: The kind of chart that shows the indices (the report draws it).
    chart: ClassVar[str]

    def problems(self, spec: StudyFile, parameters: Sequence[Parameter]) -> list[MethodProblem]:
        """What the method needs of the study's samples and parameters and does not get."""
        found = []
        if self.min_samples is not None:
            if spec.samples is None:
                found.append(MethodProblem(("method",), f"{self.name} needs samples"))
            elif spec.samples < self.min_samples:
                found.append(
                    MethodProblem(
                        ("samples",),
                        f"{self.name} needs at least {self.min_samples} (got {spec.samples})",
                    )
                )
            elif (problem := self._samples_problem(spec.samples)) is not None:
                found.append(MethodProblem(("samples",), problem))
        if len(spec.parameters) < self.min_parameters:
            found.append(
                MethodProblem(("parameters",), f"{self.name} needs at least {self.min_parameters}")
            )
        for parameter in parameters:
            if (problem := self._parameter_problem(parameter)) is not None:
                found.append(MethodProblem(("parameters", parameter.path), problem))
        return found

    def _samples_problem(self, samples: int) -> str | None:
        """What is wrong with a number of samples at or above :attr:`min_samples`, if anything."""
        return None

    def _parameter_problem(self, parameter: Parameter) -> str | None:
        """What the method cannot do with ``parameter``, if anything."""
        return None

    def design(self, spec: StudyFile, parameters: Sequence[Parameter]) -> list[dict[str, Any]]:
        """The design points, in order: one ``{path: value}`` per point."""
        raise NotImplementedError

    def analyse(
        self, study: Study, rows: Sequence[PointResult], y: np.ndarray
    ) -> list[dict[str, Any]]:
        """One row per parameter (``parameter`` and :attr:`index_columns`) from the KPI ``y``
        at every design point of ``study``, in order (``rows`` are those points)."""
        raise NotImplementedError


def salib_problem(parameters: Sequence[Parameter]) -> dict[str, Any]:
    """SALib's description of the parameters: names, bounds and distributions."""
    bounds, dists = zip(*(p.salib_bounds() for p in parameters), strict=True)
    return {
        "num_vars": len(parameters),
        "names": [p.path for p in parameters],
        "bounds": [list(b) for b in bounds],
        "dists": list(dists),
    }


def _number(x: Any) -> float | None:
    """A float for the indices files; None where it is nan (JSON has no nan)."""
    value = float(x)
    return None if math.isnan(value) else value


class _SalibSampled(Method):
    """A method whose design points SALib samples: one matrix row per point."""

    def design(self, spec: StudyFile, parameters: Sequence[Parameter]) -> list[dict[str, Any]]:
        """The design points, in order: SALib's sample, mapped to each parameter's values."""
        samples = self.sample_matrix(spec, parameters)
        return [
            {p.path: p.value(x) for p, x in zip(parameters, row, strict=True)} for row in samples
        ]

    def sample_matrix(self, spec: StudyFile, parameters: Sequence[Parameter]) -> Any:
        """The raw SALib sample matrix (one row per design point, one column per parameter)."""
        problem = salib_problem(parameters)
        assert spec.samples is not None
        try:
            import SALib  # noqa: F401
        except ImportError:
            raise InputError(
                f"method {self.name} needs SALib: pip install 'corridorsim[sensitivity]'"
            ) from None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self._sample(problem, spec)

    def _sample(self, problem: dict[str, Any], spec: StudyFile) -> Any:
        """SALib's sampler for this method."""
        raise NotImplementedError


class GridMethod(Method):
    """Every combination of the parameters' levels; indices: main effects (the mean KPI at
    each level of a parameter, and the range of those means)."""

    name = "grid"
    index_columns = ("levels", "level_means", "effect_range")
    table_columns = ("effect_range",)
    chart = "effect_tornado"

    @staticmethod
    def levels(parameter: Parameter) -> list[Any] | None:
        """The parameter's grid levels: its list, or ``steps`` values across its range;
        None when it has neither."""
        if parameter.kind == "levels":
            return list(parameter.spec)
        if parameter.kind == "range" and parameter.spec.steps:
            lo, hi, n = parameter.spec.lo, parameter.spec.hi, parameter.spec.steps
            values = [lo + (hi - lo) * i / (n - 1) for i in range(n)]
            # An integer key with more steps than whole numbers in its range: each once.
            return list(dict.fromkeys(round(v) for v in values)) if parameter.integer else values
        return None

    def _parameter_problem(self, parameter: Parameter) -> str | None:
        if self.levels(parameter) is None:
            return "a grid needs a list of values or a range with steps"
        return None

    def _levels(self, parameter: Parameter) -> list[Any]:
        levels = self.levels(parameter)
        if levels is None:
            raise InputError(
                f"parameters.{parameter.path}: a grid needs a list of values or a range with steps"
            )
        return levels

    def design(self, spec: StudyFile, parameters: Sequence[Parameter]) -> list[dict[str, Any]]:
        """Every combination of levels, the last parameter's changing fastest."""
        grids = [self._levels(p) for p in parameters]
        return [
            {p.path: v for p, v in zip(parameters, combo, strict=True)}
            for combo in itertools.product(*grids)
        ]

    def analyse(
        self, study: Study, rows: Sequence[PointResult], y: np.ndarray
    ) -> list[dict[str, Any]]:
        """Main effects: per parameter, the mean KPI at each of its levels and their range."""
        out = []
        for p in study.parameters:
            levels = self._levels(p)
            at = [row.params[p.path] for row in rows]
            means = [
                float(np.mean([yv for value, yv in zip(at, y, strict=True) if value == level]))
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


class LhsMethod(_SalibSampled):
    """A Latin hypercube of ``samples`` points; indices: Spearman rank correlations."""

    name = "lhs"
    min_samples = 2
    index_columns = ("spearman_rho", "p_value")
    table_columns = index_columns
    chart = "rank_tornado"

    def _sample(self, problem: dict[str, Any], spec: StudyFile) -> Any:
        from SALib.sample import latin

        return latin.sample(problem, spec.samples, seed=spec.seed)

    def analyse(
        self, study: Study, rows: Sequence[PointResult], y: np.ndarray
    ) -> list[dict[str, Any]]:
        """Each parameter's Spearman rank correlation with the KPI, and its p-value."""
        from scipy.stats import spearmanr

        out = []
        for p in study.parameters:
            values = [row.params[p.path] for row in rows]
            if p.kind == "levels":
                # Levels may be anything (numbers, names): rank them by their position.
                values = [list(p.spec).index(v) for v in values]
            x = np.asarray(values, dtype=float)
            if np.ptp(x) == 0 or np.ptp(y) == 0:
                rho, pvalue = math.nan, math.nan
            else:
                rho, pvalue = spearmanr(x, y)
            out.append(
                {"parameter": p.path, "spearman_rho": _number(rho), "p_value": _number(pvalue)}
            )
        return out


class MorrisMethod(_SalibSampled):
    """Morris screening: ``samples`` trajectories of (parameters + 1) points on ``levels``
    levels; indices: mu, mu* (with its bootstrap CI) and sigma of the elementary effects."""

    name = "morris"
    min_samples = 2
    min_parameters = 2
    index_columns = ("mu", "mu_star", "mu_star_conf", "sigma")
    table_columns = ("mu_star", "mu_star_conf", "sigma")
    chart = "elementary_effects"

    def _parameter_problem(self, parameter: Parameter) -> str | None:
        if parameter.kind == "normal":
            # Morris steps to the 0 and 1 quantiles of each parameter: infinite for a normal.
            return "morris needs bounded parameters (a range, levels or a triangular distribution)"
        return None

    def _sample(self, problem: dict[str, Any], spec: StudyFile) -> Any:
        from SALib.sample import morris

        return morris.sample(problem, spec.samples, num_levels=spec.levels, seed=spec.seed)

    def analyse(
        self, study: Study, rows: Sequence[PointResult], y: np.ndarray
    ) -> list[dict[str, Any]]:
        """SALib's Morris analysis of the KPI over the study's trajectories."""
        from SALib.analyze import morris

        x = self.sample_matrix(study.spec, study.parameters)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = morris.analyze(
                salib_problem(study.parameters),
                x,
                y,
                num_levels=study.spec.levels,
                seed=study.spec.seed,
            )
        # SALib returns the names as numpy strings: the study's own paths are plain ones.
        return [
            {"parameter": p.path, **{c: _number(result[c][i]) for c in self.index_columns}}
            for i, p in enumerate(study.parameters)
        ]


class SobolMethod(_SalibSampled):
    """Sobol variance decomposition: a Saltelli design of ``samples`` x (parameters + 2)
    points (``samples`` a power of 2); indices: first-order and total, with bootstrap CIs."""

    name = "sobol"
    min_samples = 4
    min_parameters = 2
    index_columns = ("S1", "S1_conf", "ST", "ST_conf")
    table_columns = index_columns
    chart = "variance_shares"

    def _samples_problem(self, samples: int) -> str | None:
        if samples & (samples - 1):
            return f"sobol needs a power of 2 (got {samples})"
        return None

    def _sample(self, problem: dict[str, Any], spec: StudyFile) -> Any:
        from SALib.sample import sobol

        return sobol.sample(problem, spec.samples, calc_second_order=False, seed=spec.seed)

    def analyse(
        self, study: Study, rows: Sequence[PointResult], y: np.ndarray
    ) -> list[dict[str, Any]]:
        """SALib's Sobol analysis (first order and total) of the KPI over the design."""
        from SALib.analyze import sobol

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = sobol.analyze(
                salib_problem(study.parameters), y, calc_second_order=False, seed=study.spec.seed
            )
        return [
            {"parameter": p.path, **{c: _number(result[c][i]) for c in self.index_columns}}
            for i, p in enumerate(study.parameters)
        ]


#: Every method, by the name a study file gives.
METHODS: dict[str, Method] = {
    m.name: m for m in (GridMethod(), LhsMethod(), MorrisMethod(), SobolMethod())
}
