"""The study file format: what a study YAML may hold, as pydantic models.

Parameters are kept as given here (``dict[str, Any]``) and read one by one by
:func:`corridorsim.experiment.study.parameters.parse_parameter`, so that each problem is one
line at its place in the file.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from corridorsim._schema import FrozenModel, field_vocabulary
from corridorsim.experiment.methods import METHODS
from corridorsim.network.distributions import Real, Whole
from corridorsim.scenario.schema import MAX_REPLICATIONS, MAX_SEED

#: The most design points a study may have (a grid's product of level counts, or the
#: points a method makes of its samples): each point is a scenario run with its
#: replications, and its design is built in memory before the first runs.
MAX_DESIGN_POINTS = 1_000_000


class Range(FrozenModel):
    """A continuous parameter: uniform on [min, max] (``steps`` levels in a grid)."""

    lo: Real = Field(alias="min")
    hi: Real = Field(alias="max")
    steps: Whole | None = Field(None, ge=2, le=1000)
    integer: bool | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.hi > self.lo:
            raise ValueError(f"empty range: max ({self.hi:g}) must be above min ({self.lo:g})")
        return self


class Normal(FrozenModel):
    """A parameter drawn from a normal distribution (``{dist: normal, mean, sd}``)."""

    dist: Literal["normal"]
    mean: Real
    sd: Real = Field(gt=0)


class Triangular(FrozenModel):
    """A parameter drawn from a triangular distribution (``{dist: triangular, min, mode, max}``)."""

    dist: Literal["triangular"]
    lo: Real = Field(alias="min")
    mode: Real
    hi: Real = Field(alias="max")

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.lo <= self.mode <= self.hi or self.lo == self.hi:
            raise ValueError("needs min <= mode <= max and min < max")
        return self


#: A parameter given as a distribution (``{dist: normal, ...}``).
DistSpec = Annotated[Normal | Triangular, Field(discriminator="dist")]


def _choices(names: list[str]) -> str:
    """``'a', 'b' or 'c'``."""
    quoted = [repr(n) for n in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


class StudyFile(FrozenModel):
    """A study file as written: base scenario, method, samples, parameters and KPIs."""

    name: str = Field(min_length=1)
    description: str | None = None
    base: str = Field(min_length=1)
    #: A name in :data:`corridorsim.experiment.methods.METHODS`.
    method: str
    samples: Whole | None = Field(None, ge=1, le=MAX_DESIGN_POINTS)
    replications: Whole = Field(10, ge=1, le=MAX_REPLICATIONS)
    seed: Whole = Field(0, ge=0, le=MAX_SEED)
    parameters: dict[str, Any] = Field(min_length=1)
    kpis: tuple[str, ...] = Field(("transit_days.mean",), min_length=1)
    shipment: str | None = None
    levels: Whole = Field(4, ge=2, le=100)  # morris grid levels

    @field_validator("method", mode="before")
    @classmethod
    def _known_method(cls, value: Any) -> Any:
        if not isinstance(value, str) or value not in METHODS:
            shown = repr(value)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            raise ValueError(f"must be {_choices(list(METHODS))} (got {shown})")
        return value


#: Every key the study format knows, for "did you mean" hints.
VOCABULARY = field_vocabulary(StudyFile, Range, Normal, Triangular)
