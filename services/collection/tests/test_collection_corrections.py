"""Issue #12 defect 4: every 更正 recomputes the 延滞金 and publishes the change (a 減額更正 after
payment kept the old 延滞金; ``osame_law.recompute_after_reduction`` gives the right one).

Issue #12 defect 13: the city's rounding setting reaches every handler on the message path (the
確定延滞金 at settlement ignored it): the policy comes from the settings, bound once in
``entrypoints.consumers``, never from a message field."""

from __future__ import annotations

import datetime as dt
import json

from osame_chassis.messaging.tables import outbox
from osame_collection.adapters import orm
from osame_collection.bootstrap import CollectionSettings
from osame_collection.domain.late_fee import accrued_late_fee
from osame_collection.service_layer import handlers
from osame_law import LateFeePolicy, PartialPayment, SegmentRounding, recompute_after_reduction

from .conftest import Service
from .test_collection_nightly import assessment, ledger_state, receipt

D = dt.date
DUE = D(2025, 6, 30)
PAID_ON = D(2026, 6, 30)


def settled(principal: int, version: int, notice: str = "N-K", due: dt.date = DUE, paid_on=PAID_ON):
    return ledger_state(notice, 1, principal, principal, due, version, paid_on)


async def published_late_fees(service) -> list[dict]:
    rows = await service.rows(outbox, outbox.c.id)
    return [
        item
        for r in rows
        if r["routing_key"] == "collection.late-fee.assessed.v1"
        for item in json.loads(r["payload"])["items"]
    ]


async def test_reduction_after_payment_recomputes_the_fixed_late_fee_and_publishes_it(service):
    await service.handle(handlers.project_assessment, assessment("N-K", [(1, 1_000_000, DUE, 0)]))
    await service.handle(handlers.note_receipt, receipt("r-k", "N-K", 1, PAID_ON, applied=1_000_000))
    await service.handle(handlers.project_installment_states, settled(1_000_000, 2))
    [before] = await service.rows(orm.installments)
    # 減額更正 to 400,000 after the payment: the excess is 過誤納金, the 延滞金 runs on 400,000 only
    await service.handle(
        handlers.project_assessment, assessment("N-K", [(1, 400_000, DUE, 400_000)], ledger_version=3)
    )
    expected = recompute_after_reduction(
        reduced_tax=400_000,
        due_date=DUE,
        payments=[PartialPayment(PAID_ON, 1_000_000)],
        calculation_date=PAID_ON,
    ).late_fee
    [after] = await service.rows(orm.installments)
    assert before["late_fee"] > expected > 0
    assert (after["late_fee"], after["late_fee_on"]) == (expected, PAID_ON)
    assert after["late_fee_version"] == before["late_fee_version"] + 1
    last = (await published_late_fees(service))[-1]
    assert (last["late_fee"], last["fixed"], last["version"]) == (expected, True, after["late_fee_version"])


async def test_increase_while_unpaid_recomputes_the_accrued_late_fee(service):
    await service.handle(handlers.project_assessment, assessment("N-K", [(1, 100_000, DUE, 0)]))
    await service.handle(
        handlers.project_assessment, assessment("N-K", [(1, 300_000, DUE, 0)], ledger_version=2)
    )
    [row] = await service.rows(orm.installments)
    today = row["late_fee_on"]
    assert row["late_fee"] == accrued_late_fee(300_000, DUE, today, [], []).late_fee > 0
    [item] = await published_late_fees(service)
    assert (item["late_fee"], item["fixed"]) == (row["late_fee"], False)


async def test_rounding_setting_reaches_the_fixed_late_fee_on_the_message_path(tmp_path, make_service):
    """sum_then_truncate from the settings (OSAME_LATE_FEE_SEGMENT_ROUNDING) gives a different
    確定延滞金 than per_segment for this tax; the settled event must use the city's setting."""
    principal, due, paid_on = 149_000, D(2022, 12, 25), D(2026, 11, 27)
    svc = Service.__new__(Service)
    Service.__init__(svc, f"sqlite+aiosqlite:///{tmp_path}/c.db")
    svc.runtime.settings = CollectionSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/c.db",
        telemetry_enabled=False,
        amqp_prefix="test.",
        late_fee_segment_rounding="sum_then_truncate",
    )
    await svc.migrate()
    try:
        await svc.handle(handlers.project_assessment, assessment("N-R", [(1, principal, due, 0)]))
        await svc.handle(handlers.note_receipt, receipt("r-r", "N-R", 1, paid_on, applied=principal))
        await svc.handle(
            handlers.project_installment_states, settled(principal, 2, notice="N-R", due=due, paid_on=paid_on)
        )
        [row] = await svc.rows(orm.installments)
        policy = LateFeePolicy(segment_rounding=SegmentRounding.SUM_THEN_TRUNCATE)
        pay = [(paid_on, principal)]
        truncated = accrued_late_fee(principal, due, paid_on, pay, [], policy).late_fee
        assert truncated != accrued_late_fee(principal, due, paid_on, pay, []).late_fee
        assert row["late_fee"] == truncated
    finally:
        await svc.close()
