"""和暦 (Japanese era) dates for screens and letters: 令和8年7月10日, with 元年 for an era's first year.

Era start days (元号法; 昭和/平成/令和 by 政令): 明治 is counted from 1873-01-01 only, the day Japan
adopted the Gregorian calendar (明治5年太政官布告第337号); earlier dates have no Gregorian 和暦
here and are refused.

| era  | first day  | source                                    |
|------|------------|-------------------------------------------|
| 明治 | 1868-01-25 | (Gregorian from 1873-01-01 = 明治6年1月1日) |
| 大正 | 1912-07-30 |                                           |
| 昭和 | 1926-12-25 |                                           |
| 平成 | 1989-01-08 | 元号を改める政令 (昭和64年政令第1号)         |
| 令和 | 2019-05-01 | 元号を改める政令 (平成31年政令第143号)       |
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

GREGORIAN_FROM = dt.date(1873, 1, 1)


@dataclass(frozen=True)
class Era:
    name: str
    first_day: dt.date
    first_year: int  # Western year of the era's 元年


# Newest first: the first era whose first day is on or before the date is the one.
ERAS: tuple[Era, ...] = (
    Era("令和", dt.date(2019, 5, 1), 2019),
    Era("平成", dt.date(1989, 1, 8), 1989),
    Era("昭和", dt.date(1926, 12, 25), 1926),
    Era("大正", dt.date(1912, 7, 30), 1912),
    Era("明治", dt.date(1868, 1, 25), 1868),
)


class WarekiError(ValueError):
    """The date has no Gregorian 和暦 (before 1873-01-01)."""


def era_of(day: dt.date) -> tuple[Era, int]:
    """(era, year of the era) of `day`: 1 for the era's 元年."""
    if day < GREGORIAN_FROM:
        raise WarekiError("和暦 is given from 1873-01-01 (明治6年) on")
    for era in ERAS:
        if day >= era.first_day:
            return era, day.year - era.first_year + 1
    raise WarekiError("no era")  # unreachable after the GREGORIAN_FROM check


def wareki(day: dt.date) -> str:
    """令和8年7月10日; 令和元年5月1日 for the first year of an era."""
    era, year = era_of(day)
    shown = "元" if year == 1 else str(year)
    return f"{era.name}{shown}年{day.month}月{day.day}日"


def wareki_or_western(day: dt.date) -> str:
    """`wareki(day)`, or the ISO date where there is no Gregorian 和暦 (never fails on a screen)."""
    try:
        return wareki(day)
    except WarekiError:
        return day.isoformat()
