"""HTTP API of receipts over the real routes (httpx ASGI transport) and a SQLite database; 軽JNKS export."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import threading

import httpx
import pytest
from osame_chassis.audit import AuditLog
from osame_chassis.auth import Authenticator, AuthSettings, DevIssuer
from osame_chassis.http import build_app
from osame_contracts.messages import taxation
from osame_receipts.adapters import cvs, normalized, orm
from osame_receipts.entrypoints.http import routes
from osame_receipts.service_layer import handlers
from osame_zengin import debit as zengin
from starlette.applications import Starlette

D = dt.date


@pytest.fixture
def issuer(tmp_path):
    return DevIssuer(tmp_path / "issuer")


@pytest.fixture
def app(service, issuer):
    auth = Authenticator(
        AuthSettings(jwks_file=str(issuer.write_jwks())),
        audit=AuditLog(orm.audit_log).hook(service.runtime.sessions),
    )
    return Starlette(routes=routes(service.runtime, auth=auth))


@pytest.fixture
async def api(app, issuer):
    """A cashier (収納担当, role receipts_staff)."""
    staff = {"Authorization": f"Bearer {issuer.token('cashier-1', ['receipts_staff'])}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://receipts", headers=staff
    ) as client:
        yield client


async def test_staff_routes_need_a_receipts_role_and_are_audited(service, app, issuer, api):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://receipts") as anon:
        assert (await anon.get("/api/unmatched")).status_code == 401
        assert (await anon.get("/money")).status_code == 401
        clerk = {"Authorization": f"Bearer {issuer.token('clerk-1', ['collection_staff'])}"}
        assert (await anon.get("/api/unmatched", headers=clerk)).status_code == 403
    assert (await api.get("/api/unmatched")).status_code == 200
    entries = [(e["user_id"], e["operation"], e["outcome"]) for e in await service.rows(orm.audit_log)]
    assert ("clerk-1", "receipts:unmatched.read", "refused:permission_denied") in entries
    assert ("cashier-1", "receipts:unmatched.read", "ok") in entries


async def _assess(svc, notice, fiscal_year, principal=10_800, plate="高岡 あ 12-34", addressee="700001"):
    await svc.handle(
        handlers.record_assessment,
        taxation.AssessmentRegistered(
            addressee_id=addressee,
            notice_number=notice,
            fiscal_year=fiscal_year,
            tax_year=fiscal_year,
            tax_item=taxation.TaxItem.LIGHT_VEHICLE_TAX,
            revision=1,
            assessed_on=D(fiscal_year, 4, 1),
            installments=[
                taxation.AssessedInstallment(
                    installment_no=1, principal_tax=principal, due_date=D(fiscal_year, 5, 31)
                )
            ],
            vehicle_plate=plate,
        ),
    )


async def test_counter_payment_and_validation(service, api):
    await _assess(service, "1001", 2026)
    ok = await api.post(
        "/api/counter-payments",
        json={
            "receipt_no": "W-1",
            "notice_number": "1001",
            "installment_no": 1,
            "amount": 10_800,
            "paid_on": "2026-05-20",
        },
    )
    assert ok.status_code == 200 and ok.json()["receipt_id"]
    again = await api.post(
        "/api/counter-payments",
        json={
            "receipt_no": "W-1",
            "notice_number": "1001",
            "installment_no": 1,
            "amount": 10_800,
            "paid_on": "2026-05-20",
        },
    )
    assert again.json()["duplicate"] is True
    bad = await api.post(
        "/api/counter-payments",
        json={
            "receipt_no": "W-2",
            "notice_number": "1001",
            "installment_no": 1,
            "amount": -5,
            "paid_on": "2026-05-20",
        },
    )
    assert bad.status_code == 422 and "amount" in bad.json()["error"]


async def test_security_then_dishonour_over_http(service, api):
    await _assess(service, "1001", 2026)
    r = await api.post(
        "/api/securities",
        json={
            "instrument_number": "000123",
            "drawee_bank_code": "0001",
            "notice_number": "1001",
            "installment_no": 1,
            "amount": 10_800,
            "received_on": "2026-05-20",
        },
    )
    instrument_id = r.json()["instrument_id"]
    d = await api.post(f"/api/securities/{instrument_id}/dishonour", json={"on": "2026-05-25"})
    assert d.status_code == 200
    assert (await service.one(orm.installments))["paid"] == 0
    again = await api.post(f"/api/securities/{instrument_id}/dishonour", json={"on": "2026-05-26"})
    assert again.status_code == 422


async def test_import_unmatched_and_assign_over_http(service, api):
    await _assess(service, "1001", 2026)
    data = normalized.write("ocr", [["0001", "001", "1", "9999", "1", "10800", "20260520", "20260522"]])
    r = await api.post("/api/imports/ocr?file=ocr-0520.csv", content=data)
    assert r.status_code == 200 and r.json()["unmatched"] == 1
    [item] = (await api.get("/api/unmatched")).json()["items"]
    a = await api.post(
        f"/api/unmatched/{item['receipt_id']}/assign", json={"notice_number": "1001", "installment_no": 1}
    )
    assert a.json()["applied"] == 10_800
    refused = await api.post("/api/imports/ocr?file=bad.csv", content=data.replace(b"T,1,10800", b"T,1,1"))
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["record_no"] == 3 and refused.json()["errors"][0]["field"] == "total"


@pytest.mark.parametrize(
    ("kind", "module", "parser"),
    [
        pytest.param("zengin-result", zengin, "parse_file", id="zengin"),
        pytest.param("cvs", cvs, "parse_agent_file", id="cvs"),
        pytest.param("ocr", normalized, "parse", id="ocr"),
    ],
)
async def test_health_answers_while_an_uploaded_file_is_parsed(
    service, api, monkeypatch, kind, module, parser
):
    """Parsing (and hashing) an upload runs off the event loop: while the parser is provably still
    running — it waits for the test to release it — the service's /healthz answers. Were the parser
    on the loop, /healthz could only answer after the parser had returned."""
    started, release, finished = threading.Event(), threading.Event(), threading.Event()
    original = getattr(module, parser)

    def parse_slowly(*args, **kwargs):
        started.set()
        release.wait(timeout=30)  # bounded, so a parser on the loop fails the test instead of hanging it
        finished.set()
        return original(*args, **kwargs)

    monkeypatch.setattr(module, parser, parse_slowly)
    data = b"1" * 2_000_000  # a large upload (not a valid file: refused once parsed)
    upload = asyncio.create_task(api.post(f"/api/imports/{kind}?file=big.dat", content=data))
    await asyncio.to_thread(started.wait, 60)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_app(service.runtime)), base_url="http://receipts"
    ) as health:
        answered = await health.get("/healthz")
        still_parsing = not finished.is_set() and not upload.done()
    release.set()
    assert answered.status_code == 200 and still_parsing
    assert (await upload).status_code == 422


async def test_barcode_for_an_installment(service, api):
    await _assess(service, "1001", 2026)
    r = await api.get("/api/cvs/barcode/1001/1")
    assert r.status_code == 200 and len(r.json()["barcode"]) == 44
    big = "1002"
    await _assess(service, big, 2026, principal=300_001, plate="高岡 い 1")
    assert (await api.get(f"/api/cvs/barcode/{big}/1")).status_code == 422


async def test_kei_jnks_export_includes_prior_year_arrears(service, api):
    await _assess(
        service, "2025001", 2025, plate="高岡 あ 12-34", addressee="700009"
    )  # previous owner, unpaid
    await _assess(service, "2026001", 2026, plate="高岡 あ 12-34")
    await _assess(service, "2026002", 2026, plate="高岡 う 56-78", addressee="700002")
    await api.post(
        "/api/counter-payments",
        json={
            "receipt_no": "W-9",
            "notice_number": "2026001",
            "installment_no": 1,
            "amount": 10_800,
            "paid_on": "2026-05-20",
        },
    )
    r = await api.get("/api/exports/kei-jnks.csv?fiscal_year=2026")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    by_plate = {row["vehicle_plate"]: row for row in rows}
    assert by_plate["高岡 あ 12-34"] == {
        "vehicle_plate": "高岡 あ 12-34",
        "fiscal_year": "2026",
        "assessed": "10800",
        "paid": "10800",
        "status": "paid",
        "last_paid_on": "2026-05-20",
        "prior_arrears": "1",
        "prior_arrears_amount": "10800",
        "prior_arrears_years": "2025",
    }
    assert (by_plate["高岡 う 56-78"]["status"], by_plate["高岡 う 56-78"]["prior_arrears"]) == (
        "unpaid",
        "0",
    )


# ---- issue 11: business date, plain errors, unmatched answer, suspense and batches -------------


async def test_debit_request_takes_today_from_the_server_never_the_body(service, api):
    """Defect 3: "today" came from the body, so a file for last year's 振替日 was built."""
    service.runtime.settings.business_date = D(2027, 7, 18)
    forged = await api.post(
        "/api/direct-debit/requests",
        json={"debit_date": "2026-06-30", "fiscal_year": 2026, "today": "2026-06-10"},
    )
    assert forged.status_code == 422 and forged.json()["error"].startswith("today:")
    past = await api.post(
        "/api/direct-debit/requests", json={"debit_date": "2026-06-30", "fiscal_year": 2026}
    )
    assert past.status_code == 422 and "F10" in past.json()["error"]
    assert await service.count(orm.debit_requests) == 0


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"paid_on": "2036-05-20"}, "paid_on 2036-05-20 is after the business date", id="future"),
        pytest.param(
            {"paid_on": "2016-05-20"}, "paid_on 2016-05-20 is outside the plausible window", id="era"
        ),
        pytest.param({"amount": 0}, "amount: must be more than 0 yen", id="zero"),
        pytest.param({"notice_number": "10 01"}, "notice_number: must be the 通知書番号", id="notice"),
        pytest.param({"installment_no": 120}, "installment_no: must be a 期別", id="installment"),
    ],
)
async def test_counter_errors_name_the_field_in_plain_words(service, api, changes, expected):
    """Defect 11: "1 validation error for RecordReceipt" told the cashier nothing; dates are checked."""
    service.runtime.settings.business_date = D(2026, 6, 1)
    await _assess(service, "1001", 2026)
    body = {
        "receipt_no": "W-9",
        "notice_number": "1001",
        "installment_no": 1,
        "amount": 100,
        "paid_on": "2026-05-20",
    }
    r = await api.post("/api/counter-payments", json={**body, **changes})
    assert r.status_code == 422
    assert expected in r.json()["error"] and "validation error" not in r.json()["error"]
    assert await service.count(orm.receipts) == 0


