"""Fixtures: an in-process service built on the chassis, for reliability tests against the real broker and database.

It consumes `AddresseeChanged` and counts applications per addressee in a table of its own,
so 'applied once' is checked in the database, not in memory. A consuming harness connects as
the broker administrator (its queue is no service's); a producing one (`as_principal=
"address-sync"`) connects as address-sync's own user, the one publisher consumers accept.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from osame_chassis import runner
from osame_chassis.messaging.consumer import subscribe
from osame_chassis.messaging.tables import inbox, outbox, plumbing_metadata
from osame_chassis.runtime import ServiceRuntime, ServiceSpec
from osame_chassis.settings import ServiceSettings
from osame_chassis.testing import eventually  # noqa: F401  (the tests import it from here)
from osame_contracts.messages import address_sync
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select, update
from sqlalchemy.dialects import postgresql

metadata = MetaData()
applied = Table(
    "applied",
    metadata,
    Column("addressee_id", String(15), primary_key=True),
    Column("times", Integer, nullable=False),
)


def changed(
    addressee_id: str = "100001", version: int = 1, name: str = "試験 太郎"
) -> address_sync.AddresseeChanged:
    return address_sync.AddresseeChanged(
        addressee_id=addressee_id,
        version=version,
        name=name,
        name_kana="シケン タロウ",
        postal_code="933-0000",
        address="富山県高岡市試験町1番1号",
        protected=False,
    )


async def count_applied(event: address_sync.AddresseeChanged, uow) -> None:
    stmt = postgresql.insert(applied).values(addressee_id=event.addressee_id, times=1)
    stmt = stmt.on_conflict_do_update(index_elements=["addressee_id"], set_={"times": applied.c.times + 1})
    await uow.session.execute(stmt)


class Harness:
    """Build with a database URL and broker settings; `await start()` / `await stop()`."""

    def __init__(
        self,
        name: str,
        database_url: str,
        amqp_url: str,
        prefix: str,
        *,
        handler=None,
        consume: bool = True,
        **settings,
    ):
        self.settings = ServiceSettings(
            service_name=name,
            database_url=database_url,
            amqp_url=amqp_url,
            amqp_prefix=prefix,
            migrate_on_start=False,
            telemetry_enabled=False,
            http_port=0,
            outbox_poll_interval=0.05,
            **settings,
        )
        self.calls = 0
        self._handler = handler

        async def handle(event, uow):
            self.calls += 1
            if self._handler is not None:
                await self._handler(event, uow)
            else:
                await count_applied(event, uow)

        def register(runtime: ServiceRuntime) -> None:
            if consume:
                subscribe(runtime, address_sync.AddresseeChanged, handle)

        self.spec = ServiceSpec(settings=self.settings, migrations=Path("/nonexistent"), register=register)
        self.runtime = ServiceRuntime(self.spec, provider=None)
        register(self.runtime)

    async def start(self) -> None:
        async with self.runtime.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.run_sync(plumbing_metadata.create_all)
        await runner.start(self.runtime)

    async def stop(self) -> None:
        self.runtime.ready = False
        await self.runtime.broker.stop()
        await self.runtime.relay.stop(drain_timeout=5)
        await self.runtime.publisher.stop()
        await self.runtime.dispose_databases()

    async def times_applied(self, addressee_id: str) -> int:
        async with self.runtime.sessions() as s:
            value = (
                await s.execute(select(applied.c.times).where(applied.c.addressee_id == addressee_id))
            ).scalar()
            return value or 0

    async def inbox_rows(self) -> int:
        async with self.runtime.sessions() as s:
            return (await s.execute(select(func.count()).select_from(inbox))).scalar_one()

    async def outbox_unpublished(self) -> int:
        async with self.runtime.sessions() as s:
            q = select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            return (await s.execute(q)).scalar_one()

    async def reset_outbox(self) -> None:
        async with self.runtime.sessions() as s, s.begin():
            await s.execute(update(outbox).values(published_at=None))


@pytest.fixture
async def make_harness(amqp_url, broker_prefix, broker_accounts, pg_databases, extra_queues):
    """Factory for started harnesses sharing this test's broker prefix; all are stopped afterwards
    (and their queue, which no service's CONSUMES lists, is deleted with the prefix)."""
    from osame_contracts.topology import queue_name

    started: list[Harness] = []

    async def make(name: str = "chassis-test", as_principal: str | None = None, **kwargs) -> Harness:
        queue = queue_name(name, address_sync.AddresseeChanged)
        if queue not in extra_queues:
            extra_queues.append(queue)
        (url,) = await asyncio.to_thread(pg_databases, 1)
        broker_url = broker_accounts.url(as_principal) if as_principal else amqp_url
        harness = Harness(name, url, broker_url, broker_prefix, **kwargs)
        await harness.start()
        started.append(harness)
        return harness

    yield make
    for harness in started:
        await harness.stop()
