"""Fixtures: the collection service's runtime on a migrated database, with no broker connection.

`service` is the runtime on a fresh SQLite file (migrated to head); `make_service(url)` builds
one on any database URL (not migrated: call `await svc.migrate()`). `bus` registers the
service's subscriptions and yields FastStream's in-memory TestRabbitBroker around them.
"""

from __future__ import annotations

import pytest
from faststream.rabbit import TestRabbitBroker
from osame_chassis.testing import ServiceHarness
from osame_collection.adapters import orm
from osame_collection.bootstrap import CollectionSettings, build_spec
from osame_collection.entrypoints.consumers import bind


class Service(ServiceHarness):
    """This service's runtime on `database_url` with test settings (see osame_chassis.testing)."""

    def __init__(self, database_url: str):
        super().__init__(
            build_spec,
            CollectionSettings(database_url=database_url, telemetry_enabled=False, amqp_prefix="test."),
            orm.metadata,
        )

    async def handle(self, handler, message):
        """As the consumers do: a handler that takes the city's policy gets the settings' one."""
        return await super().handle(bind(handler, self.runtime.settings.policy()), message)

    async def made_income_query(self, query_id: str, addressee_id: str) -> None:
        """The 財産調査 row collection writes when it asks the gateway (`cases.record_inquiry`):
        the gateway's answers are accepted only for such a query."""
        import datetime as dt

        async with self.runtime.sessions() as session, session.begin():
            await session.execute(
                orm.asset_inquiries.insert().values(
                    query_id=query_id,
                    addressee_id=addressee_id,
                    status="requested",
                    kind="income",
                    requested_on=dt.date(2026, 7, 1),
                    staff_user="staff-01",
                    updated_at=dt.datetime.now(dt.UTC),
                )
            )


@pytest.fixture
async def make_service():
    made: list[Service] = []

    def make(database_url: str) -> Service:
        made.append(Service(database_url))
        return made[-1]

    yield make
    for svc in made:
        await svc.close()


@pytest.fixture
async def service(make_service, tmp_path) -> Service:
    svc = make_service(f"sqlite+aiosqlite:///{tmp_path}/collection.db")
    await svc.migrate()
    return svc


@pytest.fixture
async def bus(service):
    """The service's subscriptions on FastStream's in-memory broker (routing + consumer wrapper + handler)."""
    service.spec.register(service.runtime)
    async with TestRabbitBroker(service.runtime.broker) as broker:
        yield broker
