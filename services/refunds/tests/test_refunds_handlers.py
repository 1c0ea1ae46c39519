"""Refunds use case over a real (SQLite) database: the 過誤納金 register."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_contracts.messages import receipts
from osame_refunds.adapters import orm
from osame_refunds.adapters.repository import stats
from osame_refunds.service_layer import handlers

D = dt.date


def detected(overpayment_id="op-1", amount=3_000, cause=receipts.OverpaymentCause.ERRONEOUS_PAYMENT):
    return receipts.OverpaymentDetected(
        overpayment_id=overpayment_id,
        addressee_id="100005",
        notice_number="R8-000005",
        installment_no=2,
        amount=amount,
        cause=cause,
        arose_on=D(2026, 6, 23),
        paid_on=D(2026, 6, 20),
    )


@pytest.mark.parametrize("cause", list(receipts.OverpaymentCause), ids=lambda c: c.value)
async def test_overpayment_is_registered_and_with_nothing_owed_becomes_a_refund(service, cause):
    await service.handle(handlers.register_overpayment, detected(cause=cause))
    row = await service.one(orm.overpayments)
    assert {
        k: row[k]
        for k in (
            "overpayment_id",
            "addressee_id",
            "notice_number",
            "installment_no",
            "amount",
            "cause",
            "arose_on",
            "paid_on",
            "status",
        )
    } == {
        "overpayment_id": "op-1",
        "addressee_id": "100005",
        "notice_number": "R8-000005",
        "installment_no": 2,
        "amount": 3_000,
        "cause": cause.value,
        "arose_on": D(2026, 6, 23),
        "paid_on": D(2026, 6, 20),
        "status": "refund_decided",
    }
    assert row["registered_at"] is not None
    assert (row["appropriated"], row["refunded"]) == (0, 3_000)
    [refund] = await service.rows(orm.refunds)
    assert (refund["amount"], refund["cause"], refund["status"]) == (3_000, cause.value, "pending_approval")
    assert await service.events() == []  # nothing owed: no 充当 command


async def test_a_settle_after_the_refund_decision_leaves_it_decided(service):
    """Settling again (a 充当 refused, a new ledger view arriving later) changes nothing: the
    status does not depend on the order those messages arrive in."""
    from osame_refunds.service_layer import settlement

    await service.handle(handlers.register_overpayment, detected())
    before = await service.one(orm.overpayments)
    assert before["status"] == "refund_decided"
    async with service.runtime.unit_of_work() as uow:
        await settlement.settle("op-1", uow, D(2026, 7, 1))
        await uow.commit()
    assert await service.one(orm.overpayments) == before


async def test_overpayment_is_registered_once(service):
    await service.handle(handlers.register_overpayment, detected())
    first = await service.rows(orm.overpayments)
    await service.handle(handlers.register_overpayment, detected(amount=9_999))
    assert await service.rows(orm.overpayments) == first


async def test_distinct_overpayments_are_each_registered(service):
    await service.handle(handlers.register_overpayment, detected("op-1", 3_000))
    await service.handle(handlers.register_overpayment, detected("op-2", 4_000))
    async with service.runtime.sessions() as session:
        figures = await stats(session)
    assert (figures["overpayments"], figures["refunds"], figures["held_yen"], figures["refunded_yen"]) == (
        2,
        2,
        0,
        7_000,
    )
