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


def _describe(network: Network, ids: list[str], *, ordered: bool = False) -> str:
    shown = ids if ordered else sorted(ids)
    return ", ".join(f"{i} ({network.nodes[i].name})" for i in shown[:8])


def _sorted_words(text: str) -> str:
    return " ".join(sorted(w for w in text.replace("-", " ").split() if w not in {"of", "the"}))


#: Candidates shown are those at most this far below the best match's similarity (0-1).
SIMILARITY_MARGIN = 0.2


def _closest(network: Network, text: str) -> str:
    """The nodes whose id, name or alias is most like ``text``, most similar first."""
    wanted = text.casefold()
    # Words in another order ("baku port" for "port of baku") count as alike too.
    wanted_words = _sorted_words(wanted)
    best: dict[str, float] = {}
    for node in network.nodes.values():
        for label in _names(node):
            name = label.casefold()
            ratio = max(
                difflib.SequenceMatcher(None, wanted, name).ratio(),
                difflib.SequenceMatcher(None, wanted_words, _sorted_words(name)).ratio(),
            )
            best[node.id] = max(best.get(node.id, 0.0), ratio)
    ranked = sorted((r, node_id) for node_id, r in best.items() if r >= 0.5)
    ranked.sort(key=lambda item: (-item[0], item[1]))
    if not ranked:
        return ""
    top = ranked[0][0]
    ids = [node_id for r, node_id in ranked if r >= top - SIMILARITY_MARGIN][:5]
    return f" (closest: {_describe(network, ids, ordered=True)})"
