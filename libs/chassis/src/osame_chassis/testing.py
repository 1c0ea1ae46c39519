"""Test support for services: a runtime on a given database plus the helpers tests use to drive
it and read its tables. Used by each service's test conftest; never imported by service code.

`deliver` publishes to FastStream's in-memory TestRabbitBroker (routing + consumer wrapper +
handler in process); production code publishes only through `messaging.publish`.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, func, inspect, select, text

from osame_chassis.messaging.tables import inbox, outbox, plumbing_metadata
from osame_chassis.migrations import upgrade
from osame_chassis.runtime import ServiceRuntime, ServiceSpec
from osame_chassis.settings import ServiceSettings


class ServiceHarness:
    """One service runtime (its own composition root, with test settings) and table helpers."""

    def __init__(
        self, spec_factory: Callable[[], ServiceSpec], settings: ServiceSettings, metadata: MetaData
    ):
        self.spec = dataclasses.replace(spec_factory(), settings=settings)
        self.runtime = ServiceRuntime(self.spec, provider=None)
        self._metadata = metadata

    async def migrate(self) -> None:
        await upgrade(self.runtime.engine, self.spec.migrations)

    async def handle(self, handler, message):
        """Run a service-layer handler in one unit of work and commit it."""
        async with self.runtime.unit_of_work() as uow:
            result = await handler(message, uow)
            await uow.commit()
        return result

    async def rows(self, table, *order_by) -> list[dict]:
        query = select(table).order_by(*(order_by or table.primary_key.columns))
        async with self.runtime.sessions() as session:
            return [dict(r) for r in (await session.execute(query)).mappings()]

    async def one(self, table) -> dict:
        (row,) = await self.rows(table)
        return row

    async def count(self, table) -> int:
        async with self.runtime.sessions() as session:
            return (await session.execute(select(func.count()).select_from(table))).scalar_one()

    async def events(self) -> list[tuple[str, dict]]:
        """Staged outbox rows in order: (routing_key, decoded payload)."""
        return [(r["routing_key"], json.loads(r["payload"])) for r in await self.rows(outbox, outbox.c.id)]

    async def inbox_count(self) -> int:
        return await self.count(inbox)

    async def deliver(
        self,
        broker,
        message,
        *,
        message_id: str | None = None,
        message_type: str | None = None,
        body: bytes | None = None,
    ) -> str:
        """Publish a contract message the way the outbox relay does (exchange, key, id, type)."""
        message_id = message_id or str(uuid.uuid4())
        await broker.publish(
            body if body is not None else message.model_dump_json().encode(),
            exchange=self.runtime.names.exchange_for(type(message)),
            routing_key=message.routing_key,
            message_id=message_id,
            message_type=message_type or message.message_type(),
        )
        return message_id

    def rejected(self) -> float:
        return _total(self.runtime.metrics.rejected)

    def duplicates(self) -> float:
        return _total(self.runtime.metrics.duplicates)

    async def drift(self) -> list:
        """Differences between the migrated schema and the service's metadata (empty = none)."""

        def compare(connection):
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, [self._metadata, plumbing_metadata])

        async with self.runtime.engine.connect() as conn:
            return await conn.run_sync(compare)

    async def schema_snapshot(self) -> tuple[str, dict]:
        """(alembic head, {table: [columns]}) of the database."""

        def snapshot(connection):
            inspector = inspect(connection)
            return {
                t: [c["name"] for c in inspector.get_columns(t)] for t in sorted(inspector.get_table_names())
            }

        async with self.runtime.engine.connect() as conn:
            head = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
            return head, await conn.run_sync(snapshot)

    async def close(self) -> None:
        await self.runtime.engine.dispose()


def _total(counter) -> float:
    return sum(s.value for m in counter.collect() for s in m.samples if s.name.endswith("_total"))
