"""Refund watch: refunds' 還付 events in collection — the 充当 cross-check at the decision, the 折衝
task for a returned transfer, closed by the payment; any arrival order, duplicates applied once."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_collection.adapters import orm
from osame_collection.domain.refund_watch import (
    MissedAppropriation,
    TaskStatus,
    WatchedInstallment,
    missed_appropriations,
    refund_status,
    task_status_on_failure,
)
from osame_collection.service_layer import handlers, linkage, refund_watch
from osame_collection.service_layer.cases import ViewCase, delinquency_view
from osame_contracts.messages import receipts, refunds

D = dt.date
ADDRESSEE = "100021"
DECIDED = D(2026, 8, 20)


def inst(no, due, principal=10_000, paid=0, **flags):
    return WatchedInstallment("K1", no, due, principal, paid, **flags)


# -- the rule ----------------------------------------------------------------------------------

MISSED_CASES = [
    ("nothing owed", [inst(1, D(2026, 6, 30), paid=10_000)], []),
    ("owed and due before the decision", [inst(1, D(2026, 6, 30), paid=4_000)], [(1, 6_000)]),
    ("due on the decision day is payable", [inst(1, DECIDED)], [(1, 10_000)]),
    ("due the day after: not yet payable (充当申出 only)", [inst(1, DECIDED + dt.timedelta(days=1))], []),
    ("a 充当 is in flight for it", [inst(1, D(2026, 6, 30), appropriation_pending=True)], []),
    ("written off (不納欠損): nothing to appropriate to", [inst(1, D(2026, 6, 30), written_off=True)], []),
    ("overpaid installment owes nothing", [inst(1, D(2026, 6, 30), paid=12_000)], []),
    (
        "oldest 納期限 first",
        [inst(3, D(2026, 7, 31)), inst(2, D(2026, 4, 30), paid=1), inst(4, D(2026, 9, 30))],
        [(2, 9_999), (3, 10_000)],
    ),
]


@pytest.mark.parametrize(
    ("installments", "expected"), [c[1:] for c in MISSED_CASES], ids=[c[0] for c in MISSED_CASES]
)
def test_missed_appropriations(installments, expected):
    found = missed_appropriations(DECIDED, installments)
    assert [(m.installment_no, m.unpaid) for m in found] == expected
    assert all(isinstance(m, MissedAppropriation) for m in found)


@pytest.mark.parametrize(
    ("paid_on", "last_failed_on", "status", "task"),
    [
        (None, None, "decided", TaskStatus.OPEN),
        (None, D(2026, 9, 1), "returned", TaskStatus.OPEN),
        (D(2026, 9, 10), D(2026, 9, 1), "paid", TaskStatus.RESOLVED),
        (D(2026, 9, 10), None, "paid", TaskStatus.RESOLVED),
    ],
)
def test_refund_status_and_task_on_failure(paid_on, last_failed_on, status, task):
    assert refund_status(paid_on, last_failed_on) == status
    assert task_status_on_failure(paid_on) == task


# -- the use cases over SQLite -----------------------------------------------------------------


def assessed(installments):
    return receipts.AssessmentRecorded(
        addressee_id=ADDRESSEE,
        notice_number="K1",
        tax_item="fixed_asset_tax",
        fiscal_year=2026,
        ledger_version=1,
        installments=[
            receipts.RecordedInstallment(installment_no=n, principal_tax=p, due_date=due, paid=paid)
            for n, p, due, paid in installments
        ],
    )


def decided(refund_id="rf-1", on=DECIDED):
    return refunds.RefundDecided(
        refund_id=refund_id,
        overpayment_id="op-1",
        addressee_id=ADDRESSEE,
        amount=50_000,
        refund_interest=1_000,
        decided_on=on,
    )


def failed(on, refund_id="rf-1"):
    return refunds.RefundFailed(
        refund_id=refund_id, addressee_id=ADDRESSEE, reason="account_closed", failed_on=on
    )


def paid(on, refund_id="rf-1"):
    return refunds.RefundPaid(
        refund_id=refund_id, addressee_id=ADDRESSEE, amount=50_000, refund_interest=1_000, paid_on=on
    )


async def actions(service) -> list[str]:
    return [e["operation"] for e in await service.rows(orm.audit_log)]


async def test_a_refund_decided_while_tax_was_owed_raises_an_alert(service):
    await service.handle(
        handlers.project_assessment,
        assessed(
            [
                (1, 10_000, D(2026, 4, 30), 10_000),
                (2, 10_000, D(2026, 7, 31), 2_500),
                (3, 10_000, D(2026, 12, 25), 0),
            ]
        ),
    )
    await service.handle(refund_watch.check_refund_decided, decided())
    row = await service.one(orm.refund_watch)
    assert (row["amount"], row["refund_interest"], row["decided_on"], row["unpaid_total"]) == (
        50_000,
        1_000,
        DECIDED,
        7_500,
    )
    assert row["unpaid_at_decision"] == [
        {"notice_number": "K1", "installment_no": 2, "due_date": "2026-07-31", "unpaid": 7_500}
    ]
    [entry] = [e for e in await service.rows(orm.audit_log) if e["operation"] == "refund.unappropriated_debt"]
    assert entry["addressee_id"] == ADDRESSEE and entry["detail"]["installments"] == [["K1", 2]]
    assert entry["user_id"] == "system"

    # A redelivery (another message id) checks nothing twice.
    await service.handle(refund_watch.check_refund_decided, decided())
    assert (await actions(service)).count("refund.unappropriated_debt") == 1

    view = await service.handle(
        delinquency_view, ViewCase(addressee_id=ADDRESSEE, as_of=DECIDED, staff_user="s1")
    )
    [shown] = view["refunds"]
    assert (shown["refund_id"], shown["status"], shown["unappropriated_debt_alert"]) == (
        "rf-1",
        "decided",
        True,
    )
    assert view["refund_contact_tasks"] == []


async def test_no_alert_when_nothing_payable_is_owed_or_a_appropriation_is_pending(service):
    await service.handle(
        handlers.project_assessment,
        assessed([(1, 10_000, D(2026, 4, 30), 0), (2, 10_000, D(2026, 12, 25), 0)]),
    )
    await service.handle(
        linkage.hold_for_appropriation,
        refunds.AppropriationDecided(
            appropriation_id="ap-1",
            overpayment_id="op-0",
            addressee_id=ADDRESSEE,
            appropriable_on=D(2026, 5, 1),
            items=[
                refunds.AppropriationLine(
                    notice_number="K1", installment_no=1, component="principal_tax", amount=10_000
                )
            ],
        ),
    )
    await service.handle(refund_watch.check_refund_decided, decided())
    row = await service.one(orm.refund_watch)
    assert (row["unpaid_total"], row["unpaid_at_decision"]) == (0, [])
    assert "refund.unappropriated_debt" not in await actions(service)


async def test_a_returned_transfer_opens_a_contact_task_that_the_payment_resolves(service):
    await service.handle(handlers.project_assessment, assessed([(1, 10_000, D(2026, 4, 30), 10_000)]))
    await service.handle(refund_watch.check_refund_decided, decided())
    await service.handle(refund_watch.open_contact_task, failed(D(2026, 9, 1)))
    await service.handle(refund_watch.open_contact_task, failed(D(2026, 9, 1)))  # duplicate
    [task] = await service.rows(orm.refund_contact_tasks)
    assert (task["status"], task["reason"], task["resolved_on"]) == ("open", "account_closed", None)
    view = await service.handle(
        delinquency_view, ViewCase(addressee_id=ADDRESSEE, as_of=DECIDED, staff_user="s1")
    )
    assert view["refunds"][0]["status"] == "returned"
    assert [t["status"] for t in view["refund_contact_tasks"]] == ["open"]

    await service.handle(refund_watch.close_after_payment, paid(D(2026, 9, 15)))
    [task] = await service.rows(orm.refund_contact_tasks)
    assert (task["status"], task["resolved_on"]) == ("resolved", D(2026, 9, 15))
    row = await service.one(orm.refund_watch)
    assert (row["paid_on"], row["last_failed_on"]) == (D(2026, 9, 15), D(2026, 9, 1))
    assert [a for a in await actions(service) if a.startswith("refund.")] == [
        "refund.contact_task.open",
        "refund.contact_task.resolved",
    ]


async def test_events_in_any_order_end_in_the_same_state(service):
    """paid overtakes failed, and both overtake decided (three queues): no task left open."""
    await service.handle(handlers.project_assessment, assessed([(1, 10_000, D(2026, 4, 30), 10_000)]))
    await service.handle(refund_watch.close_after_payment, paid(D(2026, 9, 15)))
    await service.handle(refund_watch.open_contact_task, failed(D(2026, 9, 1)))
    await service.handle(refund_watch.check_refund_decided, decided())
    [task] = await service.rows(orm.refund_contact_tasks)
    assert (task["status"], task["resolved_on"]) == ("resolved", D(2026, 9, 15))
    row = await service.one(orm.refund_watch)
    assert (row["amount"], row["decided_on"], row["paid_on"], row["last_failed_on"], row["unpaid_total"]) == (
        50_000,
        DECIDED,
        D(2026, 9, 15),
        D(2026, 9, 1),
        0,
    )
    assert "refund.contact_task.open" not in await actions(service)


async def test_refund_events_are_routed_to_the_refund_watch(service, bus):
    await service.deliver(bus, decided())
    await service.deliver(bus, failed(D(2026, 9, 1)))
    await service.deliver(bus, paid(D(2026, 9, 15)))
    assert await service.inbox_count() == 3
    row = await service.one(orm.refund_watch)
    assert (row["decided_on"], row["paid_on"]) == (DECIDED, D(2026, 9, 15))
    assert [t["status"] for t in await service.rows(orm.refund_contact_tasks)] == ["resolved"]
