"""Worklists of the 滞納整理 team (issue #12 "capabilities"): pure rules of what is due on a day.

- a **next action** (the 次回対応日 of the latest 折衝記録 of a case) is due when its day is on or
  before the business date; a later 折衝記録 replaces it (only the latest one counts);
- a **promised payment** (a scheduled payment of an active 分納誓約) is due when its day is on or
  before the business date plus the look-ahead;
- **時効 approaching**: the completion day of an owing installment (``osame_law.limitation_clock``)
  falls within ``horizon_days`` of the business date (a clock suspended by a 差押 in force has no
  completion day and is never listed); a day already past is listed too (overdue for 不納欠損);
- a **seizure whose 換価 is pending**: a 差押 neither released (解除) nor distributed (配当);
- a **breached pledge**: status breached (履行監視, ``domain.pledge.first_breach``);
- a **breached 猶予 分割**: a missed 分割 amount awaiting the 取消し / 継続 decision (法15条の3,
  ``domain.postponement.missed_payment``).

Every list is sorted on a total order (its day, then its keys) and paged; a page never exceeds
``MAX_PER_PAGE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 50
MAX_HORIZON_DAYS = 3 * 366


@dataclass(frozen=True)
class Page:
    number: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def __post_init__(self) -> None:
        if self.number < 1:
            raise ValueError("page:must_be_positive")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise ValueError("per_page:out_of_range")

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page


def check_horizon(days: int) -> None:
    if not 0 <= days <= MAX_HORIZON_DAYS:
        raise ValueError("horizon_days:out_of_range")


def action_due(next_action_on: date | None, business_date: date) -> bool:
    return next_action_on is not None and next_action_on <= business_date


def promise_due(due_on: date, business_date: date, ahead_days: int = 0) -> bool:
    return due_on <= business_date + timedelta(days=ahead_days)


def limitation_approaching(ends_on: date | None, business_date: date, horizon_days: int) -> bool:
    """Completion on or before business date + horizon (None: suspended by a procedure in force)."""
    return ends_on is not None and ends_on <= business_date + timedelta(days=horizon_days)
