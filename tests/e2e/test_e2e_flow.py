"""End to end: five service processes, PostgreSQL stores, the real broker, one trace across services."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import httpx
import pytest
from faststream.rabbit.opentelemetry import RabbitTelemetryMiddleware
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from osame_chassis.db import create_engine
from osame_cli import dlq
from osame_cli.city import build_city
from osame_cli.settle import wait_settled
from osame_contracts.messages import taxation
from osame_contracts.publishers import allowed_publishers
from sqlalchemy import text

from .conftest import CITY_DAY

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


async def refunds_on(stack, day: dt.date) -> None:
    """Restart refunds with a new business date (OSAME_BUSINESS_DATE): "today" is the server's."""
    process = stack.services["refunds"]
    assert await asyncio.to_thread(process.stop) == 0
    process.env["OSAME_BUSINESS_DATE"] = day.isoformat()
    process.start()
    await asyncio.to_thread(stack.wait_ready, 120, ["refunds"])


async def query(stack, service: str, sql: str):
    engine = create_engine(stack.database_url[service])
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(sql))).all()
    finally:
        await engine.dispose()


async def test_a_day_of_payments_flows_through_all_services_in_one_trace(e2e, money_check):
    city = build_city(households=25, seed=7)
    exp = city.expected
    provider = TracerProvider()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider.add_span_processor(
        SimpleSpanProcessor(OTLPSpanExporter(endpoint=e2e.sink.endpoint + "/v1/traces"))
    )
    tracer = provider.get_tracer("e2e")
    async with e2e.bus(middlewares=(RabbitTelemetryMiddleware(tracer_provider=provider),)) as bus:
        for message in [*city.addressees, *city.assessments]:
            await bus.send(message)
        await wait_settled(
            e2e,
            bus,
            lambda s: (
                s["receipts"]["notices"] == len(city.assessments)
                and s["collection"]["addressees"] == len(city.addressees)
            ),
        )
        with tracer.start_as_current_span("e2e.payment") as span:
            trace_id = format(span.get_span_context().trace_id, "032x")
            await bus.send(city.traced_receipt)
        await asyncio.gather(*(bus.send(r) for r in city.receipts if r is not city.traced_receipt))
        await wait_settled(
            e2e,
            bus,
            lambda s: (
                s["receipts"]["receipts"] == exp.receipts
                and s["refunds"]["overpayments"] == exp.overpayments
                and s["refunds"]["appropriations"] > 0
            ),
        )

    # receipts: every payment once, the stray one unmatched, the duplicate ignored.
    real = "channel <> 'appropriation'"
    [(count, total)] = await query(
        e2e, "receipts", f"SELECT count(*), sum(amount) FROM receipts WHERE {real}"
    )
    assert count == exp.receipts and total == exp.receipts_yen
    [(unmatched,)] = await query(e2e, "receipts", "SELECT count(*) FROM receipts WHERE NOT matched")
    assert unmatched == exp.unmatched
    ledger = dict(
        await query(e2e, "receipts", "SELECT notice_number || '/' || installment_no, paid FROM installments")
    )

    # collection: its projection agrees with the ledger installment by installment (充当 included).
    projected = dict(
        await query(
            e2e, "collection", "SELECT notice_number || '/' || installment_no, paid FROM installments"
        )
    )
    assert projected == ledger
    [(paid_count,)] = await query(
        e2e, "collection", "SELECT count(*) FROM installments WHERE status = 'paid'"
    )
    [(ledger_paid,)] = await query(
        e2e, "receipts", "SELECT count(*) FROM installments WHERE paid >= principal_tax AND principal_tax > 0"
    )
    assert paid_count == ledger_paid >= exp.settled

    # refunds: the overpayments receipts detected (same ids and yen); each is appropriated to the
    # taxpayer's payable debts first (法17条の2) and the rest refunded or still held.
    op = dict(await query(e2e, "refunds", "SELECT overpayment_id, amount FROM overpayments"))
    detected = dict(await query(e2e, "receipts", "SELECT overpayment_id, amount FROM overpayments"))
    assert op == detected and sum(op.values()) == exp.overpaid_yen
    [(appropriated, refunded, held)] = await query(
        e2e,
        "refunds",
        "SELECT sum(appropriated), sum(refunded), sum(amount - appropriated - refunded) FROM overpayments",
    )
    assert appropriated + refunded + held == exp.overpaid_yen and held == 0
    assert appropriated > 0, "household 0 overpays while owing a past-due fixed-asset installment"
    [(appropriation_receipts,)] = await query(
        e2e, "receipts", "SELECT coalesce(sum(applied), 0) FROM receipts WHERE channel = 'appropriation'"
    )
    assert appropriation_receipts == appropriated
    [(holds,)] = await query(e2e, "collection", "SELECT count(*) FROM demand_holds")
    assert holds == 0, "every 充当 hold was released once receipts applied it"

    # Money conservation across the two services (osame money check).
    assert (await money_check(e2e))["difference"] == 0

    # address-sync stored every addressee; receipts and collection hold their copies.
    [(addressees,)] = await query(e2e, "address-sync", "SELECT count(*) FROM addressees")
    [(copies,)] = await query(e2e, "collection", "SELECT count(*) FROM addressees")
    assert addressees == copies == len(city.addressees)
    [(protected_with_address,)] = await query(
        e2e, "collection", "SELECT count(*) FROM addressees WHERE protected AND address <> ''"
    )
    assert protected_with_address == 0

    # One trace links the payment across at least three services.
    provider.force_flush()
    await asyncio.sleep(1.5)
    services = {s.removeprefix("osame-") for s in e2e.sink.services_in_trace(trace_id)}
    assert {"receipts", "collection", "refunds"} <= services, services


