"""Study files: a base scenario, parameters addressed by dotted paths, a sampling method.

A study expands into design points (SALib does the sampling for lhs, morris and sobol; grid
is every combination). Each point is the base scenario with the point's values applied:
``links.`` and ``nodes.`` paths go into the scenario's ``network_changes.set``, other paths
into the scenario itself (``horizon_days``, ``shipments.pilot.wagons``,
``cargo.wheat.tonnes_per_wagon``, ``disruptions[0].to_h``).
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, ValidationError, model_validator

from corridorsim._schema import FrozenModel, error_lines, field_vocabulary
from corridorsim.errors import InputError
from corridorsim.network.io import load_network
from corridorsim.network.model import Network
from corridorsim.scenario.load import Scenario, build_scenario
from corridorsim.scenario.paths import join_path, split_path
from corridorsim.scenario.yaml_source import YamlDocument, read_yaml

Method = Literal["grid", "lhs", "morris", "sobol"]
#: The fewest samples each method can do anything with.
MIN_SAMPLES = {"lhs": 2, "morris": 2, "sobol": 4}


class Range(FrozenModel):
    """A continuous parameter: uniform on [min, max] (``steps`` levels in a grid)."""

    lo: float = Field(alias="min")
    hi: float = Field(alias="max")
    steps: int | None = Field(None, ge=2, le=1000)
    integer: bool | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.hi > self.lo:
            raise ValueError(f"empty range: max ({self.hi:g}) must be above min ({self.lo:g})")
        return self


class Normal(FrozenModel):
    dist: Literal["normal"]
    mean: float
    sd: float = Field(gt=0)


class Triangular(FrozenModel):
    dist: Literal["triangular"]
    lo: float = Field(alias="min")
    mode: float
    hi: float = Field(alias="max")

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.lo <= self.mode <= self.hi or self.lo == self.hi:
            raise ValueError("needs min <= mode <= max and min < max")
        return self


#: A parameter given as a distribution (``{dist: normal, ...}``).
DistSpec = Annotated[Normal | Triangular, Field(discriminator="dist")]


class StudyFile(FrozenModel):
    name: str = Field(min_length=1)
    description: str | None = None
    base: str = Field(min_length=1)
    method: Method
    samples: int | None = Field(None, ge=1, le=1_000_000)
    replications: int = Field(10, ge=1, le=100_000)
    seed: int = Field(0, ge=0)
    #: Validated one by one in :func:`load_study`, so that each error is one line at its place.
    parameters: dict[str, Any] = Field(min_length=1)
    kpis: tuple[str, ...] = Field(("transit_days.mean",), min_length=1)
    shipment: str | None = None
    levels: int = Field(4, ge=2, le=100)  # morris grid levels


@dataclass(frozen=True)
class Parameter:
    path: str
    kind: Literal["range", "levels", "normal", "triangular"]
    spec: Any
    integer: bool = False

    @property
    def levels(self) -> list[Any]:
        return list(self.spec)

    def salib_bounds(self) -> tuple[list[float], str]:
        """SALib's bounds and distribution name for this parameter."""
        if self.kind == "range":
            return [self.spec.lo, self.spec.hi], "unif"
        if self.kind == "levels":
            # Discrete levels: sample an index uniformly, then take the level it falls on.
            return [0.0, float(len(self.spec))], "unif"
        if self.kind == "normal":
            return [self.spec.mean, self.spec.sd], "norm"
        lo, mode, hi = self.spec.lo, self.spec.mode, self.spec.hi
        return [lo, hi, (mode - lo) / (hi - lo)], "triang"

    def value(self, x: float) -> Any:
        """The parameter value for SALib's sample ``x``."""
        if self.kind == "levels":
            return self.spec[min(int(x), len(self.spec) - 1)]
        if self.integer:
            return round(x)
        return float(x)

    def grid_values(self) -> list[Any]:
        if self.kind == "levels":
            return list(self.spec)
        if self.kind == "range" and self.spec.steps:
            n = self.spec.steps
            values = [self.spec.lo + (self.spec.hi - self.spec.lo) * i / (n - 1) for i in range(n)]
            # An integer key with more steps than whole numbers in its range: each once.
            return list(dict.fromkeys(round(v) for v in values)) if self.integer else values
        raise InputError(
            f"parameters.{self.path}: a grid needs a list of values or a range with steps"
        )

    def midpoint(self) -> Any:
        if self.kind == "levels":
            return self.spec[0]
        if self.kind == "normal":
            return self.spec.mean
        mid = (self.spec.lo + self.spec.hi) / 2 if self.kind == "range" else self.spec.mode
        return round(mid) if self.integer else mid


