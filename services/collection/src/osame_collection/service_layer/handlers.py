"""Collection use cases over the unit of work."""

from __future__ import annotations

from datetime import UTC, datetime

from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import address_sync, gateway, receipts
from osame_contracts.messages import collection as contract

from osame_collection.adapters.repository import CollectionRepository, event_id
from osame_collection.domain.projection import is_newer, status_for
from osame_collection.service_layer import linkage, merges, unmatched
from osame_collection.service_layer.ledger_states import (
    project_installment_states,
    recompute_after_correction,
)
from osame_collection.service_layer.policy import CollectionPolicy
from osame_collection.service_layer.publishing import publish_bulk
from osame_collection.service_layer.reminders import send_breach_reminder

__all__ = ["project_installment_states", "send_breach_reminder"]


async def _upsert(
    repo: CollectionRepository, notice_number: str, installment_no: int, version: int, values: dict
) -> bool:
    """Apply a ledger view of one installment when it is newer than the one held (any arrival order);
    True when it changed the 本税 of an installment already held (a 更正)."""
    held = await repo.installment(notice_number, installment_no)
    if held is not None and not is_newer(version, held["ledger_version"]):
        return False
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
    await repo.refresh_status([(notice_number, installment_no)])
    return held is not None and held["principal_tax"] != values["principal_tax"]


async def project_assessment(
    event: receipts.AssessmentRecorded, uow: UnitOfWork, *, policy: CollectionPolicy
) -> None:
    """Mirror the ledger's installments (本税, shifted 納期限, paid) for delinquency work; a 更正 of an
    installment already held recomputes its 延滞金 and publishes it (issue #12 defect 4)."""
    repo = CollectionRepository(uow.session)
    filed_under = await merges.current(uow, event.addressee_id)  # 名寄せ: the survivor's case file
    corrected = []
    for item in event.installments:
        changed = await _upsert(
            repo,
            event.notice_number,
            item.installment_no,
            event.ledger_version,
            dict(
                addressee_id=filed_under,
                tax_item=event.tax_item,
                fiscal_year=event.fiscal_year,
                principal_tax=item.principal_tax,
                due_date=item.due_date,
                paid=item.paid,
            ),
        )
        if changed:
            corrected.append((event.notice_number, item.installment_no))
    await publish_bulk(
        uow,
        contract.LateFeesAssessed,
        await recompute_after_correction(uow, corrected, policy),
        lambda items: contract.LateFeesAssessed(items=items),
    )


async def note_receipt(event: receipts.ReceiptRecorded, uow: UnitOfWork) -> None:
    """Remember every receipt: its 領収日 blocks a 督促 (行き違い guard), a 速報 blocks it until its 確報
    (the same receipt_id, preliminary=False) or its cancellation, and confirmed amounts lower the
    延滞金 base and count as 承認 for the 時効 clock."""
    repo = CollectionRepository(uow.session)
    if event.cancelled:  # 03 速報取消
        if await repo.cancel_receipt(event.receipt_id) is not None:
            await repo.recompute_mark(event.notice_number, event.installment_no)
            await repo.refresh_status([(event.notice_number, event.installment_no)])
        return
    filed_under = await merges.current(uow, event.addressee_id)  # 名寄せ: the survivor's case file
    await repo.note_receipt(event.notice_number, event.installment_no, event.paid_on)
    await unmatched.release(event.receipt_id, uow)  # an unmatched receipt assigned by staff
    held = await repo.receipt(event.receipt_id)
    if held is None:
        await repo.insert_receipt(
            receipt_id=event.receipt_id,
            notice_number=event.notice_number,
            installment_no=event.installment_no,
            addressee_id=filed_under,
            paid_on=event.paid_on,
            applied=event.applied,
            preliminary=event.preliminary,
            cancelled=False,
        )
    elif held["preliminary"] and not event.preliminary:
        await repo.confirm_receipt(event.receipt_id, paid_on=event.paid_on, applied=event.applied)
    elif not event.preliminary and event.applied < held["applied"]:
        # receipts re-derived the split (a receipt ranking earlier arrived later, or 収納訂正): it
        # re-announces this receipt with less applied; only ever less, so the lowest seen is right
        # whatever order the announcements arrive in
        await repo.confirm_receipt(event.receipt_id, applied=event.applied)
    await repo.refresh_status([(event.notice_number, event.installment_no)])
    if not event.preliminary and event.applied > 0:
        key = (event.notice_number, event.installment_no)
        await repo.add_limitation_event(
            event_id("acknowledgement", event.receipt_id, key),
            key,
            "acknowledgement",
            event.paid_on,
            event.receipt_id,
        )


async def reverse_receipt(event: receipts.ReceiptReversed, uow: UnitOfWork) -> None:
    """不渡: the money never came; the receipt no longer counts against a 督促 (the installment's new
    state arrives as a partly-paid event from receipts)."""
    repo = CollectionRepository(uow.session)
    filed_under = await merges.current(uow, event.addressee_id)
    if await repo.receipt(event.receipt_id) is None:
        await repo.insert_receipt(
            receipt_id=event.receipt_id,
            notice_number=event.notice_number,
            installment_no=event.installment_no,
            addressee_id=filed_under,
            paid_on=event.paid_on,
            applied=0,
            preliminary=False,
            cancelled=True,
        )
    else:
        await repo.cancel_receipt(event.receipt_id, also_final=True)
    await repo.recompute_mark(event.notice_number, event.installment_no)
    await repo.refresh_status([(event.notice_number, event.installment_no)])


async def apply_addressee_change_v2(event: address_sync.AddresseeChangedV2, uow: UnitOfWork) -> None:
    """AddresseeChangedV2: the mailing copy plus 送付先 overrides per 税目.

    v1 and v2 of one change share the version and travel on two queues: v2 (a superset) is applied
    at the same version too, so a v1 that overtook it cannot make its 送付先 be dropped."""
    repo = CollectionRepository(uow.session)
    held = await repo.addressee_version(event.addressee_id)
    if held is not None and event.version < held:
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
    """財産調査: the gateway refused an income query; record it on the inquiry (only one it made)."""
    await linkage.require_own_query(uow, event.query_id, event.addressee_id)
    await CollectionRepository(uow.session).upsert_inquiry(
        event.query_id,
        addressee_id=await merges.current(uow, event.addressee_id),
        status="refused",
        reason=event.reason,
        updated_at=datetime.now(UTC),
    )
