"""Test support for services: a runtime on a given database plus the helpers tests use to drive
it and read its tables. Used by each service's test conftest; never imported by service code.

`deliver` publishes to FastStream's in-memory TestRabbitBroker (routing + consumer wrapper +
handler in process) as a publisher the contracts allow (AMQP `user_id`), signing a staff action
with that publisher's test key; production code publishes only through `messaging.publish`.
The harness gives the service test staff proof keys (its own signing key, every principal's
public key) unless its settings name keys.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
import tempfile
import uuid
from collections.abc import Callable
from functools import cache
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import SecretStr
from sqlalchemy import MetaData, func, inspect, select, text

from osame_chassis.messaging.staff_proof import StaffProofSigner, generate_key
from osame_chassis.messaging.tables import inbox, outbox, plumbing_metadata
from osame_chassis.migrations import upgrade
from osame_chassis.runtime import ServiceRuntime, ServiceSpec
from osame_chassis.settings import ServiceSettings

_OWN_USER = object()
# Migrations (their directory) -> a SQLite file migrated to head once in this test process.
_MIGRATED_SQLITE: dict[str, Path] = {}


@cache
def staff_key_for_tests(principal: str) -> tuple[str, str]:
    """A staff proof key pair (private PEM, public PEM) for `principal`, fixed for this test process."""
    return generate_key()


def with_staff_key_for_testss(settings: ServiceSettings) -> ServiceSettings:
    """`settings` with test staff proof keys where it names none."""
    from osame_contracts.publishers import PRINCIPALS

    update: dict = {}
    if settings.staff_proof_signing_key is None and settings.staff_proof_signing_key_file is None:
        update["staff_proof_signing_key"] = SecretStr(staff_key_for_tests(settings.service_name)[0])
    if not settings.staff_proof_public_keys and settings.staff_proof_public_keys_file is None:
        update["staff_proof_public_keys"] = {p: [staff_key_for_tests(p)[1]] for p in PRINCIPALS}
    return settings.model_copy(update=update) if update else settings


def signer_for_tests(principal: str) -> StaffProofSigner:
    return StaffProofSigner(principal, staff_key_for_tests(principal)[0])


def _new_sqlite_file(url) -> Path | None:
    """The file of a SQLite URL when it does not exist yet (else None: migrate it in place)."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database)
    return None if path.exists() else path


def _copy_file(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


class ServiceHarness:
    """One service runtime (its own composition root, with test settings) and table helpers."""

    def __init__(
        self, spec_factory: Callable[[], ServiceSpec], settings: ServiceSettings, metadata: MetaData
    ):
        self.spec = dataclasses.replace(spec_factory(), settings=with_staff_key_for_testss(settings))
        self.runtime = ServiceRuntime(self.spec, provider=None)
        self._metadata = metadata

    async def migrate(self) -> None:
        """Migrate the database to head. A SQLite file not created yet becomes a copy of one this
        process migrated with the same migrations: the same steps give the same file, and running
        them again for each of some 300 service tests cost minutes of CI."""
        target = _new_sqlite_file(self.runtime.engine.url)
        if target is None:
            await upgrade(self.runtime.engine, self.spec.migrations)
            return
        key = str(self.spec.migrations)
        if key not in _MIGRATED_SQLITE:
            from osame_chassis.db import create_engine

            template = Path(tempfile.mkdtemp(prefix="osame-migrated-")) / "head.db"
            engine = create_engine(f"sqlite+aiosqlite:///{template}")
            try:
                await upgrade(engine, self.spec.migrations)
            finally:
                await engine.dispose()  # the last connection checkpoints the WAL into the file
            _MIGRATED_SQLITE[key] = template
        _copy_file(_MIGRATED_SQLITE[key], target)

    async def start(self) -> None:
        """Migrate, subscribe and run against the real broker (consumers and outbox relay, no HTTP),
        as its own broker user when `settings.amqp_url` names one."""
        from osame_chassis import runner

        if not self.runtime.settings.migrate_on_start:
            await self.migrate()
        self.spec.register(self.runtime)
        await runner.start(self.runtime)

    async def stop(self) -> None:
        from osame_chassis import runner

        await runner.stop(self.runtime)

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
        publisher: str | None = None,
        user_id=_OWN_USER,
    ) -> str:
        """Publish a contract message the way the outbox relay does (exchange, key, id, type, user_id).

        `publisher` (default: the first principal the contracts allow) publishes it and signs it if
        it is a staff action; `user_id` overrides the AMQP user_id (None: send none)."""
        from osame_contracts.publishers import allowed_publishers

        publisher = publisher or min(allowed_publishers(message.routing_key))
        if body is None and message.staff_field is not None and not message.staff_proof:
            message = signer_for_tests(publisher).sign(message)
        message_id = message_id or str(uuid.uuid4())
        await broker.publish(
            body if body is not None else message.model_dump_json().encode(),
            exchange=self.runtime.names.exchange_for(type(message)),
            routing_key=message.routing_key,
            message_id=message_id,
            message_type=message_type or message.message_type(),
            user_id=self.runtime.names.user(publisher) if user_id is _OWN_USER else user_id,
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
        await self.runtime.dispose_databases()


async def eventually(predicate, timeout: float = 20.0, interval: float = 0.1):
    """The first truthy result of `predicate()` (sync or async), polled until `timeout` seconds."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


def _total(counter) -> float:
    return sum(s.value for m in counter.collect() for s in m.samples if s.name.endswith("_total"))


class InProcessService:
    """Plumbing for a hypothesis state machine that drives one service in-process: an event loop of
    its own, a temporary SQLite store with the service's tables and the chassis plumbing, and the
    service's test harness as `self.svc` (the model tests of receipts, refunds and collection)."""

    def open_service(self, harness: Callable[[str], object], name: str, metadata: MetaData) -> None:
        self.loop = asyncio.new_event_loop()
        self.tmp = tempfile.TemporaryDirectory()
        self.svc = harness(f"sqlite+aiosqlite:///{Path(self.tmp.name) / f'{name}.db'}")
        self._metadata = metadata
        self.run(self._create_schema())

    def close_service(self) -> None:
        self.run(self.svc.close())
        self.loop.close()
        self.tmp.cleanup()

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    async def _create_schema(self) -> None:
        async with self.svc.runtime.engine.begin() as conn:
            await conn.run_sync(self._metadata.create_all)
            await conn.run_sync(plumbing_metadata.create_all)

    def act(self, action):
        """`await action(uow)` on a committed unit of work of the service; its result."""

        async def go():
            async with self.svc.runtime.unit_of_work() as uow:
                result = await action(uow)
                await uow.commit()
            return result

        return self.run(go())


async def drop_audit_triggers(session, table: str = "audit_log") -> None:
    """What a database-level attacker does before editing the audit log: drop its append-only
    triggers (the tests then show the chain still catches the edit)."""
    from sqlalchemy import text

    from osame_chassis.audit import drop_append_only_ddl

    for statement in drop_append_only_ddl(session.bind.dialect.name, table):
        await session.execute(text(statement))
