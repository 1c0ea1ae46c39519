"""収納訂正 as use cases: propose, approve, reject (rules in domain/correction.py; the list by status
is a read, adapters/staff_reads.py).

Approval re-runs every consequence through the existing events: the receipt is reversed like a
不渡 (`reversal.reverse_receipt_money`: the installment re-opened, overpayments it created withdrawn
— `OverpaymentWithdrawn{reason: correction}`, their 充当 reversed — and `ReceiptReversed{reason:
correction}` for collection, which drops it from the 延滞金 base and the 督促 guard); a move then
records the same money (same 領収日 and 収入日, key `correction:<id>`) on the target installment
through `handlers.record_receipt` (消込 in canonical order, overpayment to refunds, state to
collection). Every call is in the audit log (HTTP), and the row keeps proposer, approver and reason.
"""

from __future__ import annotations

from datetime import UTC, datetime

from osame_chassis.ids import new_id
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import receipts
from sqlalchemy import insert, select, update

from osame_receipts.adapters import orm
from osame_receipts.adapters.repository import LedgerRepository
from osame_receipts.domain import correction as rules
from osame_receipts.domain.correction import CorrectionKind, CorrectionRefused, CorrectionStatus
from osame_receipts.domain.reconciliation import DEFAULT_ORDER, Component
from osame_receipts.service_layer import handlers, reversal

__all__ = ["CorrectionRefused", "approve", "propose", "reject"]


async def propose(
    uow: UnitOfWork,
    *,
    receipt_id: str,
    kind: str,
    reason: str,
    staff: str,
    notice_number: str | None = None,
    installment_no: int | None = None,
) -> dict:
    """Record a proposed correction (pending until another staff member decides it)."""
    try:
        kind_ = CorrectionKind(kind)
    except ValueError:
        raise CorrectionRefused("kind: must be reverse or move") from None
    text = rules.check_reason(reason)
    repo = LedgerRepository(uow.session)
    receipt = await repo.get_receipt(receipt_id)
    if receipt is None:
        raise CorrectionRefused("receipt_id: no receipt with this id")
    rules.check_receipt(state=receipt["state"], matched=receipt["matched"], channel=receipt["channel"])
    target = (notice_number, installment_no) if notice_number is not None else None
    rules.check_target(kind_, (receipt["notice_number"], receipt["installment_no"]), target)
    if target is not None and await repo.installment(*target) is None:
        raise CorrectionRefused("notice_number: no such 通知書番号 × 期別 in the ledger")
    c = orm.receipt_corrections.c
    open_one = select(c.correction_id).where(c.receipt_id == receipt_id, c.status == CorrectionStatus.PENDING)
    if (await uow.session.execute(open_one)).first() is not None:
        raise CorrectionRefused("receipt_id: a correction of this receipt is already pending")
    correction_id = new_id()
    await uow.session.execute(
        insert(orm.receipt_corrections).values(
            correction_id=correction_id,
            receipt_id=receipt_id,
            kind=kind_.value,
            target_notice_number=notice_number,
            target_installment_no=installment_no,
            reason=text,
            status=CorrectionStatus.PENDING.value,
            proposed_by=staff,
            proposed_on=uow.today(),
            recorded_at=datetime.now(UTC),
        )
    )
    return {"correction_id": correction_id, "status": CorrectionStatus.PENDING.value}


async def _decidable(uow: UnitOfWork, correction_id: str, staff: str) -> dict:
    query = (
        select(orm.receipt_corrections)
        .where(orm.receipt_corrections.c.correction_id == correction_id)
        .with_for_update()
    )
    row = (await uow.session.execute(query)).mappings().first()
    if row is None:
        raise CorrectionRefused("no correction with this id")
    rules.check_decision(status=row["status"], proposer=row["proposed_by"], decider=staff)
    return dict(row)


async def _decide(uow: UnitOfWork, correction_id: str, **values) -> None:
    await uow.session.execute(
        update(orm.receipt_corrections)
        .where(orm.receipt_corrections.c.correction_id == correction_id)
        .values(decided_on=uow.today(), **values)
    )


async def reject(uow: UnitOfWork, correction_id: str, *, staff: str, note: str | None = None) -> dict:
    await _decidable(uow, correction_id, staff)
    await _decide(
        uow,
        correction_id,
        status=CorrectionStatus.REJECTED.value,
        decided_by=staff,
        decision_note=(note or "")[:200],
    )
    return {"correction_id": correction_id, "status": CorrectionStatus.REJECTED.value}


async def approve(
    uow: UnitOfWork, correction_id: str, *, staff: str, order: tuple[Component, ...] = DEFAULT_ORDER
) -> dict:
    """Apply a pending correction (see the module docstring); the receipt must still stand."""
    row = await _decidable(uow, correction_id, staff)
    repo = LedgerRepository(uow.session)
    receipt = await repo.get_receipt(row["receipt_id"], lock=True)
    rules.check_receipt(state=receipt["state"], matched=receipt["matched"], channel=receipt["channel"])
    inst = await repo.installment(receipt["notice_number"], receipt["installment_no"], lock=True)
    if not handlers.books_exactly(
        inst, await repo.standing_receipts(inst.notice_number, inst.installment_no)
    ):
        # a 減額更正 (or write-off) moved paid money of this installment off it after the receipts
        # were applied: which receipt's money sits where is not determined, so no automatic reversal
        raise CorrectionRefused(
            "receipt_id: the installment's paid money was moved by a 減額更正 or write-off; "
            "correct it through the overpayment in refunds"
        )
    today = uow.today()
    await repo.set_receipt_state(receipt["receipt_id"], "reversed", reversed_on=today)
    await reversal.reverse_and_announce(uow, receipt, today, receipts.OverpaymentWithdrawalReason.CORRECTION)
    new_receipt_id = None
    if row["kind"] == CorrectionKind.MOVE:
        if await repo.installment(row["target_notice_number"], row["target_installment_no"]) is None:
            raise CorrectionRefused("notice_number: the target installment is no longer in the ledger")
        new_receipt_id = await handlers.record_receipt(
            receipts.RecordReceipt(
                channel=receipts.Channel(receipt["channel"]),
                channel_key=f"correction:{correction_id}",
                notice_number=row["target_notice_number"],
                installment_no=row["target_installment_no"],
                amount=receipt["amount"],
                paid_on=receipt["paid_on"],
                booked_on=receipt["booked_on"],
            ),
            uow,
            order=order,
        )
    await _decide(
        uow,
        correction_id,
        status=CorrectionStatus.APPROVED.value,
        decided_by=staff,
        new_receipt_id=new_receipt_id,
    )
    return {
        "correction_id": correction_id,
        "status": CorrectionStatus.APPROVED.value,
        "new_receipt_id": new_receipt_id,
    }
