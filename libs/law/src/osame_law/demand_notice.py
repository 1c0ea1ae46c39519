"""督促 (demand notice): issue deadline, the day-10 rule and the 督促手数料 table.

- Issue deadline (法329① 市町村民税; 371 固定資産税 [M]; 463条の25 軽自動車税; parallel articles):
  the 督促状 must be issued within 20 days after the 納期限. Counting excludes the 納期限
  itself (初日不算入, 民法140), so the last day is effective 納期限 + 20 days. The 納期限 is the
  holiday-shifted one (法20条の5②). The 20-day deadline is an obligation of the city, not a
  taxpayer 期限, so it is not itself moved for holidays (our reading of 法20条の5②, which
  moves deadlines for filings and payments). A late 督促 is still valid (§3, directory rule);
  ``is_issued_in_time`` only reports it.
- Day-10 rule (法331①一; 373, 463条の27, 728 in parallel): attachment follows when the amount
  is not fully paid "by the day on which 10 days have passed, counting the issue date as day 1"
  (督促状を発した日から起算して十日を経過した日). We read 経過した日 as the day after the 10-day
  span, i.e. the 11th day counting the issue date: issued 10/1 → last day to pay 10/11 →
  earliest attachment 10/12. domain-rules §10.4 fixes this: "issued 10/1 → new period from
  10/12", which only fits 10/11 as the day-10 date. (The brief's "the day 10 days after issue"
  would give 10/10; §10 overrides it.) The same date starts the new 時効 period
  (法18条の2; see ``limitation.restarted_by_demand``). Not shifted for holidays (not a 納付期限).
- 督促手数料 (法330 and the city ordinance): per-city data with effective dates; zero allowed
  (many cities abolished the fee). 高岡市: 100 yen per 督促状 for all tax items.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from osame_law.calendar import next_business_day, shift_due_date
from osame_law.errors import InvalidInputError, RateNotAvailableError
from osame_law.plausibility import check_amount

ISSUE_WITHIN_DAYS = 20
DAY10_SPAN = 10


def demand_notice_deadline(due_date: date, *, shift_due_date_for_holidays: bool = True) -> date:
    """Last day on which the 督促状 should be issued: effective 納期限 + 20 days."""
    effective_due = shift_due_date(due_date) if shift_due_date_for_holidays else due_date
    return effective_due + timedelta(days=ISSUE_WITHIN_DAYS)


def demand_cutoff(due_date: date, business_days: int) -> date:
    """Data cut-off of a 督促 (issue #12 defect 2, the 行き違い allowance): the ``business_days``-th
    business day after the (holiday-shifted) 納期限. A 督促 is issued only by a batch dated after
    it, so bank and 口座振替 results of the last days have arrived. 0 = the 納期限 itself."""
    if business_days < 0:
        raise ValueError("business_days must be ≥ 0")
    day = shift_due_date(due_date)
    for _ in range(business_days):
        day = next_business_day(day + timedelta(days=1))
    return day


def last_due_date_dunnable(batch_date: date, business_days: int) -> date:
    """The latest 納期限 whose cut-off is before ``batch_date`` (cut-offs never decrease with the
    納期限, so every earlier 納期限 is past its cut-off too)."""
    due = batch_date - timedelta(days=1)
    while demand_cutoff(due, business_days) >= batch_date:
        due -= timedelta(days=1)
    return due


def is_issued_in_time(due_date: date, issued_on: date) -> bool:
    return issued_on <= demand_notice_deadline(due_date)


def day10_date(issued_on: date) -> date:
    """十日を経過した日: the last day to pay in full before attachment (issue date + 10 days)."""
    return issued_on + timedelta(days=DAY10_SPAN)


def earliest_seizure_date(issued_on: date) -> date:
    """First day on which 差押 may be made when the debt is still unpaid (issue date + 11 days)."""
    return day10_date(issued_on) + timedelta(days=1)


@dataclass(frozen=True)
class DemandFeeRule:
    effective_from: date
    fee: int
    source: str = ""


@dataclass(frozen=True)
class DemandFeeSchedule:
    """A city's 督促手数料 by 督促状 issue date (rules in any order; latest effective_from wins)."""

    city: str
    rules: tuple[DemandFeeRule, ...]

    def __post_init__(self) -> None:
        if not self.rules:
            raise InvalidInputError("a demand-fee schedule needs at least one rule")
        dates = [r.effective_from for r in self.rules]
        if len(set(dates)) != len(dates):
            raise InvalidInputError("two demand-fee rules share an effective date")
        for rule in self.rules:
            check_amount("demand fee", rule.fee)

    def fee_on(self, issued_on: date) -> int:
        applicable = [r for r in self.rules if r.effective_from <= issued_on]
        if not applicable:
            first = min(r.effective_from for r in self.rules)
            raise RateNotAvailableError(
                f"no 督促手数料 recorded for {self.city} before {first.isoformat()} "
                f"(issue date {issued_on.isoformat()})"
            )
        return max(applicable, key=lambda r: r.effective_from).fee


TAKAOKA_DEMAND_FEE = DemandFeeSchedule(
    city="高岡市",
    rules=(
        DemandFeeRule(
            # Earliest date the source confirms (page updated 2024-03-25); extend back once the
            # ordinance's effective date is confirmed.
            effective_from=date(2024, 3, 25),
            fee=100,
            source="https://www.city.takaoka.toyama.jp/gyosei/kurashi_tetsuzuki/zeikin/10/6779.html",
        ),
    ),
)
