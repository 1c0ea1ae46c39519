"""The batched projection of receipts' ledger states: one message of many installments applied with
a few statements — newest version wins inside the message and against what is held, unknown
installments are created with their receipt mark, and only a 延滞金 that changes is fixed and
announced (an on-time payment adds no event for receipts to apply)."""

from __future__ import annotations

import datetime as dt

from osame_collection.adapters import orm
from osame_collection.service_layer import handlers
from osame_contracts.messages import receipts
from osame_law import compute_late_fee

D = dt.date
ADDRESSEE = "200088"
DUE = D(2026, 3, 31)


def state(notice, version, *, paid, paid_on, principal=100_000, installment_no=1):
    return receipts.InstallmentState(
        addressee_id=ADDRESSEE,
        notice_number=notice,
        installment_no=installment_no,
        tax_item="resident_tax",
        fiscal_year=2026,
        due_date=DUE,
        principal_tax=principal,
        paid=paid,
        remaining=principal - paid,
        last_paid_on=paid_on,
        ledger_version=version,
    )


def assessment(notice):
    return receipts.AssessmentRecorded(
        addressee_id=ADDRESSEE,
        notice_number=notice,
        tax_item="resident_tax",
        fiscal_year=2026,
        ledger_version=1,
        installments=[
            receipts.RecordedInstallment(installment_no=1, principal_tax=100_000, due_date=DUE, paid=0)
        ],
    )


def recorded(receipt_id, notice, paid_on, applied):
    return receipts.ReceiptRecorded(
        receipt_id=receipt_id,
        addressee_id=ADDRESSEE,
        notice_number=notice,
        installment_no=1,
        channel=receipts.Channel.DIRECT_DEBIT,
        amount=applied,
        applied=applied,
        overpaid=0,
        paid_on=paid_on,
        booked_on=paid_on,
        preliminary=False,
    )


async def test_one_message_of_many_installments(service):
    for notice in ("L-LATE", "L-ONTIME", "L-STALE"):
        await service.handle(handlers.project_assessment, assessment(notice))
    await service.handle(handlers.note_receipt, recorded("r-late", "L-LATE", D(2026, 9, 30), 100_000))
    await service.handle(handlers.note_receipt, recorded("r-new", "L-NEW", D(2026, 5, 2), 40_000))
    # L-STALE is already at version 5
    await service.handle(
        handlers.project_installment_states,
        receipts.InstallmentsPartlyPaid(items=[state("L-STALE", 5, paid=30_000, paid_on=D(2026, 4, 1))]),
    )
    before = len(await service.events())

    await service.handle(
        handlers.project_installment_states,
        receipts.InstallmentsSettled(
            items=[
                state("L-LATE", 2, paid=100_000, paid_on=D(2026, 9, 30)),  # paid half a year late
                state("L-ONTIME", 3, paid=100_000, paid_on=DUE),
                state("L-ONTIME", 2, paid=60_000, paid_on=DUE),  # older, same message: ignored
                state("L-STALE", 4, paid=100_000, paid_on=D(2026, 4, 1)),  # older than held: ignored
                state("L-NEW", 2, paid=100_000, paid_on=D(2026, 5, 2)),  # unknown yet: created
            ]
        ),
    )

    rows = {r["notice_number"]: r for r in await service.rows(orm.installments)}
    assert (rows["L-ONTIME"]["paid"], rows["L-ONTIME"]["ledger_version"], rows["L-ONTIME"]["status"]) == (
        100_000,
        3,
        "paid",
    )
    assert (rows["L-STALE"]["paid"], rows["L-STALE"]["ledger_version"]) == (30_000, 5)
    assert (rows["L-NEW"]["ledger_version"], rows["L-NEW"]["last_receipt_on"]) == (2, D(2026, 5, 2))
    expected = compute_late_fee(principal_tax=100_000, due_date=DUE, paid_on=D(2026, 9, 30)).late_fee
    assert expected > 0
    assert (rows["L-LATE"]["late_fee"], rows["L-LATE"]["late_fee_version"]) == (expected, 1)
    assert rows["L-ONTIME"]["late_fee_version"] == 0  # nothing to fix: no write, no event

    [(key, body)] = (await service.events())[before:]
    assert key == "collection.late-fee.assessed.v1"
    assert [(i["notice_number"], i["late_fee"], i["fixed"]) for i in body["items"]] == [
        ("L-LATE", expected, True)
    ]
