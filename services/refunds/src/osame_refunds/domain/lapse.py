"""法18条の3: the right to a refund (還付金) lapses 5 years after it could first be claimed.

The claim can be made from the day the 過誤納金 arose (the payment for a 誤納, the 更正 for a
過納: the overpayment's `arose_on`), not from the day this service happened to record a decision.
Counted from the next day (初日不算入, 民法140 via 法18③/20条の5) with 民法143 month arithmetic —
the law library's `limitation_period_from`. A notice in which the city acknowledges the debt to
the taxpayer (還付通知書, 充当通知書 for the same overpayment: 承認, 民法152; domain-rules §10.4 [M])
restarts the period from the day after the notice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from osame_law.calendar import day_after
from osame_law.limitation import limitation_period_from

REFUND_CLAIM_YEARS = 5


def lapses_on(arose_on: dt.date, acknowledged_on: Iterable[dt.date] = ()) -> dt.date:
    """The first day on which the refund can no longer be claimed."""
    start = max([arose_on, *acknowledged_on])
    return limitation_period_from(day_after(start), years=REFUND_CLAIM_YEARS).extinguished_on


def has_lapsed(today: dt.date, arose_on: dt.date, acknowledged_on: Iterable[dt.date] = ()) -> bool:
    return today >= lapses_on(arose_on, acknowledged_on)
