"""Opening hours of a facility on the scenario calendar: when service may start.

Hour 0 is 00:00 of the scenario's ``start``; day ``d`` covers hours [24 d, 24 d + 24). A
facility is open on a day unless its weekday is in ``closed_weekdays`` or its date is in
``closed_dates``, and on an open day within its windows (``open_hours``; all day when it gives
none). A window [a, b) admits starts from a up to, not including, b: a service may start at the
opening, not at the closing (it may run past the closing: work started is finished).

:meth:`OpeningCalendar.next_open` answers in constant time whatever the horizon: the weekdays
repeat every seven days, and the runs of closed dates are jumped over in one step (each closed
date that falls on an open weekday maps to the first open day after its run, worked out once).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

#: Weekday names in calendar order, Monday first (``datetime.date.weekday()`` numbers).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_window(text: str) -> tuple[float, float]:
    """``"08:00-20:00"`` -> (8.0, 20.0) hours of the day; ValueError if not well formed.

    Times are ``HH:MM`` (00:00 to 24:00, the end may be 24:00: open until midnight); the start
    must be before the end: a window does not wrap past midnight (give ``22:00-24:00`` and
    ``00:00-06:00`` instead of ``22:00-06:00``).
    """
    parts = text.split("-")
    if len(parts) != 2:
        raise ValueError(f"an opening window is 'HH:MM-HH:MM', like '08:00-20:00' (got {text!r})")
    start, end = (_hours(part.strip(), text) for part in parts)
    if start >= end:
        raise ValueError(
            f"an opening window must start before it ends, within one day (got {text!r}; "
            "a window past midnight is two: '22:00-24:00' and '00:00-06:00')"
        )
    return start, end


def parse_time_of_day(text: str) -> float:
    """``"06:30"`` -> 6.5 hours after midnight; ValueError if not a time from 00:00 to 23:59."""
    hours = _hours(text.strip(), text, "a time of day is 'HH:MM', like '06:00'")
    if hours >= 24:
        raise ValueError(f"a time of day is from 00:00 to 23:59 (got {text!r})")
    return hours


def _hours(
    part: str, text: str, form: str = "an opening window is 'HH:MM-HH:MM', like '08:00-20:00'"
) -> float:
    hh, sep, mm = part.partition(":")
    if not (sep and len(hh) == 2 and len(mm) == 2 and hh.isdigit() and mm.isdigit()):
        raise ValueError(f"{form} (got {text!r})")
    hours, minutes = int(hh), int(mm)
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"no such time of day: {part!r} (in {text!r})")
    return hours + minutes / 60


def merge_windows(windows: Iterable[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """Windows sorted, overlapping or touching ones joined into one."""
    merged: list[list[float]] = []
    for a, b in sorted(windows):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return tuple((a, b) for a, b in merged)


class OpeningCalendar:
    """When a facility with opening hours may start a service, on the scenario calendar."""

    __slots__ = ("_after_closed", "_next_weekday", "_open_weekday", "_start_weekday",
                 "first_opening", "windows")

    def __init__(
        self,
        start: dt.date,
        windows: Iterable[tuple[float, float]] = ((0.0, 24.0),),
        closed_weekdays: Iterable[str] = (),
        closed_dates: Iterable[dt.date] = (),
    ) -> None:
        self.windows = merge_windows(windows)
        if not self.windows:
            raise ValueError("a facility with opening hours needs at least one opening window")
        #: The first opening of an open day, in hours of the day.
        self.first_opening = self.windows[0][0]
        closed = {WEEKDAYS.index(name) for name in closed_weekdays}
        if len(closed) == 7:
            raise ValueError("the facility is never open: every weekday is closed")
        self._start_weekday = start.weekday()
        self._open_weekday = tuple(w not in closed for w in range(7))
        #: Days from a day of weekday w to the first open weekday on or after it.
        self._next_weekday = tuple(
            next(k for k in range(7) if self._open_weekday[(w + k) % 7]) for w in range(7)
        )
        # Closed dates that fall on an open weekday, as day numbers, each mapped to the first
        # open day after the run of closed days it belongs to (worked out from the last one).
        days = sorted(
            {(d - start).days for d in closed_dates if self._open_weekday[d.weekday()]}
        )
        after: dict[int, int] = {}
        for day in reversed(days):
            nxt = self._weekday_open_from(day + 1)
            after[day] = after.get(nxt, nxt)
        self._after_closed = after

    def _weekday_open_from(self, day: int) -> int:
        """The first day on or after ``day`` whose weekday is open (closed dates aside)."""
        return day + self._next_weekday[(self._start_weekday + day) % 7]

    def open_day_from(self, day: int) -> int:
        """The first open day on or after day number ``day``."""
        found = self._weekday_open_from(day)
        return self._after_closed.get(found, found)

    def is_open_day(self, day: int) -> bool:
        """Whether day number ``day`` is an open day (its weekday and date are not closed)."""
        return self.open_day_from(day) == day

    def is_open(self, t_h: float) -> bool:
        """Whether a service may start at ``t_h``."""
        return self.next_open(t_h) == t_h

    def next_open(self, t_h: float) -> float:
        """The earliest time >= ``t_h`` at which a service may start (``t_h`` itself when it
        may start then)."""
        day = math.floor(t_h / 24.0)
        if self.open_day_from(day) == day:
            hour = t_h - 24.0 * day
            for a, b in self.windows:
                if hour < b:
                    return t_h if hour >= a else 24.0 * day + a
        return 24.0 * self.open_day_from(day + 1) + self.first_opening
