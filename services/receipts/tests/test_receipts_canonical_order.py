"""Receipts of one installment are applied in one canonical order (収入日, 領収日, channel identity),
whatever order they arrive in: the final ledger is a function of the set of receipts.

An example (a コンビニ payment and a 窓口 payment of the same 期別 on the same 収入日, delivered in
both orders) and a hypothesis property (any permutation of the same receipts gives the same ledger,
the same overpayment per receipt, and money conserved) over the service layer on SQLite.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from osame_chassis.testing import InProcessService
from osame_contracts.messages import receipts, taxation
from osame_receipts.adapters import normalized, orm
from osame_receipts.domain.reconciliation import Owed, allocate_in_turn, canonical_rank
from osame_receipts.service_layer import channels, handlers

from .conftest import Service

D = dt.date
NOTICE = "R8-000001"
ADDRESSEE = "100001"
CVS = receipts.Channel.CONVENIENCE_STORE
COUNTER = receipts.Channel.COUNTER


def assessment(principal=10_000):
    return taxation.AssessmentRegistered(
        addressee_id=ADDRESSEE,
        notice_number=NOTICE,
        fiscal_year=2026,
        tax_year=2026,
        tax_item=taxation.TaxItem.RESIDENT_TAX,
        revision=1,
        assessed_on=D(2026, 6, 1),
        installments=[
            taxation.AssessedInstallment(installment_no=1, principal_tax=principal, due_date=D(2026, 6, 30))
        ],
    )


def payment(
    channel, key, amount=10_000, *, paid_on=D(2026, 6, 20), booked_on=D(2026, 6, 23), preliminary=False
):
    return receipts.RecordReceipt(
        channel=channel,
        channel_key=key,
        notice_number=NOTICE,
        installment_no=1,
        amount=amount,
        paid_on=paid_on,
        booked_on=booked_on,
        preliminary=preliminary,
    )


class Ledger(InProcessService):
    """A fresh receipts store per run (hypothesis examples cannot share a function fixture)."""

    def __init__(self, principal=10_000):
        self.open_service(Service, "receipts", orm.metadata)
        self.act(lambda uow: handlers.record_assessment(assessment(principal), uow))

    def record(self, command):
        return self.act(lambda uow: handlers.record_receipt(command, uow))

    def final(self) -> dict:
        """The ledger without ids: per receipt (by channel identity) its split, the installment's
        paid amounts, and the yen held as overpayments per receipt."""
        receipts_ = self.run(self.svc.rows(orm.receipts))
        by_id = {r["receipt_id"]: (r["channel"], r["channel_key"]) for r in receipts_}
        over = defaultdict(int)
        for o in self.run(self.svc.rows(orm.overpayments)):
            over[by_id[o["receipt_id"]]] += o["amount"] - o["withdrawn"]
        [inst] = self.run(self.svc.rows(orm.installments))
        return {
            "receipts": sorted(
                (
                    r["channel"],
                    r["channel_key"],
                    r["applied_principal_tax"],
                    r["applied_demand_fee"],
                    r["applied_late_fee"],
                    r["overpaid"],
                    r["state"],
                )
                for r in receipts_
            ),
            "paid": (inst["paid"], inst["demand_fee_paid"], inst["late_fee_paid"]),
            "overpaid": dict(over),
        }


def test_same_day_cvs_and_counter_payment_split_the_same_in_either_order():
    """Both pay the whole 期別 on one 収入日: the earlier 領収日 settles it, the other is 過誤納,
    whichever arrives first; the late arrival re-derives the split and announces it."""
    cvs_payment = payment(CVS, "cvs-1", paid_on=D(2026, 6, 19))
    counter_payment = payment(COUNTER, "ctr-1", paid_on=D(2026, 6, 22))
    finals = []
    for order in ((cvs_payment, counter_payment), (counter_payment, cvs_payment)):
        ledger = Ledger()
        try:
            for command in order:
                ledger.record(command)
            finals.append(ledger.final())
            events = ledger.run(ledger.svc.events())
        finally:
            ledger.close_service()
    assert finals[0] == finals[1]
    assert finals[0]["overpaid"] == {(COUNTER.value, "ctr-1"): 10_000}
    assert finals[0]["paid"] == (10_000, 0, 0)
    # the reversed arrival: the counter receipt was applied first, then re-announced with nothing
    # applied, and its overpayment detected for refunds
    recorded = [b for k, b in events if k == receipts.ReceiptRecorded.routing_key]
    assert [(b["channel"], b["applied"], b["overpaid"]) for b in recorded] == [
        ("counter", 10_000, 0),
        ("convenience_store", 10_000, 0),
        ("counter", 0, 10_000),
    ]
    over = [b for k, b in events if k == receipts.OverpaymentDetected.routing_key]
    assert [(b["amount"], b["reason"], b["paid_on"]) for b in over] == [
        (10_000, "double_payment", "2026-06-22")
    ]
    states = [b for k, b in events if k == receipts.InstallmentsSettled.routing_key]
    assert states[-1]["items"][0]["remaining"] == 0


def test_a_receipt_ranking_later_keeps_its_split():
    """A receipt ranking after everything already booked is applied as before: nothing re-derived."""
    ledger = Ledger()
    try:
        ledger.record(payment(CVS, "a", 6_000, booked_on=D(2026, 6, 22)))
        before = ledger.run(ledger.svc.events())
        ledger.record(payment(CVS, "b", 6_000))
        events = ledger.run(ledger.svc.events())[len(before) :]
        recorded = [b for k, b in events if k == receipts.ReceiptRecorded.routing_key]
        assert [(b["channel"], b["applied"], b["overpaid"]) for b in recorded] == [
            ("convenience_store", 4_000, 2_000)
        ]
    finally:
        ledger.close_service()


def test_canonical_rank_orders_by_booked_then_paid_then_identity():
    ranks = sorted(
        [
            canonical_rank(D(2026, 6, 23), D(2026, 6, 22), "counter", "2"),
            canonical_rank(D(2026, 6, 22), D(2026, 6, 22), "mpn", "9"),
            canonical_rank(D(2026, 6, 23), D(2026, 6, 20), "mpn", "1"),
            canonical_rank(D(2026, 6, 23), D(2026, 6, 22), "counter", "1"),
        ]
    )
    assert [r[3] for r in ranks] == ["9", "1", "1", "2"]
    # the independent model: allocation of the sorted set, whatever its arrival
    [a, b] = allocate_in_turn(Owed(principal_tax=10_000), [6_000, 6_000])
    assert (a.applied, a.overpaid, b.applied, b.overpaid) == (6_000, 0, 4_000, 2_000)


_payments = st.lists(
    st.tuples(
        st.sampled_from([CVS, COUNTER, receipts.Channel.BANK_COUNTER]),
        st.integers(1, 12).map(lambda k: k * 1_000),
        st.sampled_from([D(2026, 6, 18), D(2026, 6, 19), D(2026, 6, 22)]),  # 領収日
        st.sampled_from([D(2026, 6, 22), D(2026, 6, 23)]),  # 収入日
    ),
    min_size=2,
    max_size=5,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_payments, permutation=st.randoms(use_true_random=False))
def test_any_permutation_of_the_same_receipts_gives_the_same_ledger(data, permutation):
    commands = [
        payment(channel, f"k{n}", amount, paid_on=min(paid_on, booked_on), booked_on=booked_on)
        for n, (channel, amount, paid_on, booked_on) in enumerate(data)
    ]
    shuffled = list(commands)
    permutation.shuffle(shuffled)
    finals = []
    for order in (commands, shuffled):
        ledger = Ledger(principal=10_000)
        try:
            for command in order:
                ledger.record(command)
            finals.append(ledger.final())
        finally:
            ledger.close_service()
    assert finals[0] == finals[1]
    # against the independent model: the set allocated in canonical order
    ranked = sorted(commands, key=lambda c: canonical_rank(c.booked_on, c.paid_on, c.channel, c.channel_key))
    expected = allocate_in_turn(Owed(principal_tax=10_000), [c.amount for c in ranked])
    assert {
        (c.channel.value, c.channel_key): r.overpaid
        for c, r in zip(ranked, expected, strict=True)
        if r.overpaid
    } == finals[0]["overpaid"]
    # money conserved: received = paid on the ledger + held as overpayments
    assert sum(c.amount for c in commands) == sum(finals[0]["paid"]) + sum(finals[0]["overpaid"].values())


async def test_a_file_splits_in_canonical_order_not_in_file_order(service):
    """Bulk path: two OCR records of one 期別 with the later 領収日 first in the file: the earlier
    領収日 settles the installment, the other is 過誤納 — as one-by-one arrival would give."""
    service.runtime.settings.business_date = D(2026, 6, 25)
    await service.handle(handlers.record_assessment, assessment())
    data = normalized.write(
        "ocr",
        [
            ["0001", "001", "2", NOTICE, "1", "10000", "20260622", "20260623"],
            ["0001", "001", "1", NOTICE, "1", "10000", "20260619", "20260623"],
        ],
    )
    async with service.runtime.unit_of_work() as uow:
        report = await channels.import_normalized(uow, "ocr", data, file="ocr.csv")
        await uow.commit()
    assert report.applied == 2
    split = {r["paid_on"]: (r["applied"], r["overpaid"]) for r in await service.rows(orm.receipts)}
    assert split == {D(2026, 6, 19): (10_000, 0), D(2026, 6, 22): (0, 10_000)}


@pytest.mark.parametrize("second", ["ocr", "counter"])
async def test_a_later_file_ranking_earlier_re_derives_the_split(any_service, second):
    """Across batches: an OCR file books the 6/22 payment; then a payment of 6/19 arrives (another
    file, or the counter): the 6/19 payment settles the installment, the 6/22 one becomes 過誤納
    (its overpayment detected for refunds), as if they had arrived in canonical order."""
    service = any_service
    service.runtime.settings.business_date = D(2026, 6, 25)
    await service.handle(handlers.record_assessment, assessment())

    async def ocr(rows, name):
        async with service.runtime.unit_of_work() as uow:
            report = await channels.import_normalized(uow, "ocr", normalized.write("ocr", rows), file=name)
            await uow.commit()
        return report

    await ocr([["0001", "001", "2", NOTICE, "1", "10000", "20260622", "20260623"]], "ocr-1.csv")
    if second == "ocr":
        report = await ocr([["0001", "001", "1", NOTICE, "1", "10000", "20260619", "20260623"]], "ocr-2.csv")
        assert report.overpayments == 1  # the outranked receipt's, made by this file (none of its own)
    else:
        await service.handle(handlers.record_receipt, payment(COUNTER, "ctr-1", paid_on=D(2026, 6, 19)))
    split = {r["paid_on"]: (r["applied"], r["overpaid"]) for r in await service.rows(orm.receipts)}
    assert split == {D(2026, 6, 19): (10_000, 0), D(2026, 6, 22): (0, 10_000)}
    [over] = await service.rows(orm.overpayments)
    assert (over["amount"], over["arose_on"]) == (10_000, D(2026, 6, 23))
    receipt_of = {r["receipt_id"]: r["paid_on"] for r in await service.rows(orm.receipts)}
    assert receipt_of[over["receipt_id"]] == D(2026, 6, 22)
    [inst] = await service.rows(orm.installments)
    assert inst["paid"] == 10_000
    states = [b for k, b in await service.events() if k == receipts.InstallmentsSettled.routing_key]
    assert states[-1]["items"][0]["remaining"] == 0
