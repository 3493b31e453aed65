"""Reading YAML safely while remembering where each value stands in the file.

``yaml.safe_load`` forgets line numbers; composing the node tree once more gives them, so an
error can name ``shipments[1].origin`` *and* the line it is on.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from corridorsim._files import read_user_text
from corridorsim._schema import SHOWN_CHARS, short_repr, short_text
from corridorsim.errors import InputError

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML mapping with the line (1-based) of every key and item in it."""

    path: str
    data: dict[str, Any]
    lines: dict[PathKey, int] = field(default_factory=dict)
    text: str = ""

    def line_of(self, loc: PathKey) -> int | None:
        """The line of ``loc`` or of its nearest enclosing value that has one."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return None


#: The deepest nesting of mappings and lists read: a scenario or study needs 6 or so
#: (shipments[0].route.fixed[2]); 64 leaves ample room and stays far from Python's
#: recursion limit (PyYAML composes nested values recursively).
MAX_YAML_DEPTH = 64
#: The most values (keys, items, scalars) aliases may expand a file to: the largest shipped
#: scenario holds a few hundred. An alias bomb ("billion laughs": a few hundred bytes that
#: expand to a billion values) stops here instead of filling memory. (A file without
#: aliases is bounded by its size, :data:`MAX_YAML_BYTES`.)
MAX_YAML_VALUES = 100_000
#: The largest scenario or study file read (1 MiB): the largest shipped one is 3 KB, and the
#: loader that keeps line numbers reads about 200 KB a second, so this bounds a read to
#: seconds.
MAX_YAML_BYTES = 1024 * 1024

#: Plain scalars as YAML 1.2's core schema reads them (PyYAML implements YAML 1.1, where
#: ``1.0e2`` is text, ``010`` is 8, ``1:30`` is 90 and ``yes``/``no``/``on``/``off`` are
#: booleans; in YAML 1.2 and in every other modern reader they are 100.0, 10, text and text).
_YAML12_RESOLVERS = (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
)
_YAML11_SCALAR_TAGS = {tag for tag, _, _ in _YAML12_RESOLVERS}


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, telling where a value it cannot build stands in the file.

    It also refuses nesting deeper than :data:`MAX_YAML_DEPTH` and a key given twice in one
    mapping, and reads plain numbers, booleans and nulls as YAML 1.2 does.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        """Compose one node, refusing to nest deeper than :data:`MAX_YAML_DEPTH`."""
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"nested more than {MAX_YAML_DEPTH} levels deep "
                    "(no scenario or study needs more)",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """Build one value; a value PyYAML cannot build is an error at its place."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, KeyError, OverflowError, AttributeError) as exc:
            # An impossible date (2025-02-30) or a tag on a value it does not fit (!!int soon,
            # !!timestamp soon).
            why = "it does not fit its tag" if isinstance(exc, AttributeError) else str(exc)
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"cannot read {short_repr(node.value)} ({short_text(why, SHOWN_CHARS)})",
                node.start_mark,
            ) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Build a mapping; a key given twice (YAML keeps only the last) is an error."""
        first: dict[Any, int] = {}
        for key_node, _ in node.value if isinstance(node, yaml.MappingNode) else ():
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # keys merged in with "<<" may be overridden, that is their purpose
            key = self.construct_object(key_node)
            try:
                seen = key in first
            except TypeError:
                continue  # an unhashable key: the constructor reports it
            if seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {short_repr(key)} given twice (first on line {first[key]}; "
                    "YAML would keep only the last)",
                    key_node.start_mark,
                )
            first[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


def _construct_int(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    """An integer as YAML 1.2 writes it: decimal (a leading zero is still decimal), ``0o``
    octal or ``0x`` hexadecimal."""
    text = str(loader.construct_scalar(node))
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text, 10)


# Start from the safe loader's resolvers less its YAML 1.1 numbers, booleans and nulls.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _YAML11_SCALAR_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _tag, _pattern, _first in _YAML12_RESOLVERS:
    _Loader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def read_yaml(path: str | os.PathLike[str]) -> YamlDocument:
    """Read a YAML file (``safe_load`` only) with the line of every value, for messages."""
    name = str(path)
    text = read_user_text(path, max_bytes=MAX_YAML_BYTES)
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is not None:
            _check_size(root)
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1} column {mark.column + 1}: " if mark else ""
        raise InputError(f"{name}: {where}not valid YAML: {short_text(str(exc.problem))}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{name}: not valid YAML: {short_text(str(exc))}") from None
    except _TooBig as exc:
        raise InputError(f"{name}: {exc}") from None
    except (ValueError, TypeError, KeyError, OverflowError, AttributeError) as exc:
        # PyYAML builds dates and tagged scalars itself: 2025-02-30 or "!!int soon" fail there.
        raise InputError(f"{name}: a value YAML cannot read: {short_text(str(exc))}") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise InputError(
            f"{name}: must be a YAML mapping (key: value lines), not {type(data).__name__}"
        )
    return YamlDocument(path=name, data=data, lines=_lines(root), text=text)


_EXPANDED = " once its aliases (*name) are expanded"


def parse_value(text: str, *, what: str) -> Any:
    """A value given on the command line (``--set PATH=VALUE``), read as the same YAML a
    scenario file is: ``12`` is a number, ``true`` a boolean, ``[a, b]`` a list,
    ``{dist: exponential, mean: 2}`` a mapping, anything else text. InputError naming
    ``what`` when it is not YAML."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        _check_size(root)
        return loader.construct_document(root)
    except (yaml.YAMLError, _TooBig, ValueError, TypeError, KeyError, OverflowError) as exc:
        raise InputError(f"{what}: not a value YAML can read: {short_text(str(exc))}") from None
    finally:
        loader.dispose()


class _TooBig(Exception):
    """The node tree, aliases expanded, is too big or too deep (the message says which)."""


def _check_size(root: yaml.Node) -> None:
    """Refuse a tree that, its aliases expanded, is too big or too deep, without expanding it.

    Shared nodes (an anchor and its aliases) count once per use; the size and depth of each
    distinct node is computed once, children first, so this costs one visit per node of the
    file. A node inside itself (``&a [*a]``) never ends, and is refused too.
    """
    done: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth)
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            sizes = [done[id(child)] for child in _children(node)]
            values = 1 + sum(v for v, _ in sizes)
            depth = 1 + max((d for _, d in sizes), default=0)
            if values > MAX_YAML_VALUES and values > len(done) + 1:  # aliases made it so
                raise _TooBig(f"more than {MAX_YAML_VALUES:,} values{_EXPANDED}")
            if depth > MAX_YAML_DEPTH:
                raise _TooBig(f"nested more than {MAX_YAML_DEPTH} levels deep{_EXPANDED}")
            open_.discard(id(node))
            done[id(node)] = (values, depth)
        elif id(node) in open_:
            raise _TooBig("an alias (*name) inside the value it names: it never ends")
        elif id(node) not in done:
            open_.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _lines(root: yaml.Node) -> dict[PathKey, int]:
    """The line of every key and item (aliases expanded; the size was checked before)."""
    lines: dict[PathKey, int] = {}
    stack: list[tuple[yaml.Node, PathKey]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                here = (*loc, key_node.value)
                lines[here] = key_node.start_mark.line + 1
                stack.append((value_node, here))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[(*loc, i)] = item.start_mark.line + 1
                stack.append((item, (*loc, i)))
    return lines
