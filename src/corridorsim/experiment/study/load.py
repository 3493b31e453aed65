"""Loading a study: the file and its base scenario, checked together, as a :class:`Study`.

Every problem is one line naming the study file, the line and the place in it. A parameter's
path is tried on the base scenario (with a typical value) when the study is loaded, so a wrong
path is refused before anything runs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from corridorsim._schema import dotted, error_lines
from corridorsim.errors import InputError, ParameterError
from corridorsim.experiment.kpis import EXAMPLES, is_kpi
from corridorsim.experiment.methods import METHODS, GridMethod, Method
from corridorsim.experiment.study.parameters import Parameter, Where, parse_parameter
from corridorsim.experiment.study.schema import MAX_DESIGN_POINTS, VOCABULARY, StudyFile
from corridorsim.network.io import load_network
from corridorsim.network.model import Network
from corridorsim.scenario.load import Scenario, build_scenario
from corridorsim.scenario.paths import apply_scenario_sets
from corridorsim.scenario.yaml_source import YamlDocument, read_yaml


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
    #: Values set in the base scenario at every point (``warmup_days`` from the command line).
    overrides: Mapping[str, Any] = field(default_factory=dict)

    def with_warmup(self, warmup_days: float | None) -> Study:
        """The study with every point's warm-up set to ``warmup_days`` (as it is for None).

        The warm-up is part of the fingerprint: a folder of points run with another warm-up
        is not resumed with this one.
        """
        if warmup_days is None:
            return self
        horizon = self.base.spec.horizon_days
        if not (math.isfinite(warmup_days) and 0 <= warmup_days < horizon):
            raise ParameterError(
                "warmup_days",
                f"must be at least 0 and less than the horizon of {self.base.path} "
                f"({horizon:g} days; got {warmup_days:g})",
            )
        overrides = {**self.overrides, "warmup_days": warmup_days}
        mark = hashlib.sha256(f"{self.fingerprint}|warmup_days={warmup_days!r}".encode())
        return dataclasses.replace(self, overrides=overrides, fingerprint=mark.hexdigest())

    @property
    def method(self) -> Method:
        """The study's sensitivity method."""
        return METHODS[self.spec.method]

    @property
    def shipments(self) -> list[str]:
        """The ids of the shipments whose KPIs the study reads."""
        if self.spec.shipment:
            return [self.spec.shipment]
        return [plan.id for plan in self.base.shipments]

    @cached_property
    def points(self) -> list[dict[str, Any]]:
        """The design points, in order: one ``{path: value}`` per point."""
        return self.method.design(self.spec, self.parameters)

    def design(self) -> list[dict[str, Any]]:
        """The design points (:attr:`points`)."""
        return self.points

    def scenario_for(self, values: Mapping[str, Any]) -> Scenario:
        """The base scenario with ``values`` applied (no file access: workers call this)."""
        data = apply_scenario_sets(self.base_doc.data, {**self.overrides, **values})
        return build_scenario(
            self.base_doc, data, base_network=self.base_network, input_hashes=self.input_hashes
        )


def _reference_problems(
    spec: StudyFile, base_scenario: Scenario, base_path: str, where: Where
) -> list[str]:
    """The shipment and KPIs a study names must exist in its base scenario."""
    problems: list[str] = []
    ids = [s.id for s in base_scenario.shipments]
    if spec.shipment and spec.shipment not in ids:
        problems.append(
            f"{where(('shipment',))}shipment: no shipment '{spec.shipment}' in "
            f"{base_path} (has: {', '.join(ids)})"
        )
    for i, kpi in enumerate(spec.kpis):
        if not is_kpi(kpi):
            problems.append(
                f"{where(('kpis', i))}kpis[{i}]: unknown KPI '{kpi}' (e.g. {', '.join(EXAMPLES)})"
            )
    if "p_within_target" in spec.kpis:
        chosen = [spec.shipment] if spec.shipment else ids
        for shipment_id in chosen:
            if shipment_id in ids and base_scenario.target_days(shipment_id) is None:
                problems.append(
                    f"{where(('kpis',))}kpis: p_within_target needs target_days "
                    f"for shipment '{shipment_id}' in {base_path}"
                )
    return problems


#: Design points per sample beyond the parameter count: a Morris trajectory has
#: parameters + 1 points, a Saltelli (Sobol) row parameters + 2; a Latin hypercube, one.
_POINTS_PER_SAMPLE = {"lhs": None, "morris": 1, "sobol": 2}


def _design_problem(spec: StudyFile, parameters: Sequence[Parameter], where: Where) -> str | None:
    """Too many design points to build, counted before any is built."""
    if spec.method == "grid":
        size = math.prod(len(GridMethod.levels(p) or ()) for p in parameters)
        loc: tuple[Any, ...] = ("parameters",)
        how = "the product of the parameters' level counts"
    else:
        extra = _POINTS_PER_SAMPLE.get(spec.method)
        size = (spec.samples or 0) * (1 if extra is None else len(parameters) + extra)
        loc = ("samples",)
        how = "samples" if extra is None else f"samples x (parameters + {extra})"
    if size <= MAX_DESIGN_POINTS:
        return None
    return (
        f"{where(loc)}{dotted(loc)}: {size:,} design points ({how}), more than the "
        f"{MAX_DESIGN_POINTS:,} a study may have"
    )


def _path_problems(
    parameters: Sequence[Parameter], base_doc: YamlDocument, base_network: Network, where: Where
) -> list[str]:
    """Each parameter's path, tried with a typical value on the base scenario."""
    problems = []
    for parameter in parameters:
        try:
            probe = apply_scenario_sets(base_doc.data, {parameter.path: parameter.midpoint()})
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
    return problems


def load_study(path: str | os.PathLike[str]) -> Study:
    """Read and validate a study file and its base scenario; every error names the place."""
    doc = read_yaml(path)

    def where(loc: tuple[Any, ...]) -> str:
        line = doc.line_of(loc)
        return f"{doc.path}:{line}: " if line else f"{doc.path}: "

    try:
        spec = StudyFile.model_validate(doc.data)
    except ValidationError as exc:
        raise InputError(error_lines(exc, doc.data, vocabulary=VOCABULARY, where=where)) from None
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
            found.append(parse_parameter(str(key), raw, where))
        except InputError as exc:
            problems.extend(exc.problems)
    parameters = tuple(found)
    problems.extend(
        f"{where(p.place)}{dotted(p.place)}: {p.message}"
        for p in METHODS[spec.method].problems(spec, parameters)
    )
    if not problems and (too_big := _design_problem(spec, parameters, where)) is not None:
        problems.append(too_big)
    if problems:
        raise InputError(problems)
    problems.extend(_reference_problems(spec, base_scenario, base_doc.path, where))
    problems.extend(_path_problems(parameters, base_doc, base_network, where))
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
