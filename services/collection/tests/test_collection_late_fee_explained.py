"""Issue #12 B5: every 延滞金 explains itself — the case view gives, with each 延滞金, the segments
the law library priced it with (from, to, days, base, rate, yen) and the legal basis of each, so a
納税課 can answer "why this amount" (a partial payment lowers the base from the day after it)."""

from __future__ import annotations

import datetime as dt

from osame_collection.service_layer import cases, handlers
from osame_collection.service_layer.policy import CollectionPolicy
from osame_law import PartialPayment, Tier, compute_late_fee, round_total

from .test_collection_nightly import ADDRESSEE, assessment, partly_paid, receipt

D = dt.date
DUE, PAID_ON, AS_OF = D(2026, 6, 30), D(2026, 8, 10), D(2026, 12, 1)
POLICY = CollectionPolicy(business_date=lambda: AS_OF)


async def test_the_case_view_explains_each_late_fee_by_segment(service):
    await service.handle(handlers.project_assessment, assessment("N-X", [(1, 1_000_000, DUE, 0)]))
    await service.handle(handlers.note_receipt, receipt("r-1", "N-X", 1, PAID_ON, applied=300_000))
    await service.handle(handlers.project_installment_states, partly_paid("N-X", 1, 1_000_000, 300_000, DUE))
    view = await service.handle(
        lambda c, uow: cases.delinquency_view(c, uow, policy=POLICY),
        cases.ViewCase(addressee_id=ADDRESSEE, as_of=AS_OF, staff_user="s"),
    )
    [line] = view["unpaid"]
    segments = line["late_fee_segments"]

    law = compute_late_fee(
        principal_tax=1_000_000,
        due_date=DUE,
        paid_on=AS_OF,
        partial_payments=[PartialPayment(PAID_ON, 300_000)],
    )
    assert [(s["from"], s["to"], s["days"], s["base"], s["rate"], s["yen"]) for s in segments] == [
        (s.start.isoformat(), s.end.isoformat(), s.days, s.base, str(s.rate), s.yen) for s in law.segments
    ]
    assert segments[0]["from"] == "2026-07-01" and segments[-1]["to"] == AS_OF.isoformat()
    assert sum(s["days"] for s in segments) == (AS_OF - DUE).days
    assert {s["base"] for s in segments} == {1_000_000, 700_000}  # lowered from the day after 8/10
    assert segments[0]["tier"] == Tier.FIRST and segments[-1]["tier"] == Tier.SECOND
    assert line["late_fee"] == round_total(sum(s["yen"] for s in segments)) > 0  # per-segment rounding
    assert all("地方税法326条" in s["basis"] and "附則3条の2①" in s["basis"] for s in segments)
    assert "法20条の4の2" in view["late_fee_rounding"]


async def test_nothing_late_has_no_segments(service):
    await service.handle(handlers.project_assessment, assessment("N-Y", [(1, 100_000, D(2026, 12, 31), 0)]))
    view = await service.handle(
        lambda c, uow: cases.delinquency_view(c, uow, policy=POLICY),
        cases.ViewCase(addressee_id=ADDRESSEE, as_of=AS_OF, staff_user="s"),
    )
    assert view["unpaid"][0]["late_fee"] == 0 and view["unpaid"][0]["late_fee_segments"] == []
