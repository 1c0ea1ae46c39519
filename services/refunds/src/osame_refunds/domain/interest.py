"""還付加算金 for a refund decision (法17条の4), through the law library.

The refunded part runs from the cause's start day to the 支出決定日 (decided_on); each
appropriated part runs to its 充当適状日 and its interest is paid with the refund. Each part is
computed and rounded on its own (法20条の4の2: base floored to 1,000 yen, nothing under 2,000;
total floored to 100 yen, nothing under 1,000) — the reading that each 還付 or 充当 is its own
還付金; practice also computes per 徴収金 (domain-rules §2.3, L).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from osame_law.refund_interest import RefundCause, compute_refund_interest


@dataclass(frozen=True)
class CauseDates:
    """Dates the cause needs (法17条の4①二・三) and the 30-day claim exclusion (②一)."""

    requested_on: dt.date | None = None  # 更正の請求
    corrected_on: dt.date | None = None  # 更正
    notified_on: dt.date | None = None  # 所得税の更正等の通知
    claim_notice_on: dt.date | None = None  # 還付通知
    claimed_on: dt.date | None = None  # 還付請求


@dataclass(frozen=True)
class InterestLine:
    amount: int
    end: dt.date
    interest: int
    start: dt.date


def interest_for(
    amount: int, cause: RefundCause, paid_on: dt.date, end: dt.date, dates: CauseDates, *, appropriated: bool
) -> InterestLine:
    result = compute_refund_interest(
        amount=amount,
        cause=cause,
        paid_on=paid_on,
        decided_on=end,
        requested_on=dates.requested_on,
        corrected_on=dates.corrected_on,
        notified_on=dates.notified_on,
        appropriable_on=end if appropriated else None,
        claim_notice_on=None if appropriated else dates.claim_notice_on,
        claimed_on=None if appropriated else dates.claimed_on,
    )
    return InterestLine(amount, end, result.refund_interest, result.start)


def total_interest(
    refund_amount: int,
    decided_on: dt.date,
    appropriated: list[tuple[int, dt.date]],
    cause: RefundCause,
    paid_on: dt.date,
    dates: CauseDates,
) -> tuple[int, list[InterestLine]]:
    """Σ 還付加算金 over the refunded part and each appropriated part."""
    lines = [
        interest_for(a, cause, paid_on, end, dates, appropriated=True) for a, end in appropriated if a > 0
    ]
    if refund_amount > 0:
        lines.append(interest_for(refund_amount, cause, paid_on, decided_on, dates, appropriated=False))
    return sum(line.interest for line in lines), lines
