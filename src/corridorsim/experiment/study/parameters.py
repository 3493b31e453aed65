"""A study's parameters: a dotted path and what values it takes (a range, levels or a
distribution), and how a sample in SALib's terms becomes one of those values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from corridorsim._schema import error_lines
from corridorsim.errors import InputError
from corridorsim.experiment.study.schema import VOCABULARY, DistSpec, Range
from corridorsim.scenario.paths import split_path

#: ``where(loc)``: the ``file:line: `` prefix of the place ``loc`` in the study file.
Where = Callable[[tuple[Any, ...]], str]

#: Keys whose values are whole numbers: a sampled value for them is rounded.
INTEGER_KEYS = frozenset(
    {
        "servers",
        "wagons",
        "vessels",
        "max_wagons",
        "max_train_wagons",
        "count",
        "capacity_wagons",
        "gauge_mm",
        "opens_year",
        "tracks",
        "replications",
        "seed",
    }
)


@dataclass(frozen=True)
class Parameter:
    """One parameter of a study: its dotted path, its kind and its validated spec.

    ``kind`` is ``range`` (a :class:`Range`), ``levels`` (a tuple of values), ``normal`` or
    ``triangular`` (a distribution). ``integer`` parameters take whole numbers.
    """

    path: str
    kind: Literal["range", "levels", "normal", "triangular"]
    spec: Any
    integer: bool = False

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
            return round(float(x))
        return float(x)

    def midpoint(self) -> Any:
        """A typical value (the first level, the mean, the middle or mode of a range): what
        loading a study tries on the base scenario to check the path."""
        if self.kind == "levels":
            return self.spec[0]
        if self.kind == "normal":
            mid = self.spec.mean
        elif self.kind == "range":
            mid = (self.spec.lo + self.spec.hi) / 2
        else:
            mid = self.spec.mode
        return round(mid) if self.integer else mid


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _reads_as_number(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True


def _kind(value: Any) -> str:
    if _is_number(value):
        return "a number"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _levels(path: str, raw: list[Any], where: Where) -> tuple[Any, ...]:
    """A list of levels of one type, so that every point's value fits one column.

    Numbers become one type (all floats when any is a float, else ints). Text that reads as a
    number is refused (the YAML reader took it as text, so a typed value was meant); so is a
    list mixing kinds (numbers with text, text with lists). ``null`` may stand beside any kind.
    """
    problems = []
    for i, level in enumerate(raw):
        if _reads_as_number(level):
            problems.append(
                f"{where(('parameters', path, i))}parameters.{path}[{i}]: {level!r} is text, "
                f"not a number: write {_number_text(level)}"
            )
    if problems:
        raise InputError(problems)
    present = [level for level in raw if level is not None]
    kinds = list(dict.fromkeys(_kind(level) for level in present))
    if len(kinds) > 1:
        first = _kind(present[0])
        i = next(i for i, level in enumerate(raw) if level is not None and _kind(level) != first)
        raise InputError(
            f"{where(('parameters', path, i))}parameters.{path}[{i}]: levels mix "
            f"{first} and {_kind(raw[i])} ({raw[i]!r}); give levels of one kind"
        )
    if kinds == ["a number"] and any(isinstance(level, float) for level in present):
        try:
            return tuple(None if level is None else float(level) for level in raw)
        except OverflowError:
            raise InputError(
                f"{where(('parameters', path))}parameters.{path}: a level is too large a number"
            ) from None
    return tuple(raw)


def _number_text(text: str) -> str:
    value = float(text)
    return repr(value) if value == value and abs(value) != float("inf") else "a finite number"


def parse_parameter(path: str, raw: Any, where: Where) -> Parameter:
    """One parameter from the study file: a list of levels, a distribution or a range.

    Raises InputError with one line per problem, each naming its place through ``where``.
    """
    place = ("parameters", path)
    try:
        parts = split_path(path)
    except ValueError as exc:
        raise InputError(f"{where(place)}parameters.{path}: not a dotted path ({exc})") from None
    counted = str(parts[-1]) in INTEGER_KEYS
    if isinstance(raw, list):
        if not raw:
            raise InputError(f"{where(place)}parameters.{path}: an empty list of levels")
        return Parameter(path, "levels", _levels(path, raw, where))
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
                vocabulary=VOCABULARY,
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
