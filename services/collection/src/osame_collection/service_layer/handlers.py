"""Collection use cases over the unit of work."""

from __future__ import annotations

from datetime import UTC, datetime

from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import address_sync, gateway, receipts

from osame_collection.adapters.repository import CollectionRepository
from osame_collection.domain.projection import is_newer, status_for


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
    (the state event may overtake the assessment)."""
    repo = CollectionRepository(uow.session)
    for item in event.items:
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


async def note_receipt(event: receipts.ReceiptRecorded, uow: UnitOfWork) -> None:
    await CollectionRepository(uow.session).note_receipt(
        event.notice_number, event.installment_no, event.paid_on
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
