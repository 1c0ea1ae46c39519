"""The nightly batch over a real (SQLite) database: 督促 with fee and seizure date, 延滞金 accrual
(set-based SQL equal to the law library), partial payments, 執行停止 exemption (F2), holds, 速報."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_collection.adapters import orm
from osame_collection.domain.late_fee import accrued_late_fee
from osame_collection.service_layer import handlers, holds
from osame_collection.service_layer.nightly import RunNightly, run_nightly
from osame_collection.service_layer.policy import CollectionPolicy
from osame_contracts.messages import receipts
from osame_law import DemandFeeRule, DemandFeeSchedule, RateNotAvailableError

D = dt.date
ADDRESSEE = "200001"


def assessment(notice, installments, ledger_version=1, addressee=ADDRESSEE, tax_item="resident_tax"):
    return receipts.AssessmentRecorded(
        addressee_id=addressee,
        notice_number=notice,
        tax_item=tax_item,
        fiscal_year=2026,
        ledger_version=ledger_version,
        installments=[
            receipts.RecordedInstallment(installment_no=n, principal_tax=p, due_date=due, paid=paid)
            for n, p, due, paid in installments
        ],
    )


def receipt(
    receipt_id, notice, installment_no, paid_on, applied=1_000, preliminary=False, addressee=ADDRESSEE
):
    return receipts.ReceiptRecorded(
        receipt_id=receipt_id,
        addressee_id=addressee,
        notice_number=notice,
        installment_no=installment_no,
        channel=receipts.Channel.CONVENIENCE_STORE,
        amount=applied,
        applied=applied,
        overpaid=0,
        paid_on=paid_on,
        booked_on=paid_on,
        preliminary=preliminary,
    )


def ledger_state(notice, installment_no, principal, paid, due, version=2, paid_on=None, addressee=ADDRESSEE):
    """The ledger's state after a payment: InstallmentsSettled when the 本税 is paid, else PartlyPaid."""
    event = receipts.InstallmentsSettled if paid >= principal else receipts.InstallmentsPartlyPaid
    return event(
        items=[
            receipts.InstallmentState(
                addressee_id=addressee,
                notice_number=notice,
                installment_no=installment_no,
                tax_item="resident_tax",
                fiscal_year=due.year,
                due_date=due,
                principal_tax=principal,
                paid=paid,
                remaining=principal - paid,
                last_paid_on=paid_on or due,
                ledger_version=version,
            )
        ]
    )


partly_paid = ledger_state


async def nightly(service, day, **kw):
    return await service.handle(lambda cmd, uow: run_nightly(cmd, uow, **kw), RunNightly(batch_date=day))


async def demanded(service) -> dict:
    return {(r["notice_number"], r["installment_no"]): r for r in await service.rows(orm.demand_notices)}


async def test_unpaid_installment_gets_demand_with_fee_seizure_date_and_late_fee(service):
    await service.handle(
        handlers.project_assessment,
        assessment("N-1", [(1, 100_000, D(2026, 6, 30), 0), (2, 100_000, D(2026, 8, 31), 0)]),
    )
    summary = await nightly(service, D(2026, 7, 15))
    assert summary["demand_notices"] == 1 and summary["demand_fee"] == 100
    [notice] = (await demanded(service)).values()
    assert (notice["notice_number"], notice["installment_no"]) == ("N-1", 1)
    assert notice["issued_on"] == D(2026, 7, 15)
    assert notice["demand_fee"] == 100
    assert notice["earliest_seizure_on"] == D(2026, 7, 26)  # 法331①一: issue + 10 days passed
    assert notice["principal_tax_due"] == 100_000
    # 15 days at 2.8% on 100,000 = 115 yen → under 1,000 → 0 (法20条の4の2⑤)
    assert notice["late_fee_accrued"] == 0
    inst = {r["installment_no"]: r for r in await service.rows(orm.installments)}
    assert inst[1]["demand_issued_on"] == D(2026, 7, 15) and inst[1]["demand_fee"] == 100
    assert inst[2]["demand_issued_on"] is None  # not yet due
    # one 督促 per installment: a second batch issues nothing more
    assert (await nightly(service, D(2026, 7, 16)))["demand_notices"] == 0
    # the 督促 restarts the 時効 (limitation event recorded)
    [event] = await service.rows(orm.limitation_events)
    assert (event["kind"], event["occurred_on"]) == ("demand", D(2026, 7, 15))


