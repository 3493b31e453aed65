"""``load``: reading and validating a network file, against a plain ``json.load`` of it."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

from . import inputs, subjects
from .report import Result, Rows
from .timing import Settings, ms, paired_ratio

GROUP = "load"


def plain_load(path: Path) -> None:
    with path.open(encoding="utf-8") as file:
        json.load(file)


def run(settings: Settings) -> list[Result]:
    results: list[Result] = []
    for source in (inputs.shipped_network(), inputs.synthetic(settings.pick(2000, smoke=100))):
        if source.note:
            settings.note(source.note)
        calls = {"json": plain_load, "load": subjects.load_network}
        seconds = settings.timed({name: partial(call, source.path) for name, call in calls.items()})
        nodes, links = subjects.network_size(source.network)
        rows = Rows(GROUP, f"load {source.label}")
        rows.add("json.load (reference)", ms(seconds["json"]), "ms", ref=True)
        what = f"load_network: read + validate ({nodes} nodes, {links} links)"
        ratio = paired_ratio(seconds["load"], seconds["json"])
        rows.add(what, ms(seconds["load"]), "ms", ratio=ratio)
        results += rows.results
    return results
