"""Bulk 消込 (COPY/staging + set-based SQL) on SQLite and PostgreSQL: same results as the rules."""

from __future__ import annotations

import datetime as dt

from osame_contracts.messages import collection, receipts, taxation
from osame_receipts.adapters import orm
from osame_receipts.domain.receipt import NormalizedReceipt
from osame_receipts.domain.reconciliation import Owed, allocate
from osame_receipts.service_layer import charges, handlers, imports

D = dt.date


async def _ledger(svc, n_notices=3, principal=10_000):
    for k in range(n_notices):
        await svc.handle(
            handlers.record_assessment,
            taxation.AssessmentRegistered(
                addressee_id=f"40000{k}",
                notice_number=f"B-{k}",
                fiscal_year=2026,
                tax_year=2026,
                tax_item=taxation.TaxItem.FIXED_ASSET_TAX,
                revision=1,
                assessed_on=D(2026, 4, 1),
                installments=[
                    taxation.AssessedInstallment(
                        installment_no=1, principal_tax=principal, due_date=D(2026, 4, 30)
                    ),
                    taxation.AssessedInstallment(
                        installment_no=2, principal_tax=principal, due_date=D(2026, 7, 31)
                    ),
                ],
            ),
        )


def _r(key, notice, inst, amount, no):
    return NormalizedReceipt(
        "bank_counter", key, notice, inst, amount, D(2026, 5, 1), D(2026, 5, 7), record_no=no
    )


async def _apply(svc, rows, name="f.csv"):
    async with svc.runtime.unit_of_work() as uow:
        report = await imports.apply_receipts(uow, rows, channel="bank_counter", file=name, digest="x")
        await uow.commit()
    return report


async def test_bulk_allocation_matches_the_rules(any_service):
    svc = any_service
    await _ledger(svc)
    await svc.handle(
        charges.charge_demand_fees,
        collection.DemandNoticesIssued(
            batch_id="b",
            items=[
                collection.IssuedDemandNotice(
                    demand_notice_id="dn",
                    addressee_id="400000",
                    notice_number="B-0",
                    installment_no=1,
                    issued_on=D(2026, 5, 20),
                    demand_fee=100,
                    principal_tax_due=10_000,
                    late_fee_accrued=0,
                    earliest_seizure_on=D(2026, 5, 31),
                )
            ],
        ),
    )
    rows = [
        _r("k1", "B-0", 1, 4_000, 1),  # fee 100 first, then 3,900 本税
        _r("k2", "B-0", 1, 7_000, 2),  # 6,100 本税 + 900 over
        _r("k3", "B-1", 2, 2_500, 3),
        _r("k3", "B-1", 2, 2_500, 4),  # repeated key in the file: ignored
        _r("k4", "ZZ-404", 1, 800, 5),  # unknown notice: unmatched, kept
        _r("k5", "B-2", 1, 10_000, 6),
    ]
    report = await _apply(svc, rows)
    assert (report.applied, report.duplicates, report.unmatched, report.overpayments) == (4, 1, 1, 1)
    got = {
        (r["channel_key"]): (r["applied_demand_fee"], r["applied_principal_tax"], r["overpaid"], r["matched"])
        for r in await svc.rows(orm.receipts)
    }
    first = allocate(Owed(10_000, 100, 0), 4_000)
    second = allocate(first.remaining, 7_000)
    assert got["k1"] == (first.demand_fee, first.principal_tax, first.overpaid, True) == (100, 3_900, 0, True)
    assert (
        got["k2"] == (second.demand_fee, second.principal_tax, second.overpaid, True) == (0, 6_100, 900, True)
    )
    assert got["k4"] == (0, 0, 0, False)
    ledger = {
        (r["notice_number"], r["installment_no"]): (r["paid"], r["demand_fee_paid"])
        for r in await svc.rows(orm.installments)
    }
    assert ledger[("B-0", 1)] == (10_000, 100)
    assert ledger[("B-1", 2)] == (2_500, 0)
    assert ledger[("B-2", 1)] == (10_000, 0)
    [over] = await svc.rows(orm.overpayments)
    assert (over["amount"], over["reason"], over["arose_on"]) == (900, "excess_payment", D(2026, 5, 7))
    events = await svc.events()
    settled = [b for k, b in events if k == receipts.InstallmentsSettled.routing_key][-1]
    assert sorted((i["notice_number"], i["installment_no"]) for i in settled["items"]) == [
        ("B-0", 1),
        ("B-2", 1),
    ]
    assert all(i["last_booked_on"] == "2026-05-07" for i in settled["items"])
    # the bulk bodies (built by PostgreSQL or Python) conform to the contract, field for field
    for key, body in events:
        model = {
            receipts.InstallmentsSettled.routing_key: receipts.InstallmentsSettled,
            receipts.InstallmentsPartlyPaid.routing_key: receipts.InstallmentsPartlyPaid,
        }.get(key)
        if model is not None:
            assert model.model_validate(body).model_dump(mode="json") == body
    [unmatched] = [b for k, b in events if k == receipts.ReceiptsUnmatched.routing_key]
    assert [
        (i["notice_number"], i["amount"], i["reason"], i["addressee_id"]) for i in unmatched["items"]
    ] == [("ZZ-404", 800, "unknown_notice", None)]
    [partly] = [b for k, b in events if k == receipts.InstallmentsPartlyPaid.routing_key]
    assert [
        (i["notice_number"], i["installment_no"], i["remaining"], i["paid"]) for i in partly["items"]
    ] == [("B-1", 2, 7_500, 2_500)]

    again = await _apply(svc, rows, "again.csv")
    assert (again.applied, again.duplicates, again.unmatched) == (0, 6, 0)
    assert await svc.count(orm.receipts) == 5


async def test_bulk_events_are_batched_by_1000(any_service):
    svc = any_service
    async with svc.runtime.sessions() as session:  # a seeded ledger (assessments are tested elsewhere)
        await session.execute(
            orm.notices.insert(),
            [
                dict(
                    notice_number=f"B-{k}",
                    addressee_id=f"5{k:05d}",
                    tax_item="fixed_asset_tax",
                    fiscal_year=2026,
                    tax_year=2026,
                    revision=1,
                    ledger_version=1,
                )
                for k in range(1_100)
            ],
        )
        await session.execute(
            orm.installments.insert(),
            [
                dict(
                    notice_number=f"B-{k}",
                    installment_no=1,
                    principal_tax=1_000,
                    statutory_due_date=D(2026, 4, 30),
                    due_date=D(2026, 4, 30),
                    paid=0,
                )
                for k in range(1_100)
            ],
        )
        await session.commit()
    rows = [_r(f"k{k}", f"B-{k}", 1, 1_000, k) for k in range(1_100)]
    report = await _apply(svc, rows)
    assert report.applied == 1_100
    settled = [b for k, b in await svc.events() if k == receipts.InstallmentsSettled.routing_key]
    assert [len(b["items"]) for b in settled[-2:]] == [1_000, 100]
