"""The exceptions corridorsim raises on purpose.

Every problem with what a user gave us (a file, a flag, a value) is an :class:`InputError`
carrying one line per problem, each naming the file and the place in it. The CLI turns it into
exit code 2; library users catch it like any ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Iterable


class CorridorsimError(Exception):
    """Base class of every error corridorsim raises deliberately."""


#: The longest problem line: a value echoed from a file is shortened where it is quoted, and a
#: line that is still longer (a huge id, say) keeps its start and its end.
MAX_LINE_CHARS = 400


def one_line(message: str) -> str:
    """``message`` with every line break and control character written as Python writes it
    in a string (a backslash and ``n``, ``x1e`` ...): one message, one line."""
    if message.isprintable():
        return message
    return "".join(c if c.isprintable() or c in "\t" else repr(c)[1:-1] for c in message)


def _bounded(line: str) -> str:
    if len(line) <= MAX_LINE_CHARS:
        return line
    tail = MAX_LINE_CHARS // 4
    return f"{line[: MAX_LINE_CHARS - tail - 5]} ... {line[-tail:]}"


class InputError(CorridorsimError, ValueError):
    """Bad input: one message line per problem found (all of them, not just the first).

    A problem is always one line: a value from the file that holds a line break or another
    control character is shown escaped, so a message never breaks in two, and a line is at
    most :data:`MAX_LINE_CHARS` long.
    """

    def __init__(self, problems: str | Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(
            _bounded(one_line(p)) for p in ((problems,) if isinstance(problems, str) else problems)
        )
        super().__init__("\n".join(self.problems))


class UnknownNameError(InputError):
    """A node (or other id) that names nothing, or names more than one thing."""


class ParameterError(InputError):
    """A bad value for one of a library function's own parameters (``by``, ``jobs``, ``k``).

    Each message names the parameter as the library spells it (``by: unknown policy``); the
    command line maps ``param`` to its flag (``--by: unknown policy``) at its edge. Several
    problems with one parameter (two unknown link ids) are one message each.
    """

    def __init__(self, param: str, messages: str | Iterable[str]) -> None:
        self.param = param
        self.messages: tuple[str, ...] = (
            (messages,) if isinstance(messages, str) else tuple(messages)
        )
        super().__init__(f"{param}: {m}" for m in self.messages)
