"""End to end (issue 7): receipts' channels as processes on PostgreSQL and the real broker.

速報 → 確報 (collection holds the 速報, then sees the installment paid), 不渡 reversal re-opens the
installment in collection, a double payment across channels becomes an overpayment held by refunds,
an unmatched receipt is assigned, and a 充当 command from refunds' side is applied.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys

import httpx
import pytest
from osame_chassis.db import create_engine
from osame_cli.settle import wait_settled
from osame_contracts.messages import receipts, taxation
from osame_receipts.adapters import cvs, normalized
from sqlalchemy import text

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
D = dt.date
NOTICES = {"A": "880000001", "B": "880000002", "C": "880000003", "D": "880000004", "E": "880000005"}


async def query(stack, service: str, sql: str):
    engine = create_engine(stack.database_url[service])
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(sql))).all()
    finally:
        await engine.dispose()


def _assessment(key: str, addressee: str) -> taxation.AssessmentRegistered:
    return taxation.AssessmentRegistered(
        addressee_id=addressee,
        notice_number=NOTICES[key],
        fiscal_year=2026,
        tax_year=2026,
        tax_item=taxation.TaxItem.LIGHT_VEHICLE_TAX,
        revision=1,
        assessed_on=D(2026, 4, 1),
        installments=[
            taxation.AssessedInstallment(installment_no=1, principal_tax=10_800, due_date=D(2026, 6, 1))
        ],
        vehicle_plate=f"高岡 あ {key}",
    )


async def _collection_nightly(e2e, day: str) -> None:
    """collection's own command (`osame-collection nightly`) on its database, as an operator runs it."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "osame_collection",
        "nightly",
        "--date",
        day,
        "--database-url",
        e2e.database_url["collection"],
        # the service's own configuration (broker prefix included) and the operator's staff token
        env={
            **e2e.services["collection"].env,
            "OSAME_OPERATOR_TOKEN": e2e.issuer.token("ops-01", ["collection_staff"]),
        },
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await proc.communicate()
    assert proc.returncode == 0, stderr.decode(errors="replace")[-500:]


async def _collection_row(e2e, key):
    [(paid, status)] = await query(
        e2e, "collection", f"SELECT paid, status FROM installments WHERE notice_number = '{NOTICES[key]}'"
    )
    return paid, status


