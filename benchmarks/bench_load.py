"""``load``: reading and validating a network file, against a plain ``json.load`` of it."""

from __future__ import annotations

import json

from corridorsim.network.io import load_network

from .inputs import NetworkInput, shipped, synthetic
from .timing import Result, Settings, interleaved, ms, paired_ratio

GROUP = "load"


def run(settings: Settings) -> list[Result]:
    results: list[Result] = []
    for source in (shipped(), synthetic()):
        if source.note:
            settings.note(source.note)
        results.extend(_measure(source, settings.repetitions))
    return results


def _measure(source: NetworkInput, repetitions: int) -> list[Result]:
    path = source.path

    def plain() -> None:
        with path.open(encoding="utf-8") as file:
            json.load(file)

    def full() -> None:
        load_network(path)

    seconds = interleaved({"json": plain, "load": full}, repetitions)
    net = source.network
    benchmark = f"load {source.label}"
    extra = {
        "file": str(path),
        "bytes": path.stat().st_size,
        "nodes": len(net.nodes),
        "links": len(net.links),
    }
    return [
        Result(
            GROUP,
            benchmark,
            "json.load (reference)",
            ms(seconds["json"]),
            "ms",
            is_reference=True,
            extra=extra,
        ),
        Result(
            GROUP,
            benchmark,
            f"load_network: read + validate ({len(net.nodes)} nodes, {len(net.links)} links)",
            ms(seconds["load"]),
            "ms",
            ratio=paired_ratio(seconds["load"], seconds["json"]),
            extra=extra,
        ),
    ]
