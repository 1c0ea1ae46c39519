"""The five services as processes on PostgreSQL and the real RabbitMQ, with an OTLP sink.

The stack runs with the development wiring (a token issuer every service trusts, the
個人番号 key, the gateway's service token) and the business date of the synthetic city's day.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid

import pytest
from osame_chassis.otlp_sink import OtlpSink
from osame_cli.bus import delete_namespace
from osame_cli.city import build_city
from osame_cli.pgadmin import create_databases, drop_databases
from osame_cli.stack import SERVICES, Stack, free_port

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
        await delete_namespace(amqp_url, prefix)
        await drop_databases(pg_server_url, names)

    asyncio.run(cleanup())
    assert codes == dict.fromkeys(SERVICES, 0), f"graceful shutdown failed: {codes}"


@pytest.fixture
def money_check():
    """Runs `osame money check` against a stack as an auditor; returns its JSON figures (asserts exit 0)."""

    async def run(stack) -> dict:
        check = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "osame_cli.main",
                "money",
                "check",
                "--receipts-url",
                stack.services["receipts"].url,
                "--refunds-url",
                stack.services["refunds"].url,
                "--token",
                stack.staff_token("auditor-1", ["receipts_staff"]),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr
        return json.loads(check.stdout)

    return run
