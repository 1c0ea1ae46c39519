"""充当 (appropriation) in receipts: the pure check (table-driven) and the use case over SQLite."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_contracts.messages import receipts, taxation
from osame_law.errors import ImplausibleDateError
from osame_receipts.adapters import orm
from osame_receipts.domain.appropriation import Debt, Line, Refusal, check_appropriation
from osame_receipts.domain.reconciliation import Component, Owed
from osame_receipts.service_layer import handlers
from osame_receipts.service_layer.appropriation import apply_appropriation
from sqlalchemy import update

D = dt.date
A, B = "100001", "100002"
P, F, L = Component.PRINCIPAL_TAX, Component.DEMAND_FEE, Component.LATE_FEE
K1, K2 = ("N-1", 1), ("N-1", 2)
DEBTS = {K1: Debt(A, Owed(10_000, 100, 500)), K2: Debt(A, Owed(5_000)), ("N-9", 1): Debt(B, Owed(1_000))}


@pytest.mark.parametrize(
    ("lines", "owner", "available", "refusal", "index"),
    [
        pytest.param([Line(K1, P, 10_000)], A, 10_000, None, None, id="exact-principal"),
        pytest.param(
            [Line(K1, F, 100), Line(K1, P, 9_000), Line(K1, L, 500)], A, 9_600, None, None, id="three-parts"
        ),
        pytest.param(
            [Line(K1, P, 4_000), Line(K1, P, 6_000)], A, 10_000, None, None, id="two-lines-same-part"
        ),
        pytest.param([Line(K1, P, 1)], None, 10, Refusal.UNKNOWN_OVERPAYMENT, None, id="unknown-overpayment"),
        pytest.param([Line(K1, P, 1)], B, 10, Refusal.ADDRESSEE_MISMATCH, None, id="other-owner"),
        pytest.param(
            [Line(K1, P, 10_000)], A, 9_999, Refusal.INSUFFICIENT_OVERPAYMENT, None, id="not-enough-money"
        ),
        pytest.param(
            [Line(K2, P, 10), Line(("N-2", 1), P, 1)], A, 99, Refusal.UNKNOWN_INSTALLMENT, 1, id="unknown"
        ),
        pytest.param(
            [Line(("N-9", 1), P, 1)], A, 99, Refusal.OTHER_ADDRESSEE_DEBT, 0, id="someone-elses-debt"
        ),
        pytest.param([Line(K2, P, 5_001)], A, 9_999, Refusal.NOT_OWED, 0, id="more-than-owed"),
        pytest.param([Line(K2, L, 1)], A, 9_999, Refusal.NOT_OWED, 0, id="no-late-fee-charged"),
        pytest.param(
            [Line(K1, P, 6_000), Line(K1, P, 4_001)], A, 99_999, Refusal.NOT_OWED, 1, id="lines-add-up"
        ),
    ],
)
def test_check_appropriation(lines, owner, available, refusal, index):
    verdict = check_appropriation(
        lines, addressee_id=A, overpayment_addressee_id=owner, available=available, debts=DEBTS
    )
    assert verdict.refusal == refusal
    assert verdict.item_index == index


def _assessment(notice, addressee, installments, revision=1, changed=False):
    model = taxation.AssessmentChanged if changed else taxation.AssessmentRegistered
    return model(
        addressee_id=addressee,
        notice_number=notice,
        fiscal_year=2026,
        tax_year=2026,
        tax_item=taxation.TaxItem.FIXED_ASSET_TAX,
        revision=revision,
        assessed_on=D(2026, 4, 1),
        installments=[
            taxation.AssessedInstallment(installment_no=n, principal_tax=p, due_date=d)
            for n, p, d in installments
        ],
    )


def _payment(notice, amount, key, installment_no=1):
    return receipts.RecordReceipt(
        channel=receipts.Channel.COUNTER,
        channel_key=key,
        notice_number=notice,
        installment_no=installment_no,
        amount=amount,
        paid_on=D(2026, 5, 10),
        booked_on=D(2026, 5, 11),
    )


def _command(items, *, appropriation_id="AP-1", overpayment_id=None, addressee=A, on=D(2026, 7, 31)):
    return receipts.AppropriateOverpayment(
        appropriation_id=appropriation_id,
        overpayment_id=overpayment_id,
        addressee_id=addressee,
        appropriable_on=on,
        items=[
            receipts.AppropriationItem(notice_number=n, installment_no=i, component=c, amount=a)
            for n, i, c, a in items
        ],
    )


async def _overpaid(service, amount=3_000):
    """Addressee A pays 10,000 + `amount` on a 10,000 installment: an overpayment of `amount`."""
    await service.handle(handlers.record_assessment, _assessment("OLD-1", A, [(1, 10_000, D(2026, 4, 30))]))
    await service.handle(handlers.record_receipt, _payment("OLD-1", 10_000 + amount, "pay-1"))
    [row] = await service.rows(orm.overpayments)
    return row["overpayment_id"]


async def _debt(service, notice="NEW-1", addressee=A, principal=5_000):
    await service.handle(
        handlers.record_assessment,
        _assessment(notice, addressee, [(1, principal, D(2026, 7, 31)), (2, principal, D(2026, 12, 25))]),
    )


async def test_appropriation_books_receipts_on_the_appropriable_day(service):
    overpayment_id = await _overpaid(service, 3_000)
    await _debt(service)
    before = len(await service.events())
    outcome = await service.handle(
        apply_appropriation,
        _command(
            [("NEW-1", 1, "principal_tax", 2_000), ("NEW-1", 2, "principal_tax", 1_000)],
            overpayment_id=overpayment_id,
        ),
    )
    assert outcome == "applied"
    rows = [r for r in await service.rows(orm.receipts) if r["channel"] == "appropriation"]
    assert sorted(
        (r["installment_no"], r["amount"], r["paid_on"], r["booked_on"], r["state"]) for r in rows
    ) == [
        (1, 2_000, D(2026, 7, 31), D(2026, 7, 31), "final"),
        (2, 1_000, D(2026, 7, 31), D(2026, 7, 31), "final"),
    ]
    paid = {
        r["installment_no"]: r["paid"]
        for r in await service.rows(orm.installments)
        if r["notice_number"] == "NEW-1"
    }
    assert paid == {1: 2_000, 2: 1_000}
    [over] = await service.rows(orm.overpayments)
    assert (over["amount"], over["appropriated"]) == (3_000, 3_000)
    keys = [k for k, _ in (await service.events())[before:]]
    assert keys == [
        receipts.ReceiptRecorded.routing_key,
        receipts.ReceiptRecorded.routing_key,
        receipts.InstallmentsPartlyPaid.routing_key,
        receipts.AppropriationApplied.routing_key,
    ]  # ledger events for collection, the outcome for refunds
    # money is conserved at receipts: Σ receipts = Σ applied + Σ held (amount − appropriated)
    all_receipts = [r for r in await service.rows(orm.receipts) if r["channel"] != "appropriation"]
    applied = sum(r["applied"] for r in await service.rows(orm.receipts))
    held = over["amount"] - over["appropriated"]
    appropriated_in = sum(r["amount"] for r in rows)
    assert sum(r["amount"] for r in all_receipts) == applied - appropriated_in + held + over["appropriated"]


async def test_appropriation_settles_and_publishes_outcome_when_enabled(service):
    overpayment_id = await _overpaid(service, 6_000)
    await _debt(service)
    before = len(await service.events())
    outcome = await apply_with(
        service, _command([("NEW-1", 1, "principal_tax", 5_000)], overpayment_id=overpayment_id)
    )
    assert outcome == "applied"
    events = (await service.events())[before:]
    assert [k for k, _ in events][-2:] == [
        receipts.InstallmentsSettled.routing_key,
        receipts.AppropriationApplied.routing_key,
    ]
    body = events[-1][1]
    assert (body["total"], body["overpayment_unappropriated"], body["appropriable_on"]) == (
        5_000,
        1_000,
        "2026-07-31",
    )
    assert body["items"][0]["receipt_id"]


async def apply_with(service, command):
    async with service.runtime.unit_of_work() as uow:
        result = await apply_appropriation(command, uow)
        await uow.commit()
    return result


@pytest.mark.parametrize(
    ("items", "addressee", "reason", "index"),
    [
        pytest.param(
            [("NEW-1", 1, "principal_tax", 1_000), ("NEW-1", 2, "demand_fee", 100)],
            A,
            "not_owed",
            1,
            id="second-item-too-much",
        ),
        pytest.param([("NEW-1", 1, "late_fee", 10)], A, "not_owed", 0, id="no-late-fee"),
        pytest.param(
            [("NEW-1", 3, "principal_tax", 10)], A, "unknown_installment", 0, id="unknown-installment"
        ),
        pytest.param(
            [("NEW-1", 1, "principal_tax", 3_001)], A, "insufficient_overpayment", None, id="too-little-money"
        ),
        pytest.param(
            [("NEW-1", 1, "principal_tax", 10)], B, "addressee_mismatch", None, id="other-addressee"
        ),
    ],
)
async def test_refused_appropriation_applies_nothing(service, items, addressee, reason, index):
    overpayment_id = await _overpaid(service, 3_000)
    await _debt(service)
    receipts_before = await service.rows(orm.receipts)
    ledger_before = await service.rows(orm.installments)
    before = len(await service.events())
    outcome = await apply_with(service, _command(items, overpayment_id=overpayment_id, addressee=addressee))
    assert outcome == "refused"
    assert await service.rows(orm.receipts) == receipts_before
    assert await service.rows(orm.installments) == ledger_before
    assert (await service.one(orm.overpayments))["appropriated"] == 0
    [(key, body)] = (await service.events())[before:]
    assert key == receipts.AppropriationRefused.routing_key
    assert (body["reason"], body["item_index"]) == (reason, index)
    [stored] = await service.rows(orm.appropriations)
    assert (stored["outcome"], stored["reason"]) == ("refused", reason)


async def test_installment_paid_meanwhile_is_refused(service):
    overpayment_id = await _overpaid(service, 3_000)
    await _debt(service)
    await service.handle(
        handlers.record_receipt, _payment("NEW-1", 5_000, "pay-2")
    )  # paid at the counter first
    outcome = await service.handle(
        apply_appropriation, _command([("NEW-1", 1, "principal_tax", 3_000)], overpayment_id=overpayment_id)
    )
    assert outcome == "refused"
    [stored] = await service.rows(orm.appropriations)
    assert stored["reason"] == "not_owed"


async def test_same_appropriation_twice_applies_once(service):
    overpayment_id = await _overpaid(service, 3_000)
    await _debt(service)
    command = _command([("NEW-1", 1, "principal_tax", 1_000)], overpayment_id=overpayment_id)
    assert await service.handle(apply_appropriation, command) == "applied"
    assert await service.handle(apply_appropriation, command) == "duplicate"
    assert (await service.one(orm.overpayments))["appropriated"] == 1_000
    assert len([r for r in await service.rows(orm.receipts) if r["channel"] == "appropriation"]) == 1


async def test_appropriation_to_demand_fee_and_late_fee(service):
    overpayment_id = await _overpaid(service, 3_000)
    await _debt(service, principal=1_500)  # the whole tax, so its 延滞金 may be paid (法17条の2③)
    async with (
        service.runtime.sessions() as session
    ):  # collection's charges reach the ledger later (issue 7 §2)
        await session.execute(
            update(orm.installments)
            .where(orm.installments.c.notice_number == "NEW-1", orm.installments.c.installment_no == 1)
            .values(demand_fee=100, late_fee=1_200)
        )
        await session.commit()
    outcome = await service.handle(
        apply_appropriation,
        _command(
            [
                ("NEW-1", 1, "principal_tax", 1_500),
                ("NEW-1", 1, "demand_fee", 100),
                ("NEW-1", 1, "late_fee", 1_200),
            ],
            overpayment_id=overpayment_id,
        ),
    )
    assert outcome == "applied"
    row = next(r for r in await service.rows(orm.installments) if r["notice_number"] == "NEW-1")
    assert (row["paid"], row["demand_fee_paid"], row["late_fee_paid"]) == (1_500, 100, 1_200)


async def test_appropriation_command_through_the_bus(service, bus):
    overpayment_id = await _overpaid(service, 3_000)
    await _debt(service)
    command = _command([("NEW-1", 1, "principal_tax", 3_000)], overpayment_id=overpayment_id)
    await service.deliver(bus, command, message_id="m-1")
    await service.deliver(bus, command, message_id="m-2")  # resent with a new id: still once
    assert (await service.one(orm.overpayments))["appropriated"] == 3_000
    assert service.rejected() == 0


async def test_appropriation_across_merged_addressees_is_accepted(service):
    """Issue 11 item 8: refunds appropriates across 名寄せ; receipts refused it as
    other_addressee_debt. A debt under a 宛名番号 merged with the overpayment's is the person's."""
    from osame_contracts.messages import address_sync
    from osame_receipts.service_layer import addressees

    overpayment_id = await _overpaid(service, 3_000)
    await _debt(service, notice="MERGED-1", addressee="200099")
    command = _command([("MERGED-1", 1, "principal_tax", 2_000)], overpayment_id=overpayment_id)
    refused = await service.handle(apply_appropriation, command)
    assert refused == "refused"  # not (yet) the same person
    await service.handle(
        addressees.apply_addressees_merged,
        address_sync.AddresseesMerged(
            merged_addressee_id="200099",
            surviving_addressee_id=A,
            unified_addressee_id="000000000000001",
            reason=address_sync.MergeReason.STAFF_DECISION,
            merged_on=D(2026, 7, 1),
        ),
    )
    outcome = await service.handle(
        apply_appropriation,
        _command(
            [("MERGED-1", 1, "principal_tax", 2_000)], appropriation_id="AP-2", overpayment_id=overpayment_id
        ),
    )
    assert outcome == "applied"
    paid = {
        (i["notice_number"], i["installment_no"]): i["paid"] for i in await service.rows(orm.installments)
    }
    assert paid[("MERGED-1", 1)] == 2_000


async def _charged(service, demand_fee=100, late_fee=1_200):
    async with service.runtime.sessions() as session:
        await session.execute(
            update(orm.installments)
            .where(orm.installments.c.notice_number == "NEW-1", orm.installments.c.installment_no == 1)
            .values(demand_fee=demand_fee, late_fee=late_fee)
        )
        await session.commit()


@pytest.mark.parametrize(
    ("items", "index"),
    [
        pytest.param([("NEW-1", 1, "late_fee", 1_200)], 0, id="late-fee-while-the-tax-is-owed-17-2-3"),
        pytest.param([("NEW-1", 1, "principal_tax", 1_000)], 0, id="tax-while-the-fee-is-owed-city-order"),
    ],
)
async def test_a_appropriation_out_of_the_order_in_force_is_refused(service, items, index):
    overpayment_id = await _overpaid(service, 3_000)
    await _debt(service)
    await _charged(service)
    outcome = await service.handle(apply_appropriation, _command(items, overpayment_id=overpayment_id))
    assert outcome == "refused"
    [stored] = await service.rows(orm.appropriations)
    assert stored["reason"] == "out_of_order"
    [(_, body)] = [
        (k, b) for k, b in await service.events() if k == receipts.AppropriationRefused.routing_key
    ]
    assert body["item_index"] == index


async def test_a_loaded_order_applies_from_its_effective_date(service):
    from osame_receipts.service_layer import law_orders

    overpayment_id = await _overpaid(service, 3_000)
    await _debt(service)
    await _charged(service)
    fee_last = {
        "effective_from": "2026-08-01",
        "kind_order": ["disposition_cost", "principal_tax", "additional_tax", "late_fee", "demand_fee"],
        "source": "test: 市税充当規則 (illustrative)",
    }
    loaded = await service.handle(lambda body, uow: law_orders.load(uow, body, "staff-1"), fee_last)
    assert loaded["replaces"]["rule"].endswith("demand_fee>principal_tax>additional_tax>late_fee")
    tax_only = [("NEW-1", 1, "principal_tax", 1_000)]
    before = _command(tax_only, overpayment_id=overpayment_id, on=D(2026, 7, 31))
    assert await service.handle(apply_appropriation, before) == "refused"  # the old order on 7/31
    after = _command(tax_only, appropriation_id="AP-2", overpayment_id=overpayment_id, on=D(2026, 8, 1))
    assert await service.handle(apply_appropriation, after) == "applied"  # the fee now comes last
    with pytest.raises(ValueError, match="appropriation_order_refused"):  # 延滞金 before its tax
        bad = {**fee_last, "kind_order": list(reversed(fee_last["kind_order"]))}
        await service.handle(lambda body, uow: law_orders.load(uow, body, "staff-1"), bad)
    with pytest.raises(ImplausibleDateError, match="effective_from 2099-08-01"):  # a mistyped year
        far = {**fee_last, "effective_from": "2099-08-01"}
        await service.handle(lambda body, uow: law_orders.load(uow, body, "staff-1"), far)
    [row] = await service.rows(orm.law_appropriation_orders)
    assert (row["loaded_by"], row["source"]) == ("staff-1", fee_last["source"])
