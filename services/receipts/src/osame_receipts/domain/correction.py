"""収納訂正 (receipt correction): reverse a wrong entry, or move a receipt to another 通知書/期別 (and
so, through the notice, to another 宛名), with a reason and a second approver.

A correction is proposed by one staff member and approved or rejected by another (the proposer is
refused as approver: separation of duties, as for refunds' 起案者/決裁者). Only money that stands on
the ledger can be corrected: a final, matched receipt that is not a 充当 (reversed in refunds) nor a
証券 (reversed by 不渡). An unmatched receipt is assigned from the unmatched list instead.
On approval the receipt is reversed as a 不渡 would be (everything its money did is taken back,
domain/dishonour.py) and, for a move, the same money (same 領収日 and 収入日) is recorded on the
target installment and reconciled there.
"""

from __future__ import annotations

from enum import StrEnum

NOT_CORRECTABLE = {
    "appropriation": "a 充当 is reversed by refunds, not by 収納訂正",
    "security_instrument": "a 証券 receipt is reversed by 不渡 (POST /api/securities/{id}/dishonour)",
}
REASON_MAX = 200


class CorrectionKind(StrEnum):
    REVERSE = "reverse"  # a wrong entry: the money did not come on this receipt
    MOVE = "move"  # the money is for another 通知書/期別 (of the same or another 宛名)


class CorrectionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class CorrectionRefused(ValueError):
    """A correction that may not be proposed or decided; the message names the rule, never a person."""


def check_reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise CorrectionRefused("reason: a correction needs a reason")
    if len(text) > REASON_MAX:
        raise CorrectionRefused(f"reason: at most {REASON_MAX} characters")
    return text


def check_receipt(*, state: str, matched: bool, channel: str) -> None:
    """The receipt may be corrected: final money standing on an installment."""
    if channel in NOT_CORRECTABLE:
        raise CorrectionRefused(f"receipt_id: {NOT_CORRECTABLE[channel]}")
    if state != "final":
        raise CorrectionRefused(f"receipt_id: only a final receipt can be corrected (this one is {state})")
    if not matched:
        raise CorrectionRefused("receipt_id: an unmatched receipt is assigned from the unmatched list")


def check_target(kind: CorrectionKind, current: tuple[str, int], target: tuple[str, int] | None) -> None:
    if kind is CorrectionKind.REVERSE:
        if target is not None:
            raise CorrectionRefused("notice_number: a reversal names no target installment")
        return
    if target is None:
        raise CorrectionRefused("notice_number: a move needs the target 通知書番号 and 期別")
    if target == current:
        raise CorrectionRefused("notice_number: the target is the installment the receipt is already on")


def check_decision(*, status: str, proposer: str, decider: str) -> None:
    """Only a pending correction is decided, and never by the staff member who proposed it."""
    if status != CorrectionStatus.PENDING:
        raise CorrectionRefused(f"the correction is already {status}")
    if decider == proposer:
        raise CorrectionRefused(
            "the approver must be a different staff member from the proposer (separation of duties)"
        )
