"""Running the command line in tests, bounded: a hang fails the test instead of blocking it.

Imported by the test modules as ``netgen`` is (``from cliguard import cli, one_line``).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from click.testing import CliRunner, Result

from corridorsim.cli import main


class TookTooLong(BaseException):
    """Raised by the alarm: a BaseException, so that click's test runner (which keeps any
    Exception as the result's ``exception``) does not swallow it."""


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise :class:`TookTooLong` in the main thread after ``seconds``."""

    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise TookTooLong(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def cli(*args: object) -> Result:
    """``corridorsim ARGS`` through click's test runner."""
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line(result: Result, code: int) -> str:
    """The one line a refused command wrote on stderr, once its exit code is ``code`` and
    no traceback was shown."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    (line,) = result.stderr.splitlines()
    return line
