"""receipts.overpayment.withdrawn.v1: money behind an overpayment never came (不渡) or moved (収納訂正).

The event may arrive before or after the OverpaymentDetected it names, and before or after the
AppropriationApplied of a 充当 it lists as reversed (different queues): it is stored, and applied
as soon as the overpayment is known. Rules (what is taken from where) in `domain/withdrawal.py`.
A refund whose money has left becomes a recovery claim (返還請求): a WARNING alert (ids only), an
audit entry, and a row in the read API — never silently ignored.
"""

from __future__ import annotations

import datetime as dt
import logging
from datetime import UTC, datetime

from osame_chassis.errors import PermanentError
from osame_chassis.ids import new_id
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import receipts
from osame_contracts.messages import refunds as refunds_msgs
from osame_law.errors import LawError

from osame_refunds.adapters.repository import RefundsRepository
from osame_refunds.domain.overpayment import OverpaymentStatus, RefundStatus
from osame_refunds.domain.withdrawal import WithdrawalError, plan_withdrawal
from osame_refunds.service_layer import interest
from osame_refunds.service_layer.settlement import back_to_approval, held, release_interest, settle

log = logging.getLogger("osame.refunds")
SYSTEM_USER = "system:refunds"


async def record_withdrawal(event: receipts.OverpaymentWithdrawn, uow: UnitOfWork) -> None:
    repo = RefundsRepository(uow.session)
    await repo.add_withdrawal(
        withdrawal_id=new_id(),
        overpayment_id=event.overpayment_id,
        addressee_id=event.addressee_id,
        amount=event.amount,
        withdrawn_on=event.withdrawn_on,
        reason=event.reason.value,
        appropriations_reversed=list(event.appropriations_reversed),
        applied=False,
        received_at=datetime.now(UTC),
    )
    if await repo.has_overpayment(event.overpayment_id):
        await apply_withdrawals(event.overpayment_id, uow)


async def apply_withdrawals(overpayment_id: str, uow: UnitOfWork) -> None:
    """Apply every stored withdrawal of a known overpayment, then settle what is left."""
    repo = RefundsRepository(uow.session)
    today = uow.today()
    for withdrawal in await repo.unapplied_withdrawals(overpayment_id):
        for appropriation_id in withdrawal["appropriations_reversed"]:
            await _reverse_appropriation(uow, repo, overpayment_id, appropriation_id, today)
        try:
            await _take(uow, repo, overpayment_id, withdrawal, today)
        except WithdrawalError as exc:
            raise PermanentError(f"overpayment {overpayment_id}: {exc}") from None
        await repo.mark_withdrawal_applied(withdrawal["withdrawal_id"])
    await settle(overpayment_id, uow, today)


async def _reverse_appropriation(
    uow, repo: RefundsRepository, overpayment_id, appropriation_id, today
) -> None:
    appropriation = await repo.appropriation(appropriation_id)
    if appropriation is None or appropriation["overpayment_id"] != overpayment_id:
        return
    if appropriation["status"] == "requested":
        # receipts booked it but its AppropriationApplied has not reached us: it will be ignored.
        await repo.set_appropriation_status(appropriation_id, "reversed", "withdrawn")
        items = await repo.appropriation_items(appropriation_id)
        await uow.publish(
            refunds_msgs.AppropriationSettled(
                appropriation_id=appropriation_id,
                addressee_id=appropriation["addressee_id"],
                outcome="refused",
                items=[
                    {k: i[k] for k in ("notice_number", "installment_no", "component", "amount")}
                    for i in items
                ],
            )
        )
        return
    if appropriation["status"] != "applied":
        return
    await repo.set_appropriation_status(appropriation_id, "reversed", "withdrawn")
    overpayment = await repo.overpayment(overpayment_id, lock=True)
    await repo.update_overpayment(
        overpayment_id, appropriated=overpayment["appropriated"] - appropriation["total"]
    )
    # Its 還付加算金 is void: not yet paid → cancelled; carried by a refund → taken off it.
    for part in await repo.interest_parts_of(appropriation_id):
        if part["status"] in ("owed", "uncomputed"):
            await repo.update_interest_parts([part["part_id"]], status="cancelled")
        elif part["status"] == "in_refund":
            refund = await repo.refund(part["refund_id"], lock=True)
            await repo.update_interest_parts([part["part_id"]], status="cancelled")
            if refund["status"] in (RefundStatus.PENDING_APPROVAL, RefundStatus.APPROVED):
                await back_to_approval(repo, refund["refund_id"])
            elif refund["status"] in (RefundStatus.IN_PAYOUT, RefundStatus.PAID):
                await _open_claim(uow, repo, refund, 0, part["interest"], "interest_on_withdrawn", today)


