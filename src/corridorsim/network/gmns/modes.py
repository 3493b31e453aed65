"""Modes and GMNS uses: the use written for each mode, the modes a link's
allowed_uses mean (use_definition.csv, use_group.csv), and what each mode's link keeps
of a link open to several.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from corridorsim._schema import short_repr
from corridorsim.network.gmns.read import _Problems, _read_table
from corridorsim.network.model import Mode

#: The use (vehicle type) written in allowed_uses for each mode, and its use_definition row:
#: persons per vehicle, passenger car equivalents, description. Freight trains, ferries and
#: ships carry no travellers and take no road capacity (0, 0); a truck is GMNS's own
#: example row (1 person, 2 pce).
MODE_USES: Mapping[str, tuple[str, float, float, str]] = {
    "rail": ("rail", 0, 0, "freight train"),
    "road": ("truck", 1, 2, "truck"),
    "ferry": ("ferry", 0, 0, "rail and road ferry: wagons and trucks rolled on"),
    "sea": ("ship", 0, 0, "cargo ship"),
}

#: Use names (any case) that mean a mode other than road when use_definition gives no
#: ``u_mode`` for them; every other use (auto, truck, bus, walk, ALL...) travels by road.
USE_MODES: Mapping[str, str] = {
    "rail": "rail",
    "train": "rail",
    "railway": "rail",
    "freight_rail": "rail",
    "rail_freight": "rail",
    "freight_train": "rail",
    "ferry": "ferry",
    "rail_ferry": "ferry",
    "roro": "ferry",
    "ro-ro": "ferry",
    "ship": "sea",
    "sea": "sea",
    "vessel": "sea",
}

#: The gauge of an imported rail link that gives no u_gauge_mm: standard gauge.
DEFAULT_GAUGE_MM = 1435

_MODES: tuple[str, ...] = get_args(Mode)


@dataclass
class _Uses:
    """What the allowed uses of a link mean: modes from use_definition, groups from
    use_group (names compared ignoring case)."""

    modes: dict[str, str] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)

    def modes_of(self, allowed_uses: str | None) -> list[str]:
        """The corridorsim modes of a link's allowed_uses, in the order they first appear."""
        found: list[str] = []
        expanded: set[str] = set()

        def visit(use: str) -> None:
            key = use.strip().casefold()
            if not key:
                return
            if key in self.groups:
                if key not in expanded:  # groups may name groups; never loop
                    expanded.add(key)
                    for part in self.groups[key]:
                        visit(part)
                return
            mode = self.modes.get(key) or USE_MODES.get(key, "road")
            if mode not in found:
                found.append(mode)

        for use in (allowed_uses or "").split(","):
            visit(use)
        return found or ["road"]


def _read_uses(folder: Path, problems: _Problems) -> _Uses:
    uses = _Uses()
    definitions = _read_table(folder, "use_definition", problems)
    for row in definitions.rows if definitions else []:
        mode = row.values.get("u_mode")
        if mode is None or row.values.get("use") is None:
            continue
        if mode not in _MODES:
            assert definitions is not None
            problems.at(
                definitions.where,
                row.line,
                f"u_mode {short_repr(mode)}: must be one of {', '.join(_MODES)}",
            )
            continue
        uses.modes[row.values["use"].strip().casefold()] = mode
    groups = _read_table(folder, "use_group", problems)
    for row in groups.rows if groups else []:
        if row.ok:
            members = [part.strip() for part in row.values["uses"].split(",")]
            uses.groups[row.values["use_group"].strip().casefold()] = members
    return uses


#: What a link open to several modes keeps on each mode's link: a field here goes only to
#: the links of these modes (a gauge to the rail link, the ferry block to the ferry).
_MODE_ONLY: Mapping[str, frozenset[str]] = {
    "gauge_mm": frozenset({"rail"}),
    "max_train_wagons": frozenset({"rail"}),
    "tracks": frozenset({"rail", "road"}),
    "ferry": frozenset({"ferry", "sea"}),
    "speed_kmh": frozenset({"rail", "road", "sea"}),
    "delay_h": frozenset({"rail", "road", "sea"}),
}


#: Where a link's free_speed waits until its mode is known: a ferry's time at sea is its
#: sailing time (ferry.sailing_h), so free_speed is not read for ferry links.
_FREE_SPEED = "_free_speed_kmh"


def _for_mode(props: dict[str, Any], mode: str, *, split: bool) -> dict[str, Any]:
    one = dict(props)
    free_speed = one.pop(_FREE_SPEED, None)
    if free_speed is not None and mode != "ferry":
        one["speed_kmh"] = free_speed
    if split:
        for name, modes in _MODE_ONLY.items():
            if mode not in modes:
                one.pop(name, None)
    if mode == "rail":
        one.setdefault("gauge_mm", DEFAULT_GAUGE_MM)
    return one
