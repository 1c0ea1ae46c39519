"""Collection use cases over the unit of work."""

from __future__ import annotations

from datetime import UTC, datetime

from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import address_sync, gateway, receipts
from osame_contracts.messages import collection as contract
from osame_law import LawError

from osame_collection.adapters.repository import CollectionRepository, event_id
from osame_collection.domain.late_fee import accrued_late_fee
from osame_collection.domain.projection import is_newer, status_for
from osame_collection.service_layer.publishing import publish_bulk
from osame_collection.service_layer.reminders import send_breach_reminder

__all__ = ["send_breach_reminder"]


async def _upsert(
    repo: CollectionRepository, notice_number: str, installment_no: int, version: int, values: dict
) -> None:
    """Apply a ledger view of one installment when it is newer than the one held (any arrival order)."""
    held = await repo.installment(notice_number, installment_no)
    if held is not None and not is_newer(version, held["ledger_version"]):
        return
    values = {
        **values,
        "status": status_for(values["principal_tax"], values["paid"]),
        "ledger_version": version,
    }
    if held is None:
        mark = await repo.receipt_mark(notice_number, installment_no)
        await repo.insert_installment(
            notice_number=notice_number, installment_no=installment_no, last_receipt_on=mark, **values
        )
    else:
        await repo.update_installment(notice_number, installment_no, **values)


async def project_assessment(event: receipts.AssessmentRecorded, uow: UnitOfWork) -> None:
    """Mirror the ledger's installments (本税, shifted 納期限, paid) for delinquency work."""
    repo = CollectionRepository(uow.session)
    for item in event.installments:
        await _upsert(
            repo,
            event.notice_number,
            item.installment_no,
            event.ledger_version,
            dict(
                addressee_id=event.addressee_id,
                tax_item=event.tax_item,
                fiscal_year=event.fiscal_year,
                principal_tax=item.principal_tax,
                due_date=item.due_date,
                paid=item.paid,
            ),
        )


async def project_installment_states(
    event: receipts.InstallmentsSettled | receipts.InstallmentsPartlyPaid, uow: UnitOfWork
) -> None:
    """Mark installments paid / partly paid; stale versions are ignored, unknown ones are created
    (the state event may overtake the assessment). A settled installment's 延滞金 is fixed
    (確定延滞金) at its full-payment day."""
    repo = CollectionRepository(uow.session)
    fixed: list[contract.AssessedLateFee] = []
    for item in event.items:
        if item.remaining == 0:
            assessed = await _fix_late_fee(repo, item)
            if assessed is not None:
                fixed.append(assessed)
        await _upsert(
            repo,
            item.notice_number,
            item.installment_no,
            item.ledger_version,
            dict(
                addressee_id=item.addressee_id,
                tax_item=item.tax_item,
                fiscal_year=item.fiscal_year,
                principal_tax=item.principal_tax,
                due_date=item.due_date,
                paid=item.paid,
            ),
        )
    await publish_bulk(
        uow, contract.LateFeesAssessed, fixed, lambda items: contract.LateFeesAssessed(items=items)
    )


async def _fix_late_fee(repo: CollectionRepository, item: receipts.InstallmentState):
    """確定延滞金 of a settled installment from its receipts (the last payment completes it)."""
    key = (item.notice_number, item.installment_no)
    held = await repo.installment(*key)
    if held is None or not is_newer(item.ledger_version, held["ledger_version"]):
        return None  # unknown yet (fixed with the next state event) or stale
    payments = (await repo.payments_for([key])).get(key, [])
    short = item.principal_tax - sum(a for _, a in payments)
    if short > 0:
        payments.append((item.last_paid_on, short))
    exempt = (await repo.exempt_intervals_for([key], item.last_paid_on)).get(key, [])
    try:
        accrual = accrued_late_fee(item.principal_tax, item.due_date, item.last_paid_on, payments, exempt)
    except LawError:
        return None
    version = await repo.set_late_fee(key, accrual.late_fee, accrual.computed_to)
    return contract.AssessedLateFee(
        addressee_id=item.addressee_id,
        notice_number=item.notice_number,
        installment_no=item.installment_no,
        late_fee=accrual.late_fee,
        computed_to=accrual.computed_to,
        fixed=True,
        version=version,
    )


