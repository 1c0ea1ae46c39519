"""還付加算金 (refund interest) on a 過誤納金 (overpayment) — 法17条の4, 附則3条の2, 法20条の4の2.

Start (法17条の4① 各号; domain-rules §2.2). Each 号 names a day; interest runs from the day
AFTER it. ``refund_interest_start`` returns the first day counted:

====================  ==============================================  ==========================
cause                 day named by the 号                              first day counted
====================  ==============================================  ==========================
REASSESSMENT (一号)    the payment date (更正・決定・賦課決定 reduced     payment + 1 day
  更正・決定・賦課決定   the tax)
CORRECTION_REQUEST    the earlier of: the day 3 months pass counted    that day + 1 day
  (二号) 更正の請求      from the day after the request; the day 1
                      month passes counted from the day after the 更正
NATIONAL_TAX_CHANGE   the day 1 month passes counted from the day      that day + 1 day
  (三号) 所得税の更正等   after the national-tax notice (or the return)
ERRONEOUS_PAYMENT     the day 1 month passes counted from the day      that day + 1 day
  (四号) 誤納           after the payment
====================  ==============================================  ==========================

"The day N months pass counted from X" is ``add_months_civil(X, N)`` (民法143 via 法20条の5).
Incident F1 (practice §3): cities used 三号 (notice + 1 month) for residence-tax reductions that
fall under 一号 (payment + 1 day). The cause is therefore a required, typed input with no default.

End: the refund payout decision date (還付のための支出を決定した日 — the approval date, not the
notice date) or the 充当 date; when the item became appropriable (充当適状) earlier than the
充当, the 充当適状日 (§2.3, §2.6). Both ends inclusive.

Excluded days (法17条の4②一, §2.3 [M]): when the city sent a notice asking the taxpayer to claim
the refund and no claim was made by the day 30 days pass from the notice (counted from the
day after it: notice + 30), the days from the next day (notice + 31) through the claim date are
not counted. With no claim at all, the exclusion runs to the end of the period (our choice).

Rounding: base = refund amount floored to 1,000 yen, none under 2,000; total floored to 100 yen,
none under 1,000 (法20条の4の2, same functions as 延滞金; exact paragraph unconfirmed §9.2).
365-day year; rate of each calendar year (附則3条の2③; 2022–2025 0.9%, 2026 1.3%).

Not covered: the allocation of a refund to several payments of one item (the caller computes
one call per payment portion), and any "payment before the 法定納期限 counts from the 法定納期限"
parenthetical of 一号, which the reference text does not mention.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from osame_law.calendar import ONE_DAY, add_months_civil, year_ends_between
from osame_law.errors import InvalidInputError
from osame_law.plausibility import DateWindow, check_amount, check_not_before
from osame_law.rates import DEFAULT_RATES, RateTable
from osame_law.rounding import SegmentRounding, charge_base, round_total, total_yen
from osame_law.segments import Piece, Segment, cut_points, price

CLAIM_EXCLUSION = "claim_exclusion"
CLAIM_GRACE_DAYS = 30


class RefundCause(StrEnum):
    """Why the 過誤納金 arose — selects the 号 of 法17条の4①."""

    REASSESSMENT = "reassessment"
    CORRECTION_REQUEST = "correction_request"
    NATIONAL_TAX_CHANGE = "national_tax_change"
    ERRONEOUS_PAYMENT = "erroneous_payment"


@dataclass(frozen=True)
class RefundInterestResult:
    refund_interest: int
    """還付加算金 in yen after rounding (100-yen floor, under 1,000 → 0)."""
    unrounded_total: int
    start: date
    """First day counted."""
    end: date
    """Last day counted (decision date, 充当 date or 充当適状日)."""
    excluded_days: int = 0
    segments: tuple[Segment, ...] = field(default=())


def refund_interest_start(
    cause: RefundCause,
    *,
    paid_on: date,
    requested_on: date | None = None,
    corrected_on: date | None = None,
    notified_on: date | None = None,
) -> date:
    """First day on which 還付加算金 accrues (the day after the day named in 法17条の4① 各号)."""
    if not isinstance(cause, RefundCause):
        raise InvalidInputError("cause must be a RefundCause")
    if cause is RefundCause.REASSESSMENT:
        named = paid_on
    elif cause is RefundCause.CORRECTION_REQUEST:
        if requested_on is None or corrected_on is None:
            raise InvalidInputError("cause correction_request needs requested_on and corrected_on")
        named = min(
            add_months_civil(requested_on + ONE_DAY, 3),
            add_months_civil(corrected_on + ONE_DAY, 1),
        )
    elif cause is RefundCause.NATIONAL_TAX_CHANGE:
        if notified_on is None:
            raise InvalidInputError("cause national_tax_change needs notified_on")
        named = add_months_civil(notified_on + ONE_DAY, 1)
    else:
        named = add_months_civil(paid_on + ONE_DAY, 1)
    return named + ONE_DAY


def compute_refund_interest(
    *,
    amount: int,
    cause: RefundCause,
    paid_on: date,
    decided_on: date,
    requested_on: date | None = None,
    corrected_on: date | None = None,
    notified_on: date | None = None,
    appropriable_on: date | None = None,
    claim_notice_on: date | None = None,
    claimed_on: date | None = None,
    segment_rounding: SegmentRounding = SegmentRounding.PER_SEGMENT,
    rates: RateTable = DEFAULT_RATES,
    window: DateWindow | None = None,
) -> RefundInterestResult:
    """還付加算金 on ``amount`` yen refunded (or appropriated) on ``decided_on``.

    ``appropriable_on``: for an appropriated part, the 充当適状日; the interest stops there when
    it is earlier than ``decided_on`` (the 充当 date).
    ``claim_notice_on`` / ``claimed_on``: the date the claim notice was sent and the date the
    claim was made (法17条の4②一).
    """
    window = window or DateWindow.for_rates(rates)
    check_amount("amount", amount)
    dates = {
        "paid_on": paid_on,
        "decided_on": decided_on,
        "requested_on": requested_on,
        "corrected_on": corrected_on,
        "notified_on": notified_on,
        "appropriable_on": appropriable_on,
        "claim_notice_on": claim_notice_on,
        "claimed_on": claimed_on,
    }
    for name, value in dates.items():
        if value is not None:
            window.check(name, value)
    check_not_before("decided_on", decided_on, "paid_on", paid_on)
    for name in ("corrected_on", "notified_on", "claim_notice_on"):
        value = dates[name]
        if value is not None:
            check_not_before("decided_on", decided_on, name, value)
    if requested_on is not None and corrected_on is not None:
        check_not_before("corrected_on", corrected_on, "requested_on", requested_on)
    if claimed_on is not None:
        if claim_notice_on is None:
            raise InvalidInputError("claimed_on needs claim_notice_on")
        check_not_before("claimed_on", claimed_on, "claim_notice_on", claim_notice_on)

    start = refund_interest_start(
        cause, paid_on=paid_on, requested_on=requested_on, corrected_on=corrected_on, notified_on=notified_on
    )
    end = decided_on if appropriable_on is None else min(decided_on, appropriable_on)
    if end < start:
        return RefundInterestResult(0, 0, start, end)

    excluded = _claim_exclusion(claim_notice_on, claimed_on, start, end)
    candidates = list(year_ends_between(start, end))
    if excluded is not None:
        candidates += [excluded[0] - ONE_DAY, excluded[1]]
    base = charge_base(amount)
    pieces = []
    excluded_days = 0
    for run_start, run_end in cut_points(start, end, candidates):
        normal = rates.refund_interest(run_start.year)
        if excluded is not None and excluded[0] <= run_start <= excluded[1]:
            excluded_days += (run_end - run_start).days + 1
            pieces.append(Piece(run_start, run_end, base, Decimal(0), normal, relief=CLAIM_EXCLUSION))
        else:
            pieces.append(Piece(run_start, run_end, base, normal, normal))
    segments = price(pieces)
    unrounded = total_yen([s.exact for s in segments], segment_rounding)
    return RefundInterestResult(round_total(unrounded), unrounded, start, end, excluded_days, segments)


def _claim_exclusion(
    claim_notice_on: date | None, claimed_on: date | None, start: date, end: date
) -> tuple[date, date] | None:
    """Days excluded under 法17条の4②一, clipped to [start, end]; None when there are none."""
    if claim_notice_on is None:
        return None
    first_excluded = claim_notice_on + CLAIM_GRACE_DAYS * ONE_DAY + ONE_DAY
    last_excluded = end if claimed_on is None else min(claimed_on, end)
    first_excluded = max(first_excluded, start)
    if last_excluded < first_excluded:
        return None
    return first_excluded, last_excluded