async def test_set_based_late_fee_equals_the_law_library_for_every_due_date(service):
    rows = []
    for n, (principal, due) in enumerate(
        [
            (1_999, D(2025, 6, 30)),
            (2_000, D(2025, 6, 30)),
            (57_300, D(2024, 1, 31)),
            (1_234_567, D(2023, 12, 25)),
            (100_000, D(2026, 2, 28)),
            (88_800, D(2024, 2, 29)),
            (450_000, D(2021, 3, 31)),
        ],
        start=1,
    ):
        rows.append((n, principal, due, 0))
    await service.handle(handlers.project_assessment, assessment("N-LF", rows))
    day = D(2026, 11, 27)
    summary = await nightly(service, day)
    assert summary["late_fee_set_based"] == len(rows) and summary["late_fee_detailed"] == 0
    got = {
        r["installment_no"]: (r["late_fee"], r["late_fee_on"]) for r in await service.rows(orm.installments)
    }
    for n, principal, due, _ in rows:
        assert got[n] == (accrued_late_fee(principal, due, day, [], []).late_fee, day), n
    assert any(fee > 0 for fee, _ in got.values())


async def test_sum_then_truncate_convention_is_applied_set_based(service):
    from osame_law import LateFeePolicy, SegmentRounding

    policy = CollectionPolicy(late_fee=LateFeePolicy(segment_rounding=SegmentRounding.SUM_THEN_TRUNCATE))
    await service.handle(handlers.project_assessment, assessment("N-S", [(1, 1_234_567, D(2023, 12, 25), 0)]))
    await nightly(service, D(2026, 11, 27), policy=policy)
    [row] = await service.rows(orm.installments)
    expected = accrued_late_fee(1_234_567, D(2023, 12, 25), D(2026, 11, 27), [], [], policy.late_fee).late_fee
    assert row["late_fee"] == expected


async def test_partial_payment_lowers_the_base_from_the_next_day(service):
    await service.handle(handlers.project_assessment, assessment("N-P", [(1, 300_000, D(2025, 6, 30), 0)]))
    await service.handle(handlers.note_receipt, receipt("r-p1", "N-P", 1, D(2025, 9, 1), applied=200_000))
    await service.handle(
        handlers.project_installment_states,
        receipts.InstallmentsPartlyPaid(
            items=[
                receipts.InstallmentState(
                    addressee_id=ADDRESSEE,
                    notice_number="N-P",
                    installment_no=1,
                    tax_item="resident_tax",
                    fiscal_year=2026,
                    due_date=D(2025, 6, 30),
                    principal_tax=300_000,
                    paid=200_000,
                    remaining=100_000,
                    last_paid_on=D(2025, 9, 1),
                    ledger_version=2,
                )
            ]
        ),
    )
    day = D(2026, 11, 27)
    summary = await nightly(service, day)
    assert summary["late_fee_detailed"] == 1
    [row] = await service.rows(orm.installments)
    expected = accrued_late_fee(300_000, D(2025, 6, 30), day, [(D(2025, 9, 1), 200_000)], []).late_fee
    full = accrued_late_fee(300_000, D(2025, 6, 30), day, [], []).late_fee
    assert row["late_fee"] == expected and expected < full


async def test_demand_fee_follows_the_city_table_by_issue_date_and_may_be_zero(service):
    schedule = DemandFeeSchedule(
        "試験市", (DemandFeeRule(D(2024, 4, 1), 100), DemandFeeRule(D(2026, 7, 10), 0))
    )
    policy = CollectionPolicy(demand_fees=schedule)
    await service.handle(handlers.project_assessment, assessment("N-F", [(1, 5_000, D(2026, 6, 30), 0)]))
    summary = await nightly(service, D(2026, 7, 14), policy=policy)
    assert summary["demand_fee"] == 0
    [notice] = (await demanded(service)).values()
    assert notice["demand_fee"] == 0
    with pytest.raises(RateNotAvailableError):
        await nightly(service, D(2024, 1, 10), policy=policy)


