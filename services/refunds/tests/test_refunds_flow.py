"""Refunds' flow over a real (SQLite) database: 充当 first, re-plan on refusal, then 還付 with
還付加算金, payout file, transfer results, expiry, money figures."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_contracts.messages import receipts
from osame_refunds.adapters import orm
from osame_refunds.adapters.repository import RefundsRepository
from osame_refunds.domain.interest import CauseDates
from osame_refunds.service_layer import handlers, payout, refund_actions
from osame_zengin import transfer as zengin_transfer

D = dt.date
ADDRESSEE = "100009"


def assessed(notice, principal, paid, due, version=1, installment_no=1):
    return receipts.AssessmentRecorded(
        addressee_id=ADDRESSEE,
        notice_number=notice,
        tax_item="fixed_asset_tax",
        fiscal_year=2026,
        ledger_version=version,
        installments=[
            receipts.RecordedInstallment(
                installment_no=installment_no, principal_tax=principal, due_date=due, paid=paid
            )
        ],
    )


def overpaid(amount, overpayment_id="op-9", cause=receipts.OverpaymentCause.ERRONEOUS_PAYMENT):
    return receipts.OverpaymentDetected(
        overpayment_id=overpayment_id,
        addressee_id=ADDRESSEE,
        notice_number="R1",
        installment_no=1,
        amount=amount,
        cause=cause,
        arose_on=D(2026, 6, 2),
        paid_on=D(2026, 6, 1),
    )


def applied(appropriation_id, total, unappropriated=0):
    return receipts.AppropriationApplied(
        appropriation_id=appropriation_id,
        overpayment_id="op-9",
        addressee_id=ADDRESSEE,
        appropriable_on=D(2026, 6, 2),
        total=total,
        overpayment_unappropriated=unappropriated,
        items=[
            receipts.AppliedAppropriationItem(
                notice_number="K1",
                installment_no=1,
                component="principal_tax",
                amount=total,
                receipt_id="rc-1",
            )
        ],
    )


def set_today(service, day):
    """The server's business date (OSAME_BUSINESS_DATE) for the next actions."""
    service.spec.settings.business_date = day


async def decide(service, refund_id, on, *, preparer="clerk-1", approver="chief-2", **kwargs):
    """起案 by one staff member, 決裁 (支出決定) by another, on business date `on`."""
    set_today(service, on)
    await act(service, lambda uow: refund_actions.prepare(refund_id, preparer, uow))
    return await act(service, lambda uow: refund_actions.approve(refund_id, approver, uow, **kwargs))


async def commands(service):
    return [b for k, b in await service.events() if k == "receipts.appropriation.apply.v1"]


async def act(service, action):
    async with service.runtime.unit_of_work() as uow:
        result = await action(uow)
        await uow.commit()
    return result


async def test_overpayment_is_appropriated_to_debts_before_any_refund(service):
    await service.handle(handlers.project_assessment, assessed("K1", 30_000, 0, D(2026, 4, 30)))
    await service.handle(handlers.project_assessment, assessed("K2", 20_000, 5_000, D(2026, 7, 31)))
    await service.handle(handlers.register_overpayment, overpaid(40_000))
    [first, second] = await commands(service)
    assert (first["appropriable_on"], first["items"]) == (
        "2026-06-02",
        [{"notice_number": "K1", "installment_no": 1, "component": "principal_tax", "amount": 30_000}],
    )
    assert (second["appropriable_on"], [i["amount"] for i in second["items"]]) == ("2026-07-31", [10_000])
    assert await service.rows(orm.refunds) == []  # nothing refunded while 充当 is pending


async def test_applied_appropriation_leaves_the_rest_for_a_refund(service):
    await service.handle(handlers.project_assessment, assessed("K1", 30_000, 0, D(2026, 4, 30)))
    await service.handle(handlers.register_overpayment, overpaid(40_000))
    [command] = await commands(service)
    await service.handle(handlers.appropriation_applied, applied(command["appropriation_id"], 30_000, 10_000))
    row = await service.one(orm.overpayments)
    assert (row["appropriated"], row["refunded"], row["status"]) == (30_000, 10_000, "refund_decided")
    [refund] = await service.rows(orm.refunds)
    assert (refund["amount"], refund["status"]) == (10_000, "pending_approval")
    kinds = sorted(n["kind"] for n in await service.rows(orm.taxpayer_notices))
    assert kinds == ["appropriation", "refund_pending"]  # 法17条の2⑤: the taxpayer is told


