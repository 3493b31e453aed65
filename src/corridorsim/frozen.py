"""The base of every model read from a file: frozen, unknown keys rejected, no inf or nan."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class FrozenModel(BaseModel):
    """Frozen once validated; a typo (unknown key) or a non-finite number is an error."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )
