"""消込不能 holds: an unmatched receipt naming a known notice keeps that notice out of the 督促 batch
until staff assign it (F6–F8); arrival order of the two events does not matter."""

from __future__ import annotations

import datetime as dt

from osame_collection.adapters import orm
from osame_collection.service_layer import handlers, unmatched
from osame_collection.service_layer.nightly import RunNightly, run_nightly
from osame_contracts.messages import receipts

D = dt.date
ADDRESSEE = "200077"
DUE = D(2026, 6, 30)


def assessment(notice: str, installments: int):
    return receipts.AssessmentRecorded(
        addressee_id=ADDRESSEE,
        notice_number=notice,
        tax_item="resident_tax",
        fiscal_year=2026,
        ledger_version=1,
        installments=[
            receipts.RecordedInstallment(installment_no=n, principal_tax=10_000, due_date=DUE, paid=0)
            for n in range(1, installments + 1)
        ],
    )


def unmatched_event(receipt_id: str, notice: str, *, known: bool = True):
    return receipts.ReceiptsUnmatched(
        items=[
            receipts.UnmatchedReceipt(
                receipt_id=receipt_id,
                channel=receipts.Channel.BANK_COUNTER,
                amount=10_000,
                paid_on=D(2026, 7, 5),
                booked_on=D(2026, 7, 6),
                notice_number=notice,
                installment_no=9,  # a 期別 the notice does not have
                addressee_id=ADDRESSEE if known else None,
                reason="unknown_installment" if known else "unknown_notice",
            )
        ]
    )


def assigned(receipt_id: str, notice: str, installment_no: int):
    """receipts' ReceiptRecorded when staff assign the unmatched receipt to an installment."""
    return receipts.ReceiptRecorded(
        receipt_id=receipt_id,
        addressee_id=ADDRESSEE,
        notice_number=notice,
        installment_no=installment_no,
        channel=receipts.Channel.BANK_COUNTER,
        amount=10_000,
        applied=10_000,
        overpaid=0,
        paid_on=D(2026, 7, 5),
        booked_on=D(2026, 7, 6),
        preliminary=False,
    )


async def nightly(service, day):
    return await service.handle(run_nightly, RunNightly(batch_date=day))


async def demanded(service) -> set:
    return {(r["notice_number"], r["installment_no"]) for r in await service.rows(orm.demand_notices)}


async def test_unmatched_receipt_holds_the_named_notice_until_assigned(service):
    await service.handle(handlers.project_assessment, assessment("N-U", 2))
    await service.handle(handlers.project_assessment, assessment("N-V", 1))
    await service.handle(unmatched.hold_for_unmatched, unmatched_event("u-1", "N-U"))
    await service.handle(unmatched.hold_for_unmatched, unmatched_event("u-1", "N-U"))  # duplicate: no-op
    assert await service.count(orm.unmatched_receipt_holds) == 1

    summary = await nightly(service, D(2026, 7, 10))
    assert await demanded(service) == {("N-V", 1)}  # both 期別 of N-U held, the other notice dunned
    assert summary["withheld"]["hold"] == 2

    # staff assign it to 期別 1: the hold ends, 期別 1 is paid (receipt ≤ batch date), 期別 2 is dunned
    await service.handle(handlers.note_receipt, assigned("u-1", "N-U", 1))
    assert await service.count(orm.unmatched_receipt_holds) == 0
    await nightly(service, D(2026, 7, 11))
    assert await demanded(service) == {("N-V", 1), ("N-U", 2)}
    actions = [e["operation"] for e in await service.rows(orm.audit_log)]
    assert actions.count("demand_hold.set") == 1 and actions.count("demand_hold.release") == 1


async def test_assignment_seen_first_places_no_hold(service):
    await service.handle(handlers.project_assessment, assessment("N-W", 1))
    await service.handle(handlers.note_receipt, assigned("u-2", "N-W", 1))
    await service.handle(unmatched.hold_for_unmatched, unmatched_event("u-2", "N-W"))
    assert await service.count(orm.unmatched_receipt_holds) == 0


async def test_receipt_naming_no_known_notice_holds_nothing(service):
    await service.handle(handlers.project_assessment, assessment("N-X", 1))
    await service.handle(unmatched.hold_for_unmatched, unmatched_event("u-3", "ZZ-404", known=False))
    assert await service.count(orm.unmatched_receipt_holds) == 0
    await nightly(service, D(2026, 7, 10))
    assert await demanded(service) == {("N-X", 1)}
