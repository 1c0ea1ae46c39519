"""Business days, holiday-shifted due dates and Civil-Code period arithmetic.

- 閉庁日 (closed days): Saturdays, Sundays, national holidays (祝日法, incl. 振替休日 and
  国民の休日, via the ``holidays`` package's Japan calendar) and 12/29–1/3 (令6条の18 年末年始).
- ``shift_due_date``: 地方税法20条の5② — a 期限 falling on a closed day moves to the next
  business day (e.g. a 31 December due date moves to 4 January when that is a weekday).
- ``add_months_civil``: 民法143② via 法20条の5① — a period of *n* months counted from a start
  day (起算日) ends on the day before the day of the last month that corresponds to the start
  day; when that month has no such day, on the last day of that month.
- ``days_inclusive``: both ends counted (the way 延滞金 and 還付加算金 periods are counted).

Note: this module shadows nothing inside the package; the standard library's ``calendar`` is
imported absolutely below.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterator
from datetime import date, timedelta
from functools import lru_cache

import holidays

ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=256)
def _national_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("JP", years=year).keys())


def warm_up(today: date | None = None) -> None:
    """Load the holiday calendar before serving: its first use takes seconds of CPU (the
    ``holidays`` package builds Japan's calendar), which on a service's event loop would stall
    every handler and probe. Services run this in a thread at start (``ServiceSpec.warm_up``)."""
    year = (today or date.today()).year
    for y in (year - 1, year, year + 1):
        _national_holidays(y)


def is_year_end_holiday(d: date) -> bool:
    """年末年始 (12/29–1/3), the closed days named in 令6条の18."""
    return (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3)


def is_national_holiday(d: date) -> bool:
    """国民の祝日・振替休日・国民の休日 per the ``holidays`` Japan calendar."""
    return d in _national_holidays(d.year)


def is_closed_day(d: date) -> bool:
    """閉庁日: a day on which a 期限 cannot fall (法20条の5②, 令6条の18)."""
    return d.weekday() >= 5 or is_national_holiday(d) or is_year_end_holiday(d)


def is_business_day(d: date) -> bool:
    return not is_closed_day(d)


def next_business_day(d: date) -> date:
    """``d`` itself when it is a business day, otherwise the next business day."""
    while is_closed_day(d):
        d += ONE_DAY
    return d


def shift_due_date(d: date) -> date:
    """法20条の5②: the effective 納期限 (idempotent: a business day is returned unchanged)."""
    return next_business_day(d)


def last_day_of_month(year: int, month: int) -> date:
    return date(year, month, monthrange(year, month)[1])


def add_months_civil(start: date, months: int) -> date:
    """Last day of a period of ``months`` months whose first counted day is ``start`` (民法143②).

    Examples: start 9/1 → 9/30; start 9/2 → 10/1; start 2/1 → 2/28 (2/29 in a leap year);
    start 1/31 → 2/28 (no 2/31, so the end of February).
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if start.day <= monthrange(year, month)[1]:
        return date(year, month, start.day) - ONE_DAY
    return last_day_of_month(year, month)


def days_inclusive(start: date, end: date) -> int:
    """Number of days from ``start`` to ``end`` with both ends counted; 0 when end < start."""
    return max((end - start).days + 1, 0)


def day_after(d: date) -> date:
    return d + ONE_DAY


def day_before(d: date) -> date:
    return d - ONE_DAY


def year_ends_between(start: date, end: date) -> Iterator[date]:
    """Each 31 December in [start, end) — the points where a yearly rate changes (附則3条の2 その年中)."""
    for year in range(start.year, end.year):
        yield date(year, 12, 31)
