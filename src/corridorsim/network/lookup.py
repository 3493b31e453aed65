"""Finding nodes by what a user types: an id, or a case-insensitive unique name or alias."""

from __future__ import annotations

import difflib

from corridorsim.errors import UnknownNameError
from corridorsim.network.model import Network, Node


def _names(node: Node) -> list[str]:
    return [node.id, node.name, *node.aliases]


def resolve_node(network: Network, text: str, *, what: str = "node") -> str:
    """The id of the node ``text`` names; :class:`UnknownNameError` with candidates otherwise.

    Tried in order: the exact id; an id, name or alias equal to ``text`` ignoring case; a name
    or alias in which ``text`` starts a word ("aktau" for "Aktau port"). Each step must give
    exactly one node.
    """
    if text in network.nodes:
        return text
    wanted = text.strip().casefold()
    if not wanted:
        raise UnknownNameError(f"{what}: empty name")
    exact = [n.id for n in network.nodes.values() if wanted in (s.casefold() for s in _names(n))]
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise UnknownNameError(f"{what} '{text}' is ambiguous: {_describe(network, exact)}")
    words = [
        n.id
        for n in network.nodes.values()
        if any(
            word.startswith(wanted) for s in _names(n)[1:] for word in _word_starts(s.casefold())
        )
    ]
    if len(words) == 1:
        return words[0]
    if len(words) > 1:
        raise UnknownNameError(f"{what} '{text}' is ambiguous: {_describe(network, words)}")
    raise UnknownNameError(f"no {what} '{text}'{_closest(network, text)}")


def _word_starts(name: str) -> list[str]:
    # "port of baku" -> ["port of baku", "of baku", "baku"]: a typed text may start any word.
    parts = name.replace("-", " ").replace("(", " ").split()
    return [" ".join(parts[i:]) for i in range(len(parts))]


def _describe(network: Network, ids: list[str]) -> str:
    return ", ".join(f"{i} ({network.nodes[i].name})" for i in sorted(ids)[:8])


def _closest(network: Network, text: str) -> str:
    by_label: dict[str, str] = {}
    for node in network.nodes.values():
        for label in _names(node):
            by_label.setdefault(label.casefold(), node.id)
    close = difflib.get_close_matches(text.casefold(), list(by_label), n=8, cutoff=0.5)
    ids = list(dict.fromkeys(by_label[c] for c in close))[:5]
    return f" (closest: {_describe(network, ids)})" if ids else ""
