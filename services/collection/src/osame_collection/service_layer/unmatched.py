"""消込不能 holds: a payment that named a known notice but matched none of its 期別 stops that notice's
督促 until staff assign the receipt (incidents F6–F8: never dun a taxpayer who already paid).

receipts announces such receipts (ReceiptsUnmatched); its ReceiptRecorded for the same receipt id,
sent when staff assign it, releases the hold. Either may arrive first.
"""

from __future__ import annotations

from datetime import UTC, datetime

from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import receipts
from sqlalchemy import delete, insert, select

from osame_collection.adapters import orm
from osame_collection.adapters.repository import CollectionRepository
from osame_collection.service_layer import audit

U = orm.unmatched_receipt_holds
REASON = "unmatched_receipt"


async def hold_for_unmatched(event: receipts.ReceiptsUnmatched, uow: UnitOfWork) -> None:
    """Hold the 督促 of every notice an unmatched receipt named (unknown notices: nothing to hold)."""
    repo = CollectionRepository(uow.session)
    for item in event.items:
        if item.addressee_id is None or not item.notice_number:
            continue
        if await repo.receipt(item.receipt_id) is not None:
            continue  # already assigned: its ReceiptRecorded arrived first
        seen = (
            await uow.session.execute(select(U.c.receipt_id).where(U.c.receipt_id == item.receipt_id))
        ).first()
        if seen is not None:
            continue
        await uow.session.execute(
            insert(U).values(
                receipt_id=item.receipt_id,
                notice_number=item.notice_number,
                addressee_id=item.addressee_id,
                paid_on=item.paid_on,
                held_at=datetime.now(UTC),
            )
        )
        await audit.record(
            uow.session,
            "system",
            "demand_hold.set",
            item.addressee_id,
            {"notice_number": item.notice_number, "reason": REASON, "receipt_id": item.receipt_id},
        )


async def release(receipt_id: str, uow: UnitOfWork) -> bool:
    """The receipt was assigned (or recorded): its hold, if any, ends. Returns whether one ended."""
    held = (
        await uow.session.execute(
            select(U.c.notice_number, U.c.addressee_id).where(U.c.receipt_id == receipt_id)
        )
    ).first()
    if held is None:
        return False
    await uow.session.execute(delete(U).where(U.c.receipt_id == receipt_id))
    await audit.record(
        uow.session,
        "system",
        "demand_hold.release",
        held.addressee_id,
        {"notice_number": held.notice_number, "reason": REASON, "receipt_id": receipt_id},
    )
    return True
