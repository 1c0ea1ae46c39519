"""延滞金 whose low-rate tier ends on a date the article names, with excluded days (除算期間).

``late_fee.compute_late_fee`` covers the common case: the low rate (7.3% line) runs for one
month from the day after the 納期限. Two families of articles name the end of the low-rate
tier differently and remove whole periods from the count; they share this engine:

- 申告納付 (法人の市町村民税, 法326 and 321条の12 — see ``self_assessment``): for a return filed late the
  low rate runs to one month after the filing; for a 修正申告 to one month after the 修正申告; a
  修正申告 or 更正 more than a year after the original return removes the days in between.
- 不足金額 after 更正・決定 of a 特別徴収 納入 (分離課税 法328条の10②, see ``separate_taxation``):
  the low rate runs to one month after the deficiency's own 納期限.

The arithmetic is the common one (domain-rules §1.4, §10.1; 法20条の4の2): segments split at the
end of the low-rate tier, at each 31 December (附則3条の2 "その年中"), after each partial payment
and at the edges of excluded periods; base = remaining tax floored to 1,000 yen (0 under
2,000); segment = base × rate × days ÷ 365; per-segment yen truncation by default; total
floored to 100 yen, 0 under 1,000. Excluded days carry rate 0 and ``relief="excluded_period"``
so the record shows why they cost nothing.

The caller passes the *effective* 納期限 (already shifted for closed days where the article
allows it); this module does no holiday shifting of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise

from osame_law.calendar import ONE_DAY, year_ends_between
from osame_law.errors import ImplausibleDateError, InvalidInputError
from osame_law.late_fee import LateFeeResult, PartialPayment
from osame_law.plausibility import DateWindow, check_amount, check_not_before
from osame_law.rates import DEFAULT_RATES, RateTable, Tier
from osame_law.rounding import SegmentRounding, charge_base, round_total, total_yen
from osame_law.segments import Piece, cut_points, price

EXCLUDED_PERIOD = "excluded_period"


@dataclass(frozen=True)
class ExcludedPeriod:
    """Days (both ends inclusive) not counted for 延滞金 (除算期間), with the clause that removes them."""

    start: date
    end: date
    rule: str

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInputError(f"excluded period ({self.rule}) ends before it starts")

    def covers(self, d: date) -> bool:
        return self.start <= d <= self.end


def compute_tiered_late_fee(
    *,
    principal_tax: int,
    effective_due: date,
    first_tier_end: date,
    paid_on: date,
    partial_payments: Iterable[PartialPayment] = (),
    excluded: Iterable[ExcludedPeriod] = (),
    segment_rounding: SegmentRounding = SegmentRounding.PER_SEGMENT,
    rates: RateTable = DEFAULT_RATES,
    window: DateWindow | None = None,
) -> LateFeeResult:
    """延滞金 on ``principal_tax`` paid in full on ``paid_on``; low rate through ``first_tier_end``."""
    window = window or DateWindow.for_rates(rates)
    payments = tuple(sorted(partial_payments, key=lambda p: p.paid_on))
    periods = tuple(sorted(excluded, key=lambda p: p.start))
    _validate(principal_tax, effective_due, first_tier_end, paid_on, payments, periods, window)

    if paid_on <= effective_due:
        return LateFeeResult(0, 0, effective_due, None)
    start = effective_due + ONE_DAY
    candidates = [first_tier_end, *year_ends_between(start, paid_on), *(p.paid_on for p in payments)]
    for period in periods:
        candidates += [period.start - ONE_DAY, period.end]
    pieces = []
    for run_start, run_end in cut_points(start, paid_on, candidates):
        tier = Tier.FIRST if run_end <= first_tier_end else Tier.SECOND
        normal = rates.for_year(run_start.year).late_fee(tier)
        remaining = principal_tax - sum(p.amount for p in payments if p.paid_on < run_start)
        base = charge_base(remaining)
        period = next((p for p in periods if p.covers(run_start)), None)
        if period is None:
            pieces.append(Piece(run_start, run_end, base, normal, normal, tier))
        else:
            pieces.append(
                Piece(run_start, run_end, base, Decimal(0), normal, tier, EXCLUDED_PERIOD, period.rule)
            )
    segments = price(pieces)
    unrounded = total_yen([s.exact for s in segments], segment_rounding)
    return LateFeeResult(round_total(unrounded), unrounded, effective_due, first_tier_end, segments)


def _validate(
    principal_tax: int,
    effective_due: date,
    first_tier_end: date,
    paid_on: date,
    payments: tuple[PartialPayment, ...],
    periods: tuple[ExcludedPeriod, ...],
    window: DateWindow,
) -> None:
    check_amount("principal_tax", principal_tax)
    window.check("due_date", effective_due)
    window.check("paid_on", paid_on)  # first_tier_end is derived and may lie past the last rated year
    check_not_before("first_tier_end", first_tier_end, "due_date", effective_due)
    for payment in payments:
        window.check("partial payment date", payment.paid_on)
        check_amount("partial payment amount", payment.amount, positive=True)
        if payment.paid_on > paid_on:
            raise ImplausibleDateError(
                f"partial payment date {payment.paid_on.isoformat()} is after paid_on {paid_on.isoformat()}"
            )
    if payments and sum(p.amount for p in payments) >= principal_tax:
        raise InvalidInputError(
            "partial payments cover the whole tax; pass the date of the payment that completed it as paid_on"
        )
    for before, after in pairwise(periods):
        if after.start <= before.end:
            raise InvalidInputError(f"excluded periods overlap ({before.rule} and {after.rule})")
