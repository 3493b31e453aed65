"""Reading YAML safely while remembering where each value stands in the file.

``yaml.safe_load`` forgets line numbers; composing the node tree once more gives them, so an
error can name ``shipments[1].origin`` *and* the line it is on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import yaml

from corridorsim._files import read_user_text
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


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, telling where a value it cannot build stands in the file."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, KeyError, OverflowError) as exc:
            # An impossible date (2025-02-30) or a tag on a value it does not fit (!!int soon).
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {node.value!r} ({exc})", node.start_mark
            ) from None


def read_yaml(path: str | os.PathLike[str]) -> YamlDocument:
    """Read a YAML file (``safe_load`` only) with the line of every value, for messages."""
    name = str(path)
    text = read_user_text(path)
    try:
        data = yaml.load(text, Loader=_Loader)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1} column {mark.column + 1}: " if mark else ""
        raise InputError(f"{name}: {where}not valid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{name}: not valid YAML: {exc}") from None
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        # PyYAML builds dates and tagged scalars itself: 2025-02-30 or "!!int soon" fail there.
        raise InputError(f"{name}: a value YAML cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(
            f"{name}: must be a YAML mapping (key: value lines), not {type(data).__name__}"
        )
    lines: dict[PathKey, int] = {}
    _walk(root, (), lines)
    return YamlDocument(path=name, data=data, lines=lines, text=text)


def _walk(node: Any, loc: PathKey, lines: dict[PathKey, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*loc, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*loc, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*loc, i)] = item.start_mark.line + 1
            _walk(item, (*loc, i), lines)
