"""The collection service under test: its `Service` (the chassis harness with this service's test
settings) as `service_harness`; `make_service`, `service`, `any_service` and `bus` come from the
workspace's pytest plugin (`osame_chassis.pytest_plugin`)."""

from __future__ import annotations

import pytest
from osame_chassis.testing import ServiceHarness
from osame_collection.adapters import orm
from osame_collection.bootstrap import CollectionSettings, build_spec
from osame_collection.entrypoints.consumers import bind


class Service(ServiceHarness):
    """This service's runtime on `database_url` with test settings (see osame_chassis.testing)."""

    name = "collection"  # its SQLite file in the `service` fixture

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
def service_harness():
    return Service
