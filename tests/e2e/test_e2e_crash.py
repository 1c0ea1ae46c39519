"""Reliability: a service killed mid-flow (SIGKILL) and restarted loses nothing and applies nothing twice."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import uuid

import pytest
from osame_chassis.otlp_sink import OtlpSink
from osame_cli.bus import delete_namespace
from osame_cli.city import build_city
from osame_cli.pgadmin import create_databases, drop_databases
from osame_cli.settle import wait_settled
from osame_cli.stack import SERVICES, Stack, free_port

from .test_e2e_flow import query

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


@pytest.fixture
def crash_stack(amqp_url, pg_server_url, tmp_path):
    run = uuid.uuid4().hex[:8]
    prefix = f"crash-{run}."
    names = [f"osame_crash_{run}_{s.replace('-', '_')}" for s in SERVICES]
    urls = asyncio.run(create_databases(pg_server_url, names))
    sink = OtlpSink(free_port())
    sink.start()
    stack = Stack(
        amqp_url=amqp_url,
        prefix=prefix,
        work_dir=tmp_path,
        database_urls=dict(zip(SERVICES, urls.values(), strict=True)),
        otlp_endpoint=sink.endpoint,
        extra_env={"OSAME_BUSINESS_DATE": build_city(households=1).day.isoformat()},
        dev_wiring=True,
    )
    stack.database_url = stack.database_urls
    stack.start(timeout=180)
    yield stack
    stack.stop()
    sink.stop()

    async def cleanup():
        await delete_namespace(amqp_url, prefix)
        await drop_databases(pg_server_url, names)

    asyncio.run(cleanup())


async def test_receipts_and_collection_killed_mid_flow_lose_nothing_and_apply_nothing_twice(
    crash_stack, amqp_url
):
    stack = crash_stack
    city = build_city(households=150, seed=11)
    exp = city.expected
    async with stack.bus() as bus:
        for message in [*city.addressees, *city.assessments]:
            await bus.send(message)
        await wait_settled(
            stack, bus, lambda s: s["receipts"]["notices"] == len(city.assessments), timeout=120
        )

        await asyncio.gather(*(bus.send(r) for r in city.receipts))
        receipts = stack.services["receipts"]
        for _ in range(400):  # kill receipts once part of the day is applied
            if (await asyncio.to_thread(receipts.stats))["receipts"] >= exp.receipts // 4:
                break
            await asyncio.sleep(0.02)
        receipts.kill()
        at_kill = (
            await query(stack, "receipts", "SELECT count(*) FROM receipts WHERE channel <> 'appropriation'")
        )[0][0]
        assert at_kill < exp.receipts, "the kill must land mid-flow"
        print(f"receipts applied when killed: {at_kill} of {exp.receipts}")
        stack.services["collection"].kill()
        # The same payments arrive again (a channel re-sending its file after the outage).
        await asyncio.gather(*(bus.send(r) for r in city.receipts[: len(city.receipts) // 2]))
        receipts.start()
        stack.services["collection"].start()
        await asyncio.to_thread(stack.wait_ready, 60, ["receipts", "collection"])
        await wait_settled(
            stack,
            bus,
            lambda s: (
                s["receipts"]["receipts"] == exp.receipts and s["refunds"]["overpayments"] == exp.overpayments
            ),
            timeout=180,
        )

    [(count, total)] = await query(
        stack, "receipts", "SELECT count(*), sum(amount) FROM receipts WHERE channel <> 'appropriation'"
    )
    assert (count, total) == (exp.receipts, exp.receipts_yen)
    ledger = dict(
        await query(
            stack, "receipts", "SELECT notice_number || '/' || installment_no, paid FROM installments"
        )
    )
    [(applied,)] = await query(stack, "receipts", "SELECT sum(applied_principal_tax) FROM receipts")
    assert sum(ledger.values()) == applied
    projected = dict(
        await query(
            stack, "collection", "SELECT notice_number || '/' || installment_no, paid FROM installments"
        )
    )
    assert projected == ledger
    held = dict(await query(stack, "refunds", "SELECT overpayment_id, amount FROM overpayments"))
    assert sum(held.values()) == exp.overpaid_yen


def _restart_broker() -> None:
    subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
    subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)
    subprocess.run(["rabbitmqctl", "await_startup"], check=True, capture_output=True, timeout=120)


@pytest.mark.skipif(
    os.environ.get("OSAME_FAULT_BROKER_RESTART") != "1",
    reason="restarts the shared RabbitMQ: run with OSAME_FAULT_BROKER_RESTART=1 on a machine of your own",
)
@pytest.mark.skipif(
    shutil.which("rabbitmqctl") is None or os.geteuid() != 0,
    reason="restarting the broker needs a local rabbitmqctl run as root",
)
async def test_broker_restart_mid_flow_loses_nothing(crash_stack, amqp_url):
    stack = crash_stack
    city = build_city(households=120, seed=12)
    exp = city.expected
    async with stack.bus() as bus:
        for message in [*city.addressees, *city.assessments]:
            await bus.send(message)
        await wait_settled(
            stack, bus, lambda s: s["receipts"]["notices"] == len(city.assessments), timeout=120
        )
        await asyncio.gather(*(bus.send(r) for r in city.receipts))
        for _ in range(400):
            if (await asyncio.to_thread(stack.services["receipts"].stats))["receipts"] >= exp.receipts // 4:
                break
            await asyncio.sleep(0.02)
    await asyncio.to_thread(_restart_broker)
    async with stack.bus() as bus:
        await wait_settled(
            stack,
            bus,
            lambda s: (
                s["receipts"]["receipts"] == exp.receipts and s["refunds"]["overpayments"] == exp.overpayments
            ),
            timeout=180,
        )
    assert all(s.alive() for s in stack.services.values()), "services survive a broker restart"
    [(count, total)] = await query(
        stack, "receipts", "SELECT count(*), sum(amount) FROM receipts WHERE channel <> 'appropriation'"
    )
    assert (count, total) == (exp.receipts, exp.receipts_yen)
    ledger = dict(
        await query(
            stack, "receipts", "SELECT notice_number || '/' || installment_no, paid FROM installments"
        )
    )
    projected = dict(
        await query(
            stack, "collection", "SELECT notice_number || '/' || installment_no, paid FROM installments"
        )
    )
    assert projected == ledger