@dataclass(frozen=True)
class Study:
    """A validated study: its file, its base scenario and its parameters."""

    path: str
    spec: StudyFile
    parameters: tuple[Parameter, ...]
    base_doc: YamlDocument
    base_network: Network
    base: Scenario
    #: sha256 of the study file and of every file it depends on, for resuming safely.
    fingerprint: str
    input_hashes: Mapping[str, str] = field(default_factory=dict)

    @property
    def shipments(self) -> list[str]:
        if self.spec.shipment:
            return [self.spec.shipment]
        return [plan.id for plan in self.base.shipments]

    @cached_property
    def points(self) -> list[dict[str, Any]]:
        """The design points, in order: one ``{path: value}`` per point."""
        return design_points(self.spec, self.parameters)

    def design(self) -> list[dict[str, Any]]:
        return self.points

    def scenario_for(self, values: Mapping[str, Any]) -> Scenario:
        """The base scenario with ``values`` applied (no file access: workers call this)."""
        data = apply_values(self.base_doc.data, values)
        return build_scenario(
            self.base_doc, data, base_network=self.base_network, input_hashes=self.input_hashes
        )


_VOCABULARY = field_vocabulary(StudyFile, Range, Normal, Triangular)


#: Keys whose values are whole numbers: a sampled value for them is rounded.
INTEGER_KEYS = frozenset(
    {
        "servers",
        "wagons",
        "count",
        "capacity_wagons",
        "gauge_mm",
        "opens_year",
        "replications",
        "seed",
    }
)


def _parameter(path: str, raw: Any, where: Callable[[tuple[Any, ...]], str]) -> Parameter:
    """One parameter from the study file: a list of levels, a distribution or a range."""
    place = ("parameters", path)
    try:
        parts = split_path(path)
    except ValueError as exc:
        raise InputError(f"{where(place)}parameters.{path}: not a dotted path ({exc})") from None
    counted = str(parts[-1]) in INTEGER_KEYS
    if isinstance(raw, list):
        if not raw:
            raise InputError(f"{where(place)}parameters.{path}: an empty list of levels")
        return Parameter(path, "levels", tuple(raw))
    if not isinstance(raw, dict):
        raise InputError(
            f"{where(place)}parameters.{path}: give a range {{min, max}}, a list of levels, or "
            f"a distribution {{dist: normal|triangular, ...}} (got {raw!r})"
        )
    model: Any = TypeAdapter(DistSpec) if "dist" in raw else TypeAdapter(Range)
    try:
        spec = model.validate_python(raw)
    except ValidationError as exc:
        raise InputError(
            error_lines(
                exc,
                raw,
                vocabulary=_VOCABULARY,
                prefix=f"parameters.{path}.",
                root=f"parameters.{path}",
                where=lambda loc: where((*place, *loc)),
            )
        ) from None
    if isinstance(spec, Range):
        return Parameter(
            path, "range", spec, integer=spec.integer if spec.integer is not None else counted
        )
    return Parameter(path, spec.dist, spec, integer=counted)


def _method_problems(
    spec: StudyFile, parameters: Sequence[Parameter], where: Callable[[tuple[Any, ...]], str]
) -> list[str]:
    """What the method needs of the samples and the parameters."""
    method = spec.method
    problems = []
    if method != "grid":
        if spec.samples is None:
            problems.append(f"{where(('method',))}method: {method} needs samples")
        elif spec.samples < MIN_SAMPLES[method]:
            problems.append(
                f"{where(('samples',))}samples: {method} needs at least "
                f"{MIN_SAMPLES[method]} (got {spec.samples})"
            )
        elif method == "sobol" and spec.samples & (spec.samples - 1):
            problems.append(
                f"{where(('samples',))}samples: sobol needs a power of 2 (got {spec.samples})"
            )
    if method in ("morris", "sobol") and len(parameters) < 2:
        problems.append(f"{where(('parameters',))}parameters: {method} needs at least 2")
    for p in parameters:
        if method == "morris" and p.kind == "normal":
            # Morris steps to the 0 and 1 quantiles of each parameter: infinite for a normal.
            problems.append(
                f"{where(('parameters', p.path))}parameters.{p.path}: morris needs "
                "bounded parameters (a range, levels or a triangular distribution)"
            )
        if method == "grid":
            try:
                p.grid_values()
            except InputError as exc:
                problems.append(f"{where(('parameters', p.path))}{exc.problems[0]}")
    return problems


