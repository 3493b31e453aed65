"""Reading and writing network files (GeoJSON FeatureCollections), with full validation.

Reading reports *every* problem of a file at once, one line each, as
``FILE: feature ID: PATH: what is wrong``, and raises :class:`~corridorsim.errors.InputError`.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import re
from collections.abc import Callable, Iterator
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

from pydantic import ValidationError

from corridorsim._files import read_user_text, write_text_atomic
from corridorsim._schema import error_lines, field_vocabulary, short_repr, short_text, shown_key
from corridorsim.errors import InputError
from corridorsim.network.geometry import haversine_km
from corridorsim.network.model import Link, Network, Node, Tariff

FORMAT_VERSION = 1
#: A link's geometry must start and end this close to its nodes (catches swapped from/to).
ENDPOINT_TOLERANCE_KM = 10.0
_COLLECTION_KEYS = {"format", "name", "description", "sources"}
_VOCABULARY = field_vocabulary(Node, Link)
#: The deepest nesting of arrays and objects read. A network needs 5 (a link's coordinates in
#: its geometry in a feature in the features list in the collection), a distribution inside a
#: facility a few more; 64 leaves ample room and stays far from Python's recursion limit.
MAX_JSON_DEPTH = 64
#: The longest integer literal read: 640 digits, the smallest limit Python may be set to for
#: turning text into an int (sys.set_int_max_str_digits), and far beyond any real value.
MAX_INT_DIGITS = 640


def load_network(path: str | os.PathLike[str]) -> Network:
    """Read and validate a network file; raise :class:`InputError` listing every problem."""
    name = str(path)
    text = read_user_text(path)
    return parse_network(decode_json(text, filename=name), filename=name)


def decode_json(text: str, *, filename: str = "<network>") -> Any:
    """The JSON document in ``text``; :class:`InputError` naming ``filename`` and the place.

    Besides invalid JSON, refused: nesting deeper than :data:`MAX_JSON_DEPTH`, an integer of
    more than :data:`MAX_INT_DIGITS` digits, and a key given twice in one object.
    """
    _check_depth(text, filename)
    try:
        return json.loads(text, parse_int=_parse_int, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{filename}: line {exc.lineno} column {exc.colno}: not valid JSON: {exc.msg}"
        ) from None
    except _LongInteger:
        raise InputError(
            f"{filename}: {_where_long_integer(text)}an integer of more than {MAX_INT_DIGITS} "
            "digits (no value in a network needs one)"
        ) from None
    except _DuplicateKey as exc:
        raise InputError(
            f"{filename}: {_where_duplicate_key(text)}key {short_repr(exc.key)} appears twice "
            "in one object (JSON keeps only the last: delete or rename one)"
        ) from None
    except (RecursionError, ValueError) as exc:  # what the checks above should have caught
        raise InputError(f"{filename}: not valid JSON: {short_text(str(exc))}") from None


class _LongInteger(Exception):
    """An integer literal longer than MAX_INT_DIGITS."""


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _where_duplicate_key(text: str) -> str:
    """``line N: `` of the first key given twice in one object of ``text`` (valid JSON but
    for that), found by walking its objects' keys; "" if not found."""
    open_objects: list[set[str]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            key, end = scanstring(text, i + 1)
            after = end
            while after < n and text[after] in " \t\r\n":
                after += 1
            if after < n and text[after] == ":" and open_objects:
                if key in open_objects[-1]:
                    return f"line {text.count(chr(10), 0, i) + 1}: "
                open_objects[-1].add(key)
            i = end
            continue
        if c == "{":
            open_objects.append(set())
        elif c == "}" and open_objects:
            open_objects.pop()
        i += 1
    return ""


def _parse_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INT_DIGITS:
        raise _LongInteger
    return int(literal)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    doc = dict(pairs)
    if len(doc) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return doc


#: A string (an unterminated one runs to the end, so that a match never fails and is never
#: retried: the scan stays linear); brackets in strings do not nest.
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"?'
_STRING_OR_BRACKET = re.compile(rf"{_STRING}|[\[\]{{}}]")
_STRINGS = re.compile(_STRING)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _check_depth(text: str, filename: str) -> None:
    """Refuse nesting deeper than MAX_JSON_DEPTH before ``json.loads`` (which recurses) sees it.

    A fast pass over the brackets outside strings; only a file that fails it is walked again
    to find the line.
    """
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return
    brackets = _NOT_BRACKET.sub("", _STRINGS.sub("", text))
    steps = map(_STEP.__getitem__, brackets)
    if max(itertools.accumulate(steps, initial=0)) <= MAX_JSON_DEPTH:
        return
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                line = text.count("\n", 0, match.start()) + 1
                raise InputError(
                    f"{filename}: line {line}: nested more than {MAX_JSON_DEPTH} levels deep "
                    "(no network needs more)"
                )
        elif token in "]}":
            depth -= 1
    raise InputError(f"{filename}: nested more than {MAX_JSON_DEPTH} levels deep")


def _where_long_integer(text: str) -> str:
    """``line N: `` of the first integer literal that is too long, outside strings."""
    number = re.compile(rf"{_STRING}|(?<![0-9.eE])-?[0-9]{{{MAX_INT_DIGITS + 1},}}")
    for match in number.finditer(text):
        if not match.group().startswith('"'):
            return f"line {text.count(chr(10), 0, match.start()) + 1}: "
    return ""


def _file_under(item: Node | Link, nodes: dict[str, Node], links: dict[str, Link]) -> None:
    if isinstance(item, Node):
        nodes[item.id] = item
    else:
        links[item.id] = item


def parse_network(doc: Any, *, filename: str = "<network>") -> Network:
    """Validate a decoded GeoJSON document into a :class:`Network`."""
    problems: list[str] = []

    def fail(where: str, what: str) -> None:
        problems.append(f"{filename}: {where}{what}")

    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise InputError(f"{filename}: not a GeoJSON FeatureCollection")
    meta = doc.get("corridorsim", {})
    if not isinstance(meta, dict):
        fail("corridorsim: ", "must be an object")
        meta = {}
    for key in sorted(set(meta) - _COLLECTION_KEYS):
        fail(f"corridorsim.{key}: ", "unknown key")
    if meta.get("format", FORMAT_VERSION) != FORMAT_VERSION:
        fail(
            "corridorsim.format: ",
            f"only format {FORMAT_VERSION} is known (got {short_repr(meta['format'])})",
        )
    sources = meta.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        fail("corridorsim.sources: ", "must be a list of strings")
        sources = []
    features = doc.get("features")
    if not isinstance(features, list):
        raise InputError([*problems, f"{filename}: features: must be a list"])

    nodes, links, broken_node_ids = _read_features(features, fail)
    if not nodes and problems:
        # Every node is broken: its own problems say why, "no nodes" would only hide them.
        raise InputError(problems)
    network = Network(
        nodes=nodes,
        links=links,
        name=str(meta.get("name", "")),
        description=str(meta.get("description", "")),
        sources=tuple(sources),
        path=filename,
    )
    problems.extend(f"{filename}: {line}" for line in _cross_check(network, broken_node_ids))
    if problems:
        raise InputError(problems)
    return network


def _read_features(
    features: list[Any], fail: Callable[[str, str], None]
) -> tuple[dict[str, Node], dict[str, Link], set[str]]:
    """The valid nodes and links by id, and the ids of nodes that did not validate (so that
    links to them are not reported a second time)."""
    nodes: dict[str, Node] = {}
    links: dict[str, Link] = {}
    seen_ids: dict[str, int] = {}
    broken_node_ids: set[str] = set()
    for index, feature in enumerate(features):
        label, item = _validate_feature(feature, index, fail)
        if label in seen_ids:
            first = seen_ids[label]
            fail(f"feature {shown_key(label)}: ", f"duplicate id (first used by features[{first}])")
            continue
        if not label.startswith("#"):
            seen_ids[label] = index
        if item is None:
            if _is_point(feature):
                broken_node_ids.add(label)
            continue
        _file_under(item, nodes, links)
    return nodes, links, broken_node_ids


def _validate_feature(feature: Any, index: int, fail: Any) -> tuple[str, Node | Link | None]:
    if not isinstance(feature, dict):
        fail(f"features[{index}]: ", "must be a GeoJSON Feature object")
        return f"#{index}", None
    props = feature.get("properties")
    label = str(props.get("id")) if isinstance(props, dict) and "id" in props else f"#{index}"
    where = f"feature {shown_key(label)}: "
    if feature.get("type") != "Feature":
        fail(where, f"type must be 'Feature' (got {short_repr(feature.get('type'))})")
        return label, None
    if not isinstance(props, dict):
        fail(where, "properties: must be an object")
        return label, None
    if "coords" in props:
        fail(where, "properties.coords: unknown key (coordinates go in the geometry)")
        return label, None
    geometry = feature.get("geometry")
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    model: type[Node] | type[Link]
    if kind == "Point":
        model = Node
    elif kind == "LineString":
        model = Link
    else:
        got = short_repr(kind)
        fail(where, f"geometry: must be a Point (node) or a LineString (link), got {got}")
        return label, None
    assert isinstance(geometry, dict)  # a geometry type was read from it
    try:
        return label, model.model_validate({**props, "coords": geometry.get("coordinates")})
    except ValidationError as exc:
        data = {**props, "coords": geometry.get("coordinates")}
        for line in error_lines(
            exc,
            data,
            vocabulary=_VOCABULARY,
            rename={"coords": "geometry.coordinates"},
            prefix="properties.",
        ):
            fail(where, line)
        return label, None


def with_features(
    network: Network, features: list[tuple[str, Any]], *, filename: str
) -> Network:
    """``network`` with ``features`` added: each ``(where, feature)`` a GeoJSON node or link
    feature validated as a network file's are, its problems prefixed with ``where``; then
    the whole checked again (ids used twice, links to unknown nodes, unknown sources).
    InputError with every problem."""
    problems: list[str] = []
    for where, feature in features:

        def fail(at: str, what: str, where: str = where) -> None:
            problems.append(f"{where}{at}{what}")

        _validate_feature(feature, 0, fail)
    if problems:
        raise InputError(problems)
    doc = network_to_geojson(network)
    doc["features"] = [*doc["features"], *(feature for _, feature in features)]
    # The added features' own sources are checked against the network's list of sources.
    added = parse_network(doc, filename=filename)
    return dataclasses.replace(added, path=network.path)


def free_links(network: Network) -> list[str]:
    """The ids of the links without a tariff: they charge nothing and name no source or note
    for it, so they carry for nothing unnoticed (a link that is free on purpose says why, as
    ``tariff: {usd_per_wagon: 0, note: ...}``)."""
    return [link.id for link in network.links.values() if link.tariff == Tariff()]


def _is_point(feature: Any) -> bool:
    geometry = feature.get("geometry") if isinstance(feature, dict) else None
    return isinstance(geometry, dict) and geometry.get("type") == "Point"


def _cross_check(network: Network, broken_node_ids: set[str]) -> Iterator[str]:
    """Problems between features: dangling ends, geometry away from its nodes, unknown sources.

    Nodes that failed their own validation (``broken_node_ids``) are not reported again as
    missing at every link that uses them.
    """
    keys = network.source_keys()
    for node in network.nodes.values():
        yield from _check_sources(f"feature {shown_key(node.id)}", node.source, keys)
        for i, facility in enumerate(node.facility):
            yield from _check_sources(
                f"feature {shown_key(node.id)}: properties.facility[{i}]", facility.source, keys
            )
    for link in network.links.values():
        where = f"feature {shown_key(link.id)}"
        for end, node_id in (("from", link.from_), ("to", link.to)):
            if node_id not in network.nodes and node_id not in broken_node_ids:
                yield f"{where}: properties.{end}: no node {short_repr(node_id)}"
        yield from _check_sources(where, link.source, keys)
        yield from _check_sources(f"{where}: properties.tariff", link.tariff.source, keys)
        if link.ferry is not None:
            yield from _check_sources(f"{where}: properties.ferry", link.ferry.source, keys)
        if link.from_ in network.nodes and link.to in network.nodes:
            for end, coord, node_id in (
                ("starts", link.coords[0], link.from_),
                ("ends", link.coords[-1], link.to),
            ):
                gap_km = haversine_km(coord, network.nodes[node_id].coords)
                if gap_km > ENDPOINT_TOLERANCE_KM:
                    yield (
                        f"{where}: geometry {end} {gap_km:.1f} km from node {short_repr(node_id)} "
                        f"(from/to swapped, or the wrong node?)"
                    )


def _check_sources(where: str, source: Any, keys: dict[str, str]) -> Iterator[str]:
    if not keys or source is None:
        return
    texts = source.values() if isinstance(source, dict) else [source]
    for text in texts:
        if text.strip().lower().startswith("estimate"):
            continue
        for key in (part.strip() for part in text.split(";")):
            if key and not key.lower().startswith("estimate") and key not in keys:
                yield f"{where}: source {short_repr(key)} is not listed in corridorsim.sources"


def network_to_geojson(network: Network) -> dict[str, Any]:
    """The network as a GeoJSON document; reading it back gives an equal network."""
    meta: dict[str, Any] = {"format": FORMAT_VERSION, "name": network.name}
    if network.description:
        meta["description"] = network.description
    meta["sources"] = list(network.sources)
    features = []
    for node in network.nodes.values():
        props = node.model_dump(by_alias=True, exclude_defaults=True, exclude={"coords"})
        props.update(id=node.id, name=node.name, country=node.country, kind=node.kind)
        features.append(_feature("Point", list(node.coords), props))
    for link in network.links.values():
        props = link.model_dump(by_alias=True, exclude_defaults=True, exclude={"coords"})
        props.update({"id": link.id, "from": link.from_, "to": link.to, "mode": link.mode})
        features.append(_feature("LineString", [list(c) for c in link.coords], props))
    return {"type": "FeatureCollection", "corridorsim": meta, "features": features}


def _feature(kind: str, coordinates: Any, props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": kind, "coordinates": coordinates},
        "properties": props,
    }


def write_network(network: Network, path: str | os.PathLike[str]) -> None:
    """Write ``network`` as GeoJSON, atomically."""
    write_text_atomic(path, json.dumps(network_to_geojson(network), indent=1) + "\n")