async def test_channels_end_to_end(e2e):
    cashier = {"Authorization": f"Bearer {e2e.staff_token('cashier-1', ['receipts_staff'])}"}
    api = httpx.AsyncClient(base_url=e2e.services["receipts"].url, headers=cashier, timeout=30)
    async with e2e.bus() as bus:
        for k, key in enumerate(NOTICES):
            await bus.send(_assessment(key, f"99000{k}"))
        await wait_settled(
            e2e, bus, lambda s: s["collection"].get("installments", 0) >= len(NOTICES), timeout=90
        )

        # A: コンビニ 速報, then its 確報
        code_a = cvs.build_barcode(
            company_code="912345",
            notice_number=NOTICES["A"],
            installment_no=1,
            pay_by=D(2026, 6, 30),
            amount=10_800,
        )
        sokuho = cvs.agent_file(
            [("01", D(2026, 5, 28), code_a, 10_800, D(2026, 6, 10))], created_on=D(2026, 5, 29)
        )
        r = await api.post("/api/imports/cvs?file=cvs-0529.csv", content=sokuho)
        assert r.status_code == 200, r.text
        await wait_settled(e2e, bus, lambda s: True)
        [(prelim,)] = await query(
            e2e, "collection", f"SELECT count(*) FROM receipt_marks WHERE notice_number = '{NOTICES['A']}'"
        )
        assert prelim == 1  # the 速報 reached collection: its 領収日 holds back 督促 (F6, F8)
        assert (await _collection_row(e2e, "A"))[0] == 0
        # C: paid at the counter and again through eLTAX (F11)
        await api.post(
            "/api/counter-payments",
            json={
                "receipt_no": "W-1",
                "notice_number": NOTICES["C"],
                "installment_no": 1,
                "amount": 10_800,
                "paid_on": "2026-05-20",
            },
        )
        el = normalized.write(
            "eltax", [["12345" + NOTICES["C"] + "1234" + "001", "10800", "20260521", "20260522", "EL-1"]]
        )
        assert (await api.post("/api/imports/eltax?file=el.csv", content=el)).json()["overpayments"] == 1

        await wait_settled(e2e, bus, lambda s: True)
        # B: a check received, then dishonoured (不渡)
        r = await api.post(
            "/api/securities",
            json={
                "instrument_number": "778899",
                "drawee_bank_code": "0001",
                "notice_number": NOTICES["B"],
                "installment_no": 1,
                "amount": 10_800,
                "received_on": "2026-05-20",
            },
        )
        instrument_id = r.json()["instrument_id"]
        await wait_settled(e2e, bus, lambda s: True)
        assert (await _collection_row(e2e, "B"))[0] == 10_800
        # collection's 督促 batch after the 納期限: E (nothing paid) gets a 督促, A (速報 only) does not
        await _collection_nightly(e2e, "2026-06-25")
        await wait_settled(e2e, bus, lambda s: True)  # the 督促手数料 reaches the ledger before what follows
        demanded = {n for (n,) in await query(e2e, "collection", "SELECT notice_number FROM demand_notices")}
        assert NOTICES["E"] in demanded and NOTICES["A"] not in demanded
        kakuho = cvs.agent_file(
            [("02", D(2026, 5, 28), code_a, 10_800, D(2026, 6, 10))], created_on=D(2026, 6, 5)
        )
        assert (await api.post("/api/imports/cvs?file=cvs-0605.csv", content=kakuho)).json()["applied"] == 1

        r = await api.post(f"/api/securities/{instrument_id}/dishonour", json={"on": "2026-05-25"})
        assert r.status_code == 200, r.text

        # D: an OCR receipt naming no known notice, assigned by an operator (D was dunned on 6/25:
        # wait until its 督促手数料 is on the ledger, so the assignment pays it first)
        for _ in range(150):
            [(fee,)] = await query(
                e2e, "receipts", f"SELECT demand_fee FROM installments WHERE notice_number = '{NOTICES['D']}'"
            )
            if fee:
                break
            await asyncio.sleep(0.2)
        assert fee == 100
        ocr = normalized.write(
            "ocr", [["0001", "001", "1", "770000000", "1", "10800", "20260520", "20260522"]]
        )
        assert (await api.post("/api/imports/ocr?file=ocr.csv", content=ocr)).json()["unmatched"] == 1
        [item] = (await api.get("/api/unmatched")).json()["items"]
        r = await api.post(
            f"/api/unmatched/{item['receipt_id']}/assign",
            json={"notice_number": NOTICES["D"], "installment_no": 1},
        )
        assert r.json()["applied"] == 10_800

        stats = await wait_settled(e2e, bus, lambda s: s["refunds"]["overpayments"] >= 1, timeout=90)
        assert stats["receipts"]["unmatched_receipts"] == 0

        # E: refunds appropriates C's overpayment to E's installment (the command refunds will send)
        [(overpayment_id,)] = await query(e2e, "receipts", "SELECT overpayment_id FROM overpayments")
        await bus.send(
            receipts.AppropriateOverpayment(
                appropriation_id="AP-E2E-1",
                overpayment_id=overpayment_id,
                addressee_id="990002",
                appropriable_on=D(2026, 6, 1),
                items=[
                    receipts.AppropriationItem(
                        notice_number=NOTICES["C"], installment_no=1, component="principal_tax", amount=1
                    )
                ],
            )
        )  # refused: C is paid (and the addressee differs) — nothing applied
        await wait_settled(e2e, bus, lambda s: s["receipts"].get("appropriations", 0) >= 1)
    await api.aclose()

    assert await _collection_row(e2e, "A") == (10_800, "paid")
    assert (await _collection_row(e2e, "B"))[0] == 0  # re-opened after the 不渡
    # D was dunned on 6/25 while its payment sat unmatched, so the 督促手数料 (100 yen) came first
    # when the payment was assigned (消込 order 督促手数料 → 本税 → 延滞金).
    assert (await _collection_row(e2e, "D"))[0] == 10_700
    [(amount, reason)] = await query(e2e, "receipts", "SELECT amount, reason FROM overpayments")
    assert (amount, reason) == (10_800, "double_payment")
    [(held,)] = await query(e2e, "refunds", "SELECT sum(amount) FROM overpayments")
    assert held == 10_800
    [(outcome,)] = await query(e2e, "receipts", "SELECT outcome FROM appropriations")
    assert outcome == "refused"
    # money is conserved at receipts: Σ final receipts = Σ applied + Σ held as overpayment
    [(received, applied)] = await query(
        e2e, "receipts", "SELECT sum(amount), sum(applied) FROM receipts WHERE state = 'final'"
    )
    assert received == applied + amount
