"""Issue #12 defect 1: a partial payment only delays the 督促 of the remainder until the payment is
confirmed (確報) and the ledger shows it — it never cancels it; staff hold and release it explicitly,
with a reason, and both steps are recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_chassis.errors import PermanentError
from osame_collection.adapters import orm
from osame_collection.service_layer import cases, handlers, holds

from .test_collection_nightly import ADDRESSEE, assessment, demanded, nightly, partly_paid, receipt

D = dt.date
DUE = D(2026, 6, 30)


async def test_partial_payment_delays_the_demand_of_the_remainder_never_cancels_it(service):
    await service.handle(handlers.project_assessment, assessment("N-P", [(1, 100_000, DUE, 0)]))
    # a 速報 of ¥1,000: the batch waits for its 確報
    await service.handle(handlers.note_receipt, receipt("r-1", "N-P", 1, D(2026, 7, 3), 0, preliminary=True))
    assert (await nightly(service, D(2026, 7, 6)))["withheld"]["preliminary"] == 1
    # the 確報 arrives, the ledger state not yet: still waiting (行き違い)
    await service.handle(handlers.note_receipt, receipt("r-1", "N-P", 1, D(2026, 7, 3), 1_000))
    assert (await nightly(service, D(2026, 7, 7)))["withheld"]["receipt"] == 1
    # the ledger shows ¥1,000 paid: the next batch duns the remaining ¥99,000
    await service.handle(handlers.project_installment_states, partly_paid("N-P", 1, 100_000, 1_000, DUE))
    summary = await nightly(service, D(2026, 7, 8))
    assert summary["demand_notices"] == 1
    [notice] = (await demanded(service)).values()
    assert notice["principal_tax_due"] == 99_000
    # and the 督促 renews the 時効 (a 差押 is possible from its day-10 date)
    assert any(e["kind"] == "demand" for e in await service.rows(orm.limitation_events))


async def test_staff_hold_and_release_need_a_reason_and_are_recorded(service):
    await service.handle(handlers.project_assessment, assessment("N-P", [(1, 100_000, DUE, 0)]))
    with pytest.raises(PermanentError, match="note_required"):
        await service.handle(
            holds.set_hold,
            holds.DemandHold(notice_number="N-P", installment_no=1, reason="staff_hold", staff_user="s-1"),
        )
    await service.handle(
        holds.set_hold,
        holds.DemandHold(
            notice_number="N-P", installment_no=1, reason="staff_hold", staff_user="s-1", note="納付相談中"
        ),
    )
    assert (await nightly(service, D(2026, 7, 6)))["withheld"]["hold"] == 1
    body = await service.handle(
        cases.delinquency_view, cases.ViewCase(addressee_id=ADDRESSEE, as_of=D(2026, 7, 6), staff_user="s-1")
    )
    [hold] = body["demand_holds"]
    assert (hold["reason"], hold["staff_user"], hold["note"]) == ("staff_hold", "s-1", "納付相談中")
    await service.handle(
        holds.set_hold,
        holds.DemandHold(
            notice_number="N-P",
            installment_no=1,
            reason="staff_hold",
            staff_user="s-2",
            release=True,
            note="相談不調",
        ),
    )
    assert (await nightly(service, D(2026, 7, 7)))["demand_notices"] == 1
    trail = [
        (e["operation"], e["user_id"], (e["detail"] or {}).get("note"))
        for e in await service.rows(orm.audit_log)
    ]
    assert ("demand_hold.set", "s-1", "納付相談中") in trail
    assert ("demand_hold.release", "s-2", "相談不調") in trail