async def test_refused_appropriation_is_replanned_with_what_receipts_says_is_owed(service):
    await service.handle(handlers.project_assessment, assessed("K1", 30_000, 0, D(2026, 4, 30)))
    await service.handle(handlers.register_overpayment, overpaid(40_000))
    [command] = await commands(service)
    refusal = receipts.AppropriationRefused(
        appropriation_id=command["appropriation_id"],
        overpayment_id="op-9",
        addressee_id=ADDRESSEE,
        reason=receipts.AppropriationRefusal.NOT_OWED,
        item_index=0,
        owed=12_000,
    )
    await service.handle(handlers.appropriation_refused, refusal)
    [_, replanned] = await commands(service)
    assert [i["amount"] for i in replanned["items"]] == [12_000]
    statuses = sorted(a["status"] for a in await service.rows(orm.appropriations))
    assert statuses == ["refused", "requested"]


async def test_a_newer_ledger_view_ends_the_reservation_of_an_applied_appropriation(service):
    await service.handle(handlers.project_assessment, assessed("K1", 30_000, 0, D(2026, 4, 30)))
    await service.handle(handlers.register_overpayment, overpaid(10_000))
    async with service.runtime.sessions() as session:
        assert [d.amount for d in await RefundsRepository(session).debts(ADDRESSEE)] == [20_000]
    # receipts' ledger (version 2) already includes the 充当: the reservation no longer subtracts.
    await service.handle(
        handlers.project_assessment, assessed("K1", 30_000, 10_000, D(2026, 4, 30), version=2)
    )
    async with service.runtime.sessions() as session:
        assert [d.amount for d in await RefundsRepository(session).debts(ADDRESSEE)] == [20_000]


async def test_approval_fixes_interest_and_payout_file_and_results(service):
    await service.handle(
        handlers.register_overpayment, overpaid(600_000, cause=receipts.OverpaymentCause.REASSESSMENT)
    )
    [refund] = await service.rows(orm.refunds)
    with pytest.raises(refund_actions.RefundActionError, match="after the business date"):
        await decide(service, refund["refund_id"], D(2026, 12, 25), decided_on=D(2027, 3, 31))
    result = await decide(service, refund["refund_id"], D(2026, 12, 25))
    assert result["status"] == "approved" and result["interest_start"] == D(2026, 6, 2)
    assert result["refund_interest"] > 0
    await act(
        service,
        lambda uow: refund_actions.record_claim(
            refund_actions.PayeeAccount(ADDRESSEE, "0001", "001", "1", "12345", "ﾃｽﾄ ﾀﾛｳ", D(2026, 12, 1)),
            uow,
        ),
    )
    remitter = service.spec.settings.remitter()
    batch = await act(service, lambda uow: payout.build_payout(D(2027, 1, 8), D(2026, 12, 25), remitter, uow))
    assert (batch.count, batch.total) == (1, 600_000 + result["refund_interest"])
    _, [line], _trailer = zengin_transfer.parse(batch.file)
    assert line.amount == batch.total and line.account_number == "0012345"
    set_today(service, D(2027, 1, 8))
    await act(
        service,
        lambda uow: payout.record_transfer(refund["refund_id"], False, D(2027, 1, 8), "account_closed", uow),
    )
    [reopened] = await service.rows(orm.refunds)
    assert reopened["status"] == "approved"
    assert await service.rows(orm.payee_accounts) == []  # a new claim is needed
    assert "transfer_failed" in [n["kind"] for n in await service.rows(orm.taxpayer_notices)]


def refund_events(events):
    return [(k, b) for k, b in events if k.startswith("refunds.refund.")]


