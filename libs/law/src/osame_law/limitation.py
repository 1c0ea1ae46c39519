"""時効 (limitation) of the right to collect — 法18①, 18条の2; domain-rules §4.4, §10.4.

- The right expires when it is not exercised for 5 years counted from the day after the
  法定納期限 (法18①). The period ends, by 民法143 via 法18③/法20条の5, on the day before the
  corresponding day 5 years later (or the month end when there is none): due 2020-06-30 →
  counted from 2020-07-01 → ends 2025-06-30 → extinguished from 2025-07-01 (no 援用 needed,
  法18②: money offered after that cannot be accepted).
- For installment taxes each installment's own 納期限 is used (§4.4). We move a 納期限 that
  falls on a closed day to the next business day before counting (法20条の5②); this is our
  reading [L]; pass ``shift_due_date_for_holidays=False`` for a 法定納期限 that is not moved.
- After a 督促 the period restarts (法18条の2): the new period starts the day after the
  day-10 date (issued 10/1 → new period from 10/12, §10.4). Other events (差押, 承認, 催告
  suspension, 交付要求) are not modelled here. The period keeps running during 執行停止.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from osame_law.calendar import ONE_DAY, add_months_civil, shift_due_date
from osame_law.demand_notice import earliest_seizure_date

LIMITATION_YEARS = 5


@dataclass(frozen=True)
class LimitationPeriod:
    starts_on: date
    """First day counted (起算日)."""
    ends_on: date
    """Last day of the period (満了日)."""

    @property
    def extinguished_on(self) -> date:
        """The first day on which the right no longer exists."""
        return self.ends_on + ONE_DAY

    def is_extinguished(self, on: date) -> bool:
        return on > self.ends_on


def limitation_period_from(starts_on: date, *, years: int = LIMITATION_YEARS) -> LimitationPeriod:
    """A limitation period whose first counted day is ``starts_on``."""
    return LimitationPeriod(starts_on, add_months_civil(starts_on, 12 * years))


def limitation_period(
    statutory_due_date: date, *, years: int = LIMITATION_YEARS, shift_due_date_for_holidays: bool = True
) -> LimitationPeriod:
    """法18①: 5 years counted from the day after the 法定納期限."""
    due = shift_due_date(statutory_due_date) if shift_due_date_for_holidays else statutory_due_date
    return limitation_period_from(due + ONE_DAY, years=years)


def restarted_by_demand(issued_on: date, *, years: int = LIMITATION_YEARS) -> LimitationPeriod:
    """New period after a 督促 (法18条の2): counted from the day after the day-10 date."""
    return limitation_period_from(earliest_seizure_date(issued_on), years=years)
