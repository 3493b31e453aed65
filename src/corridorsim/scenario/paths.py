"""Dotted paths: the one way to address a parameter of a network or a scenario.

``links.AKTAU-ALAT.ferry.every_h``, ``nodes.GE-SADAKHLO.facility.dwell_h.mean``,
``nodes.XC-BORDER.facility.gauge_change.servers`` (a facility by type), ``facility[1]`` or
``facility.1`` (by position), ``shipments.pilot.wagons`` or ``shipments[0].wagons``.

Two ways to set values by path live here: :func:`apply_network_sets` changes a network (a
scenario's ``network_changes.set``), :func:`apply_scenario_sets` changes a scenario's data
(a study's design point, a ``set`` given on the command line). A network path is checked
against what the file format allows, not only against what a file happens to contain:
``links.X.speed_kmh`` may be set on a link that relies on its mode's default. A wrong path is
an error naming the closest valid ones.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, get_args

from pydantic import BaseModel

from corridorsim._schema import dotted
from corridorsim.errors import InputError
from corridorsim.network.distributions import Distribution
from corridorsim.network.io import network_to_geojson, parse_network
from corridorsim.network.model import Facility, Ferry, Link, Network, Node, Tariff

Part = str | int
_INDEX = re.compile(r"\[(\d+)\]")
#: The first parts of the paths that address the network rather than the scenario itself.
NETWORK_ROOTS = ("links", "nodes")
#: Keys that identify a feature; changing them is not a what-if but a different network.
_FIXED_KEYS = {"id", "from", "to", "coords", "source", "note"}
_NESTED: dict[str, type[BaseModel]] = {"tariff": Tariff, "ferry": Ferry}
#: The parameters a set may address inside each kind of distribution (``dwell_h.mean``).
_DIST_PARAMS = {
    get_args(cls.model_fields["dist"].annotation)[0]: tuple(
        info.alias or key for key, info in cls.model_fields.items() if key != "dist"
    )
    for cls in get_args(Distribution)
}


def split_path(path: str) -> list[Part]:
    """``a.b[2].c`` -> ``["a", "b", 2, "c"]``; ``a.2`` -> ``["a", 2]``.

    Raises ValueError for an empty part (``a..b``).
    """
    parts: list[Part] = []
    for chunk in _INDEX.sub(r".\1", path).split("."):
        if chunk == "":
            raise ValueError("empty part")
        parts.append(int(chunk) if chunk.isascii() and chunk.isdigit() else chunk)
    return parts


def apply_scenario_sets(data: Mapping[str, Any], sets: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a scenario's data (its parsed YAML) with each ``path: value`` of ``sets`` set.

    ``links.`` and ``nodes.`` paths are added to the scenario's ``network_changes.set``, so
    that building the scenario applies them to its network (:func:`apply_network_sets`,
    which checks them). Every other path is set in the scenario itself: ``horizon_days``,
    ``cargo.wheat.tonnes_per_wagon``, ``shipments.pilot.wagons`` (a list item by its
    ``id``), ``shipments[0].wagons`` or ``disruptions.0.to_h`` (by position). Blocks the
    scenario leaves out (a shipment's ``route``) are created on the way.

    Raises InputError naming the path when it is malformed or leads nowhere. The result is
    not validated: build the scenario from it to know whether the keys and values are right.
    """
    out = copy.deepcopy(dict(data))
    for path, value in sets.items():
        try:
            parts = split_path(path)
        except ValueError as exc:
            raise InputError(f"{path}: not a dotted path ({exc})") from None
        if parts[0] in NETWORK_ROOTS:
            changes = out.setdefault("network_changes", {}) or {}
            out["network_changes"] = changes
            network_sets = changes.setdefault("set", {}) or {}
            changes["set"] = network_sets
            network_sets[path] = value
            continue
        _set_at(out, parts, value)
    return out


def _set_at(root: dict[str, Any], parts: Sequence[Part], value: Any) -> None:
    """Set ``value`` at ``parts`` below ``root`` (scenario data or a feature's properties).

    A name inside a list picks the item with that ``id`` (``shipments.pilot``); a block that
    ``root`` leaves out is created, and validating the result says whether it may exist.
    Messages name the path from ``root``.
    """
    target: Any = root
    for depth, part in enumerate(parts[:-1]):
        here = dotted(parts[: depth + 1])
        if isinstance(target, list) and isinstance(part, str):
            part = _index_of(target, part, here)
        if isinstance(target, dict) and part not in target:
            target[part] = {}
        try:
            target = target[part]
        except (KeyError, IndexError, TypeError):
            raise InputError(f"{here}: not in the scenario") from None
        if not isinstance(target, dict | list):
            raise InputError(f"{here} is {target!r}, not a block with keys (set it whole)")
    path, last = dotted(parts), parts[-1]
    if isinstance(target, list) and not isinstance(last, int):
        raise InputError(
            f"{path}: names a whole item; name one of its keys ({path}.wagons, for example)"
        )
    if isinstance(target, list) and isinstance(last, int) and last >= len(target):
        raise InputError(f"{path}: index {last} is past the end")
    target[last] = value


