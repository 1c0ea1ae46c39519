"""Receipts use cases over a real (SQLite) database: stored rows and staged outbox events."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_contracts.messages import address_sync, receipts, taxation
from osame_receipts.adapters import orm
from osame_receipts.service_layer import handlers

D = dt.date
NOTICE = "R8-000001"
ADDRESSEE = "100001"
RECORDED = receipts.AssessmentRecorded.routing_key
RECEIPT = receipts.ReceiptRecorded.routing_key
SETTLED = receipts.InstallmentsSettled.routing_key
PARTLY = receipts.InstallmentsPartlyPaid.routing_key
OVERPAID = receipts.OverpaymentDetected.routing_key


def assessment(
    revision=1,
    installments=((1, 10_000, D(2026, 6, 30)),),
    *,
    changed=False,
    assessed_on=D(2026, 6, 1),
    notice=NOTICE,
):
    model = taxation.AssessmentChanged if changed else taxation.AssessmentRegistered
    return model(
        addressee_id=ADDRESSEE,
        notice_number=notice,
        fiscal_year=2026,
        tax_year=2026,
        tax_item=taxation.TaxItem.RESIDENT_TAX,
        revision=revision,
        assessed_on=assessed_on,
        installments=[
            taxation.AssessedInstallment(installment_no=n, principal_tax=p, due_date=d)
            for n, p, d in installments
        ],
    )


def receipt(
    amount=10_000,
    key="cvs-0001",
    *,
    installment_no=1,
    notice=NOTICE,
    preliminary=False,
    channel=receipts.Channel.CONVENIENCE_STORE,
    paid_on=D(2026, 6, 20),
    booked_on=D(2026, 6, 23),
):
    return receipts.RecordReceipt(
        channel=channel,
        channel_key=key,
        notice_number=notice,
        installment_no=installment_no,
        amount=amount,
        paid_on=paid_on,
        booked_on=booked_on,
        preliminary=preliminary,
    )


def addressee(version, protected=False, deceased_on=None):
    return address_sync.AddresseeChanged(
        addressee_id=ADDRESSEE,
        version=version,
        name="試験 太郎",
        name_kana="シケン タロウ",
        postal_code="" if protected else "933-0000",
        address="" if protected else "富山県高岡市試験町1番1号",
        protected=protected,
        deceased_on=deceased_on,
    )


async def test_registered_assessment_is_stored_with_history_and_published(service):
    await service.handle(
        handlers.record_assessment,
        assessment(installments=((1, 10_000, D(2026, 6, 30)), (2, 9_000, D(2026, 10, 31)))),
    )

    notice = await service.one(orm.notices)
    assert (notice["revision"], notice["ledger_version"], notice["addressee_id"]) == (1, 1, ADDRESSEE)
    rows = await service.rows(orm.installments)
    assert [
        (r["installment_no"], r["principal_tax"], r["statutory_due_date"], r["due_date"], r["paid"])
        for r in rows
    ] == [
        (1, 10_000, D(2026, 6, 30), D(2026, 6, 30), 0),
        (2, 9_000, D(2026, 10, 31), D(2026, 11, 2), 0),  # Saturday → next business day
    ]
    history = await service.rows(orm.assessment_history)
    assert [(h["revision"], h["kind"], h["installment_no"], h["due_date"]) for h in history] == [
        (1, "registered", 1, D(2026, 6, 30)),
        (1, "registered", 2, D(2026, 11, 2)),
    ]

    [(key, body)] = await service.events()
    assert key == RECORDED
    assert (body["notice_number"], body["ledger_version"], body["tax_item"]) == (NOTICE, 1, "resident_tax")
    assert body["installments"] == [
        {"installment_no": 1, "principal_tax": 10_000, "due_date": "2026-06-30", "paid": 0},
        {"installment_no": 2, "principal_tax": 9_000, "due_date": "2026-11-02", "paid": 0},
    ]


@pytest.mark.parametrize(
    ("statutory", "effective"),
    [
        pytest.param(D(2026, 10, 31), D(2026, 11, 2), id="saturday"),
        pytest.param(D(2026, 12, 31), D(2027, 1, 4), id="year-end"),
        pytest.param(D(2026, 8, 31), D(2026, 8, 31), id="business-day"),
    ],
)
async def test_due_date_on_closed_day_is_shifted(service, statutory, effective):
    await service.handle(handlers.record_assessment, assessment(installments=((1, 5_000, statutory),)))
    row = await service.one(orm.installments)
    assert (row["statutory_due_date"], row["due_date"]) == (statutory, effective)


@pytest.mark.parametrize("stale_revision", [pytest.param(1, id="older"), pytest.param(2, id="same")])
async def test_stale_revision_is_ignored(service, stale_revision):
    await service.handle(handlers.record_assessment, assessment(revision=2))
    before = (
        await service.rows(orm.installments),
        await service.count(orm.assessment_history),
        await service.events(),
    )

    await service.handle(
        handlers.record_assessment,
        assessment(revision=stale_revision, changed=True, installments=((1, 3_000, D(2026, 6, 30)),)),
    )

    assert (
        await service.rows(orm.installments),
        await service.count(orm.assessment_history),
        await service.events(),
    ) == before
    assert (await service.one(orm.notices))["ledger_version"] == 1


async def test_newer_revision_changes_the_ledger_and_keeps_history(service):
    await service.handle(handlers.record_assessment, assessment())
    await service.handle(
        handlers.record_assessment,
        assessment(
            revision=2, changed=True, assessed_on=D(2026, 7, 1), installments=((1, 12_000, D(2026, 6, 30)),)
        ),
    )

    notice = await service.one(orm.notices)
    assert (notice["revision"], notice["ledger_version"]) == (2, 2)
    assert (await service.one(orm.installments))["principal_tax"] == 12_000
    history = await service.rows(orm.assessment_history)
    assert [(h["revision"], h["kind"], h["principal_tax"]) for h in history] == [
        (1, "registered", 10_000),
        (2, "increased", 12_000),
    ]
    events = await service.events()
    assert [k for k, _ in events] == [RECORDED, RECORDED]
    assert events[1][1]["ledger_version"] == 2


@pytest.mark.parametrize(
    ("amount", "applied", "overpaid", "paid", "keys"),
    [
        pytest.param(10_000, 10_000, 0, 10_000, [RECEIPT, SETTLED], id="exact"),
        pytest.param(4_000, 4_000, 0, 4_000, [RECEIPT, PARTLY], id="partial"),
        pytest.param(13_000, 10_000, 3_000, 10_000, [RECEIPT, SETTLED, OVERPAID], id="over"),
    ],
)
async def test_receipt_is_reconciled_and_published(service, amount, applied, overpaid, paid, keys):
    await service.handle(handlers.record_assessment, assessment())
    receipt_id = await service.handle(handlers.record_receipt, receipt(amount))

    assert (await service.one(orm.installments))["paid"] == paid
    assert (await service.one(orm.notices))["ledger_version"] == 2
    row = await service.one(orm.receipts)
    assert (
        row["receipt_id"],
        row["amount"],
        row["applied"],
        row["overpaid"],
        row["matched"],
        row["preliminary"],
    ) == (receipt_id, amount, applied, overpaid, True, False)

    events = (await service.events())[1:]  # after the AssessmentRecorded
    assert [k for k, _ in events] == keys
    recorded = events[0][1]
    assert (
        recorded["receipt_id"],
        recorded["amount"],
        recorded["applied"],
        recorded["overpaid"],
        recorded["paid_on"],
        recorded["booked_on"],
        recorded["preliminary"],
    ) == (receipt_id, amount, applied, overpaid, "2026-06-20", "2026-06-23", False)
    [state] = events[1][1]["items"]
    assert state == {
        "addressee_id": ADDRESSEE,
        "notice_number": NOTICE,
        "installment_no": 1,
        "tax_item": "resident_tax",
        "fiscal_year": 2026,
        "due_date": state["due_date"],
        "principal_tax": 10_000,
        "paid": paid,
        "remaining": 10_000 - paid,
        "demand_fee_remaining": 0,
        "late_fee_remaining": 0,
        "last_paid_on": "2026-06-20",
        "last_booked_on": "2026-06-23",
        "ledger_version": 2,
    }
    overpayments = await service.rows(orm.overpayments)
    if overpaid:
        [event] = [b for k, b in events if k == OVERPAID]
        [stored] = overpayments
        assert (
            event["overpayment_id"],
            event["amount"],
            event["cause"],
            event["arose_on"],
            event["paid_on"],
        ) == (stored["overpayment_id"], overpaid, "erroneous_payment", "2026-06-23", "2026-06-20")
        assert (stored["receipt_id"], stored["amount"], stored["cause"]) == (
            receipt_id,
            overpaid,
            "erroneous_payment",
        )
    else:
        assert overpayments == []


async def test_second_partial_receipt_settles_the_installment(service):
    await service.handle(handlers.record_assessment, assessment())
    await service.handle(handlers.record_receipt, receipt(4_000, "k-1"))
    await service.handle(handlers.record_receipt, receipt(6_000, "k-2", paid_on=D(2026, 6, 25)))

    assert (await service.one(orm.installments))["paid"] == 10_000
    events = await service.events()
    assert [k for k, _ in events] == [RECORDED, RECEIPT, PARTLY, RECEIPT, SETTLED]
    [state] = events[-1][1]["items"]
    assert (state["paid"], state["remaining"], state["ledger_version"], state["last_paid_on"]) == (
        10_000,
        0,
        3,
        "2026-06-25",
    )


async def test_duplicate_channel_key_is_a_no_op(service):
    await service.handle(handlers.record_assessment, assessment())
    first = await service.handle(handlers.record_receipt, receipt(4_000))
    events = await service.events()

    again = await service.handle(handlers.record_receipt, receipt(4_000))

    assert first is not None and again is None
    assert await service.count(orm.receipts) == 1
    assert (await service.one(orm.installments))["paid"] == 4_000
    assert await service.events() == events


async def test_same_key_on_another_channel_is_another_receipt(service):
    await service.handle(handlers.record_assessment, assessment())
    await service.handle(handlers.record_receipt, receipt(4_000, "k-1"))
    assert (
        await service.handle(
            handlers.record_receipt, receipt(1_000, "k-1", channel=receipts.Channel.BANK_COUNTER)
        )
        is not None
    )
    assert await service.count(orm.receipts) == 2
    assert (await service.one(orm.installments))["paid"] == 5_000


@pytest.mark.parametrize(
    ("notice", "installment_no"),
    [pytest.param("R8-999999", 1, id="unknown-notice"), pytest.param(NOTICE, 7, id="unknown-installment")],
)
async def test_unmatched_receipt_is_kept_and_announced(service, notice, installment_no):
    await service.handle(handlers.record_assessment, assessment())
    events = await service.events()

    receipt_id = await service.handle(
        handlers.record_receipt, receipt(4_000, notice=notice, installment_no=installment_no)
    )

    row = await service.one(orm.receipts)
    assert (row["receipt_id"], row["matched"], row["applied"], row["overpaid"], row["amount"]) == (
        receipt_id,
        False,
        0,
        0,
        4_000,
    )
    assert (await service.one(orm.installments))["paid"] == 0
    # announced (消込不能) so collection holds the named notice's 督促; no ledger event
    [(key, body)] = (await service.events())[len(events) :]
    assert key == receipts.ReceiptsUnmatched.routing_key
    [item] = body["items"]
    known = notice == NOTICE
    assert (item["receipt_id"], item["amount"], item["notice_number"], item["installment_no"]) == (
        receipt_id,
        4_000,
        notice,
        installment_no,
    )
    assert item["reason"] == ("unknown_installment" if known else "unknown_notice")
    assert (item["addressee_id"] is not None) is known


async def test_preliminary_receipt_is_stored_announced_but_not_applied(service):
    await service.handle(handlers.record_assessment, assessment())
    events = await service.events()

    receipt_id = await service.handle(handlers.record_receipt, receipt(10_000, preliminary=True))

    row = await service.one(orm.receipts)
    assert (row["receipt_id"], row["preliminary"], row["matched"], row["applied"]) == (
        receipt_id,
        True,
        True,
        0,
    )
    assert (await service.one(orm.installments))["paid"] == 0
    assert (await service.one(orm.notices))["ledger_version"] == 1
    [(key, body)] = (await service.events())[len(events) :]
    assert key == RECEIPT  # collection holds back 督促 on a 速報 (F6, F8)
    assert (body["receipt_id"], body["preliminary"], body["applied"], body["cancelled"]) == (
        receipt_id,
        True,
        0,
        False,
    )


async def test_final_receipt_after_its_preliminary_is_applied(service):
    await service.handle(handlers.record_assessment, assessment())
    await service.handle(handlers.record_receipt, receipt(10_000, "cvs-77", preliminary=True))
    await service.handle(handlers.record_receipt, receipt(10_000, "cvs-77", preliminary=False))
    assert (await service.one(orm.installments))["paid"] == 10_000


async def test_reduction_below_paid_becomes_reassessment_overpayment(service):
    await service.handle(handlers.record_assessment, assessment())
    await service.handle(handlers.record_receipt, receipt(10_000))
    await service.handle(
        handlers.record_assessment,
        assessment(
            revision=2, changed=True, assessed_on=D(2026, 9, 1), installments=((1, 6_000, D(2026, 6, 30)),)
        ),
    )

    inst = await service.one(orm.installments)
    assert (inst["principal_tax"], inst["paid"]) == (6_000, 6_000)
    stored = await service.one(orm.overpayments)
    assert (stored["amount"], stored["cause"], stored["receipt_id"], stored["arose_on"]) == (
        4_000,
        "reassessment",
        None,
        D(2026, 9, 1),
    )

    events = await service.events()
    assert [k for k, _ in events] == [RECORDED, RECEIPT, SETTLED, OVERPAID, RECORDED]
    overpayment = events[3][1]
    assert (
        overpayment["overpayment_id"],
        overpayment["amount"],
        overpayment["cause"],
        overpayment["arose_on"],
        overpayment["installment_no"],
    ) == (stored["overpayment_id"], 4_000, "reassessment", "2026-09-01", 1)
    recorded = events[4][1]
    assert recorded["ledger_version"] == 3
    assert recorded["installments"] == [
        {"installment_no": 1, "principal_tax": 6_000, "due_date": "2026-06-30", "paid": 6_000}
    ]


async def test_reduction_above_paid_creates_no_overpayment(service):
    await service.handle(handlers.record_assessment, assessment())
    await service.handle(handlers.record_receipt, receipt(4_000))
    await service.handle(
        handlers.record_assessment,
        assessment(revision=2, changed=True, installments=((1, 6_000, D(2026, 6, 30)),)),
    )
    assert (await service.one(orm.installments))["paid"] == 4_000
    assert await service.rows(orm.overpayments) == []
    assert OVERPAID not in [k for k, _ in await service.events()]


async def test_reassessment_overpayment_carries_the_payment_date(service):
    await service.handle(handlers.record_assessment, assessment())
    await service.handle(handlers.record_receipt, receipt(10_000, paid_on=D(2026, 6, 20)))
    await service.handle(
        handlers.record_assessment,
        assessment(
            revision=2, changed=True, assessed_on=D(2026, 9, 1), installments=((1, 6_000, D(2026, 6, 30)),)
        ),
    )
    [overpayment] = [b for k, b in await service.events() if k == OVERPAID]
    assert overpayment["paid_on"] == "2026-06-20"


@pytest.mark.parametrize(
    ("changes", "stored"),
    [
        pytest.param([(1, False)], (1, False), id="first"),
        pytest.param([(1, False), (2, True)], (2, True), id="newer-applied"),
        pytest.param([(2, True), (1, False)], (2, True), id="older-ignored"),
        pytest.param([(2, True), (2, False)], (2, True), id="same-ignored"),
    ],
)
async def test_addressee_copy_is_versioned(service, changes, stored):
    for version, protected in changes:
        deceased_on = D(2026, 5, 1) if protected else None
        await service.handle(handlers.apply_addressee_change, addressee(version, protected, deceased_on))
    row = await service.one(orm.addressees)
    assert (row["version"], row["protected"]) == stored
    assert row["deceased_on"] == (D(2026, 5, 1) if stored[1] else None)
    assert await service.events() == []
