"""Receipts use cases: each a small function over a unit of work. No broker code here."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime

from osame_chassis.ids import new_id
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import address_sync, receipts, taxation
from osame_law.calendar import shift_due_date

from osame_receipts.adapters.repository import LedgerInstallment, LedgerRepository, Notice
from osame_receipts.domain.reconciliation import excess_after_reduction, reconcile


def _state(notice: Notice, inst: LedgerInstallment, last_paid_on: dt.date) -> receipts.InstallmentState:
    return receipts.InstallmentState(
        addressee_id=notice.addressee_id,
        notice_number=notice.notice_number,
        installment_no=inst.installment_no,
        tax_item=notice.tax_item,
        fiscal_year=notice.fiscal_year,
        due_date=inst.due_date,
        principal_tax=inst.principal_tax,
        paid=inst.paid,
        remaining=max(inst.principal_tax - inst.paid, 0),
        last_paid_on=last_paid_on,
        ledger_version=notice.ledger_version,
    )


async def record_assessment(
    event: taxation.AssessmentRegistered | taxation.AssessmentChanged, uow: UnitOfWork
) -> None:
    """調定: register or change a notice's installments, keeping history; stale revisions are ignored.

    Due dates on closed days move to the next business day (地方税法20条の5②).
    A 減額更正 below what was already paid turns the excess into a 過納 overpayment.
    """
    repo = LedgerRepository(uow.session)
    notice = await repo.get_notice(event.notice_number, lock=True)
    if notice is not None and event.revision <= notice.revision:
        return
    is_new = notice is None
    if notice is None:
        notice = Notice(
            event.notice_number,
            event.addressee_id,
            event.tax_item,
            event.fiscal_year,
            event.tax_year,
            event.revision,
            0,
        )
    notice.revision = event.revision
    notice.ledger_version += 1
    await repo.save_notice(notice, new=is_new)

    existing = await repo.installments(event.notice_number)
    recorded = []
    kind = "registered" if isinstance(event, taxation.AssessmentRegistered) else "changed"
    for item in event.installments:
        before = existing.get(item.installment_no)
        paid = before.paid if before else 0
        excess = excess_after_reduction(item.principal_tax, paid)
        inst = LedgerInstallment(
            event.notice_number,
            item.installment_no,
            item.principal_tax,
            shift_due_date(item.due_date),
            paid - excess,
        )
        await repo.upsert_installment(inst, item.due_date, new=before is None)
        await repo.add_history(
            notice_number=event.notice_number,
            revision=event.revision,
            kind=kind,
            assessed_on=event.assessed_on,
            installment_no=item.installment_no,
            principal_tax=item.principal_tax,
            due_date=inst.due_date,
            recorded_at=datetime.now(UTC),
        )
        if excess:
            # 過納 by 減額更正: 還付加算金 runs from the day after the payment (法17条の4①一), so the
            # event carries the 領収日 of the latest payment applied (the excess is the last money in).
            paid_on = await repo.latest_paid_on(event.notice_number, item.installment_no) or event.assessed_on
            overpayment_id = new_id()
            await repo.add_overpayment(
                overpayment_id=overpayment_id,
                addressee_id=notice.addressee_id,
                notice_number=notice.notice_number,
                installment_no=inst.installment_no,
                receipt_id=None,
                amount=excess,
                cause=receipts.OverpaymentCause.REASSESSMENT,
                arose_on=event.assessed_on,
            )
            await uow.publish(
                receipts.OverpaymentDetected(
                    overpayment_id=overpayment_id,
                    addressee_id=notice.addressee_id,
                    notice_number=notice.notice_number,
                    installment_no=inst.installment_no,
                    amount=excess,
                    cause=receipts.OverpaymentCause.REASSESSMENT,
                    arose_on=event.assessed_on,
                    paid_on=paid_on,
                )
            )
        recorded.append(
            receipts.RecordedInstallment(
                installment_no=inst.installment_no,
                principal_tax=inst.principal_tax,
                due_date=inst.due_date,
                paid=inst.paid,
            )
        )
    await uow.publish(
        receipts.AssessmentRecorded(
            addressee_id=notice.addressee_id,
            notice_number=notice.notice_number,
            tax_item=notice.tax_item,
            fiscal_year=notice.fiscal_year,
            ledger_version=notice.ledger_version,
            installments=recorded,
        )
    )


async def record_receipt(command: receipts.RecordReceipt, uow: UnitOfWork) -> str | None:
    """収納 + 消込: record a receipt once per (channel, channel_key) and reconcile it.

    A receipt for an unknown notice or installment is kept as unmatched (nothing is lost).
    A 速報 (preliminary) receipt is recorded but not applied; its 確報 (the same channel key,
    preliminary=False) confirms that row and applies it. Anything else seen again is a no-op.
    Returns the receipt id, or None when the same payment was already recorded.
    """
    repo = LedgerRepository(uow.session)
    existing = await repo.find_receipt(command.channel, command.channel_key)
    if existing is not None and not (existing.preliminary and not command.preliminary):
        return None
    notice = await repo.get_notice(command.notice_number, lock=True)
    inst = (await repo.installments(command.notice_number)).get(command.installment_no) if notice else None
    values = dict(
        channel=command.channel,
        channel_key=command.channel_key,
        notice_number=command.notice_number,
        installment_no=command.installment_no,
        amount=command.amount,
        paid_on=command.paid_on,
        booked_on=command.booked_on,
        preliminary=command.preliminary,
        recorded_at=datetime.now(UTC),
        matched=notice is not None and inst is not None,
        applied=0,
        overpaid=0,
    )
    receipt_id = existing.receipt_id if existing is not None else new_id()
    if notice is None or inst is None or command.preliminary:
        await repo.save_receipt(receipt_id, values, new=existing is None)
        return receipt_id
    result = reconcile(inst.principal_tax, inst.paid, command.amount)
    values.update(applied=result.applied, overpaid=result.overpaid)
    await repo.save_receipt(receipt_id, values, new=existing is None)
    await _apply(uow, repo, notice, inst, command, receipt_id, result)
    return receipt_id


async def _apply(
    uow, repo, notice: Notice, inst: LedgerInstallment, command, receipt_id: str, result
) -> None:
    """Book a reconciled receipt on the ledger and stage its events."""
    inst.paid += result.applied
    notice.ledger_version += 1
    await repo.set_paid(inst)
    await repo.save_notice(notice, new=False)
    await uow.publish(
        receipts.ReceiptRecorded(
            receipt_id=receipt_id,
            addressee_id=notice.addressee_id,
            notice_number=notice.notice_number,
            installment_no=inst.installment_no,
            channel=command.channel,
            amount=command.amount,
            applied=result.applied,
            overpaid=result.overpaid,
            paid_on=command.paid_on,
            booked_on=command.booked_on,
            preliminary=False,
        )
    )
    state = _state(notice, inst, command.paid_on)
    if result.remaining == 0:
        await uow.publish(receipts.InstallmentsSettled(items=[state]))
    else:
        await uow.publish(receipts.InstallmentsPartlyPaid(items=[state]))
    if result.overpaid:
        overpayment_id = new_id()
        await repo.add_overpayment(
            overpayment_id=overpayment_id,
            addressee_id=notice.addressee_id,
            notice_number=notice.notice_number,
            installment_no=inst.installment_no,
            receipt_id=receipt_id,
            amount=result.overpaid,
            cause=receipts.OverpaymentCause.ERRONEOUS_PAYMENT,
            arose_on=command.booked_on,
        )
        await uow.publish(
            receipts.OverpaymentDetected(
                overpayment_id=overpayment_id,
                addressee_id=notice.addressee_id,
                notice_number=notice.notice_number,
                installment_no=inst.installment_no,
                amount=result.overpaid,
                cause=receipts.OverpaymentCause.ERRONEOUS_PAYMENT,
                arose_on=command.booked_on,
                paid_on=command.paid_on,
            )
        )


async def apply_addressee_change(event: address_sync.AddresseeChanged, uow: UnitOfWork) -> None:
    """Keep the local addressee copy (protection flag, death) current; older versions are ignored."""
    repo = LedgerRepository(uow.session)
    version = await repo.addressee_version(event.addressee_id)
    if version is not None and event.version <= version:
        return
    await repo.upsert_addressee(
        event.addressee_id, event.version, event.protected, event.deceased_on, new=version is None
    )
