"""延滞金 of an installment accrued to a day — the service's use of ``osame_law.late_fee``.

- Partial payments (receipts applied to the 本税) lower the base from the day after each payment;
  when they reach the 本税 the fee is fixed at the completing payment's day (確定延滞金).
- 執行停止 days are exempt in full (法15条の9①, practice F2): each stay covering the installment
  becomes an ``ExemptInterval`` up to the calculation day (see ``stay``).
- ``segment_plan`` gives, for an unpaid installment with no payment and no stay, the (rate, days)
  of each segment: the same for every such installment with the same 納期限, so the nightly
  batch prices them set-based in SQL (``adapters.late_fee_sql``) — tested equal to the law.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from osame_law import (
    DEFAULT_RATES,
    ExemptInterval,
    LateFeePolicy,
    LawError,
    PartialPayment,
    RateTable,
    charge_base,
    compute_late_fee,
    round_total,
    shift_due_date,
)
from osame_law.rounding import accrued, truncate_yen

PLAN_PRINCIPAL = 10_000_000  # any base ≥ 2,000 gives the same segment days and rates


@dataclass(frozen=True)
class Accrual:
    late_fee: int
    computed_to: date
    fixed: bool
    """True when the 本税 was fully paid by ``computed_to`` (the fee is final)."""
    segments: tuple = ()
    """The law library's segments (from, to, days, base, rate, yen, tier, relief): B5."""


def accrued_late_fee(
    principal_tax: int,
    due_date: date,
    as_of: date,
    payments: list[tuple[date, int]],
    exempt: list[ExemptInterval],
    policy: LateFeePolicy | None = None,
    rates: RateTable | None = None,
) -> Accrual:
    """延滞金 accrued to ``as_of`` (or fixed at full payment). Raises ``LawError`` on implausible data."""
    ordered = sorted((p for p in payments if p[0] <= as_of and p[1] > 0), key=lambda p: p[0])
    partial: list[PartialPayment] = []
    running = 0
    paid_on, fixed = as_of, False
    for day, amount in ordered:
        if running + amount >= principal_tax:
            paid_on, fixed = day, True
            break
        partial.append(PartialPayment(day, amount))
        running += amount
    if principal_tax == 0:
        return Accrual(0, as_of, True)
    effective_due = (
        shift_due_date(due_date) if (policy or LateFeePolicy()).shift_due_date_for_holidays else due_date
    )
    if paid_on <= effective_due:
        return Accrual(0, paid_on, fixed)
    intervals = [ExemptInterval(i.start, min(i.end, paid_on), i.kind) for i in exempt if i.start <= paid_on]
    result = compute_late_fee(
        principal_tax=principal_tax,
        due_date=due_date,
        paid_on=paid_on,
        partial_payments=partial,
        exempt_intervals=intervals,
        policy=policy,
        rates=rates or DEFAULT_RATES,
    )
    return Accrual(result.late_fee, paid_on, fixed, tuple(result.segments))


def segment_plan(
    due_date: date, as_of: date, policy: LateFeePolicy | None = None, rates: RateTable | None = None
) -> list[tuple[int, int]] | None:
    """[(rate in 1/100 %, days), ...] for an unpaid installment with no payment or stay; [] when not
    yet late; None when the rates cannot be expressed in 1/100 % or the dates are implausible."""
    if as_of <= due_date:
        return []  # not late yet (a later 納期限 shifted off a holiday is still not late)
    try:
        result = compute_late_fee(
            principal_tax=PLAN_PRINCIPAL,
            due_date=due_date,
            paid_on=as_of,
            policy=policy,
            rates=rates or DEFAULT_RATES,
        )
    except LawError:
        return None
    plan = []
    for segment in result.segments:
        hundredths = segment.rate * 100
        if hundredths != hundredths.to_integral_value() or segment.base != PLAN_PRINCIPAL:
            return None
        plan.append((int(hundredths), segment.days))
    return plan


def price_plan(base_amount: int, plan: list[tuple[int, int]], per_segment: bool = True) -> int:
    """Pure mirror of the SQL expression (used by tests): 延滞金 of ``base_amount`` unpaid."""
    base = charge_base(base_amount)
    if per_segment:
        total = sum(base * r * d // 3_650_000 for r, d in plan)
    else:
        total = sum(base * r * d for r, d in plan) // 3_650_000
    return round_total(total)


def plan_segments(
    due_date: date, as_of: date, policy: LateFeePolicy | None = None, rates: RateTable | None = None
) -> tuple | None:
    """The law library's segments of an unpaid installment with no payment or stay, for a base of
    ``PLAN_PRINCIPAL`` (() when not late; None when the dates cannot be priced): the same days and
    rates for every such installment of the 納期限, so ``scaled_segments`` prices each one."""
    if as_of <= due_date:
        return ()
    try:
        return tuple(
            compute_late_fee(
                principal_tax=PLAN_PRINCIPAL,
                due_date=due_date,
                paid_on=as_of,
                policy=policy,
                rates=rates or DEFAULT_RATES,
            ).segments
        )
    except LawError:
        return None


def scaled_segments(plan: tuple, remaining: int) -> tuple:
    """``plan`` (``plan_segments``) for an unpaid ``remaining``: base floored to 1,000 yen (法20条の4の2②),
    each segment base × rate × days ÷ 365 — what ``compute_late_fee`` gives that installment."""
    base = charge_base(remaining)
    return tuple(
        replace(s, base=base, exact=(e := accrued(base, s.rate, s.days)), yen=truncate_yen(e)) for s in plan
    )
