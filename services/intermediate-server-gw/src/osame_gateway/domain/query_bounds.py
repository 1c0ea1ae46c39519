"""Bounds of an income query's inputs, checked before anything is stored or sent (issue 13 item 6).

`fiscal_year` 1999 or 10^15 made a query loop: it is refused at once with a reason, so the
query has a final state. A 年度 (April–March, 地方自治法 §208) may be asked for from the
current one back `FISCAL_YEARS_BACK` years (地方税 records the providers hold: 法定納期限から
5 年, 7 years for the longest 更正期間, 地方税法 §17-5; UNCONFIRMED [L] whether a provider answers
older ones), never a future one. The business date is the server's (Asia/Tokyo).
"""

from __future__ import annotations

import datetime as dt

FISCAL_YEARS_BACK = 7
INVALID_FISCAL_YEAR = "invalid_fiscal_year"
STORABLE = 2**31 - 1  # what a database INTEGER holds


def fiscal_year_of(day: dt.date) -> int:
    """年度 of a date: April to March."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_refusal(fiscal_year: int, business_date: dt.date) -> str | None:
    """None when the 年度 may be asked for on `business_date`, else the refusal reason."""
    current = fiscal_year_of(business_date)
    if current - FISCAL_YEARS_BACK <= fiscal_year <= current:
        return None
    return INVALID_FISCAL_YEAR


def storable(value: int) -> int | None:
    """The value if a database INTEGER holds it (a refused query keeps what it can), else None."""
    return value if -STORABLE <= value <= STORABLE else None
