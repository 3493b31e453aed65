"""Building the network: the rows of node.csv and link.csv turned into corridorsim
nodes and links (ids, positions, modes, lengths and speeds, shapes), problems reported by
row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, get_args

from pydantic import ValidationError

from corridorsim._schema import error_lines, field_vocabulary, short_repr, shown_key
from corridorsim.errors import InputError
from corridorsim.network.geometry import haversine_km
from corridorsim.network.gmns.columns import (
    _LINK_JSON,
    _LINK_TEXT,
    _NODE_JSON,
    _NODE_TEXT,
    _VERBATIM_FIELDS,
)
from corridorsim.network.gmns.config import _Config, _coords_problem, _to_lonlat
from corridorsim.network.gmns.lines import _Geometries, parse_line_geometry
from corridorsim.network.gmns.modes import _FREE_SPEED, _MODES, _for_mode, _Uses
from corridorsim.network.gmns.read import _Problems, _Row, _Table, _verbatim
from corridorsim.network.gmns.units import CURRENCY_USD, _scaled
from corridorsim.network.io import ENDPOINT_TOLERANCE_KM, decode_json
from corridorsim.network.model import Link, Node, NodeKind

#: The country of an imported node without u_country: ISO 3166 user-assigned "unknown".
DEFAULT_COUNTRY = "XX"
#: The kind of an imported node whose node_type is not a corridorsim kind.
DEFAULT_KIND = "junction"

_KINDS: tuple[str, ...] = get_args(NodeKind)
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
_MAX_ID = 120
_VOCABULARY = field_vocabulary(Node, Link)


def _free_id(raw: str, taken: set[str], prefix: str) -> str:
    """An id for ``raw`` that corridorsim accepts and ``taken`` does not hold (then taken):
    ``raw`` itself when it can be, else with other characters made ``_``, ``prefix`` in front
    when it would not start with a letter or digit, and ``-2``, ``-3`` ... when taken."""
    base = raw
    if not _SLUG.fullmatch(base) or len(base) > _MAX_ID:
        base = re.sub(r"[^A-Za-z0-9_\-]", "_", base)[: _MAX_ID - 10]
        if not _SLUG.fullmatch(base):
            base = prefix + base
    candidate, count = base, 2
    while candidate in taken:
        candidate, count = f"{base}-{count}", count + 1
    taken.add(candidate)
    return candidate


class _Importer:
    """Turns the rows of node.csv and link.csv into nodes and links, reporting by row."""

    def __init__(
        self,
        config: _Config,
        uses: _Uses,
        geometries: _Geometries,
        problems: _Problems,
    ) -> None:
        self.config = config
        self.uses = uses
        self.geometries = geometries
        self.problems = problems
        self.nodes: dict[str, Node] = {}
        self.links: dict[str, Link] = {}
        #: GMNS node_id -> corridorsim id, for every node row with an id (broken ones too, so
        #: that links to them are not reported again).
        self.node_ids: dict[str, str] = {}
        #: Every corridorsim id given so far (nodes first, then links).
        self.taken: set[str] = set()
        self.node_slugs: set[str] = set()

    # ---- nodes

    def read_nodes(self, table: _Table) -> None:
        """The nodes of node.csv, in file order."""
        for row in table.rows:
            raw = row.values.get("node_id")
            if raw is not None and raw not in self.node_ids:
                self.node_ids[raw] = _free_id(raw, self.taken, "N")
        self.node_slugs = set(self.node_ids.values())
        for row in table.rows:
            if row.ok:
                self._node(table, row)

    def _node(self, table: _Table, row: _Row) -> None:
        values = row.values
        raw = values["node_id"]
        node_id = self.node_ids[raw]
        lonlat = _to_lonlat(self.config, values["x_coord"], values["y_coord"])
        if lonlat is None:
            where = "x_coord, y_coord"
            text = _coords_problem(self.config, values["x_coord"], values["y_coord"])
            self.problems.at(table.where, row.line, f"{where}: {text}")
            return
        kind = (values.get("node_type") or "").strip().lower()
        props: dict[str, Any] = {
            "id": node_id,
            "name": values.get("name") or raw,
            "country": DEFAULT_COUNTRY,
            "kind": kind if kind in _KINDS else DEFAULT_KIND,
            "coords": lonlat,
        }
        for column, name in _NODE_TEXT.items():
            if values.get(column) is not None:
                props[name] = values[column]
        for column, text in _verbatim(table.where, row, self.problems).items():
            if column in _VERBATIM_FIELDS:
                props[_VERBATIM_FIELDS[column]] = text
        if not self._json_columns(table, row, _NODE_JSON, props):
            return
        if node_id != raw:
            # The GMNS id stays usable as a name on the command line.
            props["aliases"] = [*props.get("aliases", []), raw]
        rename = {
            "id": "node_id",
            "kind": "node_type",
            "coords": "x_coord, y_coord",
            **{name: column for column, name in (_NODE_TEXT | _NODE_JSON).items()},
        }
        node = self._validate(Node, props, table, row, rename)
        if isinstance(node, Node):
            self.nodes[node.id] = node

    def _json_columns(
        self, table: _Table, row: _Row, columns: Mapping[str, str], props: dict[str, Any]
    ) -> bool:
        """Put the JSON values of ``columns`` into ``props``; False after a problem."""
        ok = True
        for column, name in columns.items():
            text = row.values.get(column)
            if text is None:
                continue
            try:
                props[name] = decode_json(text, filename=f"{table.where}:{row.line}: {column}")
            except InputError as exc:
                if column == "u_source":
                    props[name] = text  # a source written as plain text, not JSON
                    continue
                self.problems.extend(exc.problems)
                ok = False
        return ok

    def _validate(
        self,
        model: type[Node] | type[Link],
        props: dict[str, Any],
        table: _Table,
        row: _Row,
        rename: dict[str, str],
    ) -> Node | Link | None:
        try:
            return model.model_validate(props)
        except ValidationError as exc:
            for line in error_lines(exc, props, vocabulary=_VOCABULARY, rename=rename):
                self.problems.at(table.where, row.line, line)
            return None

    # ---- links

    def read_links(self, table: _Table) -> None:
        """The links of link.csv, in file order (a link allowing several modes gives one
        link per mode)."""
        for row in table.rows:
            # Checked on every row, so that a row's unknown nodes are reported with its
            # other problems.
            ends = self._ends(table, row)
            if row.ok and ends is not None:
                self._link(table, row, row.values["link_id"], ends)

    def _ends(self, table: _Table, row: _Row) -> tuple[str, str] | None:
        found = []
        for column in ("from_node_id", "to_node_id"):
            raw = row.values.get(column)
            if raw is None:
                return None
            if raw not in self.node_ids:
                self.problems.at(table.where, row.line, f"{column} {shown_key(raw)}: no such node")
            elif self.node_ids[raw] in self.nodes:
                found.append(self.node_ids[raw])
        return (found[0], found[1]) if len(found) == 2 else None

    def _link(self, table: _Table, row: _Row, raw: str, ends: tuple[str, str]) -> None:
        props = self._link_props(table, row, ends)
        if props is None:
            return
        modes = self._modes(table, row, props)
        if modes is None:
            return
        rename = {
            "id": "link_id",
            "from": "from_node_id",
            "to": "to_node_id",
            "bidirectional": "directed",
            "length_km": "length",
            "coords": "geometry",
            "mode": "u_mode" if row.values.get("u_mode") else "allowed_uses",
            **{name: column for column, name in (_LINK_TEXT | _LINK_JSON).items()},
        }
        if _FREE_SPEED in props:
            rename["speed_kmh"] = "free_speed"
        if "tariff" in props and row.values.get("u_tariff") is None:
            rename["tariff"] = "toll"
        for index, mode in enumerate(modes):
            # Each mode of a link open to several is a link of its own; the first keeps the id.
            wanted = raw if index == 0 else f"{raw}-{mode}"
            if wanted in self.node_ids or wanted in self.node_slugs:
                wanted = f"L{wanted}"  # node ids are kept, the link gives way
            link_id = _free_id(wanted, self.taken, "L")
            one = _for_mode(props, mode, split=len(modes) > 1)
            one.update(id=link_id, mode=mode)
            if link_id != raw:
                note = f"GMNS link_id {shown_key(raw)}"
                one["note"] = f"{note}. {one['note']}" if "note" in one else note
            link = self._validate(Link, one, table, row, rename)
            if isinstance(link, Link):
                self.links[link.id] = link

    def _link_props(self, table: _Table, row: _Row, ends: tuple[str, str]) -> dict[str, Any] | None:
        """Everything about the link but its id and mode; None after a problem."""
        values = row.values
        coords = self._geometry(table, row, ends)
        props: dict[str, Any] = {
            "from": ends[0],
            "to": ends[1],
            "bidirectional": not values["directed"],
        }
        if values.get("name") is not None:
            props["name"] = values["name"]
        for column, name in _LINK_TEXT.items():
            if values.get(column) is not None:
                props[name] = values[column]
        for column, text in _verbatim(table.where, row, self.problems).items():
            if column in _VERBATIM_FIELDS:
                props[_VERBATIM_FIELDS[column]] = text
        ok = self._json_columns(table, row, _LINK_JSON, props)
        ok = self._measures(table, row, props) and ok
        if coords is None or not ok:
            return None
        props["coords"] = coords
        return props

    def _measures(self, table: _Table, row: _Row, props: dict[str, Any]) -> bool:
        """Length, speed and toll in corridorsim's units; False after a problem."""
        values = row.values
        config, problems = self.config, self.problems
        ok = True
        from_geometry = (values.get("u_length_from_geometry") or "").strip().lower() == "true"
        # A length of 0 (GMNS allows it) is no length: the geometry gives it.
        if values.get("length") and not from_geometry:
            factor = config.factor("long_length", problems)
            ok = factor is not None
            if factor is not None:
                props["length_km"] = _scaled(values["length"], factor)
        speed = values.get("free_speed")
        if speed and "speed_kmh" not in props:
            factor = config.factor("speed", problems)
            ok = ok and factor is not None
            if factor is not None:
                props[_FREE_SPEED] = _scaled(speed, factor)
        toll = values.get("toll")
        if toll and "tariff" not in props and config.currency is not None:
            usd = CURRENCY_USD.get(" ".join(config.currency.lower().split()))
            if usd is not None:
                props["tariff"] = {"usd_per_wagon": _scaled(toll, usd)}
        return ok

    def _modes(self, table: _Table, row: _Row, props: dict[str, Any]) -> list[str] | None:
        explicit = row.values.get("u_mode")
        if explicit is not None:
            if explicit not in _MODES:
                self.problems.at(
                    table.where,
                    row.line,
                    f"u_mode {short_repr(explicit)}: must be one of {', '.join(_MODES)}",
                )
                return None
            if explicit == "ferry" and "ferry" not in props:
                self.problems.at(
                    table.where,
                    row.line,
                    "u_mode ferry needs u_ferry (the ferry service as JSON: "
                    "capacity_wagons, sailing_h, every_h)",
                )
                return None
            return [explicit]
        modes = self.uses.modes_of(row.values.get("allowed_uses"))
        if "ferry" not in props:
            # A ferry use without a timetable (u_ferry) is a ship: sea links need none.
            modes = list(dict.fromkeys("sea" if m == "ferry" else m for m in modes))
        return modes

    def _geometry(
        self, table: _Table, row: _Row, ends: tuple[str, str]
    ) -> list[tuple[float, float]] | None:
        """The link's vertices in lon/lat running from its from node to its to node: its
        geometry (or geometry.csv's), else the straight line between its nodes."""
        values = row.values
        a, b = self.nodes[ends[0]].coords, self.nodes[ends[1]].coords
        text, where, line, column = values.get("geometry"), table.where, row.line, "geometry"
        if text is None and values.get("geometry_id") is not None:
            found = self.geometries.get(values["geometry_id"])
            if found is None:
                self.problems.at(
                    where, line, f"geometry_id {shown_key(values['geometry_id'])}: no such geometry"
                )
                return None
            where, line, text = found
        if text is None:
            return [a, b]
        try:
            points = parse_line_geometry(text)
        except ValueError as exc:
            self.problems.at(where, line, f"{column}: {exc}")
            return None
        coords = []
        for x, y in points:
            lonlat = _to_lonlat(self.config, x, y)
            if lonlat is None:
                self.problems.at(where, line, f"{column}: {_coords_problem(self.config, x, y)}")
                return None
            coords.append(lonlat)
        return self._oriented(table, row, coords, a, b)

    def _oriented(
        self,
        table: _Table,
        row: _Row,
        coords: list[tuple[float, float]],
        a: tuple[float, float],
        b: tuple[float, float],
    ) -> list[tuple[float, float]] | None:
        dir_flag = row.values.get("dir_flag")
        forward = haversine_km(coords[0], a) + haversine_km(coords[-1], b)
        backward = haversine_km(coords[0], b) + haversine_km(coords[-1], a)
        # dir_flag -1: the shape runs from to_node to from_node. Without a flag (0: none
        # given, or an undirected link drawn either way) the ends say which way it runs.
        if dir_flag == -1 or (dir_flag != 1 and backward < forward):
            coords = coords[::-1]
        for end, coord, node in (("starts", coords[0], a), ("ends", coords[-1], b)):
            gap_km = haversine_km(coord, node)
            if gap_km > ENDPOINT_TOLERANCE_KM:
                column = "from_node_id" if end == "starts" else "to_node_id"
                self.problems.at(
                    table.where,
                    row.line,
                    f"geometry {end} {gap_km:.1f} km from its {column} node "
                    "(a wrong node, or dir_flag?)",
                )
                return None
        return coords
