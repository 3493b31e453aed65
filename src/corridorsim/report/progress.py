"""Progress bars on stderr for long jobs: replications, scenarios, design points."""

from __future__ import annotations

import sys
import time
from typing import Any

#: A job shorter than this shows no bar at all.
QUIET_FOR_S = 1.0


class ProgressBar:
    """A rich progress bar on stderr that appears once a job has run for a second.

    Call it as the job's ``progress(done, total)`` callback, or ``progress(done, total,
    rate)`` with a rate to show beside the bar (``unit`` names it: "runs/s"). It draws
    nothing when ``enabled`` is false; use :func:`progress_enabled` for the usual rule (a
    terminal, not ``--quiet``). Use it as a context manager so the bar is removed at the end.
    """

    def __init__(self, label: str, *, enabled: bool, unit: str | None = None) -> None:
        self._label = label
        self._enabled = enabled
        self._unit = unit
        self._started = time.monotonic()
        self._bar: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int, rate: float | None = None) -> None:
        """Show ``done`` of ``total`` (and ``rate``, if given)."""
        if not self._enabled:
            return
        if self._bar is None:
            if time.monotonic() - self._started < QUIET_FOR_S and done < total:
                return
            self._start(total)
        fields = {"rate": f"{rate:,.1f} {self._unit}" if rate and self._unit else ""}
        self._bar.update(self._task, completed=done, **fields)

    def _start(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            "{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task(self._label, total=total, rate="")

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the bar (if it was ever drawn)."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def progress_enabled(quiet: bool) -> bool:
    """Bars are drawn only on a terminal, and never with ``--quiet``."""
    return not quiet and sys.stderr.isatty()
