"""End to end: a 充当 refused by receipts, re-planned into a refund, approved with 還付加算金, paid
out by 全銀 総合振込 (returned once, then paid), the refund events consumed by collection, and money
conserved.

Determinism: the refusal is not a race. Receipts is stopped (SIGTERM) before refunds sends the
充当 command, so the command waits in receipts' queue; installment B is then paid by a bank file
imported with `osame receipts import ocr` straight into receipts' database (its service layer;
the events wait in its outbox). When receipts starts, B is already paid, so it must refuse the
充当 (`not_owed`). Every other step waits until the stack is settled before the next one.

Taxpayer 300001, one fixed-asset notice: #1 (A) 1,200,000 due 2026-06-30, #2 (B) 1,200,000 due
2026-07-31. The business date is 2026-06-30 (conftest). A is paid on time twice (F11: a duplicate
payment; on time, so no 延滞金 is charged to A), so 1,200,000 is 過誤納 (cause erroneous_payment,
領収日 06-30, arose 07-01).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
import time

import httpx
import pytest
from osame_cli.settle import dlq_depths, wait_settled
from osame_contracts.messages import address_sync, receipts, taxation

from .test_e2e_flow import query, refunds_on

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

ADDRESSEE = "300001"
NOTICE = "K2026900001"
TAX = 1_200_000
DECIDED = dt.date(2026, 11, 30)  # 支出決定日, after B's 納期限: B is payable then
# 還付加算金 (法17条の4①四, 誤納: from the day after one month has passed since the day after
# payment): paid 06-30 → 1 month from 07-01 ends 07-31 → runs 08-01 … 11-30 = 122 days, all in 2026
# (1.3 %): 1,200,000 × 0.013 × 122 / 365 = 5,214.2 → floored to 100 yen (法20条の4の2⑤) = 5,200.
INTEREST = 5_200


def assessment() -> taxation.AssessmentRegistered:
    return taxation.AssessmentRegistered(
        addressee_id=ADDRESSEE,
        notice_number=NOTICE,
        fiscal_year=2026,
        tax_year=2026,
        tax_item=taxation.TaxItem.FIXED_ASSET_TAX,
        revision=1,
        assessed_on=dt.date(2026, 4, 1),
        installments=[
            taxation.AssessedInstallment(installment_no=1, principal_tax=TAX, due_date=dt.date(2026, 6, 30)),
            taxation.AssessedInstallment(installment_no=2, principal_tax=TAX, due_date=dt.date(2026, 7, 31)),
        ],
    )


def payment_of_a(channel: receipts.Channel, key: str) -> receipts.RecordReceipt:
    return receipts.RecordReceipt(
        channel=channel,
        channel_key=key,
        notice_number=NOTICE,
        installment_no=1,
        amount=TAX,
        paid_on=dt.date(2026, 6, 30),
        booked_on=dt.date(2026, 7, 1),
    )


def clerk(e2e) -> dict:
    """The preparer (起案); the officer who approves must be someone else."""
    return {"Authorization": f"Bearer {e2e.staff_token('refunds-clerk', ['refunds_staff'])}"}


async def poll(check, what: str, timeout: float = 90):
    """Wait for a condition on the stack (not a timing assertion: the limit only bounds a hang)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.3)