def _reference_problems(
    spec: StudyFile,
    base_scenario: Scenario,
    base_path: str,
    where: Callable[[tuple[Any, ...]], str],
) -> list[str]:
    """The shipment and KPIs a study names must exist in its base scenario."""
    problems: list[str] = []
    if spec.shipment and spec.shipment not in {s.id for s in base_scenario.shipments}:
        problems.append(
            f"{where(('shipment',))}shipment: no shipment '{spec.shipment}' in "
            f"{base_path} (has: {', '.join(s.id for s in base_scenario.shipments)})"
        )
    for i, kpi in enumerate(spec.kpis):
        if not _kpi_known(kpi):
            problems.append(
                f"{where(('kpis', i))}kpis[{i}]: unknown KPI '{kpi}' (e.g. "
                "transit_days.mean, transit_days.p90, usd_per_tonne.mean, "
                "co2_kg_per_tonne.mean, p_within_target)"
            )
    if "p_within_target" in spec.kpis:
        chosen = [spec.shipment] if spec.shipment else [s.id for s in base_scenario.shipments]
        for shipment_id in chosen:
            if (
                shipment_id in {s.id for s in base_scenario.shipments}
                and base_scenario.target_days(shipment_id) is None
            ):
                problems.append(
                    f"{where(('kpis',))}kpis: p_within_target needs target_days "
                    f"for shipment '{shipment_id}' in {base_path}"
                )
    return problems


def load_study(path: str | Path) -> Study:
    """Read and validate a study file and its base scenario; every error names the place."""
    doc = read_yaml(path)

    def where(loc: tuple[Any, ...]) -> str:
        line = doc.line_of(loc)
        return f"{doc.path}:{line}: " if line else f"{doc.path}: "

    try:
        spec = StudyFile.model_validate(doc.data)
    except ValidationError as exc:
        raise InputError(error_lines(exc, doc.data, vocabulary=_VOCABULARY, where=where)) from None
    base_path = Path(doc.path).parent / spec.base
    if not base_path.is_file():
        raise InputError(f"{where(('base',))}base: no file '{base_path}'")
    base_doc = read_yaml(base_path)
    network_value = base_doc.data.get("network")
    base_scenario = build_scenario(base_doc, base_doc.data)  # checks the base on its own
    network_path = Path(base_doc.path).parent / str(network_value)
    base_network = load_network(network_path)
    problems: list[str] = []
    found = []
    for key, raw in spec.parameters.items():
        try:
            found.append(_parameter(str(key), raw, where))
        except InputError as exc:
            problems.extend(exc.problems)
    parameters = tuple(found)
    problems.extend(_method_problems(spec, parameters, where))
    if problems:
        raise InputError(problems)
    problems.extend(_reference_problems(spec, base_scenario, base_doc.path, where))
    for parameter in parameters:
        try:
            probe = apply_values(base_doc.data, {parameter.path: parameter.midpoint()})
            build_scenario(base_doc, probe, base_network=base_network)
        except InputError as exc:
            first = exc.problems[0]
            # Keep what is wrong, not where the probe put it in the base scenario.
            first = (
                first.split(f"{parameter.path}: ", 1)[-1]
                if parameter.path in first
                else first.split(": ", 1)[-1]
            )
            problems.append(
                f"{where(('parameters', parameter.path))}parameters.{parameter.path}: {first}"
            )
    if problems:
        raise InputError(problems)
    hashes = dict(base_scenario.input_hashes)
    study_hash = hashlib.sha256(Path(doc.path).read_bytes()).hexdigest()
    fingerprint = hashlib.sha256(
        "\n".join([study_hash, *sorted(hashes.values())]).encode()
    ).hexdigest()
    return Study(
        path=doc.path,
        spec=spec,
        parameters=parameters,
        base_doc=base_doc,
        base_network=base_network,
        base=base_scenario,
        fingerprint=fingerprint,
        input_hashes=hashes,
    )


_KPI_GROUPS = {"transit_days", "usd_per_tonne", "co2_kg_per_tonne"}
_KPI_STATS = {"mean", "sd", "p50", "p90", "p95", "half_width"}
_KPI_SCALARS = {"p_within_target", "arrived", "in_transit", "static_days"}


def _kpi_known(kpi: str) -> bool:
    group, _, stat = kpi.partition(".")
    if group in _KPI_GROUPS:
        return stat in _KPI_STATS
    if group == "wait_h_by_cause":
        return stat in ("facility", "ferry", "headway", "disruption")
    return kpi in _KPI_SCALARS


