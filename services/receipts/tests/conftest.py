"""The receipts service under test: its `Service` (the chassis harness with this service's test
settings) as `service_harness`; `make_service`, `service`, `any_service` and `bus` come from the
workspace's pytest plugin (`osame_chassis.pytest_plugin`)."""

from __future__ import annotations

import pytest
from osame_chassis.testing import ServiceHarness
from osame_receipts.adapters import orm
from osame_receipts.bootstrap import ReceiptsSettings, build_spec


class Service(ServiceHarness):
    """This service's runtime on `database_url` with test settings (see osame_chassis.testing)."""

    name = "receipts"  # its SQLite file in the `service` fixture

    def __init__(self, database_url: str):
        super().__init__(
            build_spec,
            ReceiptsSettings(database_url=database_url, telemetry_enabled=False, amqp_prefix="test."),
            orm.metadata,
        )


@pytest.fixture
def service_harness():
    return Service
