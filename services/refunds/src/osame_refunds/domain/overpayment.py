"""過誤納金 (overpayment) and 還付 (refund) states, and the cause mapping for 還付加算金."""

from __future__ import annotations

from enum import StrEnum

from osame_law.refund_interest import RefundCause


class OverpaymentStatus(StrEnum):
    HELD = "held"  # registered; part or all still to be appropriated or refunded
    APPROPRIATED = "appropriated"  # 充当済 in full
    REFUND_DECIDED = "refund_decided"  # the rest became a 還付 decision
    CLOSED = "closed"  # nothing left (appropriated and/or refunded)
    WITHDRAWN = "withdrawn"  # receipts took it all back (不渡, 収納訂正): nothing to refund or appropriate


class RefundStatus(StrEnum):
    PENDING_APPROVAL = "pending_approval"  # 還付 amount fixed; interest computed at approval
    APPROVED = "approved"  # 支出決定 on `decided_on`; 還付加算金 fixed
    IN_PAYOUT = "in_payout"  # in a 総合振込 file
    PAID = "paid"
    FAILED = "failed"  # transfer returned (組戻し/不能): reopened, taxpayer contacted
    EXPIRED = "expired"  # unclaimed 5 years (法18条の3)
    CANCELLED = "cancelled"  # withdrawn decision (debts appeared: appropriated instead; money withdrawn)


# A refund decision whose money is (or will be) refunded: counts as refunded in the overpayment.
LIVE_REFUND = (
    RefundStatus.PENDING_APPROVAL,
    RefundStatus.APPROVED,
    RefundStatus.IN_PAYOUT,
    RefundStatus.PAID,
    RefundStatus.EXPIRED,
)


def refund_cause(cause: str) -> RefundCause:
    """The 法17条の4① 号 for an overpayment's cause. The cause must be given (never defaulted)."""
    try:
        return RefundCause(cause)
    except ValueError:
        raise ValueError(f"unknown overpayment cause {cause!r}") from None
