"""Fixtures: the refunds service's runtime on a migrated database, with no broker connection.

`service` is the runtime on a fresh SQLite file (migrated to head); `make_service(url)` builds
one on any database URL (not migrated: call `await svc.migrate()`). `bus` registers the
service's subscriptions and yields FastStream's in-memory TestRabbitBroker around them.
"""

from __future__ import annotations

import datetime

import pytest
from faststream.rabbit import TestRabbitBroker
from osame_chassis.audit import AuditLog
from osame_chassis.auth import Authenticator, AuthSettings, DevIssuer
from osame_chassis.testing import ServiceHarness
from osame_refunds.adapters import orm
from osame_refunds.bootstrap import RefundsSettings, build_spec
from osame_refunds.entrypoints.http import routes
from starlette.applications import Starlette
from starlette.testclient import TestClient

BUSINESS_DATE = datetime.date(2026, 11, 28)  # tests decide as of a fixed day


class Service(ServiceHarness):
    """This service's runtime on `database_url` with test settings (see osame_chassis.testing)."""

    def __init__(self, database_url: str):
        super().__init__(
            build_spec,
            RefundsSettings(
                database_url=database_url,
                telemetry_enabled=False,
                amqp_prefix="test.",
                business_date=BUSINESS_DATE,
            ),
            orm.metadata,
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
    svc = make_service(f"sqlite+aiosqlite:///{tmp_path}/refunds.db")
    await svc.migrate()
    return svc


@pytest.fixture
async def bus(service):
    """The service's subscriptions on FastStream's in-memory broker (routing + consumer wrapper + handler)."""
    service.spec.register(service.runtime)
    async with TestRabbitBroker(service.runtime.broker) as broker:
        yield broker


@pytest.fixture
def api(service, tmp_path):
    """The staff HTTP API on the service, with a development token issuer: (client, issuer)."""
    issuer = DevIssuer(tmp_path / "issuer")
    auth = Authenticator(
        AuthSettings(jwks_file=str(issuer.write_jwks())),
        audit=AuditLog(orm.audit_log).hook(service.runtime.sessions),
    )
    with TestClient(Starlette(routes=routes(service.runtime, auth=auth))) as client:
        yield client, issuer
