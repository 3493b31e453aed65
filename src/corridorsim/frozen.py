"""The base of every model read from a file: frozen, unknown keys rejected, no inf or nan."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class FrozenModel(BaseModel):
    """Frozen once validated; a typo (unknown key) or a non-finite number is an error."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )


class FrozenDict(dict):  # type: ignore[type-arg]
    """A dict that cannot be changed after it is built: a validated network or scenario
    stays what it was validated as, even though it holds mappings."""

    def _refuse(self, *args: object, **kwargs: object) -> None:
        raise TypeError(f"{type(self).__name__} cannot be changed (it was validated as is)")

    __setitem__ = __delitem__ = _refuse  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]
    __ior__ = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[type, tuple[dict]]:  # type: ignore[type-arg]
        # Rebuilt from a plain dict: pickling (process pools, Dask) and copying still work.
        return (type(self), (dict(self),))


def freeze_mapping(value: object) -> object:
    """Pydantic after-validator: a validated dict becomes a FrozenDict."""
    return FrozenDict(value) if isinstance(value, dict) else value
