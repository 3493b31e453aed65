"""The network's places, for naming routes: what the network file a manifest names says of
its nodes and links, when it is still found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corridorsim.errors import InputError
from corridorsim.report.html.format import _dict, _list, _str
from corridorsim.report.html.inputs import find_input, read_json


@dataclass(frozen=True)
class Places:
    """What the network file says of its nodes and links, for naming routes as the command
    line does (ends, borders and ferry or sea crossings); empty when the file is gone."""

    names: Mapping[str, str] = field(default_factory=dict)
    kinds: Mapping[str, str] = field(default_factory=dict)
    modes: Mapping[str, str] = field(default_factory=dict)
    ends: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def describe(self, nodes: Sequence[str], links: Sequence[str], *, most: int = 7) -> str:
        """A route's key places in order, shortened: ``Kostanay - Kuryk - Alat - ... -
        Yerevan (rail/ferry)``; empty if the network is not known."""
        if not self.names or not nodes:
            return ""
        crossing = {n for link in links if self.modes.get(link) in ("ferry", "sea")
                    for n in self.ends.get(link, ())}
        keep = [n for i, n in enumerate(nodes)
                if i in (0, len(nodes) - 1) or self.kinds.get(n) == "border" or n in crossing]
        names = list(dict.fromkeys(self.names.get(n, n) for n in keep))
        if len(names) > most:
            names = [*names[: most - 2], "...", names[-1]]
        modes = "/".join(dict.fromkeys(self.modes[k] for k in links if k in self.modes))
        return " - ".join(names) + (f" ({modes})" if modes else "")


def read_places(manifest: Mapping[str, Any], folder: Path) -> Places:
    """The names and kinds of the nodes, and the links' modes, of the network a manifest
    names, if its file is still found and reads as GeoJSON; :class:`Places` empty otherwise."""
    for recorded in _dict(manifest.get("inputs")):
        if not str(recorded).lower().endswith((".geojson", ".json")):
            continue
        path = find_input(str(recorded), folder)
        if path is None:
            continue
        try:
            document = read_json(path)
        except InputError:
            continue  # a route is then named by its node ids
        names: dict[str, str] = {}
        kinds: dict[str, str] = {}
        modes: dict[str, str] = {}
        ends: dict[str, tuple[str, str]] = {}
        for feature in (_dict(f) for f in _list(document.get("features"))):
            props = _dict(feature.get("properties"))
            ident = _str(props.get("id"))
            if _dict(feature.get("geometry")).get("type") == "Point":
                names[ident] = _str(props.get("name")) or ident
                kinds[ident] = _str(props.get("kind"))
            else:
                modes[ident] = _str(props.get("mode"))
                ends[ident] = (_str(props.get("from")), _str(props.get("to")))
        return Places(names, kinds, modes, ends)
    return Places()
