"""Refunds' message handlers: the 過誤納金 register, the debt projection, 充当 outcomes."""

from __future__ import annotations

from datetime import UTC, datetime

from osame_chassis.ids import new_id
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import receipts

from osame_refunds.adapters.repository import RefundsRepository
from osame_refunds.domain.overpayment import OverpaymentStatus
from osame_refunds.service_layer.settlement import settle

# Refusals after which re-planning can help (the item is no longer owed); others need a person.
REPLAN_REASONS = {"not_owed", "unknown_installment"}


async def register_overpayment(event: receipts.OverpaymentDetected, uow: UnitOfWork) -> None:
    """Enter a 過誤納金 in the register once, then appropriate it or decide its refund."""
    repo = RefundsRepository(uow.session)
    if await repo.has_overpayment(event.overpayment_id):
        return
    await repo.add_overpayment(
        overpayment_id=event.overpayment_id,
        addressee_id=event.addressee_id,
        notice_number=event.notice_number,
        installment_no=event.installment_no,
        amount=event.amount,
        appropriated=0,
        refunded=0,
        cause=event.cause,
        arose_on=event.arose_on,
        paid_on=event.paid_on,
        status=OverpaymentStatus.HELD,
        registered_at=datetime.now(UTC),
    )
    await settle(event.overpayment_id, uow, uow.today())


async def project_assessment(event: receipts.AssessmentRecorded, uow: UnitOfWork) -> None:
    """Remaining 本税 per installment (未納の徴収金) from the receipts ledger."""
    repo = RefundsRepository(uow.session)
    for item in event.installments:
        await repo.project(
            notice_number=event.notice_number,
            installment_no=item.installment_no,
            component="principal_tax",
            addressee_id=event.addressee_id,
            amount=max(item.principal_tax - item.paid, 0),
            basis_date=item.due_date,
            version=event.ledger_version,
        )


async def project_installment_states(
    event: receipts.InstallmentsSettled | receipts.InstallmentsPartlyPaid, uow: UnitOfWork
) -> None:
    repo = RefundsRepository(uow.session)
    for item in event.items:
        await repo.project(
            notice_number=item.notice_number,
            installment_no=item.installment_no,
            component="principal_tax",
            addressee_id=item.addressee_id,
            amount=item.remaining,
            basis_date=item.due_date,
            version=item.ledger_version,
        )


async def appropriation_applied(event, uow: UnitOfWork) -> None:
    """receipts booked the 充当: the money is no longer held; notify the taxpayer (法17条の2⑤)."""
    repo = RefundsRepository(uow.session)
    appropriation = await repo.appropriation(event.appropriation_id)
    if appropriation is None or appropriation["status"] != "requested":
        return
    await repo.set_appropriation_status(event.appropriation_id, "applied")
    overpayment = await repo.overpayment(appropriation["overpayment_id"], lock=True)
    await repo.update_overpayment(
        overpayment["overpayment_id"], appropriated=overpayment["appropriated"] + appropriation["total"]
    )
    await repo.add_notice(
        notice_id=new_id(),
        addressee_id=appropriation["addressee_id"],
        kind="appropriation",
        reference=event.appropriation_id,
        amount=appropriation["total"],
        created_at=datetime.now(UTC),
    )
    await settle(appropriation["overpayment_id"], uow, uow.today())


async def appropriation_refused(event, uow: UnitOfWork) -> None:
    """receipts refused the 充当 (nothing applied): the money stays held; re-plan when the
    refusal says an item is no longer owed, otherwise leave it for a person to look at."""
    repo = RefundsRepository(uow.session)
    appropriation = await repo.appropriation(event.appropriation_id)
    if appropriation is None or appropriation["status"] != "requested":
        return
    await repo.set_appropriation_status(event.appropriation_id, "refused", str(event.reason))
    items = await repo.appropriation_items(event.appropriation_id)
    if str(event.reason) not in REPLAN_REASONS or event.item_index is None or event.item_index >= len(items):
        return  # without the stale item named, re-planning would repeat the same request
    stale = items[event.item_index]
    await repo.set_debt(stale["notice_number"], stale["installment_no"], stale["component"], event.owed or 0)
    await settle(appropriation["overpayment_id"], uow, uow.today())