async def test_a_refused_appropriation_is_replanned_refunded_paid_out_and_money_is_conserved(
    e2e, tmp_path, money_check
):
    refunds_api = httpx.AsyncClient(
        base_url=e2e.services["refunds"].url,
        headers={"Authorization": f"Bearer {e2e.staff_token('refunds-officer', ['refunds_staff'])}"},
        timeout=30,
    )
    async with e2e.bus() as bus, refunds_api as api:
        # 1. The taxpayer, the notice, then A paid exactly and paid again (duplicate) → 過誤納.
        await bus.send(
            address_sync.UpsertAddressee(
                addressee_id=ADDRESSEE,
                version=1,
                name="試験 還付",
                name_kana="シケン カンプ",
                postal_code="933-0000",
                address="富山県高岡市試験町1番1号",
                protected=False,
            )
        )
        await bus.send(assessment())
        await wait_settled(
            e2e, bus, lambda s: s["receipts"]["notices"] == 1 and s["refunds"]["unpaid_items"] >= 2
        )
        await bus.send(payment_of_a(receipts.Channel.BANK_COUNTER, "bank_counter-20260701-refund-1"))
        await wait_settled(e2e, bus, lambda s: s["receipts"]["receipts"] == 1)
        await bus.send(payment_of_a(receipts.Channel.MPN, "mpn-20260701-refund-2"))
        await wait_settled(e2e, bus, lambda s: s["refunds"]["refunds"] == 1)
        # B is not due on the business date (06-30): nothing payable, so a refund awaits approval.
        [first] = (await api.get("/refunds", params={"addressee_id": ADDRESSEE})).json()
        assert (first["amount"], first["status"], first["cause"]) == (
            TAX,
            "pending_approval",
            "erroneous_payment",
        )

        # 2. Receipts goes down; staff approve on 11-30, when B is payable: the refund is cancelled
        #    and a 充当 of 1,200,000 onto B (充当適状日 = B's 納期限 07-31) is sent to receipts.
        receipts_process = e2e.services["receipts"]
        assert await asyncio.to_thread(receipts_process.stop) == 0
        await refunds_on(e2e, DECIDED)
        prepared = await api.post(f"/refunds/{first['refund_id']}/prepare", headers=clerk(e2e))
        assert prepared.status_code == 200, prepared.text
        approved = await api.post(f"/refunds/{first['refund_id']}/approve", json={})
        assert approved.status_code == 200, approved.text
        assert approved.json() == {
            "refund_id": first["refund_id"],
            "status": "cancelled",
            "reason": "debts_outstanding_appropriated",
        }
        command_queue = bus.names.queue("receipts", receipts.AppropriateOverpayment)
        await poll(lambda: _equals(bus.queue_depth(command_queue), 1), "the 充当 command waits for receipts")
        # collection holds B's 督促 while the 充当 is pending (refunds.appropriation.decided.v1).
        await poll(
            lambda: _rows(e2e, "collection", "SELECT installment_no, reason FROM demand_holds"),
            "collection placed the 充当 hold",
        )
        assert await query(e2e, "collection", "SELECT installment_no, reason FROM demand_holds") == [
            (2, "appropriation_pending")
        ]
        [(appropriation_id, appropriable_on, planned)] = await query(
            e2e, "refunds", "SELECT appropriation_id, appropriable_on, total FROM appropriations"
        )
        assert (appropriable_on, planned) == (dt.date(2026, 7, 31), TAX)

        # 3. Meanwhile the taxpayer paid B at the bank on its due date; the bank's OCR file is
        #    imported into receipts' database while its consumer is down.
        # Receipts checks every date a file supplies against its business date: the file arrives on
        # 08-03, so receipts (the import and the restarted service) runs on 08-03; refunds stays on
        # 06-30, before B falls due.
        receipts_process.env["OSAME_BUSINESS_DATE"] = "2026-08-03"
        ocr = tmp_path / "ocr-20260803.csv"
        ocr.write_text(
            "record_type,bank_code,branch_code,seq,notice_number,installment_no,amount,paid_on,booked_on\n"
            f"D,0001,001,1,{NOTICE},2,{TAX},20260731,20260803\n"
            f"T,1,{TAX}\n",
            encoding="utf-8",
        )
        imported = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "osame_cli.main", "receipts", "import", "ocr", str(ocr)],
            # the operator's staff token: the import is audited under its subject (issue 13 item 9)
            env={
                **receipts_process.env,
                "OSAME_OPERATOR_TOKEN": e2e.issuer.token("ops-01", ["receipts_staff"]),
            },
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert imported.returncode == 0, imported.stdout + imported.stderr
        assert json.loads(imported.stdout)["status"] == "applied"

        # 4. Receipts starts: B owes nothing, so the 充当 is refused; refunds re-plans (nothing
        #    payable on the business date) and decides a new refund of the whole 1,200,000.
        receipts_process.start()
        await asyncio.to_thread(e2e.wait_ready, 120, ["receipts"])
        await wait_settled(e2e, bus, lambda s: s["refunds"]["refunds"] == 2, timeout=180)

    [(outcome, reason)] = await query(
        e2e,
        "receipts",
        f"SELECT outcome, reason FROM appropriations WHERE appropriation_id = '{appropriation_id}'",
    )
    assert (outcome, reason) == ("refused", "not_owed")
    [(published,)] = await query(
        e2e,
        "receipts",
        "SELECT count(*) FROM outbox WHERE routing_key = 'receipts.appropriation.refused.v1'"
        " AND published_at IS NOT NULL",
    )
    assert published == 1
    assert await query(e2e, "refunds", "SELECT status, reason FROM appropriations") == [
        ("refused", "not_owed")
    ]
    assert await query(e2e, "collection", "SELECT count(*) FROM demand_holds") == [(0,)]  # settled: released
    assert await query(e2e, "receipts", "SELECT count(*) FROM receipts WHERE channel = 'appropriation'") == [
        (0,)
    ]
    ledger = await query(
        e2e, "receipts", "SELECT installment_no, paid FROM installments ORDER BY installment_no"
    )
    assert ledger == [(1, TAX), (2, TAX)]

    staff = {"Authorization": f"Bearer {e2e.staff_token('refunds-officer', ['refunds_staff'])}"}
    async with (
        e2e.bus() as bus,
        httpx.AsyncClient(base_url=e2e.services["refunds"].url, headers=staff, timeout=30) as api,
    ):
        refunds = (await api.get("/refunds", params={"addressee_id": ADDRESSEE})).json()
        [second] = [r for r in refunds if r["refund_id"] != first["refund_id"]]
        assert sorted(r["status"] for r in refunds) == ["cancelled", "pending_approval"]
        assert second["amount"] == TAX

        # 5. Approval (支出決定) on 11-30: nothing is owed now, 還付加算金 fixed.
        prepared = await api.post(f"/refunds/{second['refund_id']}/prepare", headers=clerk(e2e))
        assert prepared.status_code == 200, prepared.text
        approved = await api.post(f"/refunds/{second['refund_id']}/approve", json={})
        assert approved.status_code == 200, approved.text
        decision = approved.json()
        assert (
            decision["status"],
            decision["amount"],
            decision["refund_interest"],
            decision["interest_start"],
        ) == (
            "approved",
            TAX,
            INTEREST,
            "2026-08-01",
        )

        # 6. Payout: the 還付請求 account, the 総合振込 file, the bank returns the transfer.
        claim = {
            "addressee_id": ADDRESSEE,
            "bank_code": "0001",
            "branch_code": "001",
            "account_type": "1",
            "account_number": "7654321",
            "holder_kana": "ｼｹﾝ ｶﾝﾌﾟ",
            "claimed_on": "2026-11-20",
        }
        assert (await api.post("/refund-claims", json=claim)).status_code == 201
        await refunds_on(e2e, dt.date(2026, 12, 4))
        content = await _payout(api, "2026-12-04")
        records = content.split(b"\r\n")
        assert records[-1] == b"" and [len(r) for r in records[:-1]] == [120, 120, 120, 120]
        header, data, trailer, end = records[:-1]
        assert header[:4] == b"1210" and header[54:58] == b"1204"  # 種別21, 振込指定日 MMDD
        assert data[:1] == b"2" and data[1:5] == b"0001" and data[20:23] == b"001"
        assert data[42:50] == b"17654321"  # 預金種目 1 + 口座番号
        assert data[80:90] == b"%010d" % (TAX + INTEREST)
        assert data[91:111] == ("KANPU " + second["refund_id"][-12:].upper()).ljust(20).encode("cp932")
        assert trailer == b"8" + b"000001" + b"%012d" % (TAX + INTEREST) + b" " * 101
        assert end == b"9" + b" " * 119
        returned = await api.post(
            f"/refunds/{second['refund_id']}/transfer-result",
            json={"ok": False, "on": "2026-12-04", "reason": "account_closed"},
        )
        assert returned.status_code == 200, returned.text
        tasks = "SELECT status, reason FROM refund_contact_tasks"
        await poll(lambda: _rows(e2e, "collection", tasks), "collection opened a 折衝 task")
        assert await query(e2e, "collection", tasks) == [("open", "account_closed")]

        # 7. A new account, a second file, paid: collection closes the 折衝 task.
        assert (
            await api.post("/refund-claims", json={**claim, "account_number": "1112223"})
        ).status_code == 201
        await refunds_on(e2e, dt.date(2026, 12, 11))
        content = await _payout(api, "2026-12-11")
        assert content.split(b"\r\n")[1][43:50] == b"1112223"
        paid = await api.post(
            f"/refunds/{second['refund_id']}/transfer-result", json={"ok": True, "on": "2026-12-11"}
        )
        assert paid.status_code == 200, paid.text
        await poll(
            lambda: _rows(e2e, "collection", "SELECT 1 FROM refund_watch WHERE paid_on IS NOT NULL"),
            "collection saw the payment",
        )
        await wait_settled(e2e, bus, lambda s: True)
        assert sum((await dlq_depths(bus)).values()) == 0

    # refunds: the overpayment was refunded in full (the 充当 was refused), nothing held.
    assert await query(e2e, "refunds", "SELECT amount, appropriated, refunded, status FROM overpayments") == [
        (TAX, 0, TAX, "refund_decided")
    ]
    [(status, interest)] = await query(
        e2e,
        "refunds",
        f"SELECT status, refund_interest FROM refunds WHERE refund_id = '{second['refund_id']}'",
    )
    assert (status, interest) == ("paid", INTEREST)
    kinds = [
        k for (k,) in await query(e2e, "refunds", "SELECT kind FROM taxpayer_notices ORDER BY created_at")
    ]
    assert kinds.count("refund_decided") == 1 and kinds.count("transfer_failed") == 1

    # The refund events went out once each and collection consumed them.
    sent = await query(
        e2e,
        "refunds",
        "SELECT routing_key, count(*) FROM outbox WHERE routing_key LIKE 'refunds.refund.%'"
        " AND published_at IS NOT NULL GROUP BY routing_key ORDER BY routing_key",
    )
    assert sent == [
        ("refunds.refund.decided.v1", 1),
        ("refunds.refund.failed.v1", 1),
        ("refunds.refund.paid.v1", 1),
    ]
    consumed = sorted(
        c.removeprefix(e2e.prefix)
        for (c,) in await query(
            e2e, "collection", "SELECT consumer FROM inbox WHERE consumer LIKE '%refunds.refund.%'"
        )
    )
    assert consumed == [
        "collection.refunds.refund.decided.v1",
        "collection.refunds.refund.failed.v1",
        "collection.refunds.refund.paid.v1",
    ]
    # collection's cross-check found nothing owed at the decision (the re-plan was right), and the
    # 折衝 task opened by the returned transfer was closed by the payment.
    watch = await query(
        e2e,
        "collection",
        "SELECT amount, refund_interest, decided_on, paid_on, last_failed_on, unpaid_total FROM refund_watch",
    )
    assert watch == [(TAX, INTEREST, DECIDED, dt.date(2026, 12, 11), dt.date(2026, 12, 4), 0)]
    assert await query(e2e, "collection", "SELECT status, resolved_on FROM refund_contact_tasks") == [
        ("resolved", dt.date(2026, 12, 11))
    ]
    view = await asyncio.to_thread(
        httpx.get,
        f"{e2e.services['collection'].url}/cases/{ADDRESSEE}",
        params={"as_of": "2026-12-11"},
        headers={"Authorization": f"Bearer {e2e.staff_token('collector-1', ['collection_staff'])}"},
        timeout=30,
    )
    assert view.status_code == 200, view.text
    [shown] = view.json()["refunds"]
    assert (shown["status"], shown["unappropriated_debt_alert"]) == ("paid", False)

    # Money conservation across receipts and refunds (osame money check).
    figures = await money_check(e2e)
    assert figures["difference"] == 0, figures


async def _payout(api: httpx.AsyncClient, transfer_date: str) -> bytes:
    payout = await api.post(
        "/payouts", json={"transfer_date": transfer_date, "approved_on": DECIDED.isoformat()}
    )
    assert payout.status_code == 201, payout.text
    batch = payout.json()
    assert (batch["count"], batch["total"], batch["skipped"]) == (1, TAX + INTEREST, [])
    return (await api.get(f"/payouts/{batch['batch_id']}/file")).content


async def _equals(awaitable, expected) -> bool:
    return (await awaitable) == expected


async def _rows(stack, service: str, sql: str):
    return await query(stack, service, sql)
