"""End to end: collection's income query → gateway → simulator → answer, in one trace, without 個人番号 leaking.

Processes: the five services (SQLite stores), the simulator (its own process), and a small HTTP
server in this test playing address-sync's restricted 個人番号 endpoint (issue 5 builds the real
one). The test publishes IncomeQueryRequested as collection will (issue 4). Until collection
consumes IncomeQueryAnswered (wiring), the answer is checked at the gateway and in the trace;
the refusal path is checked all the way into collection's 財産調査 record.
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

import pytest
import uvicorn
from faststream.rabbit.opentelemetry import RabbitTelemetryMiddleware
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from osame_chassis.otlp_sink import OtlpSink
from osame_cli.bus import connect, delete_namespace
from osame_cli.stack import Stack, free_port
from osame_contracts.messages import collection as collection_msgs
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
        if body["addressee_id"] != "100003":
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
        extra_env={
            "OSAME_ADDRESS_SYNC_URL": f"http://127.0.0.1:{port}",
            "OSAME_ADDRESS_SYNC_TOKEN": TOKEN,
            "OSAME_WORKER_POLL_INTERVAL": "0.2",
        },
    )
    gw_env = stack.services["intermediate-server-gw"].env
    subprocess.run([sys.executable, "-m", "osame_gateway", "load-permitted"], env=gw_env, check=True)
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


def request(query_id, affair="local_tax_assessment_collection"):
    return collection_msgs.IncomeQueryRequested(
        query_id=query_id,
        addressee_id="100003",
        affair=affair,
        item=collection_msgs.InformationItem.INCOME,
        fiscal_year=2025,
        purpose="財産調査",
        staff_user="staff-17",
        requested_on=dt.date(2026, 7, 1),
    )


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
    tracer = provider.get_tracer("e2e")
    gateway = stack.services["intermediate-server-gw"]
    async with connect(
        gateway.env["OSAME_AMQP_URL"],
        stack.prefix,
        middlewares=(RabbitTelemetryMiddleware(tracer_provider=provider),),
    ) as bus:
        with tracer.start_as_current_span("e2e.collection.asset-inquiry") as span:
            trace_id = format(span.get_span_context().trace_id, "032x")
            await bus.send(request("gw-e2e-1"))
        await bus.send(request("gw-e2e-2", affair="welfare_benefits"))
        await wait_for(
            lambda: (
                gateway.stats().get("income_queries_answered") == 1
                and stack.services["collection"].stats()["asset_inquiries"] >= 2
            )
        )

    steps = rows(
        stack,
        "intermediate-server-gw",
        "SELECT step, outcome FROM query_records WHERE query_id='gw-e2e-1' ORDER BY id",
    )
    assert steps == [
        ("request", "accepted"),
        ("linkage_code", "obtained"),
        ("certificate", "issued"),
        ("answer", "answered"),
    ]
    [(status,)] = rows(stack, "collection", "SELECT status FROM asset_inquiries WHERE query_id='gw-e2e-2'")
    assert status == "refused"
    # The answer is stored on collection's 財産調査 record (no 個人番号, no 符号 in it).
    [(status, detail)] = rows(
        stack, "collection", "SELECT status, detail FROM asset_inquiries WHERE query_id='gw-e2e-1'"
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
