"""Collection use cases over a real (SQLite) database: the ledger projection, addressees, inquiries."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_collection.adapters import orm
from osame_collection.service_layer import handlers
from osame_contracts.messages import address_sync, gateway, receipts

D = dt.date
NOTICE = "R8-000003"
ADDRESSEE = "100003"


def recorded(ledger_version=1, installments=((1, 10_000, 0), (2, 9_000, 9_000))):
    return receipts.AssessmentRecorded(
        addressee_id=ADDRESSEE,
        notice_number=NOTICE,
        tax_item="resident_tax",
        fiscal_year=2026,
        ledger_version=ledger_version,
        installments=[
            receipts.RecordedInstallment(
                installment_no=n, principal_tax=p, due_date=D(2026, 6, 30), paid=paid
            )
            for n, p, paid in installments
        ],
    )


def state(model, ledger_version, paid, installment_no=1, principal_tax=10_000):
    return model(
        items=[
            receipts.InstallmentState(
                addressee_id=ADDRESSEE,
                tax_item="resident_tax",
                fiscal_year=2026,
                due_date=D(2026, 6, 30),
                notice_number=NOTICE,
                installment_no=installment_no,
                principal_tax=principal_tax,
                paid=paid,
                remaining=max(principal_tax - paid, 0),
                last_paid_on=D(2026, 6, 20),
                ledger_version=ledger_version,
            )
        ]
    )


def receipt_recorded(paid_on, installment_no=1):
    return receipts.ReceiptRecorded(
        receipt_id=f"r-{paid_on.isoformat()}",
        addressee_id=ADDRESSEE,
        notice_number=NOTICE,
        installment_no=installment_no,
        channel=receipts.Channel.COUNTER,
        amount=1_000,
        applied=1_000,
        overpaid=0,
        paid_on=paid_on,
        booked_on=paid_on,
        preliminary=False,
    )


def addressee(version, name="試験 太郎", protected=False):
    return address_sync.AddresseeChanged(
        addressee_id=ADDRESSEE,
        version=version,
        name=name,
        name_kana="シケン タロウ",
        postal_code="" if protected else "933-0000",
        address="" if protected else "富山県高岡市試験町1番1号",
        protected=protected,
    )


async def installment(service, installment_no=1) -> dict:
    [row] = [r for r in await service.rows(orm.installments) if r["installment_no"] == installment_no]
    return row


async def test_assessment_is_projected(service):
    await service.handle(handlers.project_assessment, recorded())
    rows = await service.rows(orm.installments)
    assert [
        (
            r["installment_no"],
            r["principal_tax"],
            r["paid"],
            r["status"],
            r["ledger_version"],
            r["addressee_id"],
            r["tax_item"],
            r["last_receipt_on"],
        )
        for r in rows
    ] == [
        (1, 10_000, 0, "open", 1, ADDRESSEE, "resident_tax", None),
        (2, 9_000, 9_000, "paid", 1, ADDRESSEE, "resident_tax", None),
    ]
    assert await service.events() == []


@pytest.mark.parametrize(
    ("second_version", "principal_tax"),
    [
        pytest.param(3, 7_000, id="newer-applied"),
        pytest.param(2, 10_000, id="same-ignored"),
        pytest.param(1, 10_000, id="older-ignored"),
    ],
)
async def test_assessment_projection_ignores_stale_versions(service, second_version, principal_tax):
    await service.handle(handlers.project_assessment, recorded(ledger_version=2))
    await service.handle(
        handlers.project_assessment,
        recorded(ledger_version=second_version, installments=((1, 7_000, 0), (2, 9_000, 9_000))),
    )
    row = await installment(service)
    assert row["principal_tax"] == principal_tax
    assert row["ledger_version"] == max(2, second_version)


@pytest.mark.parametrize(
    "model", [receipts.InstallmentsSettled, receipts.InstallmentsPartlyPaid], ids=["settled", "partly-paid"]
)
@pytest.mark.parametrize(
    ("incoming_version", "applied"),
    [
        pytest.param(4, True, id="newer"),
        pytest.param(3, False, id="same"),
        pytest.param(2, False, id="older"),
    ],
)
async def test_installment_states_apply_only_when_newer(service, model, incoming_version, applied):
    await service.handle(handlers.project_assessment, recorded(ledger_version=3))
    paid = 10_000 if model is receipts.InstallmentsSettled else 4_000
    await service.handle(handlers.project_installment_states, state(model, incoming_version, paid))

    row = await installment(service)
    if applied:
        expected_status = "paid" if paid == 10_000 else "open"
        assert (row["paid"], row["status"], row["ledger_version"]) == (
            paid,
            expected_status,
            incoming_version,
        )
    else:
        assert (row["paid"], row["status"], row["ledger_version"]) == (0, "open", 3)
    assert (await installment(service, 2))["ledger_version"] == 3  # the other installment is untouched


async def test_partly_paid_then_settled(service):
    await service.handle(handlers.project_assessment, recorded())
    await service.handle(
        handlers.project_installment_states, state(receipts.InstallmentsPartlyPaid, 2, 4_000)
    )
    assert ((await installment(service))["status"], (await installment(service))["paid"]) == ("open", 4_000)
    await service.handle(handlers.project_installment_states, state(receipts.InstallmentsSettled, 3, 10_000))
    assert ((await installment(service))["status"], (await installment(service))["paid"]) == ("paid", 10_000)


async def test_state_for_unknown_installment_creates_it(service):
    """The state event carries everything the projection needs, so arriving first loses nothing."""
    await service.handle(handlers.project_installment_states, state(receipts.InstallmentsSettled, 2, 10_000))
    row = await installment(service)
    assert (row["status"], row["paid"], row["due_date"], row["ledger_version"]) == (
        "paid",
        10_000,
        D(2026, 6, 30),
        2,
    )


async def test_settled_before_its_assessment_is_not_lost(service):
    await service.handle(handlers.project_installment_states, state(receipts.InstallmentsSettled, 2, 10_000))
    await service.handle(handlers.project_assessment, recorded(ledger_version=1))
    assert ((await installment(service))["status"], (await installment(service))["paid"]) == ("paid", 10_000)


@pytest.mark.parametrize(
    ("paid_on_dates", "latest"),
    [
        pytest.param([D(2026, 6, 20)], D(2026, 6, 20), id="first"),
        pytest.param([D(2026, 6, 20), D(2026, 6, 25)], D(2026, 6, 25), id="later-replaces"),
        pytest.param([D(2026, 6, 25), D(2026, 6, 20)], D(2026, 6, 25), id="earlier-ignored"),
        pytest.param([D(2026, 6, 25), D(2026, 6, 25)], D(2026, 6, 25), id="same-day"),
    ],
)
async def test_note_receipt_keeps_latest_paid_on(service, paid_on_dates, latest):
    await service.handle(handlers.project_assessment, recorded())
    for paid_on in paid_on_dates:
        await service.handle(handlers.note_receipt, receipt_recorded(paid_on))
    assert (await installment(service))["last_receipt_on"] == latest
    assert (await installment(service, 2))["last_receipt_on"] is None


@pytest.mark.parametrize(
    "applied", [pytest.param([1_000, 0], id="lowered"), pytest.param([0, 1_000], id="reordered")]
)
async def test_re_announced_receipt_keeps_the_lowest_applied(service, applied):
    """receipts re-derives a split (a receipt ranking earlier arrived later) and re-announces the
    receipt with less applied; the two announcements may arrive in either order."""
    await service.handle(handlers.project_assessment, recorded())
    for yen in applied:
        event = receipt_recorded(D(2026, 6, 20)).model_copy(update={"applied": yen, "overpaid": 1_000 - yen})
        await service.handle(handlers.note_receipt, event)
    assert (await service.one(orm.receipts))["applied"] == 0


async def test_receipt_before_its_assessment_is_not_lost(service):
    await service.handle(handlers.note_receipt, receipt_recorded(D(2026, 6, 20)))
    await service.handle(handlers.project_assessment, recorded())
    assert (await installment(service))["last_receipt_on"] == D(2026, 6, 20)


@pytest.mark.parametrize(
    ("changes", "stored"),
    [
        pytest.param([(1, "甲")], (1, "甲"), id="first"),
        pytest.param([(1, "甲"), (2, "乙")], (2, "乙"), id="newer-applied"),
        pytest.param([(2, "乙"), (1, "甲")], (2, "乙"), id="older-ignored"),
        pytest.param([(2, "乙"), (2, "丙")], (2, "乙"), id="same-ignored"),
    ],
)
async def test_addressee_copy_is_versioned(service, changes, stored):
    for version, name in changes:
        await service.handle(handlers.apply_addressee_change, addressee(version, name))
    row = await service.one(orm.addressees)
    assert (row["version"], row["name"]) == stored


async def test_protected_addressee_copy_has_no_address(service):
    await service.handle(handlers.apply_addressee_change, addressee(1))
    await service.handle(handlers.apply_addressee_change, addressee(2, protected=True))
    row = await service.one(orm.addressees)
    assert (row["protected"], row["address"], row["postal_code"]) == (True, "", "")


async def test_query_refusal_is_recorded(service):
    await service.made_income_query("q-1", ADDRESSEE)
    refused = gateway.IncomeQueryRefused(
        query_id="q-1", addressee_id=ADDRESSEE, reason="not_on_permitted_query_list"
    )
    await service.handle(handlers.record_query_refusal, refused)
    row = await service.one(orm.asset_inquiries)
    assert (row["query_id"], row["addressee_id"], row["status"], row["reason"]) == (
        "q-1",
        ADDRESSEE,
        "refused",
        "not_on_permitted_query_list",
    )

    await service.handle(
        handlers.record_query_refusal, refused.model_copy(update={"reason": "linkage_not_configured"})
    )
    row = await service.one(orm.asset_inquiries)
    assert (row["status"], row["reason"]) == ("refused", "linkage_not_configured")
    assert await service.events() == []


async def test_appropriation_hold_survives_any_arrival_order(service):
    from osame_collection.service_layer import linkage
    from osame_contracts.messages import refunds

    line = {"notice_number": NOTICE, "installment_no": 1, "component": "principal_tax", "amount": 1_000}
    decided = refunds.AppropriationDecided(
        appropriation_id="ap-1",
        overpayment_id="op-1",
        addressee_id=ADDRESSEE,
        appropriable_on=D(2026, 6, 30),
        items=[line],
    )
    settled = refunds.AppropriationSettled(
        appropriation_id="ap-1", addressee_id=ADDRESSEE, outcome="applied", items=[line]
    )
    await service.handle(linkage.hold_for_appropriation, decided)
    assert len(await service.rows(orm.demand_holds)) == 1
    await service.handle(linkage.release_after_appropriation, settled)
    assert await service.rows(orm.demand_holds) == []
    # The other order: the outcome overtakes the decision; no stale hold is left.
    later = decided.model_copy(update={"appropriation_id": "ap-2"})
    await service.handle(
        linkage.release_after_appropriation, settled.model_copy(update={"appropriation_id": "ap-2"})
    )
    await service.handle(linkage.hold_for_appropriation, later)
    assert await service.rows(orm.demand_holds) == []
