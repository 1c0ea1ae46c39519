"""Reliability: a service killed mid-flow (SIGKILL) and restarted loses nothing and applies nothing twice."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from osame_chassis.otlp_sink import OtlpSink
from osame_cli.bus import delete_namespace
from osame_cli.city import build_city
from osame_cli.pgadmin import create_databases, drop_databases
from osame_cli.settle import wait_settled
from osame_cli.stack import SERVICES, Stack, free_port

from . import private_broker as private_broker_module
from . import private_postgres as private_postgres_module
from .test_e2e_flow import query

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def _crash_stack(amqp_url, pg_server_url, tmp_path):
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
    try:
        stack.start(timeout=180)
        yield stack
    finally:
        stack.stop()
        sink.stop()

        async def cleanup():
            await delete_namespace(amqp_url, prefix)
            await drop_databases(pg_server_url, names)

        asyncio.run(cleanup())


@pytest.fixture
def crash_stack(amqp_url, pg_server_url, tmp_path):
    yield from _crash_stack(amqp_url, pg_server_url, tmp_path)


@pytest.fixture
def private_broker(monkeypatch):
    """A RabbitMQ node of this test's own: restarting it disturbs no other test (private_broker.py)."""
    if not private_broker_module.available():
        pytest.skip("restarting a broker needs a local rabbitmq-server and rabbitmqctl run as root")
    broker = private_broker_module.PrivateBroker()
    try:
        broker.start()
        # Provisioning and clean-up reach the node's own management API.
        monkeypatch.setenv("OSAME_AMQP_MANAGEMENT_URL", broker.management_url)
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def restartable_stack(private_broker, pg_server_url, tmp_path):
    yield from _crash_stack(private_broker.amqp_url, pg_server_url, tmp_path)


@pytest.fixture
def private_postgres():
    """A PostgreSQL cluster of this test's own: restarting it disturbs no other test (private_postgres.py)."""
    if not private_postgres_module.available():
        pytest.skip("restarting a database server needs the PostgreSQL server binaries, run as root")
    server = private_postgres_module.PrivatePostgres()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def database_restartable_stack(amqp_url, private_postgres, tmp_path):
    yield from _crash_stack(amqp_url, private_postgres.server_url, tmp_path)


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


async def test_broker_restart_mid_flow_loses_nothing(restartable_stack, private_broker):
    stack = restartable_stack
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
    await asyncio.to_thread(private_broker.restart_app)
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


async def test_database_restart_mid_flow_loses_nothing(database_restartable_stack, private_postgres):
    """PostgreSQL restarted while the day is applied: every connection of every service is cut and
    open transactions roll back; the services reconnect and the day ends as without the restart."""
    stack = database_restartable_stack
    city = build_city(households=60, seed=13)
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
        at_restart = (
            await query(stack, "receipts", "SELECT count(*) FROM receipts WHERE channel <> 'appropriation'")
        )[0][0]
        before = private_postgres.pid()
        await asyncio.to_thread(private_postgres.restart)
        assert private_postgres.pid() != before, "the database server restarted"
        print(f"receipts applied when PostgreSQL restarted: {at_restart} of {exp.receipts}")
        await wait_settled(
            stack,
            bus,
            lambda s: (
                s["receipts"]["receipts"] == exp.receipts and s["refunds"]["overpayments"] == exp.overpayments
            ),
            timeout=180,
        )
    assert all(s.alive() for s in stack.services.values()), "services survive a database restart"
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
    held = dict(await query(stack, "refunds", "SELECT overpayment_id, amount FROM overpayments"))
    assert sum(held.values()) == exp.overpaid_yen