async def test_counter_payment_to_unknown_notice_says_it_went_to_the_unmatched_list(service, api):
    """Defect 11: an unknown 通知書番号 answered a bare 200."""
    r = await api.post(
        "/api/counter-payments",
        json={
            "receipt_no": "W-3",
            "notice_number": "9999",
            "installment_no": 1,
            "amount": 500,
            "paid_on": "2026-05-20",
        },
    )
    assert r.status_code == 202
    assert r.json()["status"] == "unmatched" and "unmatched list" in r.json()["message"]
    assert [i["receipt_id"] for i in (await api.get("/api/unmatched")).json()["items"]] == [
        r.json()["receipt_id"]
    ]


async def test_security_dates_are_checked_against_the_record(service, api):
    service.runtime.settings.business_date = D(2026, 6, 1)
    await _assess(service, "1001", 2026)
    r = await api.post(
        "/api/securities",
        json={
            "instrument_number": "000124",
            "drawee_bank_code": "0001",
            "notice_number": "1001",
            "installment_no": 1,
            "amount": 10_800,
            "received_on": "2026-05-20",
        },
    )
    instrument_id = r.json()["instrument_id"]
    early = await api.post(f"/api/securities/{instrument_id}/dishonour", json={"on": "2026-05-19"})
    assert early.status_code == 422 and "is before received_on 2026-05-20" in early.json()["error"]
    late = await api.post(f"/api/securities/{instrument_id}/clear", json={"on": "2026-06-02"})
    assert late.status_code == 422 and "after the business date" in late.json()["error"]


