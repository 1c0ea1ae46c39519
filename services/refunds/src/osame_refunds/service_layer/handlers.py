"""Refunds use cases over the unit of work."""

from __future__ import annotations

from datetime import UTC, datetime

from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import receipts

from osame_refunds.adapters.repository import RefundsRepository
from osame_refunds.domain.overpayment import OverpaymentStatus


async def register_overpayment(event: receipts.OverpaymentDetected, uow: UnitOfWork) -> None:
    """Enter a 過誤納金 in the register once (keyed by the overpayment id receipts assigned)."""
    repo = RefundsRepository(uow.session)
    if await repo.has_overpayment(event.overpayment_id):
        return
    await repo.add_overpayment(
        overpayment_id=event.overpayment_id,
        addressee_id=event.addressee_id,
        notice_number=event.notice_number,
        installment_no=event.installment_no,
        amount=event.amount,
        cause=event.cause,
        arose_on=event.arose_on,
        paid_on=event.paid_on,
        status=OverpaymentStatus.HELD,
        registered_at=datetime.now(UTC),
    )
