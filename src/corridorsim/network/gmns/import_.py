"""Import: the network a GMNS folder describes, every problem of every table at once."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from corridorsim._files import naming
from corridorsim.errors import InputError
from corridorsim.network.gmns.build import _Importer
from corridorsim.network.gmns.config import _read_config
from corridorsim.network.gmns.lines import _read_geometries
from corridorsim.network.gmns.modes import _read_uses
from corridorsim.network.gmns.read import _Problems, _read_table
from corridorsim.network.io import network_to_geojson, parse_network, write_network
from corridorsim.network.model import Network


def import_gmns(
    in_dir: str | os.PathLike[str], out_geojson: str | os.PathLike[str] | None = None
) -> Network:
    """The network a GMNS folder describes, written to ``out_geojson`` (GeoJSON) if given.

    Reads node.csv and link.csv (required), and config.csv, use_definition.csv,
    use_group.csv and geometry.csv when present, each row checked against its GMNS schema.
    :class:`InputError` lists every problem found, one line each (``FILE:LINE: what``).
    """
    folder = Path(in_dir)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder (a GMNS network is a folder of CSV tables)")
    missing = [
        f"{folder / name}: missing (a GMNS network needs node.csv and link.csv)"
        for name in ("node.csv", "link.csv")
        if not (folder / name).is_file()
    ]
    if missing:
        raise InputError(missing)
    problems = _Problems()
    config = _read_config(folder, problems)
    uses = _read_uses(folder, problems)
    geometries = _read_geometries(folder, problems)
    node_table = _read_table(folder, "node", problems)
    link_table = _read_table(folder, "link", problems)
    reader = _Importer(config, uses, geometries, problems)
    if node_table is not None and node_table.usable and config.crs_known:
        reader.read_nodes(node_table)
    if link_table is not None and link_table.usable and reader.node_ids:
        reader.read_links(link_table)
    if node_table is not None and node_table.usable and not node_table.rows:
        problems.at(node_table.where, None, "no nodes (a network needs at least one)")
    if problems:
        raise InputError(sorted(problems, key=_problem_order(folder)))
    shown = str(out_geojson) if out_geojson is not None else str(folder)
    network = Network(
        nodes=reader.nodes,
        links=reader.links,
        name=config.name,
        description=config.description,
        sources=config.sources,
        path=shown,
    )
    # What only the whole network can tell (a source key missing from u_sources): the same
    # check as reading the GeoJSON file, so the written file loads.
    network = parse_network(network_to_geojson(network), filename=shown)
    if out_geojson is not None:
        with naming(out_geojson):
            write_network(network, out_geojson)
    return network


#: The tables in the order their problems are listed (each file's by line).
_TABLE_ORDER = ("config", "use_definition", "use_group", "geometry", "node", "link")


def _problem_order(folder: Path) -> Callable[[str], tuple[int, int]]:
    """A sort key for problem lines: by table, then by line (a file's own problems first)."""
    prefixes = [f"{folder / table}.csv:" for table in _TABLE_ORDER]

    def key(text: str) -> tuple[int, int]:
        for rank, prefix in enumerate(prefixes):
            if text.startswith(prefix):
                line = re.match(r"(\d+):", text[len(prefix) :])
                return rank, int(line.group(1)) if line else 0
        return len(prefixes), 0

    return key