async def test_suspense_list_resolve_and_batches_over_http(service, api):
    """Defect 10: held money is listed, searchable, and a clerk resolves it onto an installment."""
    await _assess(service, "1001", 2026)
    rows = [
        ["0001", "001", "1", "1001", "1", "5000", "20260520", "20260521"],
        ["9999", "001", "2", "1001", "1", "5800", "20260520", "20260521"],  # unknown bank code
    ]
    imported = await api.post("/api/imports/ocr?file=ocr.csv", content=normalized.write("ocr", rows))
    assert imported.status_code == 200
    assert (imported.json()["applied"], imported.json()["held"], imported.json()["held_yen"]) == (1, 1, 5_800)
    [item] = (await api.get("/api/suspense?channel=bank_counter&notice_number=1001")).json()["items"]
    assert (item["field"], item["amount"], item["record_no"]) == ("bank_code", 5_800, 3)
    assert (await api.get("/api/suspense?channel=mpn")).json()["items"] == []
    done = await api.post(
        f"/api/suspense/{item['suspense_id']}/resolve", json={"notice_number": "1001", "installment_no": 1}
    )
    assert done.status_code == 200 and done.json()["amount"] == 5_800
    assert (await api.get("/api/suspense")).json()["items"] == []
    [resolved] = (await api.get("/api/suspense?status=resolved")).json()["items"]
    assert (resolved["resolved_by"], resolved["receipt_id"]) == ("cashier-1", done.json()["receipt_id"])
    [inst] = await service.rows(orm.installments)
    assert inst["paid"] == 10_800
    again = await api.post(
        f"/api/suspense/{item['suspense_id']}/resolve", json={"notice_number": "1001", "installment_no": 1}
    )
    assert again.status_code == 422
    [batch] = (await api.get("/api/import-batches")).json()["items"]
    detail = (await api.get(f"/api/import-batches/{batch['batch_id']}")).json()
    assert (detail["held"], detail["held_yen"]) == (1, 5_800)
    assert [(e["record_no"], e["field"]) for e in detail["errors"]] == [(3, "bank_code")]


