"""The base of every model read from a file, and the one-line messages users read when a
file does not validate.

Models are frozen once validated; unknown keys and non-finite numbers are errors. Each
validation error becomes ``PATH: what is wrong (got VALUE)``, where PATH is the place in the file
(``properties.facility[1].dwell_h.sd``). Unknown keys come with the closest known key.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from corridorsim.errors import one_line


class FrozenModel(BaseModel):
    """Frozen once validated; a typo (unknown key) or a non-finite number is an error."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )


class FrozenDict(dict[Any, Any]):
    """A dict that cannot be changed after it is built: a validated network or scenario
    stays what it was validated as, even though it holds mappings."""

    def _refuse(self, *args: object, **kwargs: object) -> None:
        raise TypeError(f"{type(self).__name__} cannot be changed (it was validated as is)")

    __setitem__ = __delitem__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]
    __ior__ = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[type, tuple[dict[Any, Any]]]:
        # Rebuilt from a plain dict: pickling (process pools, Dask) and copying still work.
        return (type(self), (dict(self),))


def freeze_mapping(value: object) -> object:
    """Pydantic after-validator: a validated dict becomes a FrozenDict."""
    return FrozenDict(value) if isinstance(value, dict) else value


#: What the regular expressions of the models ask for, in words.
PATTERN_MEANINGS = {
    r"^[A-Z]{2}$": "must be an ISO 3166-1 alpha-2 country code in capitals, like 'KZ'",
    r"^[A-Za-z0-9][A-Za-z0-9_\-]*$": (
        "must be letters, digits, '-' or '_' (ids are used in dotted paths, so no dots or spaces)"
    ),
}


