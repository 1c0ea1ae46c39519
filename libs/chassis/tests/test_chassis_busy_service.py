"""A busy service still answers /healthz, /readyz and /stats (issue 14).

The newcomer's first `./osame demo` failed with `httpx.ReadTimeout` from `Stack.stats`: on the
embedded SQLite store every transaction began with `BEGIN IMMEDIATE` (the write lock, so a
read-modify-write cannot act on a stale read), the read-only /stats and /readyz included, so they
queued behind whatever import or batch was writing. Here a writer holds the write lock until the
operations endpoints have answered; before the fix they waited for it (and failed with "database
is locked" after the busy timeout).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import httpx
from osame_chassis.http import build_app
from osame_chassis.messaging.tables import inbox, plumbing_metadata
from osame_chassis.runtime import ServiceRuntime, ServiceSpec
from osame_chassis.settings import ServiceSettings
from sqlalchemy import insert


def _runtime(tmp_path) -> ServiceRuntime:
    settings = ServiceSettings(
        service_name="chassis-test",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/busy.db",
        amqp_url="amqp://guest:guest@127.0.0.1:1/",  # never connected: only the database matters here
        amqp_prefix="t.",
        migrate_on_start=False,
        telemetry_enabled=False,
        http_port=0,
    )
    spec = ServiceSpec(settings=settings, migrations=Path("/nonexistent"), register=lambda _: None)
    return ServiceRuntime(spec, provider=None)


async def test_operations_endpoints_answer_while_a_writer_holds_the_store(tmp_path):
    runtime = _runtime(tmp_path)
    async with runtime.engine.begin() as conn:
        await conn.run_sync(plumbing_metadata.create_all)
    holding, answered = asyncio.Event(), asyncio.Event()

    async def long_import() -> None:
        async with runtime.sessions() as session, session.begin():
            await session.execute(
                insert(inbox).values(consumer="import", message_id="m-1", processed_at=datetime.now(UTC))
            )
            holding.set()
            await answered.wait()  # the write lock is held until the endpoints have answered

    writer = asyncio.create_task(long_import())
    await holding.wait()
    app = build_app(runtime)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://service"
        ) as client:
            stats = await client.get("/stats")
            ready = await client.get("/readyz")
            health = await client.get("/healthz")
    finally:
        answered.set()
        await writer
        await runtime.dispose_databases()
    assert stats.status_code == 200 and stats.json()["messages_consumed"] == 0  # not committed yet
    assert ready.json()["database"] is True
    assert health.status_code == 200


async def test_operations_endpoints_answer_while_every_handler_connection_is_taken(tmp_path):
    """A burst of deliveries checks out every connection of the handlers' pool (prefetch × queues
    exceeds it); /stats and /readyz have a pool of their own and do not queue behind them."""
    runtime = _runtime(tmp_path)
    async with runtime.engine.begin() as conn:
        await conn.run_sync(plumbing_metadata.create_all)
    pool = runtime.engine.sync_engine.pool
    taken = [await runtime.engine.connect() for _ in range(pool.size() + pool._max_overflow)]
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=build_app(runtime)), base_url="http://service"
        ) as client:
            stats = await client.get("/stats")
            ready = await client.get("/readyz")
    finally:
        for conn in taken:
            await conn.close()
        await runtime.dispose_databases()
    assert stats.status_code == 200 and stats.json()["messages_consumed"] == 0
    assert ready.json()["database"] is True


async def test_a_blocked_event_loop_is_reported(caplog):
    """The watch names what no probe can: the loop itself stopped (blocking work on it)."""
    import time

    from osame_chassis.runner import watch_event_loop

    watch = asyncio.create_task(watch_event_loop(interval=0.05, report_above=0.2))
    await asyncio.sleep(0.01)
    with caplog.at_level(logging.WARNING, logger="osame.runner"):
        time.sleep(0.5)  # noqa: ASYNC251  (the blocking work on the loop this test is about)
        await asyncio.sleep(0.1)
    watch.cancel()
    assert any("event loop blocked" in r.getMessage() for r in caplog.records)
