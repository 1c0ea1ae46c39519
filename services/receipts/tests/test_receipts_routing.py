"""Receipts' subscriptions through FastStream's in-memory broker: exchange + routing key → wrapper → handler.

TestRabbitBroker hands the consumer an aio-pika IncomingMessage, so `raw_message.message_id`
and `.type` are the ones published here. It cannot show a missing message_id: when none is
given it fills in the correlation id. Rejections and requeues are no-ops in memory, so they
are observed through the service's `rejected` metric and the unchanged database.
"""

from __future__ import annotations

import datetime as dt

import pytest
from osame_contracts.messages import address_sync, receipts, taxation
from osame_contracts.topology import SUBSCRIPTIONS
from osame_receipts.adapters import orm

D = dt.date
NOTICE = "R8-000002"


def registered(revision=1, principal_tax=10_000, model=taxation.AssessmentRegistered):
    return model(
        addressee_id="100002",
        notice_number=NOTICE,
        fiscal_year=2026,
        tax_year=2026,
        tax_item=taxation.TaxItem.FIXED_ASSET_TAX,
        revision=revision,
        assessed_on=D(2026, 4, 1),
        installments=[
            taxation.AssessedInstallment(
                installment_no=1, principal_tax=principal_tax, due_date=D(2026, 10, 31)
            )
        ],
    )


def record_receipt(amount=10_000):
    return receipts.RecordReceipt(
        channel=receipts.Channel.DIRECT_DEBIT,
        channel_key="dd-1",
        notice_number=NOTICE,
        installment_no=1,
        amount=amount,
        paid_on=D(2026, 11, 2),
        booked_on=D(2026, 11, 2),
    )


def addressee_changed():
    return address_sync.AddresseeChanged(
        addressee_id="100002",
        version=1,
        name="試験 花子",
        name_kana="シケン ハナコ",
        postal_code="",
        address="",
        protected=True,
    )


def test_subscribes_every_message_of_its_topology_row(service):
    service.spec.register(service.runtime)
    names = service.runtime.names
    assert service.runtime.queues == [names.queue("receipts", m) for m in SUBSCRIPTIONS["receipts"]]


async def test_assessment_registered_is_routed_to_the_ledger(service, bus):
    await service.deliver(bus, registered())
    row = await service.one(orm.installments)
    assert (row["principal_tax"], row["due_date"]) == (10_000, D(2026, 11, 2))
    assert await service.inbox_count() == 1


async def test_assessment_changed_is_routed_to_the_ledger(service, bus):
    await service.deliver(bus, registered())
    await service.deliver(bus, registered(revision=2, principal_tax=8_000, model=taxation.AssessmentChanged))
    assert (await service.one(orm.installments))["principal_tax"] == 8_000
    assert (await service.one(orm.notices))["revision"] == 2


async def test_record_receipt_command_is_routed_and_reconciled(service, bus):
    await service.deliver(bus, registered())
    await service.deliver(bus, record_receipt())
    assert (await service.one(orm.installments))["paid"] == 10_000
    assert [k for k, _ in await service.events()] == [
        receipts.AssessmentRecorded.routing_key,
        receipts.ReceiptRecorded.routing_key,
        receipts.InstallmentsSettled.routing_key,
    ]


async def test_addressee_changed_is_routed_to_the_addressee_copy(service, bus):
    await service.deliver(bus, addressee_changed())
    row = await service.one(orm.addressees)
    assert (row["addressee_id"], row["protected"]) == ("100002", True)


@pytest.mark.parametrize(
    "make", [registered, record_receipt, addressee_changed], ids=["assessment", "receipt", "addressee"]
)
async def test_same_message_id_twice_is_applied_once(service, bus, make):
    if make is record_receipt:
        await service.deliver(bus, registered())
    before = await service.inbox_count()
    message = make()
    await service.deliver(bus, message, message_id="0b7c6c1e-0000-4000-8000-000000000001")
    snapshot = (
        await service.rows(orm.receipts),
        await service.rows(orm.installments),
        await service.events(),
    )
    await service.deliver(bus, message, message_id="0b7c6c1e-0000-4000-8000-000000000001")

    assert await service.inbox_count() == before + 1
    assert service.duplicates() == 1
    assert (
        await service.rows(orm.receipts),
        await service.rows(orm.installments),
        await service.events(),
    ) == snapshot


async def test_wrong_message_type_is_rejected_without_effect(service, bus):
    await service.deliver(bus, registered(), message_type=receipts.RecordReceipt.message_type())
    assert service.rejected() == 1
    assert await service.rows(orm.notices) == []
    assert await service.inbox_count() == 0


async def test_invalid_body_is_rejected_without_effect(service, bus):
    body = registered().model_dump_json().replace('"revision":1', '"revision":0').encode()
    assert b'"revision":0' in body
    await service.deliver(bus, registered(), body=body)
    assert service.rejected() == 1
    assert await service.rows(orm.notices) == []
    assert await service.inbox_count() == 0


async def test_receipt_command_does_not_reach_event_subscribers(service, bus):
    """A command on the events exchange is not routed (only `osame.commands` carries it)."""
    from faststream.exceptions import SubscriberNotFound

    message = record_receipt()
    with pytest.raises(SubscriberNotFound):
        await bus.publish(
            message.model_dump_json().encode(),
            exchange=service.runtime.names.events(),
            routing_key=message.routing_key,
            message_id="x-1",
            message_type=message.message_type(),
        )