async def test_refund_events_are_staged_with_each_state_change(service):
    """decided at approval (支出決定), failed at a returned transfer, paid at the bank's success —
    each in the unit of work that changes the refund, so they go out only if it commits."""
    await service.handle(
        handlers.register_overpayment, overpaid(600_000, cause=receipts.OverpaymentCause.REASSESSMENT)
    )
    [refund] = await service.rows(orm.refunds)
    refund_id = refund["refund_id"]
    assert refund_events(await service.events()) == []  # pending approval: nothing decided yet
    with pytest.raises(refund_actions.RefundActionError):
        await decide(service, refund_id, D(2026, 12, 25), decided_on=D(2027, 3, 31))
    assert refund_events(await service.events()) == []  # a refused approval stages nothing
    result = await decide(service, refund_id, D(2026, 12, 25))
    account = refund_actions.PayeeAccount(ADDRESSEE, "0001", "001", "1", "12345", "ﾃｽﾄ ﾀﾛｳ", D(2026, 12, 1))
    remitter = service.spec.settings.remitter()
    await act(service, lambda uow: refund_actions.record_claim(account, uow))
    await act(service, lambda uow: payout.build_payout(D(2027, 1, 8), D(2026, 12, 25), remitter, uow))
    set_today(service, D(2027, 1, 8))
    await act(
        service, lambda uow: payout.record_transfer(refund_id, False, D(2027, 1, 8), "account_closed", uow)
    )
    await act(service, lambda uow: refund_actions.record_claim(account, uow))
    await act(service, lambda uow: payout.build_payout(D(2027, 1, 15), D(2026, 12, 25), remitter, uow))
    set_today(service, D(2027, 1, 15))
    await act(service, lambda uow: payout.record_transfer(refund_id, True, D(2027, 1, 15), "", uow))
    interest = result["refund_interest"]
    assert interest > 0
    assert refund_events(await service.events()) == [
        (
            "refunds.refund.decided.v1",
            {
                "refund_id": refund_id,
                "overpayment_id": "op-9",
                "addressee_id": ADDRESSEE,
                "amount": 600_000,
                "refund_interest": interest,
                "decided_on": "2026-12-25",
            },
        ),
        (
            "refunds.refund.failed.v1",
            {
                "refund_id": refund_id,
                "addressee_id": ADDRESSEE,
                "reason": "account_closed",
                "failed_on": "2027-01-08",
            },
        ),
        (
            "refunds.refund.paid.v1",
            {
                "refund_id": refund_id,
                "addressee_id": ADDRESSEE,
                "amount": 600_000,
                "refund_interest": interest,
                "paid_on": "2027-01-15",
            },
        ),
    ]


async def test_approval_with_new_debts_cancels_the_refund_and_appropriates(service):
    await service.handle(handlers.register_overpayment, overpaid(10_000))
    [refund] = await service.rows(orm.refunds)
    set_today(service, D(2026, 10, 15))
    await act(service, lambda uow: refund_actions.prepare(refund["refund_id"], "clerk-1", uow))
    # A debt not yet payable when it arrives (due 11-30): the decision stands until approval.
    await service.handle(handlers.project_assessment, assessed("K3", 4_000, 0, D(2026, 11, 30)))
    set_today(service, D(2026, 12, 1))
    result = await act(service, lambda uow: refund_actions.approve(refund["refund_id"], "chief-2", uow))
    assert result["status"] == "cancelled"
    [command] = await commands(service)
    assert [i["amount"] for i in command["items"]] == [4_000]


async def test_payout_skips_refunds_without_a_valid_account(service):
    await service.handle(handlers.register_overpayment, overpaid(5_000))
    [refund] = await service.rows(orm.refunds)
    await decide(service, refund["refund_id"], D(2026, 7, 1))
    remitter = service.spec.settings.remitter()
    batch = await act(service, lambda uow: payout.build_payout(D(2026, 7, 10), D(2026, 7, 1), remitter, uow))
    assert batch.batch_id is None and batch.skipped == [
        {"refund_id": refund["refund_id"], "reason": "no_payee_account"}
    ]
    with pytest.raises(refund_actions.RefundActionError, match="unknown branch"):
        await act(
            service,
            lambda uow: refund_actions.record_claim(
                refund_actions.PayeeAccount(ADDRESSEE, "0001", "999", "1", "12345", "ﾃｽﾄ", D(2026, 7, 1)), uow
            ),
        )


async def test_cause_can_be_corrected_before_approval_only(service):
    await service.handle(handlers.register_overpayment, overpaid(5_000))
    [refund] = await service.rows(orm.refunds)
    dates = CauseDates(notified_on=D(2026, 8, 1))
    await act(
        service,
        lambda uow: refund_actions.correct_cause(refund["refund_id"], "national_tax_change", dates, uow),
    )
    assert (await service.one(orm.overpayments))["notified_on"] == D(2026, 8, 1)
    await decide(service, refund["refund_id"], D(2026, 9, 1))
    with pytest.raises(refund_actions.RefundActionError, match="fixed at approval"):
        await act(
            service, lambda uow: refund_actions.correct_cause(refund["refund_id"], "reassessment", dates, uow)
        )