def dotted(loc: Sequence[str | int]) -> str:
    """``("facility", 1, "dwell_h")`` -> ``facility[1].dwell_h``.

    A key that cannot be read inside a one-line message (a line break, a tab, an empty key)
    is shown quoted in brackets, as Python writes it (a line break as backslash-n).
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part) or not str(part).isprintable():
            out += f"[{str(part)!r}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def clean_loc(loc: Sequence[str | int], data: Any, kind: str = "") -> list[str | int]:
    """The place of an error in the user's document, without pydantic's union member tags.

    Unions put the member they tried in the location (``dwell_h.lognormal.sd``,
    ``source.str``, ``effect.literal['closed']``). Walking the document along the location
    tells keys from tags: a tag is not in the data. The last part may be a key that is
    missing (``missing``) or one that should not be there (``extra_forbidden``).
    """
    cleaned: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list | tuple) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            cleaned.append(part)
            node = node[part]
        elif last and kind in ("missing", "extra_forbidden") and isinstance(node, dict):
            cleaned.append(part)
    return cleaned


#: The longest value (as Python writes it) or key a message shows in full; longer ones are cut
#: with "...", so that a 5,000-character value still gives a line a terminal can show.
SHOWN_CHARS = 80


def short_repr(value: Any, limit: int = SHOWN_CHARS) -> str:
    """``repr(value)``, cut to ``limit`` characters with ``...``; never a line break.

    A long value is cut before it is written out, so a huge one costs no more than a short one.
    """
    if isinstance(value, str | bytes) and len(value) > limit:
        return repr(value[:limit])[: limit - 3] + "..."
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown_key(key: str | int, limit: int = SHOWN_CHARS) -> str:
    """A key or id as a message shows it: as it is when it is short and printable, otherwise
    quoted as Python writes it (a line break as backslash-n) and cut like :func:`short_repr`."""
    text = str(key)
    if text and len(text) <= limit and text.isprintable():
        return text
    return short_repr(text, limit)


def short_text(text: str, limit: int = 4 * SHOWN_CHARS) -> str:
    """``text`` on one line (see :func:`one_line`), cut to ``limit`` characters with ``...``."""
    text = one_line(text[: limit + 1])  # cut first: a huge text costs no more than a short one
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short(value: Any) -> str:
    return short_repr(value)


def _message(error: Any, vocabulary: Iterable[str]) -> str:
    kind = error["type"]
    msg: str = error["msg"]
    if kind == "extra_forbidden":
        key = error["loc"][-1]
        close = suggest_key(str(key), vocabulary)
        hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
        return f"unknown key{hint}"
    if kind == "missing":
        return "missing (required)"
    ctx = error.get("ctx") or {}
    if kind == "union_tag_invalid":
        known = ctx.get("expected_tags")
        tag = short_repr(ctx.get("tag"))
        return f"unknown {ctx.get('discriminator', 'kind')} {tag} (known: {known})"
    if kind == "union_tag_not_found":
        return f"needs {ctx.get('discriminator', 'a kind')}: a number or an object with it"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in PATTERN_MEANINGS:
        return f"{PATTERN_MEANINGS[ctx['pattern']]} (got {_short(error.get('input'))})"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    elif msg.startswith("Input should be"):
        msg = "must be" + msg[len("Input should be") :]
    elif msg.startswith("Assertion failed, "):
        msg = msg[len("Assertion failed, ") :]
    value = error.get("input")
    if not isinstance(value, dict | list) and kind not in ("value_error", "assertion_error"):
        msg += f" (got {_short(value)})"
    return msg


def suggest_key(key: str, vocabulary: Iterable[str]) -> list[str]:
    """The known keys a mistyped ``key`` most likely meant: the most similar spelling
    (``speedkmh`` -> ``speed_kmh``), else the shortest keys having every word of it (``fee``
    -> ``fee_usd_per_tonne``, ``fee_usd_per_wagon``); none when nothing is close."""
    known = sorted(set(vocabulary))
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return close
    words = {w for w in key.casefold().split("_") if w}
    having = [k for k in known if words and words <= set(k.casefold().split("_"))]
    if not having:
        return []
    shortest = min(len(k) for k in having)
    return [k for k in having if len(k) == shortest][:3]


def field_vocabulary(*models: type[BaseModel]) -> set[str]:
    """Every key (by its file name) the given models and their nested models accept."""
    seen: set[type[BaseModel]] = set()
    words: set[str] = set()

    def visit(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, info in model.model_fields.items():
            words.add(info.alias or name)
            for sub in _models_in(info.annotation):
                visit(sub)

    for model in models:
        visit(model)
    return words


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        yield from _models_in(arg)
    for meta in getattr(annotation, "__metadata__", ()) or ():
        yield from _models_in(meta)
    origin = getattr(annotation, "__origin__", None)
    if origin is not None and origin is not annotation:
        yield from _models_in(origin)


def error_lines(
    exc: ValidationError,
    data: Any,
    *,
    vocabulary: Iterable[str] = (),
    rename: dict[str, str] | None = None,
    prefix: str = "",
    where: Callable[[tuple[str | int, ...]], str] | None = None,
    root: str = "",
) -> list[str]:
    """One ``path: message`` line per place in the document that is wrong.

    ``data`` is what was validated (to tell keys from union tags). ``rename`` maps a first key
    to its place in the file (``coords`` -> ``geometry.coordinates``); other paths get
    ``prefix`` (``properties.``); an error about the whole value is placed at ``root``.
    ``where(loc)`` may put the file and line in front. Errors a
    union reports for each of its members at one place are joined into one line.
    """
    vocab = list(vocabulary)
    by_place: dict[tuple[str | int, ...], list[str]] = {}
    for error in exc.errors():
        loc = tuple(clean_loc(error["loc"], data, error["type"]))
        messages = by_place.setdefault(loc, [])
        message = _message(error, vocab)
        if message not in messages:
            messages.append(message)
    # A union reports every member's complaint: one about the scalar form at a place
    # (effect: "must be 'closed'") and one deeper inside the mapping form the user wrote
    # (effect.capacity_factor). The deeper one is the one that helps.
    deeper = {loc[:n] for loc in by_place for n in range(1, len(loc))}
    lines = []
    for loc, messages in by_place.items():
        if loc in deeper:
            continue
        shown = [_cut(part) for part in loc]
        path = dotted(shown)
        if loc and rename and isinstance(loc[0], str) and loc[0] in rename:
            path = dotted([rename[loc[0]], *shown[1:]])
        elif path:
            path = prefix + path
        else:
            path = root
        text = short_text("; or ".join(messages))
        line = f"{path}: {text}" if path else text
        lines.append(f"{where(loc)}{line}" if where else line)
    return lines


def _cut(part: str | int, limit: int = SHOWN_CHARS) -> str | int:
    """A key (or a message) longer than ``limit`` cut with ``...``; :func:`dotted` quotes it."""
    if isinstance(part, str) and len(part) > limit:
        return part[: limit - 3] + "..."
    return part