async def note_receipt(event: receipts.ReceiptRecorded, uow: UnitOfWork) -> None:
    """Remember every receipt: its 領収日 blocks a 督促 (行き違い guard), a 速報 blocks it until its 確報
    (the same receipt_id, preliminary=False) or its cancellation, and confirmed amounts lower the
    延滞金 base and count as 承認 for the 時効 clock."""
    repo = CollectionRepository(uow.session)
    if event.cancelled:  # 03 速報取消
        if await repo.cancel_receipt(event.receipt_id) is not None:
            await repo.recompute_mark(event.notice_number, event.installment_no)
        return
    await repo.note_receipt(event.notice_number, event.installment_no, event.paid_on)
    held = await repo.receipt(event.receipt_id)
    if held is None:
        await repo.insert_receipt(
            receipt_id=event.receipt_id,
            notice_number=event.notice_number,
            installment_no=event.installment_no,
            addressee_id=event.addressee_id,
            paid_on=event.paid_on,
            applied=event.applied,
            preliminary=event.preliminary,
            cancelled=False,
        )
    elif held["preliminary"] and not event.preliminary:
        await repo.confirm_receipt(event.receipt_id, paid_on=event.paid_on, applied=event.applied)
    if not event.preliminary and event.applied > 0:
        key = (event.notice_number, event.installment_no)
        await repo.add_limitation_event(
            event_id("acknowledgement", event.receipt_id, key),
            key,
            "acknowledgement",
            event.paid_on,
            event.receipt_id,
        )


async def cancel_preliminary(receipt_id: str, uow: UnitOfWork) -> None:
    """速報取消: the 速報 no longer holds back the 督促."""
    repo = CollectionRepository(uow.session)
    held = await repo.cancel_receipt(receipt_id)
    if held is not None:
        await repo.recompute_mark(held["notice_number"], held["installment_no"])


async def reverse_receipt(event: receipts.ReceiptReversed, uow: UnitOfWork) -> None:
    """不渡: the money never came; the receipt no longer counts against a 督促 (the installment's new
    state arrives as a partly-paid event from receipts)."""
    repo = CollectionRepository(uow.session)
    if await repo.receipt(event.receipt_id) is None:
        await repo.insert_receipt(
            receipt_id=event.receipt_id,
            notice_number=event.notice_number,
            installment_no=event.installment_no,
            addressee_id=event.addressee_id,
            paid_on=event.paid_on,
            applied=0,
            preliminary=False,
            cancelled=True,
        )
    else:
        await repo.cancel_receipt(event.receipt_id, also_final=True)
    await repo.recompute_mark(event.notice_number, event.installment_no)


async def apply_addressee_change_v2(event: address_sync.AddresseeChangedV2, uow: UnitOfWork) -> None:
    """AddresseeChangedV2 (once wired): the mailing copy plus 送付先 overrides per 税目."""
    repo = CollectionRepository(uow.session)
    held = await repo.addressee_version(event.addressee_id)
    if not is_newer(event.version, held):
        return
    values = {
        k: getattr(event, k)
        for k in (
            "addressee_id",
            "version",
            "name",
            "name_kana",
            "postal_code",
            "address",
            "protected",
            "deceased_on",
        )
    }
    await repo.upsert_addressee(values, new=held is None)
    await repo.replace_mailing_overrides(
        event.addressee_id,
        [o.model_dump() for o in event.mailing_overrides],
    )


async def apply_addressee_change(event: address_sync.AddresseeChanged, uow: UnitOfWork) -> None:
    """Keep the mailing copy used for 督促/催告 letters; older versions are ignored."""
    repo = CollectionRepository(uow.session)
    held = await repo.addressee_version(event.addressee_id)
    if not is_newer(event.version, held):
        return
    await repo.upsert_addressee(event.model_dump(), new=held is None)


async def record_query_refusal(event: gateway.IncomeQueryRefused, uow: UnitOfWork) -> None:
    """財産調査: the gateway refused an income query; record it on the inquiry."""
    await CollectionRepository(uow.session).upsert_inquiry(
        event.query_id,
        addressee_id=event.addressee_id,
        status="refused",
        reason=event.reason,
        updated_at=datetime.now(UTC),
    )