async def test_withheld_for_receipt_preliminary_and_hold(service):
    due = D(2026, 6, 30)
    await service.handle(
        handlers.project_assessment,
        assessment("N-G", [(n, 10_000, due, 0) for n in range(1, 6)]),
    )
    await service.handle(handlers.note_receipt, receipt("r-1", "N-G", 1, D(2026, 7, 9)))  # ≤ batch date
    await service.handle(handlers.note_receipt, receipt("r-2", "N-G", 2, D(2026, 7, 20), preliminary=True))
    await service.handle(handlers.note_receipt, receipt("r-3", "N-G", 3, D(2026, 7, 20)))  # after batch
    await service.handle(
        holds.set_hold,
        holds.DemandHold(notice_number="N-G", installment_no=4, reason="appropriation_pending"),
    )
    summary = await nightly(service, D(2026, 7, 10))
    # confirmed receipts the ledger does not show yet (1, 3) wait, as does the 速報 (2) and the hold (4)
    assert set(await demanded(service)) == {("N-G", 5)}
    assert summary["withheld"] == {"receipt": 2, "preliminary": 1, "hold": 1, "debit_in_flight": 0}
    # the 確報 confirms the 速報, the ledger shows the partial payments, the hold is released:
    # every remainder is dunned next time (a partial payment never cancels the 督促)
    await service.handle(handlers.note_receipt, receipt("r-2", "N-G", 2, D(2026, 7, 20)))
    for n in (1, 2, 3):
        await service.handle(handlers.project_installment_states, partly_paid("N-G", n, 10_000, 1_000, due))
    await service.handle(
        holds.set_hold,
        holds.DemandHold(notice_number="N-G", installment_no=4, reason="appropriation_pending", release=True),
    )
    await nightly(service, D(2026, 7, 11))
    notices = await demanded(service)
    assert set(notices) == {("N-G", n) for n in range(1, 6)}
    assert [notices[("N-G", n)]["principal_tax_due"] for n in (1, 2, 3)] == [9_000] * 3


async def test_cancelled_preliminary_no_longer_blocks(service):
    await service.handle(handlers.project_assessment, assessment("N-C", [(1, 10_000, D(2026, 6, 30), 0)]))
    await service.handle(handlers.note_receipt, receipt("r-c", "N-C", 1, D(2026, 7, 20), preliminary=True))
    await nightly(service, D(2026, 7, 10))
    assert await demanded(service) == {}
    cancelled = receipt("r-c", "N-C", 1, D(2026, 7, 20), preliminary=True).model_copy(
        update={"cancelled": True}
    )
    await service.handle(handlers.note_receipt, cancelled)  # 03 速報取消
    await nightly(service, D(2026, 7, 11))
    assert set(await demanded(service)) == {("N-C", 1)}


async def test_late_fee_version_increases_from_demand_to_fixed_fee(service):
    await service.handle(handlers.project_assessment, assessment("N-V", [(1, 100_000, D(2026, 3, 31), 0)]))
    await nightly(service, D(2026, 4, 10))
    [row] = await service.rows(orm.installments)
    assert row["late_fee_version"] == 1
    await service.handle(handlers.note_receipt, receipt("r-v", "N-V", 1, D(2026, 9, 30), applied=100_000))
    await service.handle(
        handlers.project_installment_states,
        receipts.InstallmentsSettled(
            items=[
                receipts.InstallmentState(
                    addressee_id=ADDRESSEE,
                    notice_number="N-V",
                    installment_no=1,
                    tax_item="resident_tax",
                    fiscal_year=2026,
                    due_date=D(2026, 3, 31),
                    principal_tax=100_000,
                    paid=100_000,
                    remaining=0,
                    last_paid_on=D(2026, 9, 30),
                    ledger_version=2,
                )
            ]
        ),
    )
    [row] = await service.rows(orm.installments)
    expected = accrued_late_fee(100_000, D(2026, 3, 31), D(2026, 9, 30), [(D(2026, 9, 30), 100_000)], [])
    # 本税 paid, the 確定延滞金 and the 督促手数料 still owed (issue #12 defect 3)
    assert (row["status"], row["late_fee"], row["late_fee_on"], row["late_fee_version"]) == (
        "charges",
        expected.late_fee,
        D(2026, 9, 30),
        2,
    )
    assert expected.fixed and expected.late_fee > 0
