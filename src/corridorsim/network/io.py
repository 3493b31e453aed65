"""Reading and writing network files (GeoJSON FeatureCollections), with full validation.

Reading reports *every* problem of a file at once, one line each, as
``FILE: feature ID: PATH: what is wrong``, and raises :class:`~corridorsim.errors.InputError`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from corridorsim._files import read_user_text, write_text_atomic
from corridorsim._schema import error_lines, field_vocabulary
from corridorsim.errors import InputError
from corridorsim.network.geometry import haversine_km
from corridorsim.network.model import Link, Network, Node

FORMAT_VERSION = 1
#: A link's geometry must start and end this close to its nodes (catches swapped from/to).
ENDPOINT_TOLERANCE_KM = 10.0
_COLLECTION_KEYS = {"format", "name", "description", "sources"}
_VOCABULARY = field_vocabulary(Node, Link)


def load_network(path: str | os.PathLike[str]) -> Network:
    """Read and validate a network file; raise :class:`InputError` listing every problem."""
    name = str(path)
    text = read_user_text(path)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{name}: line {exc.lineno} column {exc.colno}: not valid JSON: {exc.msg}"
        ) from None
    return parse_network(doc, filename=name)


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
            f"only format {FORMAT_VERSION} is known (got {meta['format']!r})",
        )
    sources = meta.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        fail("corridorsim.sources: ", "must be a list of strings")
        sources = []
    features = doc.get("features")
    if not isinstance(features, list):
        raise InputError([*problems, f"{filename}: features: must be a list"])

    nodes: dict[str, Node] = {}
    links: dict[str, Link] = {}
    seen_ids: dict[str, int] = {}
    broken_node_ids: set[str] = set()
    for index, feature in enumerate(features):
        label, item = _validate_feature(feature, index, fail)
        if label in seen_ids:
            fail(f"feature {label}: ", f"duplicate id (first used by features[{seen_ids[label]}])")
            continue
        if not label.startswith("#"):
            seen_ids[label] = index
        if item is None:
            if _is_point(feature):
                broken_node_ids.add(label)
            continue
        _file_under(item, nodes, links)

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


def _validate_feature(feature: Any, index: int, fail: Any) -> tuple[str, Node | Link | None]:
    if not isinstance(feature, dict):
        fail(f"features[{index}]: ", "must be a GeoJSON Feature object")
        return f"#{index}", None
    props = feature.get("properties")
    label = str(props.get("id")) if isinstance(props, dict) and "id" in props else f"#{index}"
    where = f"feature {label}: "
    if feature.get("type") != "Feature":
        fail(where, f"type must be 'Feature' (got {feature.get('type')!r})")
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
        fail(where, f"geometry: must be a Point (node) or a LineString (link), got {kind!r}")
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
        yield from _check_sources(f"feature {node.id}", node.source, keys)
        for i, facility in enumerate(node.facility):
            yield from _check_sources(
                f"feature {node.id}: properties.facility[{i}]", facility.source, keys
            )
    for link in network.links.values():
        where = f"feature {link.id}"
        for end, node_id in (("from", link.from_), ("to", link.to)):
            if node_id not in network.nodes and node_id not in broken_node_ids:
                yield f"{where}: properties.{end}: no node '{node_id}'"
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
                        f"{where}: geometry {end} {gap_km:.1f} km from node '{node_id}' "
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
                yield f"{where}: source '{key}' is not listed in corridorsim.sources"


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
