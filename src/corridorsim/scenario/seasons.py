"""Demand through the year: a flow's ``monthly_factors`` as a change of time.

A flow with ``monthly_factors`` (twelve numbers, January first) carries its tonnage at a rate
that varies month by month on the scenario's calendar (hour 0 is 00:00 of ``start``). The
factors are normalised to keep the annual tonnage: each is divided by their mean weighted by
the days of the months of a 365-day year (February of 28 days), so that the normalised factor
integrates to 8,760 h over such a year.

Departures are drawn as without factors, in *demand time*: the gap g between two trains is the
gap at factor 1, and the next train leaves at the t' where the integral of the normalised factor
from t to t' equals g. Poisson arrivals so become a non-homogeneous Poisson process whose rate
is the factor times the base rate, and regular arrivals are evenly spaced in demand time. A
month with factor 0 has no departures: the walk jumps over it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

#: Days of each month of a 365-day year, January first: the weights of the normalisation.
DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
DAYS_PER_YEAR = sum(DAYS_IN_MONTH)
#: A time within this fraction of a month's end (in hours since hour 0) is its end: regular
#: trains whose demand time falls exactly on a month's end must not land a rounding error
#: before it, in the month they have just used up (a year early, with January-only demand).
_SNAP = 1e-9


def normalised_factors(factors: Sequence[float]) -> tuple[float, ...]:
    """``factors`` divided by their mean weighted by the days of each month (365-day year).

    Raises ValueError unless there are 12 factors, none negative and not all 0.
    """
    if len(factors) != 12:
        raise ValueError(f"needs 12 monthly factors, January first (got {len(factors)})")
    if any(f < 0 for f in factors) or not any(f > 0 for f in factors):
        raise ValueError("monthly factors are >= 0 and not all 0")
    mean = sum(f * days for f, days in zip(factors, DAYS_IN_MONTH, strict=True)) / DAYS_PER_YEAR
    return tuple(f / mean for f in factors)


class MonthlyDemand:
    """The normalised monthly factors of one flow on the scenario's calendar.

    ``advance_h`` is the time change the engine spaces departures with; ``demand_h`` is its
    integral (hours of demand, the hours at factor 1 that carry the same tonnage).
    """

    __slots__ = ("_start", "factors", "uniform")

    def __init__(self, start: dt.date, factors: Sequence[float]) -> None:
        self._start = start
        #: The normalised factors, January first.
        self.factors = normalised_factors(factors)
        #: Every month alike: demand time is clock time (no walk, no rounding on the way).
        self.uniform = len(set(factors)) == 1

    def _month(self, t_h: float) -> tuple[float, float]:
        """The end of the calendar month holding hour ``t_h`` (hours) and its factor."""
        day = self._start + dt.timedelta(days=math.floor(t_h / 24.0))
        first_next = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        end_h = 24.0 * (first_next - self._start).days
        return end_h, self.factors[day.month - 1]

    def factor_at(self, t_h: float) -> float:
        """The normalised factor in force at hour ``t_h``."""
        return self._month(t_h)[1]

    def advance_h(self, t_h: float, gap_h: float, *, end_h: float = math.inf) -> float:
        """The t' >= ``t_h`` where the normalised factor integrates from ``t_h`` to ``gap_h``.

        Months with factor 0 are jumped over, also before the first hour of demand: with
        ``gap_h`` 0, hour ``t_h`` in a month without demand becomes the start of the next
        month with some, and a t' that falls on the end of a month moves on the same way (a
        departure is always in a month with demand). Once the walk passes ``end_h`` the
        answer is ``math.inf``: times past it are not needed.
        """
        if self.uniform:
            return t_h + gap_h
        remaining_h = gap_h
        while t_h <= end_h:
            month_end_h, factor = self._month(t_h)
            if factor > 0:
                room_h = (month_end_h - t_h) * factor
                if remaining_h < room_h - _SNAP * month_end_h * factor:
                    return t_h + remaining_h / factor
                remaining_h = max(remaining_h - room_h, 0.0)
            t_h = month_end_h
        return math.inf

    def demand_h(self, from_h: float, to_h: float) -> float:
        """Hours of demand from ``from_h`` to ``to_h``: the integral of the normalised factor."""
        if to_h <= from_h:
            return 0.0
        if self.uniform:
            return to_h - from_h
        total_h = 0.0
        t_h = from_h
        while t_h < to_h:
            month_end_h, factor = self._month(t_h)
            stop_h = min(month_end_h, to_h)
            total_h += (stop_h - t_h) * factor
            t_h = stop_h
        return total_h
