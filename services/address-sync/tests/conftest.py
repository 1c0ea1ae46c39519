"""Fixtures: the address-sync service's runtime on a migrated database, with no broker connection.

`service` is the runtime on a fresh SQLite file (migrated to head); `make_service(url)` builds
one on any database URL (not migrated: call `await svc.migrate()`). `bus` registers the
service's subscriptions and yields FastStream's in-memory TestRabbitBroker around them.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import json
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from faststream.rabbit import TestRabbitBroker
from osame_address_sync.adapters import orm
from osame_address_sync.bootstrap import AddressSyncSettings, build_spec
from osame_chassis.messaging.tables import inbox, outbox, plumbing_metadata
from osame_chassis.migrations import upgrade
from osame_chassis.runtime import ServiceRuntime
from sqlalchemy import func, inspect, select, text

KEY_1 = base64.b64encode(bytes(range(32))).decode()
KEY_2 = base64.b64encode(bytes(range(100, 132))).decode()


class Service:
    """One runtime plus the small helpers tests need to drive it and read its database."""

    def __init__(self, database_url: str, **settings_overrides):
        spec = build_spec()
        settings = AddressSyncSettings(
            database_url=database_url,
            telemetry_enabled=False,
            amqp_prefix="test.",
            # v1-only fan-out unless a test asks for v2 (production publishes both).
            **{
                "mynumber_key": KEY_1,
                "mynumber_key_id": "k1",
                "publish_addressee_changed_v2": False,
                **settings_overrides,
            },
        )
        self.spec = dataclasses.replace(spec, settings=settings)
        self.runtime = ServiceRuntime(self.spec, provider=None)
        self.deps = settings.deps()
        self.database_url = database_url

    async def run(self, handler, message):
        """A service-layer handler with this service's dependencies (keyring, publish flags)."""
        return await self.handle(functools.partial(handler, deps=self.deps), message)

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
            return compare_metadata(context, [orm.metadata, plumbing_metadata])

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


@pytest.fixture
async def make_service():
    made: list[Service] = []

    def make(database_url: str, **settings_overrides) -> Service:
        made.append(Service(database_url, **settings_overrides))
        return made[-1]

    yield make
    for svc in made:
        await svc.close()


@pytest.fixture
async def service(make_service, tmp_path) -> Service:
    svc = make_service(f"sqlite+aiosqlite:///{tmp_path}/address-sync.db")
    await svc.migrate()
    return svc


@pytest.fixture
async def bus(service):
    """The service's subscriptions on FastStream's in-memory broker (routing + consumer wrapper + handler)."""
    service.spec.register(service.runtime)
    async with TestRabbitBroker(service.runtime.broker) as broker:
        yield broker


# ---------------------------------------------------------------- message factories

MY_NUMBER_A = "123456789018"  # invented; passes the check digit
MY_NUMBER_B = "987654321093"  # invented; passes the check digit (verified in the identifiers test)
TAKAOKA = "162027"  # 高岡市 全国地方公共団体コード


class Factories:
    """Builders for address-sync commands with sensible synthetic defaults."""

    my_number_a = MY_NUMBER_A
    my_number_b = MY_NUMBER_B

    @staticmethod
    def address(printed="富山県高岡市試験町1番1号", postal_code="933-0001", **kw):
        from osame_contracts.messages.address_sync import StructuredAddress

        return StructuredAddress(
            municipality_code=kw.pop("municipality_code", TAKAOKA),
            town=kw.pop("town", "試験町"),
            block=kw.pop("block", "1番1号"),
            postal_code=postal_code,
            printed=printed,
            **kw,
        )

    @staticmethod
    def change(
        change_id, sequence, kind, *, addressee_id="200001", changed_on="2026-04-01", cancels=None, **fields
    ):
        import datetime as dt

        from osame_contracts.messages.address_sync import RecordResidentChange

        return RecordResidentChange(
            change_id=change_id,
            addressee_id=addressee_id,
            sequence=sequence,
            change_kind=kind,
            changed_on=dt.date.fromisoformat(changed_on),
            notified_on=dt.date.fromisoformat(changed_on),
            cancels_change_id=cancels,
            fields=fields,
        )

    def moved_in(self, addressee_id="200001", sequence=1, change_id=None, my_number=None, **kw):
        fields = {
            "name": "試験 一郎",
            "name_kana": "シケン イチロウ",
            "date_of_birth": "1980-05-05",
            "address": self.address(),
            **kw,
        }
        if my_number:
            fields["my_number"] = my_number
        return self.change(
            change_id or f"C{addressee_id}-{sequence}",
            sequence,
            "moved_in",
            addressee_id=addressee_id,
            **fields,
        )

    def non_resident(self, addressee_id="300001", version=1, my_number=None, **kw):
        from osame_contracts.messages.address_sync import RegisterNonResident

        return RegisterNonResident(
            addressee_id=addressee_id,
            version=version,
            name=kw.pop("name", "住登外 太郎"),
            name_kana=kw.pop("name_kana", "ジュウトウガイ タロウ"),
            address=kw.pop(
                "address", self.address("東京都千代田区試験2-2", "100-0002", municipality_code="131016")
            ),
            my_number=my_number,
            **kw,
        )

    def corporation(self, addressee_id="400001", version=1, corporate_number="7000012050002", **kw):
        from osame_contracts.messages.address_sync import RegisterCorporation

        return RegisterCorporation(
            addressee_id=addressee_id,
            version=version,
            name=kw.pop("name", "試験商事株式会社"),
            name_kana=kw.pop("name_kana", "シケンショウジ"),
            corporate_number=corporate_number,
            address=kw.pop("address", self.address("富山県高岡市本町5番5号", "933-0005")),
            **kw,
        )


@pytest.fixture
def f() -> Factories:
    return Factories()