async def test_trailer_mismatch_still_lists_the_record_errors(service, api):
    """Defect 13: an OCR/MPN trailer mismatch hid the record errors of the same file."""
    data = normalized.write("ocr", [["0001", "001", "1", "1001", "1", "5000", "2026-05-20", "20260521"]])
    data = data.replace(b"T,1,5000", b"T,1,5001")
    r = await api.post("/api/imports/ocr?file=bad.csv", content=data)
    assert r.status_code == 422
    assert {(e["record_no"], e["field"]) for e in r.json()["errors"]} == {(3, "total"), (2, "paid_on")}


async def test_taxpayer_ledger_read_api(service, api):
    """Item 10: a taxpayer's ledger — 調定 versions, 期別 owed, receipts, overpayments — across 名寄せ."""
    from osame_contracts.messages import address_sync
    from osame_receipts.service_layer import addressees

    await _assess(service, "1001", 2026, addressee="700001")
    await _assess(service, "1002", 2026, addressee="700009", plate="高岡 あ 56-78")
    await service.handle(
        addressees.apply_addressees_merged,
        address_sync.AddresseesMerged(
            unified_addressee_id="000000000000001",
            surviving_addressee_id="700001",
            merged_addressee_id="700009",
            reason=address_sync.MergeReason.STAFF_DECISION,
            merged_on=D(2026, 7, 1),
        ),
    )
    body = {
        "receipt_no": "W-L1",
        "notice_number": "1002",
        "installment_no": 1,
        "amount": 12_000,
        "paid_on": "2026-05-20",
    }
    assert (await api.post("/api/counter-payments", json=body)).json()["status"] == "overpaid"
    r = await api.get("/api/taxpayers/700009/ledger")
    assert r.status_code == 200
    ledger = r.json()
    assert (ledger["addressee_id"], ledger["merged_addressee_ids"]) == ("700001", ["700009"])
    assert [n["notice_number"] for n in ledger["notices"]] == ["1001", "1002"]
    [inst] = next(n for n in ledger["notices"] if n["notice_number"] == "1002")["installments"]
    assert (inst["paid"], inst["owed"]["principal_tax"]) == (10_800, 0)
    assert [h["kind"] for h in ledger["notices"][0]["history"]] == ["registered"]
    [receipt] = ledger["receipts"]
    assert (receipt["amount"], receipt["overpaid"], receipt["paid_on"]) == (12_000, 1_200, "2026-05-20")
    [op] = ledger["overpayments"]
    assert (op["amount"], op["held"]) == (1_200, 1_200)
    assert (await api.get("/api/taxpayers/70A/ledger")).status_code == 422
    audited = [
        e["addressee_id"]
        for e in await service.rows(orm.audit_log)
        if e["operation"] == "receipts:ledger.read"
    ]
    assert "700009" in audited


