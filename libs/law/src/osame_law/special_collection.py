"""給与所得に係る特別徴収 (payroll withholding of 個人住民税) — 法321条の3〜321条の7, 326条.

The employer (給与支払者) designated as 特別徴収義務者 (法321条の4①) withholds each employee's
tax from the salary of June through the following May and pays it in (納入) to the city.

Rules here (articles and confidence in docs/law/special-collection.md):

- ``collection_months``: the twelve 徴収月, June of the fiscal year (年度) to May of the next
  (法321条の5①) [H: statute text and every city page].
- ``monthly_amounts`` / ``spread``: the annual amount divided by 12; the part under 100 yen of
  the monthly amount (or the whole monthly amount when it is under 100 yen) is added to the
  first month, June (法321条の5① 月割額) [M: the universal municipal practice "100円未満の端数は
  6月分"; the paragraph text itself was not read, see the reference doc]. ``unit`` is a setting.
- ``respread_after_change``: 税額変更 (a changed annual amount from a given month): months
  already due keep their amounts; the rest of the new amount is spread over the remaining
  months the same way [M: municipal 変更通知 practice]. A new amount below what was already due
  leaves an over-withheld amount (``overcollected``) to refund.
- ``remittances``: what falls due when. Each month's withholding is paid in by the 10th of the
  next month (法321条の5①) [H]. 納期の特例 (法321条の5の2①) [H, statute text]: an office with
  fewer than 10 salaried people that has the mayor's approval pays June–November by 10
  December and December–May by 10 June, from the month of the approval to the end of its
  half-year; earlier months of that half-year stay monthly.
- ``separation_outcome``: 異動 (退職・休職・転勤 …). From the month after the month of the event the
  義務者 no longer withholds (法321条の5② 本文) [H]. The remainder is collected in one sum
  (一括徴収) when (a) the event is between 1 June and 31 December and the employee asks for it,
  or (b) the event is between 1 January and 30 April — in both cases only when the salary or
  retirement allowance to be paid by 31 May is larger than the remainder (法321条の5② ただし書)
  [H, statute text]. Otherwise the remainder is collected by 普通徴収 (法321条の6) [M], unless a
  new employer takes over the withholding (異動届 naming the new employer, 法321条の7) [M].
- ``late_fee_start`` / ``remittance_late_fee``: 延滞金 on a 納入金 paid after its 納期限 runs from
  the day after the (holiday-shifted, 法20条の5②) 納期限 against the 特別徴収義務者 (法326①) [H for
  the rule; M for the base being the month's whole 納入金 of the 義務者, see the design note].

Amounts are int yen; months are ``YearMonth``; every function is pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from osame_law.calendar import ONE_DAY, shift_due_date
from osame_law.errors import ImplausibleDateError, InvalidInputError
from osame_law.late_fee import LateFeeResult, PartialPayment, compute_late_fee
from osame_law.plausibility import check_amount
from osame_law.rates import DEFAULT_RATES, RateTable

MONTHLY_UNIT = 100
"""法321条の5①: the part of the 月割額 under 100 yen goes to the first month."""
MONTHS_PER_YEAR = 12
FIRST_MONTH = 6
REMITTANCE_DAY = 10


@dataclass(frozen=True, order=True)
class YearMonth:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise InvalidInputError(f"month {self.month} is not 1..12")

    @classmethod
    def of(cls, d: date) -> YearMonth:
        return cls(d.year, d.month)

    def plus(self, months: int) -> YearMonth:
        year, month = divmod(self.year * 12 + self.month - 1 + months, 12)
        return YearMonth(year, month + 1)

    def day(self, day: int) -> date:
        return date(self.year, self.month, day)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def collection_months(fiscal_year: int) -> tuple[YearMonth, ...]:
    """The 12 徴収月 of ``fiscal_year``: June of that year to May of the next (法321条の5①)."""
    first = YearMonth(fiscal_year, FIRST_MONTH)
    return tuple(first.plus(i) for i in range(MONTHS_PER_YEAR))


def spread(total: int, count: int, *, unit: int = MONTHLY_UNIT) -> tuple[int, ...]:
    """``total`` over ``count`` payments; each is total/count cut to ``unit``, the rest goes first.

    When total/count is under ``unit`` every later payment is 0 and the first carries it all.
    """
    check_amount("total", total)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InvalidInputError("count must be a positive integer")
    if isinstance(unit, bool) or not isinstance(unit, int) or unit < 1:
        raise InvalidInputError("unit must be a positive integer")
    later = total // count // unit * unit
    return (total - later * (count - 1), *([later] * (count - 1)))


def monthly_amounts(annual: int, *, unit: int = MONTHLY_UNIT) -> tuple[int, ...]:
    """月割額 June..May of an annual 特別徴収税額 (法321条の5①)."""
    return spread(annual, MONTHS_PER_YEAR, unit=unit)


@dataclass(frozen=True)
class ChangedSchedule:
    monthly: tuple[int, ...]
    """New 月割額 June..May (months before the change unchanged)."""
    overcollected: int
    """Already due under the old amounts beyond the new annual amount (to refund)."""


def respread_after_change(
    monthly: Sequence[int], new_annual: int, first_changed_index: int, *, unit: int = MONTHLY_UNIT
) -> ChangedSchedule:
    """税額変更 from month ``first_changed_index`` (0 = June … 11 = May)."""
    amounts = _check_schedule(monthly)
    check_amount("new_annual", new_annual)
    if isinstance(first_changed_index, bool) or not 0 <= first_changed_index < MONTHS_PER_YEAR:
        raise InvalidInputError("first_changed_index must be 0 (June) .. 11 (May)")
    kept = amounts[:first_changed_index]
    rest = new_annual - sum(kept)
    if rest < 0:
        return ChangedSchedule(kept + (0,) * (MONTHS_PER_YEAR - first_changed_index), -rest)
    return ChangedSchedule(kept + spread(rest, MONTHS_PER_YEAR - first_changed_index, unit=unit), 0)


class RemittanceSchedule(StrEnum):
    MONTHLY = "monthly"
    """毎月納入 (法321条の5①)."""
    SEMIANNUAL = "semiannual"
    """納期の特例 (法321条の5の2①): June–Nov by 10 Dec, Dec–May by 10 June."""


@dataclass(frozen=True)
class Remittance:
    """One 納入: the 徴収月 it covers and its 納期限."""

    months: tuple[YearMonth, ...]
    statutory_due: date
    """納期限 as the article names it (the 10th)."""
    due: date
    """Effective 納期限 after 法20条の5② (closed days move to the next business day)."""


def remittance_due(collected_in: YearMonth) -> date:
    """法321条の5①: the 10th of the month after the month of withholding (statutory, unshifted)."""
    return collected_in.plus(1).day(REMITTANCE_DAY)


def remittances(fiscal_year: int, *, special_approved_on: date | None = None) -> tuple[Remittance, ...]:
    """The 納入 of a fiscal year, monthly or under 納期の特例 from its approval (法321条の5の2①)."""
    months = collection_months(fiscal_year)
    approved = YearMonth.of(special_approved_on) if special_approved_on is not None else None
    out: list[Remittance] = []
    for half in (months[:6], months[6:]):
        grouped = [m for m in half if approved is not None and m >= approved]
        for month in half:
            if month not in grouped:
                out.append(_remittance((month,), remittance_due(month)))
        if grouped:
            out.append(_remittance(tuple(grouped), remittance_due(half[-1])))
    return tuple(sorted(out, key=lambda r: (r.statutory_due, r.months)))


def remittance_for(month: YearMonth, schedule: Sequence[Remittance]) -> Remittance:
    """The 納入 that carries the withholding of ``month``."""
    for remittance in schedule:
        if month in remittance.months:
            return remittance
    raise InvalidInputError(f"{month} is not a 徴収月 of this schedule")


def _remittance(months: tuple[YearMonth, ...], statutory: date) -> Remittance:
    return Remittance(months, statutory, shift_due_date(statutory))


class SeparationDisposition(StrEnum):
    """Where the remainder goes after 異動."""

    NONE = "none"
    """Nothing left (the event fell in May, or the schedule is already complete)."""
    LUMP_SUM = "lump_sum"
    """一括徴収 from the last salary / retirement allowance (法321条の5② ただし書)."""
    ORDINARY = "ordinary"
    """普通徴収 (法321条の6): the city sends the employee a 納税通知書."""
    CONTINUED = "continued"
    """The new employer withholds the remaining months (異動届, 法321条の7)."""


@dataclass(frozen=True)
class SeparationOutcome:
    last_withheld: YearMonth
    """The month of the event: its 月割額 is still withheld by this 義務者."""
    withheld: int
    """月割額 June .. ``last_withheld``."""
    remainder: int
    disposition: SeparationDisposition
    lump_sum: int
    ordinary: int
    continued: int
    rule: str
    """The clause that decided the disposition (for the record)."""


def separation_outcome(
    monthly: Sequence[int],
    fiscal_year: int,
    event_on: date,
    *,
    lump_sum_requested: bool = False,
    payable_by_may_31: int = 0,
    new_employer_continues: bool = False,
) -> SeparationOutcome:
    """What happens to the 月割額 after the employee stops being paid by this 義務者 (異動).

    ``payable_by_may_31``: salary or retirement allowance this 義務者 will still pay the employee
    by 31 May; the lump sum is possible only when it is larger than the remainder.
    """
    amounts = _check_schedule(monthly)
    check_amount("payable_by_may_31", payable_by_may_31)
    months = collection_months(fiscal_year)
    event_month = YearMonth.of(event_on)
    if event_month not in months:
        raise ImplausibleDateError(
            f"event_on {event_on.isoformat()} is outside fiscal year {fiscal_year} "
            f"({months[0]}..{months[-1]})"
        )
    index = months.index(event_month)
    withheld = sum(amounts[: index + 1])
    remainder = sum(amounts[index + 1 :])

    def outcome(disposition: SeparationDisposition, rule: str) -> SeparationOutcome:
        share = {d: remainder if d is disposition else 0 for d in SeparationDisposition}
        return SeparationOutcome(
            event_month,
            withheld,
            remainder,
            disposition,
            share[SeparationDisposition.LUMP_SUM],
            share[SeparationDisposition.ORDINARY],
            share[SeparationDisposition.CONTINUED],
            rule,
        )

    if remainder == 0:
        return outcome(SeparationDisposition.NONE, "321-5-2: no 月割額 after the month of the event")
    if new_employer_continues:
        return outcome(SeparationDisposition.CONTINUED, "321-7: 異動届 names a new employer who withholds")
    if event_on.month <= 4:
        allowed, rule = True, "321-5-2 proviso: event 1 Jan–30 Apr, lump sum is mandatory"
    else:
        allowed, rule = lump_sum_requested, "321-5-2 proviso: event 1 Jun–31 Dec, lump sum on request"
    if allowed and payable_by_may_31 > remainder:
        return outcome(SeparationDisposition.LUMP_SUM, rule)
    if allowed:
        return outcome(
            SeparationDisposition.ORDINARY, "321-6: pay due by 31 May does not exceed the remainder"
        )
    return outcome(SeparationDisposition.ORDINARY, "321-6: event 1 Jun–31 Dec without a lump-sum request")


def late_fee_start(statutory_due: date) -> date:
    """First day of 延滞金 on a 納入金: the day after the effective 納期限 (法326①, 法20条の5②)."""
    return shift_due_date(statutory_due) + ONE_DAY


def remittance_late_fee(
    remittance: Remittance,
    *,
    amount: int,
    paid_on: date,
    partial_payments: Sequence[PartialPayment] = (),
    rates: RateTable = DEFAULT_RATES,
) -> LateFeeResult:
    """延滞金 charged to the 特別徴収義務者 on a 納入金 ``amount`` paid in full on ``paid_on`` (法326①).

    The base is the 納入金 of this 納入 (all employees of the 義務者 for its months); paid on or
    before the effective 納期限 there is none.
    """
    if paid_on <= remittance.due:
        return LateFeeResult(0, 0, remittance.due, None)
    return compute_late_fee(
        principal_tax=amount,
        due_date=remittance.statutory_due,
        paid_on=paid_on,
        partial_payments=partial_payments,
        rates=rates,
    )


def _check_schedule(monthly: Sequence[int]) -> tuple[int, ...]:
    amounts = tuple(monthly)
    if len(amounts) != MONTHS_PER_YEAR:
        raise InvalidInputError("a 特別徴収 schedule has 12 monthly amounts (June..May)")
    for amount in amounts:
        check_amount("monthly amount", amount)
    return amounts
