"""還付加算金 (法17条の4) of each part of an overpayment, through the law library, with its explanation.

Interest is owed on every 過誤納金 whatever its fate (法17条の4①: 還付し、又は充当する場合には
還付加算金を加算する): the part appropriated runs from the cause's start day to its 充当適状日
(17条の2④, 17条の4①); the part refunded to the 支出決定日 (decided_on). Each part is computed and
rounded on its own (法20条の4の2: base floored to 1,000 yen, nothing under 2,000; total floored to 100
yen, nothing under 1,000) — the reading that each 還付 or 充当 is its own 還付金; practice also
computes per 徴収金 (domain-rules §2.3, L). The interest of a part is itself money owed to the
taxpayer: appropriated to what they owe, or refunded.

Every part keeps its explanation: the segments the law library priced (from, to, days, rate,
base, yen, relief) and the legal basis, so the read API and the notices can show how it was found.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from osame_law.refund_interest import RefundCause, compute_refund_interest

# The 号 of 法17条の4① each cause falls under (its start day; see osame_law.refund_interest).
CAUSE_CLAUSE = {
    RefundCause.REASSESSMENT: "17条の4①一 (更正・決定: 納付の日の翌日から)",
    RefundCause.CORRECTION_REQUEST: "17条の4①二 (更正の請求: 請求の翌日から3月又は更正の翌日から1月を経過する日の翌日から)",
    RefundCause.NATIONAL_TAX_CHANGE: "17条の4①三 (所得税の更正等: 通知の翌日から1月を経過する日の翌日から)",
    RefundCause.ERRONEOUS_PAYMENT: "17条の4①四 (誤納: 納付の翌日から1月を経過する日の翌日から)",
}
END_RULE = {
    "appropriated": "充当適状日まで (17条の4①, 17条の2④)",
    "refunded": "支出決定日まで (17条の4①)",
}
COMMON_BASIS = "割合: 附則3条の2 (還付加算金特例基準割合); 端数: 20条の4の2 (1,000円未満・100円未満切捨て)"


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
    """還付加算金 of one part, with its explanation."""

    kind: str  # appropriated | refunded
    amount: int  # yen of the overpayment in this part (the 還付金 the interest is on)
    start: dt.date
    end: dt.date
    interest: int
    unrounded: int
    excluded_days: int
    segments: tuple[dict, ...]
    legal_basis: str


def legal_basis(cause: RefundCause, kind: str) -> str:
    return f"地方税法{CAUSE_CLAUSE[cause]}; {END_RULE[kind]}; {COMMON_BASIS}"


def interest_for(
    amount: int, cause: RefundCause, paid_on: dt.date, end: dt.date, dates: CauseDates, *, appropriated: bool
) -> InterestLine:
    """還付加算金 of `amount` yen appropriated on (or refunded with a 支出決定 on) `end`."""
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
    kind = "appropriated" if appropriated else "refunded"
    segments = tuple(
        {
            "from": s.start.isoformat(),
            "to": s.end.isoformat(),
            "days": s.days,
            "rate_percent": str(s.rate),
            "base": s.base,
            "yen": s.yen,
            "relief": s.relief,
        }
        for s in result.segments
    )
    return InterestLine(
        kind,
        amount,
        result.start,
        result.end,
        result.refund_interest,
        result.unrounded_total,
        result.excluded_days,
        segments,
        legal_basis(cause, kind),
    )


def total_interest(
    refund_amount: int,
    decided_on: dt.date,
    appropriated: list[tuple[int, dt.date]],
    cause: RefundCause,
    paid_on: dt.date,
    dates: CauseDates,
) -> tuple[int, list[InterestLine]]:
    """Σ 還付加算金 over each appropriated part (to its 充当適状日) and the refunded part."""
    lines = [
        interest_for(a, cause, paid_on, end, dates, appropriated=True) for a, end in appropriated if a > 0
    ]
    if refund_amount > 0:
        lines.append(interest_for(refund_amount, cause, paid_on, decided_on, dates, appropriated=False))
    return sum(line.interest for line in lines), lines