async def eventually(e2e, service: str, sql: str, timeout: float = 60):
    """The rows of `sql` once there are any (polls the service's database)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (rows := await query(e2e, service, sql)):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(sql)
        await asyncio.sleep(0.3)
    return rows


async def test_income_query_is_refused_recorded_and_reported_back(e2e):
    """Staff ask through collection's API; collection signs the staff id into the request; the gateway
    (no permitted-query list loaded here) refuses it; collection records the refusal on its inquiry."""
    addressee = "190003"
    async with e2e.bus() as bus:
        await bus.send(
            taxation.AssessmentRegistered(
                addressee_id=addressee,
                notice_number="E2E-IQ-1",
                fiscal_year=2026,
                tax_year=2026,
                tax_item=taxation.TaxItem.RESIDENT_TAX,
                revision=1,
                assessed_on=dt.date(2026, 6, 1),
                installments=[
                    taxation.AssessedInstallment(
                        installment_no=1, principal_tax=30_000, due_date=dt.date(2026, 6, 30)
                    )
                ],
            )
        )
    await eventually(e2e, "collection", f"SELECT 1 FROM installments WHERE addressee_id = '{addressee}'")
    staff = {"Authorization": f"Bearer {e2e.staff_token('staff-17', ['collection_staff'])}"}
    async with httpx.AsyncClient(base_url=e2e.services["collection"].url, headers=staff, timeout=30) as http:
        asked = await http.post(
            f"/cases/{addressee}/inquiries",
            json={"kind": "income", "requested_on": CITY_DAY.isoformat(), "fiscal_year": 2025},
        )
    assert asked.status_code == 201, asked.text
    query_id = asked.json()["result"]
    await eventually(
        e2e,
        "collection",
        f"SELECT 1 FROM asset_inquiries WHERE query_id = '{query_id}' AND status = 'refused'",
    )
    [(outcome, reason)] = await query(
        e2e,
        "intermediate-server-gw",
        f"SELECT outcome, reason FROM query_records WHERE query_id = '{query_id}'",
    )
    assert (outcome, reason) == ("refused", "not_on_permitted_query_list")
    # The staff id the gateway recorded is the one collection's staff token proved, carried signed.
    assert await query(
        e2e, "intermediate-server-gw", f"SELECT staff_user FROM income_queries WHERE query_id = '{query_id}'"
    ) == [("staff-17",)]


FAKE_MY_NUMBER = "123456789018"  # passes the check digit; invented
NUMBER_LIKE = "123456789010"  # 12 digits failing the check digit: such a refused body is dead-lettered
FAKE_NAME = "漏洩試験 花子"


async def test_personal_data_in_an_invalid_message_reaches_neither_spans_nor_logs(e2e):
    bodies = {
        # 個人番号 must never travel in an addressee update: an extra field fails validation.
        "address-sync": (
            "osame.commands",
            "address-sync.addressee.upsert.v1",
            {
                "addressee_id": "100001",
                "version": 9,
                "name": FAKE_NAME,
                "address": "高岡市",
                "my_number": FAKE_MY_NUMBER,
            },
        ),
        # A channel key carrying a name and a number violates its pattern.
        "receipts": (
            "osame.commands",
            "receipts.receipt.record.v1",
            {
                "channel": "counter",
                "channel_key": f"{FAKE_NAME}{NUMBER_LIKE}",
                "notice_number": "R1",
                "installment_no": 1,
                "amount": 1000,
                "paid_on": "2026-07-01",
                "booked_on": "2026-07-01",
            },
        ),
    }
    async with e2e.bus() as bus:
        for exchange, routing_key, body in bodies.values():
            exchange_obj = bus.names.commands() if exchange == "osame.commands" else bus.names.events()
            await bus.send_raw(
                json.dumps(body, ensure_ascii=False).encode(),
                exchange=exchange_obj,
                routing_key=routing_key,
                message_id=f"pii-{routing_key}",
                message_type=routing_key,
                as_principal=min(allowed_publishers(routing_key)),
            )
        for service, (_, routing_key, body) in bodies.items():
            queue = f"{service}.{routing_key}"
            if FAKE_MY_NUMBER in json.dumps(body):
                continue  # refused and not kept: no 個人番号 in clear in a DLQ (issue 13 item 4)
            for _ in range(100):
                if (await bus.queue_depth(bus.names.prefix + queue + ".dlq")) == 1:
                    break
                await asyncio.sleep(0.1)
            [dead] = await dlq.inspect(bus, queue)
            assert dead["reason"] == "rejected"
    await asyncio.sleep(2.0)  # span batches flush every 0.5 s

    exported = json.dumps([s.__dict__ for s in e2e.sink.snapshot()], ensure_ascii=False, default=str)
    rejected_spans = [
        s for s in e2e.sink.snapshot() if s.attributes.get("messaging.message.id", "").startswith("pii-")
    ]
    assert rejected_spans, "the rejected deliveries were traced"
    logs = "".join(p.log_path.read_text(encoding="utf-8") for p in e2e.services.values())
    assert "rejected to DLQ" in logs and "refused and not kept" in logs
    for secret in (FAKE_MY_NUMBER, NUMBER_LIKE, FAKE_NAME, "漏洩"):
        assert secret not in exported
        assert secret not in logs


async def test_a_refund_is_approved_paid_out_in_a_zengin_file_and_recorded(e2e):
    """After the day: a refund decision awaits approval; staff record the 還付請求 account, approve
    (支出決定), build the 総合振込 file and record the bank's result — all through the staff API."""
    from osame_zengin import transfer as zengin_transfer

    staff = {"Authorization": f"Bearer {e2e.staff_token('refunds-officer', ['refunds_staff'])}"}
    # The day's money reached the city's account on the next day (収入日 07-01), when the
    # overpayments arose: the 支出決定 is made on a business date not before that.
    decided = CITY_DAY + dt.timedelta(days=1)
    await refunds_on(e2e, decided)
    async with httpx.AsyncClient(base_url=e2e.services["refunds"].url, headers=staff, timeout=30) as api:
        pending = [r for r in (await api.get("/refunds")).json() if r["status"] == "pending_approval"]
        assert pending, "the day left at least one overpayment to refund"
        refund = pending[0]
        claim = {
            "addressee_id": refund["addressee_id"],
            "bank_code": "0001",
            "branch_code": "001",
            "account_type": "1",
            "account_number": "1234567",
            "holder_kana": "ﾃｽﾄ ﾀﾛｳ",
            "claimed_on": CITY_DAY.isoformat(),
        }
        assert (await api.post("/refund-claims", json=claim)).status_code == 201
        clerk = {"Authorization": f"Bearer {e2e.staff_token('refunds-clerk', ['refunds_staff'])}"}
        assert (await api.post(f"/refunds/{refund['refund_id']}/prepare", headers=clerk)).status_code == 200
        approved = await api.post(f"/refunds/{refund['refund_id']}/approve", json={})  # 支出決定: today
        assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text
        payout = await api.post(  # 振込指定日 today (the business date): a result can be recorded today
            "/payouts", json={"transfer_date": decided.isoformat(), "approved_on": decided.isoformat()}
        )
        batch = payout.json()
        assert payout.status_code == 201 and batch["count"] == 1
        content = (await api.get(f"/payouts/{batch['batch_id']}/file")).content
        _, [line], trailer = zengin_transfer.parse(content)
        assert line.amount == refund["amount"] + approved.json()["refund_interest"] == trailer["total"]
        assert line.reference.startswith("KANPU ")
        paid = await api.post(
            f"/refunds/{refund['refund_id']}/transfer-result", json={"ok": True, "on": decided.isoformat()}
        )
        assert paid.status_code == 200
        [after] = [r for r in (await api.get("/refunds")).json() if r["refund_id"] == refund["refund_id"]]
        assert after["status"] == "paid"
