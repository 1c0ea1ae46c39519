"""Issue 11 (refunds side): each reproduced defect, through the real consumer path where the defect
was a message nobody consumed (FastStream's in-memory broker, SQLite unit of work)."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_contracts.messages import address_sync, receipts
from osame_refunds.adapters import orm
from osame_refunds.domain.interest import CauseDates
from osame_refunds.service_layer import handlers, payout, refund_actions
from osame_zengin import transfer as zengin_transfer

from .test_refunds_flow import act, commands, decide, set_today

D = dt.date
A, B, S = "200001", "200002", "200003"


def state(addressee, notice, *, principal=0, demand_fee=0, late_fee=0, due=D(2026, 4, 30), version=2):
    return receipts.InstallmentState(
        addressee_id=addressee,
        notice_number=notice,
        installment_no=1,
        tax_item="fixed_asset_tax",
        fiscal_year=2026,
        due_date=due,
        principal_tax=max(principal, 50_000),
        paid=max(principal, 50_000) - principal,
        remaining=principal,
        demand_fee_remaining=demand_fee,
        late_fee_remaining=late_fee,
        last_paid_on=D(2026, 6, 1),
        ledger_version=version,
    )


def detected(amount, *, addressee=A, overpayment_id="op-1", cause="erroneous_payment", paid_on=D(2026, 6, 1)):
    return receipts.OverpaymentDetected(
        overpayment_id=overpayment_id,
        addressee_id=addressee,
        notice_number="R1",
        installment_no=1,
        amount=amount,
        cause=cause,
        arose_on=paid_on + dt.timedelta(days=1),
        paid_on=paid_on,
    )


def merged(merged_id, survivor):
    return address_sync.AddresseesMerged(
        unified_addressee_id="900001",
        surviving_addressee_id=survivor,
        merged_addressee_id=merged_id,
        reason="same_my_number",
        merged_on=D(2026, 5, 1),
    )


def applied_event(command, overpayment_id="op-1"):
    return receipts.AppropriationApplied(
        appropriation_id=command["appropriation_id"],
        overpayment_id=overpayment_id,
        addressee_id=command["addressee_id"],
        appropriable_on=D.fromisoformat(command["appropriable_on"]),
        total=sum(i["amount"] for i in command["items"]),
        overpayment_unappropriated=0,
        items=[{**i, "receipt_id": f"rc-{n}"} for n, i in enumerate(command["items"])],
    )


def lines(cmds):
    return [(i["notice_number"], i["component"], i["amount"]) for c in cmds for i in c["items"]]


# --- 1. no refund while anything 充当適状 is owed --------------------------------------------------


async def test_late_fee_charged_by_receipts_is_appropriated_before_any_refund(service, bus):
    """Seen: 7,200 延滞金 owed, 10,000 refund approved. receipts.installment.charged.v1 reaches refunds
    and the 延滞金 (and 督促手数料) are appropriated first; only the rest is refunded."""
    await service.deliver(
        bus, receipts.InstallmentsCharged(items=[state(A, "K1", demand_fee=100, late_fee=7_200)])
    )
    await service.deliver(bus, detected(10_000))
    assert lines(await commands(service)) == [("K1", "demand_fee", 100), ("K1", "late_fee", 7_200)]
    assert await service.rows(orm.refunds) == []


async def test_a_late_fee_charged_after_the_refund_decision_withdraws_it(service, bus):
    await service.deliver(bus, detected(10_000))
    [refund] = await service.rows(orm.refunds)
    await service.deliver(bus, receipts.InstallmentsCharged(items=[state(A, "K1", late_fee=7_200)]))
    [cancelled] = await service.rows(orm.refunds)
    assert (cancelled["refund_id"], cancelled["status"]) == (refund["refund_id"], "cancelled")
    assert lines(await commands(service)) == [("K1", "late_fee", 7_200)]


async def test_debts_of_a_merged_addressee_are_the_same_persons(service, bus):
    """名寄せ: B's 本税 is the same person's debt as A's overpayment (merge chain A → S, B → S,
    delivered in any order)."""
    await service.deliver(bus, merged(B, S))
    await service.deliver(bus, receipts.InstallmentsPartlyPaid(items=[state(B, "K2", principal=6_000)]))
    await service.deliver(bus, merged(A, S))
    await service.deliver(bus, detected(10_000))
    [command] = await commands(service)
    assert command["addressee_id"] == A  # the overpayment's owner; the item is B's
    assert lines([command]) == [("K2", "principal_tax", 6_000)]


async def test_approval_rechecks_debts_across_a_merge_that_arrived_later(service, bus):
    await service.deliver(bus, detected(10_000))
    [refund] = await service.rows(orm.refunds)
    await act(service, lambda uow: refund_actions.prepare(refund["refund_id"], "clerk-1", uow))
    # B owes 本税 due 11-30 (not payable on 11-28): the decision stands; then B is merged into A.
    await service.deliver(
        bus, receipts.InstallmentsPartlyPaid(items=[state(B, "K2", principal=6_000, due=D(2026, 11, 30))])
    )
    await service.deliver(bus, merged(B, A))
    assert (await service.one(orm.refunds))["status"] == "pending_approval"
    set_today(service, D(2026, 12, 1))
    result = await act(service, lambda uow: refund_actions.approve(refund["refund_id"], "chief-2", uow))
    assert result["status"] == "cancelled"
    assert lines(await commands(service)) == [("K2", "principal_tax", 6_000)]


async def test_payout_leaves_out_a_refund_whose_person_owes_something_payable_now(service):
    await service.handle(handlers.register_overpayment, detected(10_000))
    [refund] = await service.rows(orm.refunds)
    await decide(service, refund["refund_id"], D(2026, 11, 28))
    account = refund_actions.PayeeAccount(A, "0001", "001", "1", "12345", "ﾃｽﾄ", D(2026, 11, 1))
    await act(service, lambda uow: refund_actions.record_claim(account, uow))
    await service.handle(
        handlers.project_installment_states,
        receipts.InstallmentsPartlyPaid(items=[state(A, "K2", principal=6_000, due=D(2026, 11, 30))]),
    )
    set_today(service, D(2026, 12, 1))
    remitter = service.spec.settings.remitter()
    batch = await act(
        service, lambda uow: payout.build_payout(D(2026, 12, 2), D(2026, 11, 28), remitter, uow)
    )
    assert batch.batch_id is None
    assert batch.skipped == [{"refund_id": refund["refund_id"], "reason": "debts_outstanding_appropriated"}]
    assert lines(await commands(service)) == [("K2", "principal_tax", 6_000)]


# --- 2. 還付加算金 whatever the overpayment's fate --------------------------------------------------


async def appropriate_600_000_paid_in_2025(service, debt: int) -> dict:
    """600,000 過納 (paid 2025-04-30) meets a debt of `debt` due 2026-03-31, on 2026-04-10; receipts
    applies the 充当. Returns the 充当 command."""
    set_today(service, D(2026, 4, 10))
    await service.handle(
        handlers.project_installment_states,
        receipts.InstallmentsPartlyPaid(items=[state(A, "K9", principal=debt, due=D(2026, 3, 31))]),
    )
    await service.handle(
        handlers.register_overpayment, detected(600_000, cause="reassessment", paid_on=D(2025, 4, 30))
    )
    [command] = await commands(service)
    await service.handle(handlers.appropriation_applied, applied_event(command))
    return command


async def test_interest_on_a_wholly_appropriated_overpayment_is_computed_and_refunded(service):
    """Seen: 3,300 yen never computed. 600,000 過納 (paid 2025-04-30) appropriated in full to a
    debt due 2026-03-31: interest 2025-05-01 … 2026-03-31 (0.9 % in 2025, 1.3 % in 2026)."""
    command = await appropriate_600_000_paid_in_2025(service, 600_000)
    assert command["appropriable_on"] == "2026-03-31"
    [part] = await service.rows(orm.refund_interest_parts)
    # 2025: 245 days × 600,000 × 0.9 % / 365 = 3,624; 2026: 90 days × 1.3 % = 1,923 → 5,547 → 5,500
    assert (part["kind"], part["start"], part["end"], part["interest"]) == (
        "appropriated",
        D(2025, 5, 1),
        D(2026, 3, 31),
        5_500,
    )
    assert [(s["from"], s["to"], s["days"], s["rate_percent"], s["base"]) for s in part["segments"]] == [
        ("2025-05-01", "2025-12-31", 245, "0.9", 600_000),
        ("2026-01-01", "2026-03-31", 90, "1.3", 600_000),
    ]
    assert "17条の4①一" in part["legal_basis"]
    [refund] = await service.rows(orm.refunds)  # nothing owed any more: the interest is refunded
    assert (refund["amount"], refund["status"]) == (0, "pending_approval")
    result = await decide(service, refund["refund_id"], D(2026, 4, 10))
    assert result["refund_interest"] == 5_500


async def test_interest_waits_while_the_person_still_owes(service):
    """The interest of an appropriated part may not be refunded while debts are payable (17条の2①)."""
    await appropriate_600_000_paid_in_2025(service, 900_000)
    assert [p["status"] for p in await service.rows(orm.refund_interest_parts)] == ["owed"]
    assert await service.rows(orm.refunds) == []


# --- 7. withdrawn overpayments (不渡) ----------------------------------------------------------------


def withdrawn(amount, *, reversed_ids=(), overpayment_id="op-1"):
    return receipts.OverpaymentWithdrawn(
        overpayment_id=overpayment_id,
        addressee_id=A,
        amount=amount,
        withdrawn_on=D(2026, 11, 28),
        reason="dishonour",
        appropriations_reversed=list(reversed_ids),
    )


async def test_a_withdrawn_overpayment_cancels_its_pending_refund(service, bus):
    await service.deliver(bus, detected(10_000))
    await service.deliver(bus, withdrawn(10_000))
    [refund] = await service.rows(orm.refunds)
    assert (refund["status"], refund["cancel_reason"]) == ("cancelled", "withdrawn")
    row = await service.one(orm.overpayments)
    assert (row["withdrawn"], row["refunded"], row["status"]) == (10_000, 0, "withdrawn")


async def test_a_withdrawal_arriving_before_the_overpayment_is_applied_when_it_arrives(service, bus):
    await service.deliver(bus, withdrawn(4_000))
    await service.deliver(bus, detected(10_000))
    [refund] = await service.rows(orm.refunds)
    assert refund["amount"] == 6_000


async def test_a_withdrawal_after_the_payout_opens_a_visible_recovery_claim(service, bus):
    await service.deliver(bus, detected(10_000))
    [refund] = await service.rows(orm.refunds)
    await decide(service, refund["refund_id"], D(2026, 11, 28))
    account = refund_actions.PayeeAccount(A, "0001", "001", "1", "12345", "ﾃｽﾄ", D(2026, 11, 1))
    await act(service, lambda uow: refund_actions.record_claim(account, uow))
    remitter = service.spec.settings.remitter()
    await act(service, lambda uow: payout.build_payout(D(2026, 11, 30), D(2026, 11, 28), remitter, uow))
    set_today(service, D(2026, 11, 30))
    await act(
        service, lambda uow: payout.record_transfer(refund["refund_id"], True, D(2026, 11, 30), "", uow)
    )
    await service.deliver(bus, withdrawn(10_000))
    [claim] = await service.rows(orm.recovery_claims)
    assert (claim["refund_id"], claim["amount"], claim["status"]) == (refund["refund_id"], 10_000, "open")
    audit = await service.rows(orm.audit_log, orm.audit_log.c.id)
    assert [(e["operation"], e["addressee_id"]) for e in audit] == [("recovery-claim.open", A)]
    assert service.rejected() == 0


async def test_a_reversed_appropriation_returns_its_yen_and_voids_its_interest(service, bus):
    set_today(service, D(2026, 4, 10))
    await service.deliver(
        bus, receipts.InstallmentsPartlyPaid(items=[state(A, "K9", principal=900_000, due=D(2026, 3, 31))])
    )
    await service.deliver(bus, detected(600_000, cause="reassessment", paid_on=D(2025, 4, 30)))
    [command] = await commands(service)
    await service.deliver(bus, applied_event(command))
    await service.deliver(bus, withdrawn(600_000, reversed_ids=[command["appropriation_id"]]))
    row = await service.one(orm.overpayments)
    assert (row["appropriated"], row["withdrawn"], row["status"]) == (0, 600_000, "withdrawn")
    assert [p["status"] for p in await service.rows(orm.refund_interest_parts)] == ["cancelled"]


async def test_a_withdrawal_larger_than_the_overpayment_goes_to_the_dlq(service, bus, caplog):
    await service.deliver(bus, detected(10_000))
    [refund] = await service.rows(orm.refunds)
    await decide(service, refund["refund_id"], D(2026, 11, 28))
    await service.deliver(bus, withdrawn(12_000))
    assert service.rejected() == 1
    [reason] = [r.getMessage() for r in caplog.records if "rejected to DLQ" in r.getMessage()]
    assert "exceeds" in reason and not any(y in reason for y in ("12000", "12,000", "10000", "10,000"))
    assert (await service.one(orm.overpayments))["withdrawn"] == 0


# --- 9. payee names in the 総合振込 file -------------------------------------------------------------


async def test_small_kana_are_written_full_size_in_the_payout_file(service):
    await service.handle(handlers.register_overpayment, detected(10_000))
    [refund] = await service.rows(orm.refunds)
    await decide(service, refund["refund_id"], D(2026, 11, 28))
    account = refund_actions.PayeeAccount(
        A, "0001", "001", "1", "12345", "キュウジョウ　ショウコ", D(2026, 11, 1)
    )
    await act(service, lambda uow: refund_actions.record_claim(account, uow))
    remitter = service.spec.settings.remitter()
    batch = await act(
        service, lambda uow: payout.build_payout(D(2026, 11, 30), D(2026, 11, 28), remitter, uow)
    )
    record = batch.file.split(b"\r\n")[1]
    assert record[50:80].decode("cp932").rstrip() == "ｷﾕｳｼﾞﾖｳ ｼﾖｳｺ"


async def test_a_payee_name_over_30_bytes_is_refused_with_its_length_not_cut(service):
    name = "ギョウセイショシ　ホウジン　ジョウカマチ　ゴウドウ　ジムショ"  # 36 bytes once ﾞ are separate
    account = refund_actions.PayeeAccount(A, "0001", "001", "1", "12345", name, D(2026, 11, 1))
    with pytest.raises(
        refund_actions.RefundActionError, match="36 bytes after 全銀 normalisation; the field holds 30"
    ):
        await act(service, lambda uow: refund_actions.record_claim(account, uow))


async def test_a_stored_name_over_30_bytes_is_left_out_of_the_file_and_listed(service):
    await service.handle(handlers.register_overpayment, detected(10_000))
    [refund] = await service.rows(orm.refunds)
    await decide(service, refund["refund_id"], D(2026, 11, 28))
    async with service.runtime.sessions() as s, s.begin():  # an account recorded before the check
        await s.execute(
            orm.payee_accounts.insert().values(
                addressee_id=A,
                bank_code="0001",
                branch_code="001",
                account_type="1",
                account_number="0012345",
                holder_kana="ｱ" * 29 + "ｶﾞ",
                claimed_on=D(2026, 11, 1),
            )
        )
    remitter = service.spec.settings.remitter()
    batch = await act(
        service, lambda uow: payout.build_payout(D(2026, 11, 30), D(2026, 11, 28), remitter, uow)
    )
    assert batch.batch_id is None
    assert batch.skipped == [{"refund_id": refund["refund_id"], "reason": "payee_name_over_30_bytes"}]
    with pytest.raises(zengin_transfer.PayeeNameTooLong):
        zengin_transfer.check_payee_name("ｱ" * 29 + "ｶﾞ")


# --- dates a person supplies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("transfer_date", "message"),
    [
        pytest.param(D(2026, 11, 27), "before the business date", id="past"),
        pytest.param(D(2026, 11, 29), "not a bank business day", id="sunday"),
        pytest.param(D(2036, 11, 30), "outside the plausible window", id="mistyped-year"),
    ],
)
async def test_an_implausible_transfer_date_is_refused(service, transfer_date, message):
    remitter = service.spec.settings.remitter()
    with pytest.raises(refund_actions.DateRefused, match=message):
        await act(service, lambda uow: payout.build_payout(transfer_date, D(2026, 11, 28), remitter, uow))


async def test_a_transfer_result_before_the_transfer_date_is_refused(service):
    await service.handle(handlers.register_overpayment, detected(10_000))
    [refund] = await service.rows(orm.refunds)
    await decide(service, refund["refund_id"], D(2026, 11, 28))
    account = refund_actions.PayeeAccount(A, "0001", "001", "1", "12345", "ﾃｽﾄ", D(2026, 11, 1))
    await act(service, lambda uow: refund_actions.record_claim(account, uow))
    remitter = service.spec.settings.remitter()
    await act(service, lambda uow: payout.build_payout(D(2026, 12, 1), D(2026, 11, 28), remitter, uow))
    set_today(service, D(2026, 12, 2))
    with pytest.raises(refund_actions.DateRefused, match="before the payout's transfer_date"):
        await act(
            service, lambda uow: payout.record_transfer(refund["refund_id"], True, D(2026, 11, 30), "", uow)
        )


async def test_a_cause_correction_recomputes_the_interest_earned_and_needs_its_dates(service):
    """更正の請求 (17条の4①二) needs its dates: without them the appropriated part's interest cannot be
    computed, and the refund is not approved without it."""
    command = await appropriate_600_000_paid_in_2025(service, 400_000)
    [refund] = await service.rows(orm.refunds)
    no_dates = CauseDates()
    await act(
        service,
        lambda uow: refund_actions.correct_cause(refund["refund_id"], "correction_request", no_dates, uow),
    )
    [part] = await service.rows(orm.refund_interest_parts)
    assert (part["reference"], part["status"]) == (command["appropriation_id"], "uncomputed")
    assert "requested_on" in part["error"]
    with pytest.raises(refund_actions.RefundActionError, match="not computed yet"):
        await decide(service, refund["refund_id"], D(2026, 4, 10))
    dates = CauseDates(requested_on=D(2025, 6, 2), corrected_on=D(2025, 7, 1))
    await act(
        service,
        lambda uow: refund_actions.correct_cause(refund["refund_id"], "correction_request", dates, uow),
    )
    [part] = await service.rows(orm.refund_interest_parts)
    # 二号: the earlier of request + 3 months (09-02) and correction + 1 month (08-01) → from 08-02
    assert (part["status"], part["start"]) == ("in_refund", D(2025, 8, 2))
    result = await decide(service, refund["refund_id"], D(2026, 4, 10))
    assert result["status"] == "approved" and result["refund_interest"] > part["interest"]


async def test_a_wholly_appropriated_overpayment_whose_interest_rounds_to_zero_owes_nothing(service):
    """Found by the model test: a 0-yen interest credit became a 0-yen refund, and its 0-yen record
    made the whole 総合振込 file fail. Under 2,000 yen there is no 還付加算金 (法20条の4の2②)."""
    set_today(service, D(2026, 4, 10))
    await service.handle(
        handlers.project_installment_states,
        receipts.InstallmentsPartlyPaid(items=[state(A, "K9", principal=1_500, due=D(2026, 3, 31))]),
    )
    await service.handle(handlers.register_overpayment, detected(1_500, paid_on=D(2025, 4, 30)))
    [command] = await commands(service)
    await service.handle(handlers.appropriation_applied, applied_event(command))
    assert [p["interest"] for p in await service.rows(orm.refund_interest_parts)] == [0]
    assert await service.rows(orm.refunds) == []
    assert (await service.one(orm.overpayments))["status"] == "appropriated"
