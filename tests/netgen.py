"""Building network documents in tests: GeoJSON feature builders and hypothesis strategies.

Not a test module: the test modules import it (``from netgen import ...``). Everything here
builds plain dicts in the documented file format, so what a test feeds corridorsim is exactly
what a planner would write in a file.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

MODES = ("rail", "road", "ferry", "sea")
NODE_KINDS = ("station", "junction", "port", "border", "terminal", "city")
FACILITY_TYPES = ("border", "yard", "port", "gauge_change", "terminal")
GAUGES = (1520, 1435)


# --------------------------------------------------------------------------------------------
# Builders


def node(node_id: str, lon: float, lat: float, **props: Any) -> dict[str, Any]:
    """A node feature; ``name``, ``country`` and ``kind`` default to something valid.

    A ``kind="border"`` node defaults to a country of its own (``Q`` and a letter from its
    id), so that its border facilities process what passes: a border processes only
    consignments crossing into or out of its country.
    """
    country = "XA"
    if props.get("kind") == "border":
        country = f"Q{chr(65 + sum(map(ord, node_id)) % 26)}"
    properties = {"id": node_id, "name": node_id, "country": country, "kind": "station", **props}
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }


def link(
    link_id: str, start: dict[str, Any], end: dict[str, Any], **props: Any
) -> dict[str, Any]:
    """A link feature from node feature ``start`` to ``end``, drawn straight between them."""
    properties = {
        "id": link_id,
        "from": start["properties"]["id"],
        "to": end["properties"]["id"],
        **props,
    }
    coordinates = [list(start["geometry"]["coordinates"]), list(end["geometry"]["coordinates"])]
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": coordinates},
        "properties": properties,
    }


def collection(features: list[dict[str, Any]], **meta: Any) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "corridorsim": {"format": 1, "name": "test network", **meta},
        "features": features,
    }


def feature(doc: dict[str, Any], feature_id: str) -> dict[str, Any]:
    """The feature of ``doc`` whose ``properties.id`` is ``feature_id``."""
    for item in doc["features"]:
        if isinstance(item, dict) and (item.get("properties") or {}).get("id") == feature_id:
            return item
    raise KeyError(feature_id)


def props(doc: dict[str, Any], feature_id: str) -> dict[str, Any]:
    """The (mutable) properties of one feature of ``doc``."""
    properties: dict[str, Any] = feature(doc, feature_id)["properties"]
    return properties


# --------------------------------------------------------------------------------------------
# Strategies: durations


def _floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


positive = _floats(0.01, 500.0)
non_negative = _floats(0.0, 500.0)


@st.composite
def duration_specs(draw: st.DrawFn) -> Any:
    """A valid duration as written in a file: a number or a ``{"dist": ...}`` object."""
    kind = draw(st.sampled_from(
        ["number", "exponential", "lognormal", "gamma", "triangular", "uniform",
         "normal_trunc", "empirical"]
    ))
    if kind == "number":
        return draw(non_negative)
    if kind == "exponential":
        return {"dist": "exponential", "mean": draw(positive)}
    if kind in ("lognormal", "gamma"):
        return {"dist": kind, "mean": draw(positive), "sd": draw(non_negative)}
    if kind == "triangular":
        lo, mode, hi = sorted(draw(st.lists(non_negative, min_size=3, max_size=3)))
        return {"dist": "triangular", "min": lo, "mode": mode, "max": hi + 1.0}
    if kind == "uniform":
        lo = draw(non_negative)
        return {"dist": "uniform", "min": lo, "max": lo + draw(positive)}
    if kind == "normal_trunc":
        loc = draw(_floats(1.0, 100.0))
        sd = draw(_floats(0.1, 20.0))
        spec: dict[str, Any] = {"dist": "normal_trunc", "mean": loc, "sd": sd}
        if draw(st.booleans()):
            spec["min"] = draw(_floats(0.0, loc))
        if draw(st.booleans()):
            spec["max"] = loc + sd * draw(_floats(0.5, 3.0))
        return spec
    values = draw(st.lists(non_negative, min_size=1, max_size=5))
    spec = {"dist": "empirical", "values": values}
    if draw(st.booleans()):
        weights = draw(st.lists(_floats(0.0, 10.0), min_size=len(values), max_size=len(values)))
        weights[0] += 1.0  # never all zero
        spec["weights"] = weights
    return spec


# --------------------------------------------------------------------------------------------
# Strategies: whole valid networks (every documented field may appear)

_slug_tail = st.from_regex(r"[A-Z0-9]{1,6}", fullmatch=True)
_text = st.text(min_size=1, max_size=12)
_sources = st.one_of(
    st.just("estimate: a guess for the test"),
    st.dictionaries(st.sampled_from(["length_km", "speed_kmh", "tariff"]),
                    st.just("estimate: per figure"), min_size=1),
)


@st.composite
def facility_specs(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "type": draw(st.sampled_from(FACILITY_TYPES)),
        "dwell_h": draw(duration_specs()),
    }
    optional = {
        "servers": st.integers(1, 5),
        "fee_usd_per_wagon": non_negative,
        "fee_usd_per_tonne": non_negative,
        "capacity_per_day": positive,
        "modes": st.lists(st.sampled_from(MODES), min_size=1, max_size=4, unique=True),
        "source": _sources,
        "note": _text,
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            spec[key] = draw(strategy)
    return spec


@st.composite
def node_features(draw: st.DrawFn, node_id: str, lon: float, lat: float) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "name": draw(_text),
        "country": draw(st.from_regex(r"[A-Z]{2}", fullmatch=True)),
        "kind": draw(st.sampled_from(NODE_KINDS)),
    }
    facilities = draw(st.lists(facility_specs(), max_size=3))
    if len(facilities) == 1 and draw(st.booleans()):
        extra["facility"] = facilities[0]  # one facility may be written as an object
    elif facilities:
        extra["facility"] = facilities
    if draw(st.booleans()):
        extra["aliases"] = draw(st.lists(_text, min_size=1, max_size=2))
    if draw(st.booleans()):
        extra["source"] = draw(_sources)
    if draw(st.booleans()):
        extra["note"] = draw(_text)
    return node(node_id, lon, lat, **extra)


@st.composite
def ferry_blocks(draw: st.DrawFn) -> dict[str, Any]:
    block: dict[str, Any] = {
        "capacity_wagons": draw(st.integers(1, 80)),
        "sailing_h": draw(duration_specs()),
        "every_h": draw(_floats(0.1, 500.0)),  # ferry.every_h is at least 0.1 h
    }
    if draw(st.booleans()):
        block["depart_when_full"] = draw(st.booleans())
    if draw(st.booleans()):
        cancel = _floats(0.0, 0.9)
        block["cancel_prob"] = draw(st.one_of(cancel, st.lists(cancel, min_size=12, max_size=12)))
    if draw(st.booleans()):
        block["carries"] = draw(st.lists(st.sampled_from(["rail", "road"]), min_size=1,
                                         max_size=2, unique=True))
    return block


@st.composite
def link_features(
    draw: st.DrawFn, link_id: str, start: dict[str, Any], end: dict[str, Any]
) -> dict[str, Any]:
    mode = draw(st.sampled_from(MODES))
    extra: dict[str, Any] = {"mode": mode}
    if mode == "rail":
        extra["gauge_mm"] = draw(st.sampled_from([*GAUGES, 1000, 1668]))
    if mode == "ferry" or (mode == "sea" and draw(st.booleans())):
        extra["ferry"] = draw(ferry_blocks())
    if mode != "ferry" and draw(st.booleans()):
        extra["speed_kmh"] = draw(positive)
    if mode in ("rail", "road") and draw(st.booleans()):
        extra["tracks"] = draw(st.sampled_from([1, 2]))
    optional = {
        "name": _text,
        "bidirectional": st.booleans(),
        "length_km": positive,
        "status": st.sampled_from(["open", "planned", "closed"]),
        "opens_year": st.integers(2025, 2040),
        "capacity_per_day": positive,
        "emissions_g_per_tonne_km": non_negative,
        "source": _sources,
        "note": _text,
        "tariff": st.fixed_dictionaries({}, optional={
            "usd_per_wagon_km": non_negative,
            "usd_per_tonne_km": non_negative,
            "usd_per_wagon": non_negative,
            "source": st.just("estimate: tariff guess"),
        }),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            extra[key] = draw(strategy)
    built = link(link_id, start, end, **extra)
    if draw(st.booleans()):  # a bend in the middle: the geometry is a polyline
        (x0, y0), (x1, y1) = built["geometry"]["coordinates"]
        built["geometry"]["coordinates"].insert(1, [(x0 + x1) / 2, (y0 + y1) / 2 + 0.01])
    return built


@st.composite
def network_docs(draw: st.DrawFn, max_nodes: int = 6, max_links: int = 8) -> dict[str, Any]:
    """A valid network document with random facilities, distributions, modes and tariffs."""
    count = draw(st.integers(2, max_nodes))
    ids = [f"N{i}-{tail}" for i, tail in enumerate(
        draw(st.lists(_slug_tail, min_size=count, max_size=count)))]
    nodes = [
        draw(node_features(node_id, draw(_floats(-170.0, 170.0)), draw(_floats(-80.0, 80.0))))
        for node_id in ids
    ]
    pairs = st.tuples(st.integers(0, count - 1), st.integers(0, count - 1)).filter(
        lambda p: p[0] != p[1])
    links = [
        draw(link_features(f"L{i}", nodes[a], nodes[b]))
        for i, (a, b) in enumerate(draw(st.lists(pairs, max_size=max_links)))
    ]
    meta: dict[str, Any] = {"name": draw(_text)}
    if draw(st.booleans()):
        meta["description"] = draw(_text)
    if draw(st.booleans()):
        meta["sources"] = ["estimate: invented for a property test"]
    return collection([*nodes, *links], **meta)


# --------------------------------------------------------------------------------------------
# Strategies: small multimodal networks for routing properties


@st.composite
def routing_docs(
    draw: st.DrawFn, *, ferries: bool = True, borders: bool = False
) -> dict[str, Any]:
    """Nodes on a line with random transfer facilities; rail (both gauges), road and ferry links.

    Every node is a station that may hold a gauge_change, a terminal, a port or a border; two
    nodes may be joined by several links, parallel ferries included. With ``borders``, each
    node is in one of three countries and may hold a second border, each border with a random
    ``applies`` (or none).
    """
    count = draw(st.integers(2, 6))
    nodes = []
    for i in range(count):
        facilities = [
            {"type": kind, "dwell_h": draw(st.integers(0, 12))}
            for kind in ("gauge_change", "terminal", "port", "border")
            if draw(st.booleans())
        ]
        extra_props: dict[str, Any] = {}
        if borders:
            extra_props["country"] = draw(st.sampled_from(["XA", "XB", "XC"]))
            if draw(st.booleans()):
                facilities.append({"type": "border", "dwell_h": draw(st.integers(0, 12))})
            for facility in facilities:
                applies = draw(st.sampled_from([None, "entry", "exit", "both"]))
                if facility["type"] == "border" and applies is not None:
                    facility["applies"] = applies
        nodes.append(node(f"N{i}", 40.0 + i, 40.0, facility=facilities, **extra_props))
    pairs = st.tuples(st.integers(0, count - 1), st.integers(0, count - 1)).filter(
        lambda p: p[0] != p[1])
    kinds = st.sampled_from(
        ["rail-1520", "rail-1435", "road", "ferry"] if ferries else ["rail-1520", "rail-1435"]
    )
    links = []
    for i, ((a, b), kind) in enumerate(draw(st.lists(st.tuples(pairs, kinds), max_size=10))):
        extra: dict[str, Any] = {"length_km": draw(st.integers(10, 500))}
        if kind.startswith("rail"):
            extra.update(mode="rail", gauge_mm=int(kind[5:]))
        elif kind == "road":
            extra.update(mode="road")
        else:
            extra.update(mode="ferry", ferry={
                "capacity_wagons": 20, "sailing_h": draw(st.integers(1, 30)),
                "every_h": draw(st.integers(6, 72)),
            })
        if draw(st.integers(0, 4)) == 0:
            extra["bidirectional"] = False
        links.append(link(f"L{i}", nodes[a], nodes[b], **extra))
    return collection([*nodes, *links])