def kpi_value(shipment_summary: Mapping[str, Any], kpi: str) -> tuple[Any, Any, Any]:
    """(value, ci_lo, ci_hi) of a KPI in a shipment's summary; CI only for ``*.mean``."""
    group, _, stat = kpi.partition(".")
    if not stat:
        return shipment_summary.get(group), None, None
    block = shipment_summary[group]
    if stat == "mean" and "ci95" in block:
        lo, hi = block["ci95"]
        return block["mean"], lo, hi
    return block[stat], None, None


def apply_values(data: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a scenario's data with each ``path: value`` set (see the module doc)."""
    out = copy.deepcopy(dict(data))
    for path, value in values.items():
        parts = split_path(path)
        if parts[0] in ("links", "nodes"):
            changes = out.setdefault("network_changes", {}) or {}
            out["network_changes"] = changes
            sets = changes.setdefault("set", {}) or {}
            changes["set"] = sets
            sets[path] = value
            continue
        _set_in(out, parts, value, path)
    return out


def _set_in(data: dict[str, Any], parts: Sequence[Any], value: Any, path: str) -> None:
    target: Any = data
    for i, part in enumerate(parts[:-1]):
        if isinstance(target, list) and isinstance(part, str):
            # shipments.pilot -> the shipment whose id is "pilot"
            matches = [
                j
                for j, item in enumerate(target)
                if isinstance(item, dict) and item.get("id") == part
            ]
            if not matches:
                ids = [str(item.get("id")) for item in target if isinstance(item, dict)]
                close = difflib.get_close_matches(str(part), ids, n=3, cutoff=0.5)
                shown = ", ".join(f"'{i}'" for i in (close or ids))
                hint = f" (closest: {shown})" if close else f" (ids: {shown})"
                raise InputError(
                    f"{join_path(list(parts[: i + 1]))}: no item with id '{part}'{hint}"
                )
            part = matches[0]
        if isinstance(target, dict) and part not in target:
            # An optional block the base leaves out (network_changes, a route): validating
            # the resulting scenario says whether the key exists at all.
            target[part] = {}
        try:
            target = target[part]
        except (KeyError, IndexError, TypeError):
            raise InputError(f"{join_path(list(parts[: i + 1]))}: not in the scenario") from None
    last = parts[-1]
    if isinstance(target, list) and not isinstance(last, int):
        raise InputError(
            f"{path}: names a whole item; name one of its keys ({path}.wagons, for example)"
        )
    if isinstance(target, list) and isinstance(last, int) and last >= len(target):
        raise InputError(f"{path}: index {last} is past the end")
    if not isinstance(target, dict | list):
        raise InputError(f"{path}: not in the scenario")
    target[last] = value


def design_points(spec: StudyFile, parameters: Sequence[Parameter]) -> list[dict[str, Any]]:
    if spec.method == "grid":
        grids = [p.grid_values() for p in parameters]
        return [
            {p.path: v for p, v in zip(parameters, combo, strict=True)}
            for combo in itertools.product(*grids)
        ]
    samples = salib_samples(spec, parameters)
    return [{p.path: p.value(x) for p, x in zip(parameters, row, strict=True)} for row in samples]


def salib_problem(parameters: Sequence[Parameter]) -> dict[str, Any]:
    bounds, dists = zip(*(p.salib_bounds() for p in parameters), strict=True)
    return {
        "num_vars": len(parameters),
        "names": [p.path for p in parameters],
        "bounds": [list(b) for b in bounds],
        "dists": list(dists),
    }


def salib_samples(spec: StudyFile, parameters: Sequence[Parameter]) -> Any:
    """The raw SALib sample matrix (one row per design point) for lhs, morris or sobol."""
    import warnings

    problem = salib_problem(parameters)
    assert spec.samples is not None
    try:
        import SALib  # noqa: F401
    except ImportError:
        raise InputError(
            f"method {spec.method} needs SALib: pip install 'corridorsim[sensitivity]'"
        ) from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if spec.method == "lhs":
            from SALib.sample import latin

            return latin.sample(problem, spec.samples, seed=spec.seed)
        if spec.method == "morris":
            from SALib.sample import morris

            return morris.sample(problem, spec.samples, num_levels=spec.levels, seed=spec.seed)
        from SALib.sample import sobol

        return sobol.sample(problem, spec.samples, calc_second_order=False, seed=spec.seed)