def _index_of(items: list[Any], item_id: str, here: str) -> int:
    """The position of the item whose ``id`` is ``item_id`` (``shipments.pilot``)."""
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("id") == item_id:
            return i
    ids = [str(item.get("id")) for item in items if isinstance(item, dict)]
    close = difflib.get_close_matches(item_id, ids, n=3, cutoff=0.5)
    shown = ", ".join(f"'{i}'" for i in (close or ids))
    hint = f" (closest: {shown})" if close else f" (ids: {shown})"
    raise InputError(f"{here}: no item with id '{item_id}'{hint}")


def _settable(
    props: Mapping[str, Any], model: type[BaseModel], prefix: list[Part]
) -> Iterator[list[Part]]:
    """Every path below a feature (or nested block) that a set may address."""
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key in _FIXED_KEYS:
            continue
        here = [*prefix, key]
        value = props.get(key)
        if key == "facility":
            facilities = [value] if isinstance(value, dict) else list(value or [])
            for i, facility in enumerate(facilities):
                if isinstance(facility, dict):
                    yield from _settable(facility, Facility, [*here, i])
        elif key in _NESTED:
            yield here
            # An earlier set may have replaced the block by something else: validation of
            # the result reports that; here it only has no parameters to offer.
            yield from _settable(value if isinstance(value, dict) else {}, _NESTED[key], here)
        elif key.endswith("_h"):
            yield here
            if isinstance(value, dict) and isinstance(value.get("dist"), str):
                yield from ([*here, p] for p in _DIST_PARAMS.get(value["dist"], ()))
        elif key == "cancel_prob" and isinstance(value, list):
            yield here
            yield from ([*here, i] for i in range(len(value)))
        else:
            yield here


def _normalise_facility(parts: list[Part], props: Mapping[str, Any]) -> list[Part]:
    """``facility.dwell_h`` (one facility) and ``facility.border`` (by type) -> ``facility[i]``."""
    if not parts or parts[0] != "facility":
        return parts
    value = props.get("facility")
    facilities = [value] if isinstance(value, dict) else list(value or [])
    rest = parts[1:]
    if rest and isinstance(rest[0], int):
        return parts
    if rest and isinstance(rest[0], str):
        matches = [
            i for i, f in enumerate(facilities) if isinstance(f, dict) and f.get("type") == rest[0]
        ]
        if len(matches) == 1:
            return ["facility", matches[0], *rest[1:]]
    if len(facilities) == 1:
        return ["facility", 0, *rest]
    return parts


def apply_network_sets(network: Network, sets: Mapping[str, Any], *, where: str) -> Network:
    """A copy of ``network`` with each ``path: value`` applied and the result re-validated.

    ``where`` names the place of the sets in the user's file, for the messages.
    """
    if not sets:
        return network
    doc = copy.deepcopy(network_to_geojson(network))
    props_by_id = {f["properties"]["id"]: f["properties"] for f in doc["features"]}
    problems: list[str] = []
    for path, value in sets.items():
        try:
            _apply_one(network, props_by_id, str(path), value)
        except InputError as exc:
            problems.extend(f"{where}.{path}: {p}" for p in exc.problems)
    if problems:
        raise InputError(problems)
    try:
        return parse_network(doc, filename=network.path or "<network>")
    except InputError as exc:
        raise InputError([f"{where}: after the changes, {p}" for p in exc.problems]) from None


def _apply_one(network: Network, props_by_id: dict[str, Any], path: str, value: Any) -> None:
    try:
        parts = split_path(path)
    except ValueError:
        raise InputError("not a dotted path like links.ID.speed_kmh") from None
    if len(parts) < 3 or parts[0] not in NETWORK_ROOTS:
        raise InputError("must start with links.<link id>. or nodes.<node id>.")
    kind, feature_id = parts[0], str(parts[1])
    table: Mapping[str, Node | Link] = network.links if kind == "links" else network.nodes
    if feature_id not in table:
        close = difflib.get_close_matches(feature_id, list(table), n=3, cutoff=0.5)
        hint = f" (closest: {', '.join(close)})" if close else ""
        raise InputError(f"no {kind[:-1]} '{feature_id}'{hint}")
    props = props_by_id[feature_id]
    model = Link if kind == "links" else Node
    rest = _normalise_facility(parts[2:], props)
    valid = [dotted(p) for p in _settable(props, model, [])]
    if dotted(rest) not in valid:
        prefix = f"{kind}.{feature_id}."
        close = difflib.get_close_matches(dotted(rest), valid, n=3, cutoff=0.4)
        hint = f"; closest valid: {', '.join(prefix + c for c in close)}" if close else ""
        raise InputError(f"not a settable parameter{hint}")
    if rest[0] == "facility":
        # Paths address facilities by position: a node's single facility becomes a list.
        held = props.get("facility")
        props["facility"] = [held] if isinstance(held, dict) else list(held or [])
    _set_at(props, rest, value)
