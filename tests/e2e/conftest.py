"""The five services as processes on PostgreSQL and the real RabbitMQ, with an OTLP sink.

The stack runs with the development wiring (a token issuer every service trusts, the
個人番号 key, the gateway's service token) and the business date of the synthetic city's day.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from osame_chassis.otlp_sink import OtlpSink
from osame_cli.bus import connect
from osame_cli.city import build_city
from osame_cli.pgadmin import create_databases, drop_databases
from osame_cli.stack import SERVICES, Stack, free_port
from osame_contracts.topology import COMMANDS_EXCHANGE, DEAD_LETTER_EXCHANGE, EVENTS_EXCHANGE, all_queues

CITY_DAY = build_city(households=1).day


@pytest.fixture(scope="module")
def e2e(amqp_url, pg_server_url, tmp_path_factory):
    run = uuid.uuid4().hex[:8]
    prefix = f"e2e-{run}."
    names = [f"osame_e2e_{run}_{s.replace('-', '_')}" for s in SERVICES]
    urls = asyncio.run(create_databases(pg_server_url, names))
    sink = OtlpSink(free_port())
    sink.start()
    stack = Stack(
        amqp_url=amqp_url,
        prefix=prefix,
        work_dir=tmp_path_factory.mktemp("e2e"),
        database_urls=dict(zip(SERVICES, urls.values(), strict=True)),
        otlp_endpoint=sink.endpoint,
        extra_env={"OSAME_BUSINESS_DATE": CITY_DAY.isoformat()},
        dev_wiring=True,
    )
    stack.start(timeout=180)
    stack.sink = sink
    stack.database_url = dict(zip(SERVICES, urls.values(), strict=True))
    yield stack
    codes = stack.stop()
    sink.stop()

    async def cleanup():
        async with connect(amqp_url, prefix) as bus:
            queues = [prefix + q for q in all_queues()]
            await bus.delete(
                queues + [q + ".dlq" for q in queues],
                [prefix + e for e in (EVENTS_EXCHANGE, COMMANDS_EXCHANGE, DEAD_LETTER_EXCHANGE)],
            )
        await drop_databases(pg_server_url, names)

    asyncio.run(cleanup())
    assert codes == dict.fromkeys(SERVICES, 0), f"graceful shutdown failed: {codes}"
