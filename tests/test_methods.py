"""Sensitivity methods (DESIGN section 7): one object per method, all with the same interface.

Each method says what it needs of a study (samples, parameters), samples the design points,
reads indices from the results and names its index columns and its chart; ``METHODS`` is the
one place that knows the names.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from corridorsim.experiment.methods import (
    METHODS,
    GridMethod,
    LhsMethod,
    Method,
    MorrisMethod,
    SobolMethod,
    salib_problem,
)
from corridorsim.experiment.store import PointResult
from corridorsim.experiment.study import Study, load_study
from corridorsim.report.sweep_outputs import CHARTS

FIXTURES = Path(__file__).parent / "fixtures"
TINY = (FIXTURES / "tiny.yaml").resolve()
SPEED = "links.XB-PORT--XB-BORDER.speed_kmh"
FERRY = "links.XA-PORT--XB-PORT.ferry.every_h"
SERVERS = "nodes.XB-BORDER.facility.border.servers"


@pytest.fixture
def make_study(tmp_path: Path) -> Callable[..., Study]:
    def make(**doc: Any) -> Study:
        path = tmp_path / "study.yaml"
        full = {"name": "methods", "base": str(TINY), "replications": 1, "seed": 3, **doc}
        path.write_text(yaml.safe_dump(full, sort_keys=False), encoding="utf-8")
        return load_study(path)

    return make


def test_the_registry_names_each_method_once() -> None:
    assert list(METHODS) == ["grid", "lhs", "morris", "sobol"]
    kinds = (GridMethod, LhsMethod, MorrisMethod, SobolMethod)
    for (name, method), kind in zip(METHODS.items(), kinds, strict=True):
        assert isinstance(method, Method) and isinstance(method, kind)
        assert method.name == name


@pytest.mark.parametrize("name", list(METHODS))
def test_every_method_has_the_same_interface(name: str) -> None:
    method = METHODS[name]
    assert method.table_columns and set(method.table_columns) <= set(method.index_columns)
    assert method.chart in CHARTS  # the report knows how to draw what the method wants
    assert method.min_samples is None or method.min_samples >= 2
    for hook in ("problems", "design", "analyse"):
        assert callable(getattr(method, hook))


def test_sampled_methods_need_samples_and_grid_does_not() -> None:
    assert METHODS["grid"].min_samples is None
    assert {n: METHODS[n].min_samples for n in ("lhs", "morris", "sobol")} == {
        "lhs": 2, "morris": 2, "sobol": 4
    }
    assert {n: m.min_parameters for n, m in METHODS.items()} == {
        "grid": 1, "lhs": 1, "morris": 2, "sobol": 2
    }


def test_a_method_reports_its_problems_at_their_places(make_study: Callable[..., Study]) -> None:
    study = make_study(method="lhs", samples=4, parameters={SPEED: {"min": 30, "max": 70}})
    spec = study.spec.model_copy(update={"samples": 12})
    sobol = METHODS["sobol"].problems(spec, study.parameters)
    assert [(p.place, p.message) for p in sobol] == [
        (("samples",), "sobol needs a power of 2 (got 12)"),
        (("parameters",), "sobol needs at least 2"),
    ]
    grid = METHODS["grid"].problems(spec, study.parameters)
    assert [(p.place, p.message) for p in grid] == [
        (("parameters", SPEED), "a grid needs a list of values or a range with steps"),
    ]
    unsampled = study.spec.model_copy(update={"samples": None})
    (missing,) = METHODS["morris"].problems(unsampled, study.parameters)[:1]
    assert missing == (("method",), "morris needs samples")
    assert METHODS["lhs"].problems(study.spec, study.parameters) == []


def test_morris_refuses_a_normal_parameter(make_study: Callable[..., Study]) -> None:
    study = make_study(method="lhs", samples=4, parameters={
        SPEED: {"dist": "normal", "mean": 50, "sd": 5}, FERRY: {"min": 24, "max": 72},
    })
    problems = METHODS["morris"].problems(study.spec, study.parameters)
    assert [p.place for p in problems] == [("parameters", SPEED)]
    assert "bounded" in problems[0].message


def test_sampled_designs_are_salib_samples_mapped_to_values(
    make_study: Callable[..., Study],
) -> None:
    from SALib.sample import latin

    study = make_study(method="lhs", samples=7, parameters={
        SPEED: {"min": 30, "max": 70}, SERVERS: [1, 2, 3],
    })
    raw = latin.sample(salib_problem(study.parameters), 7, seed=3)
    assert study.points == [
        {SPEED: float(row[0]), SERVERS: [1, 2, 3][min(int(row[1]), 2)]} for row in raw
    ]


def test_grid_levels_of_lists_and_ranges_with_steps(make_study: Callable[..., Study]) -> None:
    study = make_study(method="grid", parameters={
        SPEED: [30, 50], SERVERS: {"min": 1, "max": 3, "steps": 5},
    })
    speed, servers = study.parameters
    assert GridMethod.levels(speed) == [30, 50]
    assert GridMethod.levels(servers) == [1, 2, 3]  # integer key: each whole number once
    assert study.points[:3] == [{SPEED: 30, SERVERS: 1}, {SPEED: 30, SERVERS: 2},
                                {SPEED: 30, SERVERS: 3}]


@pytest.mark.parametrize(("name", "samples"), [("grid", None), ("lhs", 8), ("morris", 3),
                                               ("sobol", 8)])
def test_analyse_gives_one_row_per_parameter_with_the_index_columns(
    make_study: Callable[..., Study], name: str, samples: int | None
) -> None:
    parameters: dict[str, Any] = (
        {SPEED: [30, 50, 70], FERRY: [24, 48]} if name == "grid"
        else {SPEED: {"min": 30, "max": 70}, FERRY: {"min": 24, "max": 72}}
    )
    study = make_study(method=name, samples=samples, parameters=parameters)
    # A made-up KPI: linear in the speed, flat in the ferry interval.
    y = np.array([2.0 * point[SPEED] for point in study.points])
    kpi = study.spec.kpis[0]
    rows = [
        PointResult(id=i, params=point, seed=study.spec.seed, replications=1,
                    kpis={s: {kpi: [float(v), None, None]} for s in study.shipments}, error=None)
        for i, (point, v) in enumerate(zip(study.points, y, strict=True))
    ]
    found = study.method.analyse(study, rows, y)
    assert [r["parameter"] for r in found] == [SPEED, FERRY]
    for r in found:
        assert list(r) == ["parameter", *study.method.index_columns]
    first = study.method.table_columns[0]
    assert abs(found[0][first]) > abs(found[1][first] or 0)  # the speed matters more