async def test_daily_totals_by_channel_and_tax_item_reconciled_to_the_files(service, api):
    """Item 10: 日計 of a 収入日 — money by channel and tax item, the held part, each file against its
    own total; a file whose money went missing is flagged."""
    service.runtime.settings.business_date = D(2026, 6, 1)
    await _assess(service, "1001", 2026)
    rows = [
        ["0001", "001", "1", "1001", "1", "5000", "20260520", "20260521"],
        ["9999", "001", "2", "1001", "1", "5800", "20260520", "20260521"],  # held
        ["0001", "001", "3", "4242", "1", "700", "20260520", "20260521"],  # unmatched
    ]
    data = normalized.write("ocr", rows)
    assert (await api.post("/api/imports/ocr?file=ocr.csv", content=data)).status_code == 200
    assert (await api.post("/api/imports/ocr?file=ocr-resent.csv", content=data + b"\n")).json()[
        "duplicate_yen"
    ] == 11_500
    body = {
        "receipt_no": "W-D1",
        "notice_number": "1001",
        "installment_no": 1,
        "amount": 1_000,
        "paid_on": "2026-05-21",
    }
    assert (await api.post("/api/counter-payments", json=body)).status_code == 200
    day = (await api.get("/api/daily-totals?booked_on=2026-05-21")).json()
    assert day["channels"]["bank_counter"]["final"] == 5_700
    assert day["channels"]["counter"]["final"] == 1_000
    items = {(i["tax_item"], i["yen"]) for i in day["channels"]["bank_counter"]["by_tax_item"]}
    assert items == {("light_vehicle_tax", 5_000), ("unmatched", 700)}
    assert day["suspense"] == [{"channel": "bank_counter", "status": "held", "count": 1, "yen": 5_800}]
    [f] = day["files"]
    assert (f["file_total"], f["in_ledger"], f["held"], f["duplicates"], f["reconciled"]) == (
        11_500,
        5_700,
        5_800,
        0,
        True,
    )
    assert day["reconciled"] is True
    from sqlalchemy import delete

    async with service.runtime.sessions() as session:  # money lost by a bug: the day no longer balances
        await session.execute(delete(orm.receipts).where(orm.receipts.c.amount == 700))
        await session.commit()
    day = (await api.get("/api/daily-totals?booked_on=2026-05-21")).json()
    assert day["files"][0]["reconciled"] is False and day["reconciled"] is False
    assert (await api.get("/api/daily-totals?booked_on=2036-05-21")).status_code == 422
