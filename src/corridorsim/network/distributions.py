"""Durations: a number of hours, or a distribution in the user's own terms.

One definition per distribution gives ``mean()`` (what routing uses), ``variance()`` (what the
analytic checks use) and ``sample(rng, size)`` (what the engine uses, drawing in bulk from a
``numpy.random.Generator``). Parameters are those a planner states (mean and standard deviation
of the duration itself, or min/mode/max), never those of an underlying transformed variable.

numpy is imported only inside ``sample`` so that loading and validating a network stays fast.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    Strict,
    model_serializer,
    model_validator,
)
from typing_extensions import override

from corridorsim._schema import FrozenModel

if TYPE_CHECKING:
    import numpy as np

#: Below this probability mass a truncated normal is a mistake, not a distribution.
_MIN_TRUNCATED_MASS = 1e-4

#: A number in a file: an int or a float, never a bool (``true`` is not 1) nor a string
#: (``"420"`` is text). Strict mode refuses both; ints are still accepted for floats.
Real = Annotated[float, Strict()]
#: A whole number in a file: an int, never a bool, a float or a string.
Whole = Annotated[int, Strict()]

#: The longest duration (and largest duration parameter) a file may give, in hours: over a
#: century (a scenario's horizon is at most 36,500 days, 876,000 h), and small enough that
#: every mean and variance is a finite float.
MAX_DURATION_H = 1e6
#: The widest spread of the two-moment families, as sd / mean: no real duration varies a
#: million times more than its mean, and within it the lognormal's and gamma's own
#: parameters stay finite.
MAX_SD_OVER_MEAN = 1e6
#: A gamma whose sd is below this fraction of its mean is drawn as its mean: its draws differ
#: from the mean by less than a float's rounding, and its shape parameter would overflow.
_NEGLIGIBLE_SD_OVER_MEAN = 1e-9
#: Empirical weights are relative counts; up to a billion each keeps their sum finite.
MAX_WEIGHT = 1e9

Hours = Annotated[Real, Field(ge=0, le=MAX_DURATION_H)]
PositiveHours = Annotated[Real, Field(gt=0, le=MAX_DURATION_H)]


class _Dist(FrozenModel):
    """Common base: frozen, unknown keys rejected, parameters addressed by their file names."""

    def mean(self) -> float:
        """The expected duration in hours (what static routing uses)."""
        raise NotImplementedError

    def variance(self) -> float:
        """The variance of the duration in hours squared."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        """One draw (``size=None``) or an array of ``size`` draws."""
        raise NotImplementedError

    @property
    def is_deterministic(self) -> bool:
        """Whether every draw is the same number."""
        return self.variance() == 0.0


class Fixed(_Dist):
    """A deterministic duration; written in files as a bare number."""

    dist: Literal["fixed"] = "fixed"
    value: Hours

    @model_serializer(mode="plain")
    def _as_number(self) -> float:
        return self.value

    @override
    def mean(self) -> float:
        return self.value

    @override
    def variance(self) -> float:
        return 0.0

    @override
    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        if size is None:
            return self.value
        import numpy as np

        return np.full(size, self.value)


class Exponential(_Dist):
    """Memoryless durations of a given ``mean`` (Poisson arrivals, M/M/c service)."""

    dist: Literal["exponential"]
    mean_h: PositiveHours = Field(alias="mean")

    @override
    def mean(self) -> float:
        return self.mean_h

    @override
    def variance(self) -> float:
        return self.mean_h**2

    @override
    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        return rng.exponential(self.mean_h, size)


class _MeanSd(_Dist):
    """Shared parameters of the two-moment families (lognormal, gamma)."""

    mean_h: PositiveHours = Field(alias="mean")
    sd: Hours

    @model_validator(mode="after")
    def _spread(self) -> _MeanSd:
        if self.sd > MAX_SD_OVER_MEAN * self.mean_h:
            raise ValueError(f"sd must be at most {MAX_SD_OVER_MEAN:g} x mean")
        return self

    @override
    def mean(self) -> float:
        return self.mean_h

    @override
    def variance(self) -> float:
        return self.sd**2


class Lognormal(_MeanSd):
    """Right-skewed positive durations of a given ``mean`` and ``sd`` (border dwell times)."""

    dist: Literal["lognormal"]

    @override
    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        if self.sd == 0:
            return Fixed(value=self.mean_h).sample(rng, size)
        sigma2 = math.log1p((self.sd / self.mean_h) ** 2)
        mu = math.log(self.mean_h) - sigma2 / 2
        return rng.lognormal(mu, math.sqrt(sigma2), size)


class Gamma(_MeanSd):
    """Positive durations of a given ``mean`` and ``sd``, less heavy-tailed than lognormal."""

    dist: Literal["gamma"]

    @override
    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        if self.sd <= _NEGLIGIBLE_SD_OVER_MEAN * self.mean_h:
            return Fixed(value=self.mean_h).sample(rng, size)
        shape = (self.mean_h / self.sd) ** 2
        return rng.gamma(shape, self.sd**2 / self.mean_h, size)


class Triangular(_Dist):
    """Durations between ``min`` and ``max``, most often ``mode`` (expert estimates)."""

    dist: Literal["triangular"]
    lo: Hours = Field(alias="min")
    mode_h: Hours = Field(alias="mode")
    hi: Hours = Field(alias="max")

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.lo <= self.mode_h <= self.hi:
            raise ValueError("needs min <= mode <= max")
        if self.lo == self.hi:
            raise ValueError("needs min < max (use a number for a fixed duration)")
        return self

    @override
    def mean(self) -> float:
        return (self.lo + self.mode_h + self.hi) / 3

    @override
    def variance(self) -> float:
        a, c, b = self.lo, self.mode_h, self.hi
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18

    @override
    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        return rng.triangular(self.lo, self.mode_h, self.hi, size)


class Uniform(_Dist):
    """Durations equally likely anywhere between ``min`` and ``max``."""

    dist: Literal["uniform"]
    lo: Hours = Field(alias="min")
    hi: Hours = Field(alias="max")

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.hi <= self.lo:
            raise ValueError("needs min < max (use a number for a fixed duration)")
        return self

    @override
    def mean(self) -> float:
        return (self.lo + self.hi) / 2

    @override
    def variance(self) -> float:
        return (self.hi - self.lo) ** 2 / 12

    @override
    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        return rng.uniform(self.lo, self.hi, size)


def _phi(x: float) -> float:
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


class NormalTrunc(_Dist):
    """A normal of location ``mean`` and scale ``sd``, truncated to ``[min, max]``.

    Its actual mean differs from the ``mean`` parameter whenever the truncation bites; routing
    uses the actual one so that static and simulated times agree.
    """

    dist: Literal["normal_trunc"]
    loc: Annotated[Real, Field(ge=-MAX_DURATION_H, le=MAX_DURATION_H)] = Field(alias="mean")
    sd: PositiveHours
    lo: Hours = Field(0.0, alias="min")
    hi: Hours | None = Field(None, alias="max")

    @model_validator(mode="after")
    def _has_mass(self) -> NormalTrunc:
        if self.hi is not None and self.hi <= self.lo:
            raise ValueError("needs min < max")
        if self._mass() < _MIN_TRUNCATED_MASS:
            raise ValueError(
                f"almost no probability lies in [min, max] for mean {self.loc:g} and sd {self.sd:g}"
            )
        return self

    def _bounds(self) -> tuple[float, float]:
        a = (self.lo - self.loc) / self.sd
        b = math.inf if self.hi is None else (self.hi - self.loc) / self.sd
        return a, b

    def _mass(self) -> float:
        a, b = self._bounds()
        return _cdf(b) - _cdf(a)

    @override
    def mean(self) -> float:
        a, b = self._bounds()
        phi_b = 0.0 if math.isinf(b) else _phi(b)
        return self.loc + self.sd * (_phi(a) - phi_b) / self._mass()

    @override
    def variance(self) -> float:
        a, b = self._bounds()
        z = self._mass()
        phi_b = 0.0 if math.isinf(b) else _phi(b)
        b_phi_b = 0.0 if math.isinf(b) else b * phi_b
        ratio = (_phi(a) - phi_b) / z
        return self.sd**2 * (1 + (a * _phi(a) - b_phi_b) / z - ratio**2)

    @override
    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        import numpy as np

        n = 1 if size is None else size
        hi = np.inf if self.hi is None else self.hi
        out = np.empty(n)
        filled = 0
        # Rejection in bulk: draw enough for the expected acceptance rate, repeat for the rest.
        while filled < n:
            want = n - filled
            draws = rng.normal(self.loc, self.sd, int(want / self._mass()) + 8)
            kept = draws[(draws >= self.lo) & (draws <= hi)][:want]
            out[filled : filled + kept.size] = kept
            filled += kept.size
        return float(out[0]) if size is None else out


class Empirical(_Dist):
    """Observed durations, drawn with equal or given ``weights``."""

    dist: Literal["empirical"]
    values: tuple[Hours, ...] = Field(min_length=1)
    weights: tuple[Annotated[Real, Field(ge=0, le=MAX_WEIGHT)], ...] | None = None

    @model_validator(mode="after")
    def _weights_fit(self) -> Empirical:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(
                    f"needs as many weights as values ({len(self.weights)} != {len(self.values)})"
                )
            if sum(self.weights) <= 0:
                raise ValueError("weights must not all be zero")
        return self

    def _probabilities(self) -> list[float]:
        if self.weights is None:
            return [1 / len(self.values)] * len(self.values)
        total = sum(self.weights)
        return [w / total for w in self.weights]

    @override
    def mean(self) -> float:
        return sum(v * p for v, p in zip(self.values, self._probabilities(), strict=True))

    @override
    def variance(self) -> float:
        m = self.mean()
        return sum(
            (v - m) ** 2 * p for v, p in zip(self.values, self._probabilities(), strict=True)
        )

    @override
    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        import numpy as np

        return rng.choice(np.asarray(self.values), size=size, p=self._probabilities())


def _number_to_fixed(value: Any) -> Any:
    # A bare number is the common case in files; bool is an int in Python but never a duration.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    return value


Distribution = (
    Fixed | Exponential | Lognormal | Gamma | Triangular | Uniform | NormalTrunc | Empirical
)

#: The field type of every duration in network and scenario files.
Duration = Annotated[
    Distribution,
    Field(discriminator="dist"),
    BeforeValidator(_number_to_fixed),
]


def parse_duration(value: Any) -> Distribution:
    """Validate one duration spec (number or mapping) outside a larger model."""
    from pydantic import TypeAdapter

    return TypeAdapter(Duration).validate_python(value)
