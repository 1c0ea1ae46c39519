"""End to end: collection's income query → gateway → simulator → answer, in one trace, without 個人番号 leaking.

Processes: the five services (SQLite stores), the simulator (its own process), and a small HTTP
server in this test playing address-sync's restricted 個人番号 endpoint (issue 5 builds the real
one). Staff ask through collection's API (財産調査 income inquiry), so the request carries the
staff id collection proved and signed (issue 13); the answer and a refusal (an addressee with no
個人番号 to be had) come back to collection's 財産調査 records, in one trace with the gateway's steps.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid

import httpx
import pytest
import uvicorn
from faststream.rabbit.opentelemetry import RabbitTelemetryMiddleware
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from osame_chassis.otlp_sink import OtlpSink
from osame_cli.bus import delete_namespace
from osame_cli.stack import Stack, free_port
from osame_contracts.messages import taxation
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

MY_NUMBER = "123456789018"  # invented, valid check digit
TOKEN = "e2e-gateway-service-token"


def address_sync_peer(port: int) -> uvicorn.Server:
    async def lookup(request):
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return JSONResponse({"error": "missing_token"}, status_code=401)
        body = await request.json()
        if body["addressee_id"] != "100003":  # 100004: unknown to address-sync → refused
            return JSONResponse({"error": "unknown_addressee"}, status_code=404)
        return JSONResponse({"addressee_id": "100003", "individual_number": MY_NUMBER})

    app = Starlette(routes=[Route("/internal/individual-number", lookup, methods=["POST"])])
    return uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )


@pytest.fixture(scope="module")
def gw_stack(amqp_url, tmp_path_factory):
    port = free_port()
    peer = address_sync_peer(port)
    thread = threading.Thread(target=peer.run, daemon=True)
    thread.start()
    prefix = f"e2e-gw-{uuid.uuid4().hex[:8]}."
    sink = OtlpSink(free_port())
    sink.start()
    stack = Stack(
        amqp_url=amqp_url,
        prefix=prefix,
        work_dir=tmp_path_factory.mktemp("e2e-gw"),
        otlp_endpoint=sink.endpoint,
        with_simulator=True,
        dev_wiring=True,  # staff tokens for collection's API (the address-sync peer below stays)
    )
    gw_env = stack.services["intermediate-server-gw"].env
    # The gateway's own settings, to the gateway only (other services refuse settings they do not know).
    gw_env.update(
        {
            "OSAME_ADDRESS_SYNC_URL": f"http://127.0.0.1:{port}",
            "OSAME_ADDRESS_SYNC_TOKEN": TOKEN,
            "OSAME_WORKER_POLL_INTERVAL": "0.2",
        }
    )
    operator = {**gw_env, "OSAME_OPERATOR_TOKEN": stack.issuer.token("e2e-operator", ["admin"])}
    subprocess.run([sys.executable, "-m", "osame_gateway", "load-permitted"], env=operator, check=True)
    stack.start(timeout=180)
    stack.sink = sink
    yield stack
    codes = stack.stop()
    sink.stop()
    peer.should_exit = True
    thread.join(5)

    async def cleanup():
        await delete_namespace(amqp_url, prefix)

    asyncio.run(cleanup())
    assert codes == dict.fromkeys(stack.services, 0), f"graceful shutdown failed: {codes}"


def rows(stack, service, sql):
    path = stack.work_dir / "data" / f"{service}.db"
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def assessment(addressee_id: str, notice: str) -> taxation.AssessmentRegistered:
    return taxation.AssessmentRegistered(
        addressee_id=addressee_id,
        notice_number=notice,
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


def ask(stack, addressee_id: str) -> str:
    """財産調査 income inquiry through collection's staff API; returns its query id."""
    token = stack.staff_token("staff-17", ["collection_staff"])
    response = httpx.post(
        f"{stack.services['collection'].url}/cases/{addressee_id}/inquiries",
        json={"kind": "income", "requested_on": "2026-07-01", "fiscal_year": 2025},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return response.json()["result"]


async def wait_for(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.3)


async def test_income_query_answered_in_one_trace_and_no_individual_number_leaks(gw_stack):
    stack = gw_stack
    provider = TracerProvider()
    provider.add_span_processor(
        SimpleSpanProcessor(OTLPSpanExporter(endpoint=stack.sink.endpoint + "/v1/traces"))
    )
    gateway = stack.services["intermediate-server-gw"]
    async with stack.bus(middlewares=(RabbitTelemetryMiddleware(tracer_provider=provider),)) as bus:
        await bus.send(assessment("100003", "E2E-GW-1"))
        await bus.send(assessment("100004", "E2E-GW-2"))
    await wait_for(
        lambda: len(rows(stack, "collection", "SELECT DISTINCT addressee_id FROM installments")) == 2
    )
    answered, refused = ask(stack, "100003"), ask(stack, "100004")
    await wait_for(
        lambda: (
            gateway.stats().get("income_queries_answered") == 1
            and len(rows(stack, "collection", "SELECT 1 FROM asset_inquiries WHERE status != 'requested'"))
            == 2
        )
    )
    [(headers,)] = rows(
        stack,
        "intermediate-server-gw",
        f"SELECT trace_headers FROM income_queries WHERE query_id='{answered}'",
    )
    trace_id = json.loads(headers)["traceparent"].split("-")[1]

    steps = rows(
        stack,
        "intermediate-server-gw",
        "SELECT step, outcome FROM query_records WHERE query_id='" + answered + "' ORDER BY id",
    )
    assert steps == [
        ("request", "accepted"),
        ("linkage_code", "obtained"),
        ("certificate", "issued"),
        ("answer", "answered"),
    ]
    [(status, reason)] = rows(
        stack, "collection", f"SELECT status, reason FROM asset_inquiries WHERE query_id='{refused}'"
    )
    assert (status, reason) == ("refused", "unknown_addressee")
    # The answer is stored on collection's 財産調査 record (no 個人番号, no 符号 in it).
    [(status, detail)] = rows(
        stack, "collection", f"SELECT status, detail FROM asset_inquiries WHERE query_id='{answered}'"
    )
    detail = json.loads(detail) if isinstance(detail, str) else detail
    assert status == "answered" and detail["certificate_id"] and "income" in detail

    provider.force_flush()
    await asyncio.sleep(2.0)
    in_trace = [s for s in stack.sink.snapshot() if s.trace_id == trace_id]
    assert "gateway income-query process" in {s.name for s in in_trace}
    assert {"intermediate-server-gw", "collection"} <= {s.service.removeprefix("osame-") for s in in_trace}
    assert (
        sum(1 for s in in_trace if s.service.endswith("intermediate-server-gw") and s.kind == 3) >= 3
    )  # HTTP client

    # 個人番号: nowhere in the gateway's database, the logs, the spans or the bus
    stack.stop()
    for path in (stack.work_dir / "data").glob("intermediate-server-gw.db*"):
        assert MY_NUMBER.encode() not in path.read_bytes()
    for path in (stack.work_dir / "logs").glob("*.log"):
        assert MY_NUMBER not in path.read_text(encoding="utf-8", errors="replace")
    assert MY_NUMBER not in repr([(s.name, s.attributes, s.events) for s in stack.sink.snapshot()])
    for service in stack.services:
        for (payload,) in rows(stack, service, "SELECT payload FROM outbox"):
            assert MY_NUMBER.encode() not in bytes(payload)
    assert os.environ.get("OSAME_NETWORK_URL") is None  # the stack gave it to the gateway only