async def _take(uow, repo: RefundsRepository, overpayment_id: str, withdrawal, today: dt.date) -> None:
    overpayment = await repo.overpayment(overpayment_id, lock=True)
    refund = await repo.refund_for(overpayment_id)
    plan = plan_withdrawal(
        withdrawal["amount"],
        held(overpayment),
        refund["status"] if refund else None,
        refund["amount"] if refund else 0,
    )
    withdrawn = overpayment["withdrawn"] + plan.from_held + plan.from_refund
    refunded = overpayment["refunded"] - plan.from_refund
    await repo.update_overpayment(overpayment_id, withdrawn=withdrawn, refunded=refunded)
    if plan.from_refund:
        left = refund["amount"] - plan.from_refund
        await repo.update_refund(refund["refund_id"], amount=left)
        carried = [p for p in await repo.interest_parts_of(refund["refund_id"]) if p["status"] == "in_refund"]
        if left == 0 and not [p for p in carried if p["kind"] == "appropriated"]:
            await repo.update_refund(
                refund["refund_id"], status=RefundStatus.CANCELLED, cancel_reason="withdrawn"
            )
            await release_interest(repo, refund["refund_id"])
        else:
            await back_to_approval(repo, refund["refund_id"])
    if plan.recovery:
        parts = await repo.interest_parts_of(refund["refund_id"])
        over_interest = _interest_on(overpayment, parts, refund, plan.recovery)
        await _open_claim(uow, repo, refund, plan.recovery, over_interest, withdrawal["reason"], today)
    if withdrawn == overpayment["amount"]:
        await repo.update_overpayment(overpayment_id, status=OverpaymentStatus.WITHDRAWN)


def _interest_on(overpayment, parts: list[dict], refund, recovered: int) -> int:
    """還付加算金 paid on the recovered yen: the refunded part's interest less what the yen kept
    would have earned to the same 支出決定日 (the law library's rounding)."""
    own = [p for p in parts if p["kind"] == "refunded" and p["status"] == "in_refund"]
    if not own:
        return 0
    kept = refund["amount"] - recovered
    if kept <= 0:
        return own[0]["interest"]
    try:
        again = interest.line_for(overpayment, kept, own[0]["end"], appropriated=False)
    except LawError:
        return own[0]["interest"]  # cannot split: claim it all back, a person reviews the claim
    return max(own[0]["interest"] - again.interest, 0)


async def _open_claim(uow, repo, refund, amount: int, interest_paid: int, reason: str, today) -> None:
    claim_id = new_id()
    await repo.add_recovery_claim(
        claim_id=claim_id,
        overpayment_id=refund["overpayment_id"],
        refund_id=refund["refund_id"],
        addressee_id=refund["addressee_id"],
        amount=amount,
        interest=interest_paid,
        reason=reason,
        opened_on=today,
        status="open",
    )
    await repo.audit(
        user=SYSTEM_USER,
        operation="recovery-claim.open",
        outcome=f"claim:{claim_id}",
        addressee_id=refund["addressee_id"],
    )
    log.warning(
        "recovery claim opened: refunded money was withdrawn",
        extra={"reason": reason, "message_id": claim_id},
    )
