"""Collection's subscriptions through FastStream's in-memory broker (routing → consumer wrapper → handler)."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_collection.adapters import orm
from osame_contracts.messages import address_sync, gateway, receipts
from osame_contracts.topology import SUBSCRIPTIONS

D = dt.date
NOTICE = "R8-000004"
ADDRESSEE = "100004"


def recorded():
    return receipts.AssessmentRecorded(
        addressee_id=ADDRESSEE,
        notice_number=NOTICE,
        tax_item="light_vehicle_tax",
        fiscal_year=2026,
        ledger_version=1,
        installments=[
            receipts.RecordedInstallment(
                installment_no=0, principal_tax=10_800, due_date=D(2026, 6, 1), paid=0
            )
        ],
    )


def state(model, ledger_version, paid):
    return model(
        items=[
            receipts.InstallmentState(
                addressee_id=ADDRESSEE,
                tax_item="resident_tax",
                fiscal_year=2026,
                due_date=D(2026, 6, 30),
                notice_number=NOTICE,
                installment_no=0,
                principal_tax=10_800,
                paid=paid,
                remaining=10_800 - paid,
                last_paid_on=D(2026, 5, 20),
                ledger_version=ledger_version,
            )
        ]
    )


def receipt_recorded():
    return receipts.ReceiptRecorded(
        receipt_id="r-1",
        addressee_id=ADDRESSEE,
        notice_number=NOTICE,
        installment_no=0,
        channel=receipts.Channel.MPN,
        amount=10_800,
        applied=10_800,
        overpaid=0,
        paid_on=D(2026, 5, 20),
        booked_on=D(2026, 5, 21),
        preliminary=False,
    )


def addressee_changed():
    return address_sync.AddresseeChanged(
        addressee_id=ADDRESSEE,
        version=1,
        name="試験 次郎",
        name_kana="シケン ジロウ",
        postal_code="933-0001",
        address="富山県高岡市試験町2番2号",
        protected=False,
    )


def refused():
    return gateway.IncomeQueryRefused(
        query_id="q-9", addressee_id=ADDRESSEE, reason="not_on_permitted_query_list"
    )


def test_subscribes_every_message_of_its_topology_row(service):
    service.spec.register(service.runtime)
    names = service.runtime.names
    assert service.runtime.queues == [names.queue("collection", m) for m in SUBSCRIPTIONS["collection"]]


async def test_ledger_events_are_routed_to_the_projection(service, bus):
    await service.deliver(bus, recorded())
    await service.deliver(bus, state(receipts.InstallmentsPartlyPaid, 2, 800))
    row = await service.one(orm.installments)
    assert (row["paid"], row["status"], row["ledger_version"]) == (800, "open", 2)

    await service.deliver(bus, state(receipts.InstallmentsSettled, 3, 10_800))
    await service.deliver(bus, receipt_recorded())
    row = await service.one(orm.installments)
    assert (row["paid"], row["status"], row["ledger_version"], row["last_receipt_on"]) == (
        10_800,
        "paid",
        3,
        D(2026, 5, 20),
    )
    assert await service.inbox_count() == 4


async def test_addressee_changed_is_routed_to_the_copy(service, bus):
    await service.deliver(bus, addressee_changed())
    assert (await service.one(orm.addressees))["address"] == "富山県高岡市試験町2番2号"


async def test_income_query_refused_is_routed_to_the_inquiry(service, bus):
    await service.made_income_query("q-9", ADDRESSEE)
    await service.deliver(bus, refused())
    assert (await service.one(orm.asset_inquiries))["status"] == "refused"


@pytest.mark.parametrize(
    ("make", "table"),
    [(recorded, orm.installments), (addressee_changed, orm.addressees), (refused, orm.asset_inquiries)],
    ids=["assessment", "addressee", "refusal"],
)
async def test_same_message_id_twice_is_applied_once(service, bus, make, table):
    message = make()
    if make is refused:
        await service.made_income_query("q-9", ADDRESSEE)
    await service.deliver(bus, message, message_id="dup-1")
    rows = await service.rows(table)
    await service.deliver(bus, message, message_id="dup-1")
    assert await service.inbox_count() == 1
    assert service.duplicates() == 1
    assert await service.rows(table) == rows


async def test_settled_and_partly_paid_share_no_queue(service, bus):
    """Same body, same message_id, two message types: each queue's inbox records it once."""
    await service.deliver(bus, recorded())
    await service.deliver(bus, state(receipts.InstallmentsSettled, 2, 10_800), message_id="m-7")
    await service.deliver(bus, state(receipts.InstallmentsPartlyPaid, 3, 10_800), message_id="m-7")
    assert (await service.one(orm.installments))["ledger_version"] == 3
    assert service.duplicates() == 0


async def test_wrong_message_type_is_rejected_without_effect(service, bus):
    await service.deliver(bus, recorded(), message_type=receipts.ReceiptRecorded.message_type())
    assert service.rejected() == 1
    assert await service.rows(orm.installments) == []
    assert await service.inbox_count() == 0


def answered(query_id: str = "q-9", addressee_id: str = ADDRESSEE) -> gateway.IncomeQueryAnswered:
    return gateway.IncomeQueryAnswered(
        query_id=query_id,
        addressee_id=addressee_id,
        fiscal_year=2025,
        certificate_id="cert-1",
        provider="高岡市長",
        answered_at=dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC),
        income=None,
    )


async def test_an_answer_to_a_query_never_made_is_dead_lettered(service, bus):
    """Issue 13 item 1: collection stored income answers (and refusals) for queries it never made."""
    await service.deliver(bus, answered("q-never-made"))
    await service.deliver(bus, refused())
    assert service.rejected() == 2
    assert await service.rows(orm.asset_inquiries) == []
    assert await service.inbox_count() == 0


async def test_an_answer_about_another_addressee_than_asked_is_dead_lettered(service, bus):
    await service.made_income_query("q-9", ADDRESSEE)
    await service.deliver(bus, answered("q-9", addressee_id="100999"))
    assert service.rejected() == 1
    assert (await service.one(orm.asset_inquiries))["status"] == "requested"


async def test_an_answer_to_its_own_query_is_recorded(service, bus):
    await service.made_income_query("q-9", ADDRESSEE)
    await service.deliver(bus, answered("q-9"))
    row = await service.one(orm.asset_inquiries)
    assert (row["status"], row["detail"]["certificate_id"]) == ("answered", "cert-1")
