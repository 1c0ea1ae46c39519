"""The refunds service under test: its `Service` (the chassis harness with this service's test
settings) as `service_harness`; `make_service`, `service`, `any_service` and `bus` come from the
workspace's pytest plugin (`osame_chassis.pytest_plugin`)."""

from __future__ import annotations

import datetime

import pytest
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

    name = "refunds"  # its SQLite file in the `service` fixture

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
def api(service, tmp_path):
    """The staff HTTP API on the service, with a development token issuer: (client, issuer)."""
    issuer = DevIssuer(tmp_path / "issuer")
    auth = Authenticator(
        AuthSettings(jwks_file=str(issuer.write_jwks())),
        audit=AuditLog(orm.audit_log).hook(service.runtime.sessions),
    )
    with TestClient(Starlette(routes=routes(service.runtime, auth=auth))) as client:
        yield client, issuer


@pytest.fixture
def service_harness():
    return Service
