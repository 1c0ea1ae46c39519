"""Refunds' subscription through FastStream's in-memory broker (routing → consumer wrapper → handler)."""

from __future__ import annotations

import datetime as dt

from osame_contracts.messages import receipts
from osame_contracts.topology import SUBSCRIPTIONS
from osame_refunds.adapters import orm


def detected(overpayment_id="op-r1"):
    return receipts.OverpaymentDetected(
        overpayment_id=overpayment_id,
        addressee_id="100006",
        notice_number="R8-000006",
        installment_no=1,
        amount=500,
        cause=receipts.OverpaymentCause.REASSESSMENT,
        arose_on=dt.date(2026, 9, 1),
        paid_on=dt.date(2026, 6, 20),
    )


def test_subscribes_every_message_of_its_topology_row(service):
    service.spec.register(service.runtime)
    names = service.runtime.names
    assert service.runtime.queues == [names.queue("refunds", m) for m in SUBSCRIPTIONS["refunds"]]


async def test_overpayment_detected_is_routed_to_the_register(service, bus):
    await service.deliver(bus, detected())
    row = await service.one(orm.overpayments)
    assert (row["overpayment_id"], row["cause"], row["status"]) == ("op-r1", "reassessment", "refund_decided")


async def test_same_message_id_twice_is_applied_once(service, bus):
    await service.deliver(bus, detected(), message_id="dup-1")
    await service.deliver(bus, detected(), message_id="dup-1")
    assert await service.inbox_count() == 1
    assert service.duplicates() == 1
    assert await service.count(orm.overpayments) == 1


async def test_same_overpayment_under_a_new_message_id_is_registered_once(service, bus):
    """A re-published event (new message_id) still yields one register entry, keyed by overpayment_id."""
    await service.deliver(bus, detected(), message_id="m-1")
    await service.deliver(bus, detected(), message_id="m-2")
    assert await service.inbox_count() == 2
    assert await service.count(orm.overpayments) == 1


async def test_invalid_body_is_rejected_without_effect(service, bus):
    body = detected().model_dump_json().replace('"amount":500', '"amount":0').encode()
    assert b'"amount":0' in body
    await service.deliver(bus, detected(), body=body)
    assert service.rejected() == 1
    assert await service.count(orm.overpayments) == 0
    assert await service.inbox_count() == 0
