"""延滞金 (late fee) per tax item × installment (期別).

Articles: 法326 (市町村民税), 369 (固定資産税), 463条の24 (軽自動車税 種別割), 723 (国民健康保険税);
rate special rule 附則3条の2; rounding 法20条の4の2; period arithmetic 法20条の5 → 民法143.

Algorithm (domain-rules §1.4, §1.5, §1.6, §10.1):

1. Effective 納期限 = the due date moved to the next business day when it is a closed day
   (法20条の5②, 令6条の18). ``LateFeePolicy.shift_due_date_for_holidays=False`` for the
   unshifted exception (5/31 special-collection notice, 令6条の18①三).
2. Late period: from the day after the effective 納期限 through ``paid_on`` (both inclusive).
   ``paid_on`` is the date of full payment, or the calculation date (延滞金計算日) for an
   unpaid item, or the 充当適状日 when the item is cleared by 充当 (法17条の2④: retroactive).
   Payment on or before the effective 納期限 → no 延滞金 (step 8).
3. First tier: the first ``first_tier_months`` months (default 1, "1か月を経過する日") counted from
   the day after the *shifted* 納期限 with 民法143 (``add_months_civil``). The divergent
   "end of the due month" practice ([L], §1.6) is not implemented.
4. Segments split at the first-tier end, at each 31 December (rates per calendar year,
   "その年中"), after each partial payment, and at exemption-interval boundaries.
5. Partial payments (§10.1): each yen stops accruing on the day it is paid, so the base is
   lowered from the day AFTER the payment. The 法326/369/… wording ("up to the day of
   payment") is the basis; 通則法62① is the national parallel. Each segment's base is the
   remaining tax floored to 1,000 yen, and 0 when that remainder is under 2,000 yen
   (法20条の4の2② applied per segment — our reading of §1.5 "Per-payment base [M]").
6. Segment amount = base × rate × days ÷ 365 (365 even in leap years). Per-segment yen
   truncation by default; ``SegmentRounding.SUM_THEN_TRUNCATE`` as a per-city setting.
7. Total floored to 100 yen; under 1,000 yen → 0 (法20条の4の2⑤).
8. Exemptions for 執行停止 / 猶予 days: see ``late_fee_exemptions``.

減額更正 (§1.6 [M]): recompute from the start on the reduced tax — ``recompute_after_reduction``.
An increase gets its own 納期限 and is a separate computation (call again for the increase).

Input checks (practice F3/F4): every date must lie in the plausibility window; a payment
(calculation) date before the statutory 納期限 is refused as implausible rather than
silently giving 0 — pass the due date of the installment you are actually charging.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from osame_law.calendar import ONE_DAY, add_months_civil, shift_due_date, year_ends_between
from osame_law.errors import ImplausibleDateError, InvalidInputError
from osame_law.late_fee_exemptions import ExemptInterval, check_no_overlap, interval_covering, relieved_rate
from osame_law.plausibility import DateWindow, check_amount, check_not_before
from osame_law.rates import DEFAULT_RATES, RateTable, Tier
from osame_law.rounding import SegmentRounding, charge_base, round_total, total_yen
from osame_law.segments import Piece, Segment, cut_points, price


@dataclass(frozen=True)
class PartialPayment:
    """A payment toward the 本税 before the final payment (一部納付)."""

    paid_on: date
    amount: int


@dataclass(frozen=True)
class LateFeePolicy:
    """Per-city / per-tax settings."""

    first_tier_months: int = 1
    """Length of the low-rate tier in months (1 for taxes; configurable e.g. for premiums)."""
    segment_rounding: SegmentRounding = SegmentRounding.PER_SEGMENT
    half_exemption_in_first_tier: bool = False
    shift_due_date_for_holidays: bool = True


@dataclass(frozen=True)
class LateFeeResult:
    late_fee: int
    """延滞金 in yen after 法20条の4の2⑤ (100-yen floor, under 1,000 → 0)."""
    unrounded_total: int
    """Whole-yen sum before the 100-yen rule (per the segment-rounding convention)."""
    due_date: date
    """Effective (holiday-shifted) 納期限."""
    first_tier_end: date | None
    segments: tuple[Segment, ...] = field(default=())


def compute_late_fee(
    *,
    principal_tax: int,
    due_date: date,
    paid_on: date,
    partial_payments: Iterable[PartialPayment] = (),
    exempt_intervals: Iterable[ExemptInterval] = (),
    policy: LateFeePolicy | None = None,
    rates: RateTable = DEFAULT_RATES,
    window: DateWindow | None = None,
) -> LateFeeResult:
    """延滞金 of one installment whose 本税 ``principal_tax`` is fully paid on ``paid_on``."""
    policy = policy or LateFeePolicy()
    window = window or DateWindow.for_rates(rates)
    payments = tuple(sorted(partial_payments, key=lambda p: p.paid_on))
    intervals = tuple(exempt_intervals)
    _validate(principal_tax, due_date, paid_on, payments, intervals, policy, window)

    effective_due = shift_due_date(due_date) if policy.shift_due_date_for_holidays else due_date
    if paid_on <= effective_due:
        return LateFeeResult(0, 0, effective_due, None)
    start = effective_due + ONE_DAY
    first_tier_end = add_months_civil(start, policy.first_tier_months)

    candidates = [first_tier_end, *year_ends_between(start, paid_on), *(p.paid_on for p in payments)]
    for interval in intervals:
        candidates += [interval.start - ONE_DAY, interval.end]
    pieces = []
    for run_start, run_end in cut_points(start, paid_on, candidates):
        tier = Tier.FIRST if run_end <= first_tier_end else Tier.SECOND
        year_rates = rates.for_year(run_start.year)
        normal = year_rates.late_fee(tier)
        rate, relief, rule = normal, None, None
        interval = interval_covering(intervals, run_start)
        if interval is not None:
            rate, applied = relieved_rate(
                normal,
                tier,
                interval.kind,
                year_rates.postponement,
                half_in_first_tier=policy.half_exemption_in_first_tier,
            )
            relief = interval.kind.value
            rule = applied.value if applied else None
        remaining = principal_tax - sum(p.amount for p in payments if p.paid_on < run_start)
        pieces.append(Piece(run_start, run_end, charge_base(remaining), rate, normal, tier, relief, rule))

    segments = price(pieces)
    unrounded = total_yen([s.exact for s in segments], policy.segment_rounding)
    return LateFeeResult(round_total(unrounded), unrounded, effective_due, first_tier_end, segments)


def recompute_after_reduction(
    *,
    reduced_tax: int,
    due_date: date,
    payments: Iterable[PartialPayment],
    calculation_date: date,
    exempt_intervals: Iterable[ExemptInterval] = (),
    policy: LateFeePolicy | None = None,
    rates: RateTable = DEFAULT_RATES,
    window: DateWindow | None = None,
) -> LateFeeResult:
    """減額更正: 延滞金 recomputed from the start on the reduced tax (domain-rules §1.6 [M]).

    ``payments`` are all payments made toward the installment, in any order. They are applied
    in date order; the reduced tax counts as paid in full on the day the running total reaches
    it, and later payments are 過誤納金 (they do not enter the computation). When the payments
    never reach the reduced tax, accrual runs to ``calculation_date``. Full payment on or
    before the 納期限 gives no 延滞金.
    """
    policy = policy or LateFeePolicy()
    check_amount("reduced_tax", reduced_tax)
    applied: list[PartialPayment] = []
    running = 0
    paid_on = calculation_date
    for payment in sorted(payments, key=lambda p: p.paid_on):
        check_amount("payment amount", payment.amount, positive=True)
        if running + payment.amount >= reduced_tax:
            paid_on = payment.paid_on
            break
        applied.append(payment)
        running += payment.amount
    if paid_on < due_date:
        effective_due = shift_due_date(due_date) if policy.shift_due_date_for_holidays else due_date
        return LateFeeResult(0, 0, effective_due, None)
    return compute_late_fee(
        principal_tax=reduced_tax,
        due_date=due_date,
        paid_on=paid_on,
        partial_payments=applied,
        exempt_intervals=exempt_intervals,
        policy=policy,
        rates=rates,
        window=window,
    )


def _validate(
    principal_tax: int,
    due_date: date,
    paid_on: date,
    payments: tuple[PartialPayment, ...],
    intervals: tuple[ExemptInterval, ...],
    policy: LateFeePolicy,
    window: DateWindow,
) -> None:
    check_amount("principal_tax", principal_tax)
    if isinstance(policy.first_tier_months, bool) or not (1 <= policy.first_tier_months <= 12):
        raise InvalidInputError("first_tier_months must be between 1 and 12")
    window.check("due_date", due_date)
    window.check("paid_on", paid_on)
    check_not_before("paid_on", paid_on, "due_date", due_date)
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
    for interval in intervals:
        if not isinstance(interval, ExemptInterval):
            raise InvalidInputError("exempt_intervals must contain ExemptInterval values")
        window.check("exempt interval start", interval.start)
        window.check("exempt interval end", interval.end)
    check_no_overlap(intervals)