async def test_unclaimed_refunds_lapse_five_years_after_the_overpayment_arose(service):
    """法18条の3: the 5 years run from when the refund could first be claimed (the overpayment arose
    2020-06-02), not from the day the refund row was written (2024-01-10) — issue 11 item 12."""
    set_today(service, D(2024, 1, 10))
    await service.handle(
        handlers.register_overpayment,
        overpaid(5_000).model_copy(update={"arose_on": D(2020, 6, 2), "paid_on": D(2020, 6, 1)}),
    )
    [refund] = await service.rows(orm.refunds)
    assert refund["created_on"] == D(2024, 1, 10)
    set_today(service, D(2025, 6, 2))  # the last day of the period that starts 2020-06-03
    assert await act(service, refund_actions.expire_unclaimed) == 0
    set_today(service, D(2025, 6, 3))
    assert await act(service, refund_actions.expire_unclaimed) == 1
    async with service.runtime.sessions() as session:
        money = await RefundsRepository(session).money(ADDRESSEE)
    assert (money["refunded"], money["forfeited"], money["held"]) == (0, 5_000, 0)


async def test_a_refund_notice_restarts_the_lapse_period(service):
    """A 還付通知書 acknowledges the debt (承認): the 5 years restart the day after it."""
    set_today(service, D(2024, 1, 10))
    await service.handle(
        handlers.register_overpayment,
        overpaid(5_000).model_copy(update={"arose_on": D(2020, 6, 2), "paid_on": D(2020, 6, 1)}),
    )
    [refund] = await service.rows(orm.refunds)
    await decide(service, refund["refund_id"], D(2024, 1, 10))
    set_today(service, D(2029, 1, 10))
    assert await act(service, refund_actions.expire_unclaimed) == 0
    set_today(service, D(2029, 1, 11))
    assert await act(service, refund_actions.expire_unclaimed) == 1


async def test_installments_not_yet_due_are_not_appropriated(service):
    """Mandatory 充当 covers payable 徴収金; a 2027 installment (not yet due on the business date
    2026-11-28) is left alone and the overpayment is refunded."""
    await service.handle(handlers.project_assessment, assessed("K1", 30_000, 0, D(2027, 2, 28)))
    await service.handle(handlers.register_overpayment, overpaid(10_000))
    assert await commands(service) == []
    [refund] = await service.rows(orm.refunds)
    assert refund["amount"] == 10_000


async def test_fees_are_projected_and_the_demand_fee_is_appropriable_from_its_issue_date(service):
    from osame_contracts.messages import collection

    state = receipts.InstallmentState(
        addressee_id=ADDRESSEE,
        notice_number="K1",
        installment_no=1,
        tax_item="fixed_asset_tax",
        fiscal_year=2026,
        due_date=D(2026, 4, 30),
        principal_tax=30_000,
        paid=25_000,
        remaining=5_000,
        demand_fee_remaining=100,
        late_fee_remaining=1_200,
        last_paid_on=D(2026, 6, 1),
        ledger_version=3,
    )
    await service.handle(handlers.project_installment_states, receipts.InstallmentsPartlyPaid(items=[state]))
    await service.handle(
        handlers.note_demand_notices,
        collection.DemandNoticesIssued(
            batch_id="b1",
            items=[
                collection.IssuedDemandNotice(
                    demand_notice_id="dn1",
                    addressee_id=ADDRESSEE,
                    notice_number="K1",
                    installment_no=1,
                    issued_on=D(2026, 5, 20),
                    demand_fee=100,
                    principal_tax_due=5_000,
                    late_fee_accrued=0,
                    earliest_seizure_on=D(2026, 5, 31),
                ),
            ],
        ),
    )
    await service.handle(handlers.register_overpayment, overpaid(6_000))
    requests = await commands(service)
    lines = [(r["appropriable_on"], i["component"], i["amount"]) for r in requests for i in r["items"]]
    # 督促手数料 → 本税 → 延滞金 within the installment (17条の2③: the tax before its 延滞金);
    # the fee's 充当適状日 is the later of its issue date and the overpayment (2026-06-02).
    assert lines == [
        ("2026-06-02", "demand_fee", 100),
        ("2026-06-02", "principal_tax", 5_000),
        ("2026-06-02", "late_fee", 900),
    ]
