"""Issue #12 B5, stored: every fixed 延滞金 keeps the segments it was priced with — the 確定延滞金 at
settlement, the 延滞金 printed on each 督促状 and 催告書 — the case view shows them from the store
(not recomputed with today's rates), and the letters print them (vendor CSV column, PDF rows)."""

from __future__ import annotations

import csv
import datetime as dt
import io

from osame_collection.adapters import orm
from osame_collection.adapters.print_formats import vendor_csv
from osame_collection.domain.late_fee import accrued_late_fee
from osame_collection.service_layer import cases, handlers, letters, reminders
from osame_collection.service_layer.nightly import RunNightly, run_nightly
from osame_collection.service_layer.policy import CollectionPolicy
from osame_law import round_total

from .test_collection_cases_http import A, seed
from .test_collection_nightly import assessment, ledger_state, receipt

D = dt.date
DUE = D(2026, 6, 30)


def policy(today: D) -> CollectionPolicy:
    return CollectionPolicy(business_date=lambda: today)


def plain(segments: list[dict]) -> list[tuple]:
    return [(s["from"], s["to"], s["days"], s["base"], s["rate"], s["yen"]) for s in segments]


def law(accrual) -> list[tuple]:
    return [
        (s.start.isoformat(), s.end.isoformat(), s.days, s.base, str(s.rate), s.yen) for s in accrual.segments
    ]


async def view(service, today):
    return await service.handle(
        lambda c, uow: cases.delinquency_view(c, uow, policy=policy(today)),
        cases.ViewCase(addressee_id=A, as_of=today, staff_user="s"),
    )


async def test_demand_notice_and_settlement_store_the_segments_they_were_priced_with(service):
    await seed(service)  # R8-100: 120,000 due 6/30 and 8/31 (no payment: the set-based plan)
    await service.handle(
        handlers.project_assessment, assessment("R8-200", [(1, 1_000_000, DUE, 0)], addressee=A)
    )
    await service.handle(
        handlers.note_receipt, receipt("r-1", "R8-200", 1, D(2026, 7, 3), 300_000, addressee=A)
    )
    await service.handle(
        handlers.project_installment_states,
        ledger_state("R8-200", 1, 1_000_000, 300_000, DUE, paid_on=D(2026, 7, 3), addressee=A),
    )
    day = D(2026, 9, 10)
    summary = await service.handle(
        lambda c, uow: run_nightly(c, uow, policy=policy(day)), RunNightly(batch_date=day)
    )
    notices = {(n["notice_number"], n["installment_no"]): n for n in await service.rows(orm.demand_notices)}
    assert set(notices) == {("R8-100", 1), ("R8-100", 2), ("R8-200", 1)}
    stored = {}
    for row in await service.rows(orm.late_fee_segments):
        if row["owner_kind"] == "demand_notice":
            stored.setdefault(row["owner_id"], []).append(row)
    # the stored segments are the law library's at the issue day, and add up to the printed amount
    expected = {
        ("R8-100", 1): accrued_late_fee(120_000, DUE, day, [], []),
        ("R8-100", 2): accrued_late_fee(120_000, D(2026, 8, 31), day, [], []),
        ("R8-200", 1): accrued_late_fee(1_000_000, DUE, day, [(D(2026, 7, 3), 300_000)], []),
    }
    for key, accrual in expected.items():
        notice = notices[key]
        rows = sorted(stored[notice["demand_notice_id"]], key=lambda r: r["seq"])
        got = [
            (r["from_on"].isoformat(), r["to_on"].isoformat(), r["days"], r["base"], r["rate"], r["yen"])
            for r in rows
        ]
        assert got == law(accrual), key
        assert notice["late_fee_accrued"] == accrual.late_fee == round_total(sum(r["yen"] for r in rows))
    # the case view shows the 督促状's amount with its stored segments
    seen = {(u["notice_number"], u["installment_no"]): u for u in (await view(service, day))["unpaid"]}
    printed = seen[("R8-200", 1)]["demand_notice_late_fee"]
    assert printed["late_fee"] == expected[("R8-200", 1)].late_fee > 0
    assert plain(printed["segments"]) == law(expected[("R8-200", 1)])
    # the letters print them: the vendor CSV's late_fee_segments column, a row per segment
    found = await service.handle(lambda c, uow: letters.letters_of_batch(c, uow), summary["batch_id"])
    rows = list(csv.DictReader(io.StringIO(vendor_csv(found))))
    line = next(r for r in rows if r["notice_number"] == "R8-200")
    assert line["late_fee_segments"].count(" / ") == len(expected[("R8-200", 1)].segments) - 1
    assert "令和8年7月1日～令和8年7月3日 3日 × 1,000,000円" in line["late_fee_segments"]

    # settled: the 確定延滞金 is stored with its segments and shown from the store
    paid_on = D(2026, 10, 20)
    await service.handle(handlers.note_receipt, receipt("r-2", "R8-200", 1, paid_on, 700_000, addressee=A))
    await service.handle(
        handlers.project_installment_states,
        ledger_state("R8-200", 1, 1_000_000, 1_000_000, DUE, version=3, paid_on=paid_on, addressee=A),
    )
    fixed = accrued_late_fee(1_000_000, DUE, paid_on, [(D(2026, 7, 3), 300_000), (paid_on, 700_000)], [])
    later = (await view(service, D(2026, 12, 20)))["unpaid"]
    line = next(u for u in later if u["notice_number"] == "R8-200")
    assert line["late_fee_segments_stored"] is True
    assert plain(line["late_fee_segments"]) == law(fixed) and line["late_fee"] == fixed.late_fee
    assert line["late_fee_segments"][-1]["to"] == paid_on.isoformat()  # not accrued to the view's day


async def test_a_reminder_stores_the_segments_it_prints(service):
    await seed(service)
    day = D(2026, 10, 1)
    campaign = await service.handle(
        reminders.save_campaign,
        reminders.SaveCampaign(name="一斉", criteria={"require_demand": False}, staff_user="s"),
    )
    await service.handle(
        lambda c, uow: reminders.run_campaign(c, uow, policy=policy(day)),
        reminders.RunCampaign(campaign_id=campaign, run_on=day, staff_user="s"),
    )
    [reminder] = await service.rows(orm.reminders)
    rows = [r for r in await service.rows(orm.late_fee_segments) if r["owner_kind"] == "reminder"]
    assert {r["owner_id"] for r in rows} == {reminder["reminder_id"]}
    first = sorted((r for r in rows if r["installment_no"] == 1), key=lambda r: r["seq"])
    got = [
        (r["from_on"].isoformat(), r["to_on"].isoformat(), r["days"], r["base"], r["rate"], r["yen"])
        for r in first
    ]
    assert got == law(accrued_late_fee(120_000, DUE, day, [], []))
    [letter] = await service.handle(lambda r, uow: letters.reminder_letters(uow, r), dict(reminder))
    assert all(line.late_fee_segments for line in letter.lines)
