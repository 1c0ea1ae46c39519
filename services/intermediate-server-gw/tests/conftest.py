"""The intermediate-server-gw service under test: its `Service` (the chassis harness with this service's test
settings) as `service_harness`; `make_service`, `service`, `any_service` and `bus` come from the
workspace's pytest plugin (`osame_chassis.pytest_plugin`)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from osame_chassis.testing import ServiceHarness
from osame_gateway.adapters import orm
from osame_gateway.bootstrap import GatewaySettings, build_spec


class Service(ServiceHarness):
    """This service's runtime on `database_url` with test settings (see osame_chassis.testing)."""

    name = "intermediate-server-gw"  # its SQLite file in the `service` fixture

    def __init__(self, database_url: str):
        super().__init__(
            build_spec,
            GatewaySettings(database_url=database_url, telemetry_enabled=False, amqp_prefix="test."),
            orm.metadata,
        )


# ---------------------------------------------------------------- real HTTP peers of the gateway

NUMBERS = {"100009": "123456789018", "100010": "987654321093"}  # test 個人番号 (valid check digits)
ADDRESS_SYNC_TOKEN = "gateway-service-token-for-tests"
AFFAIR = "local_tax_assessment_collection"


class HttpPeer:
    """A Starlette app served by uvicorn on a free local port, in this event loop."""

    def __init__(self, app):
        import socket

        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.app = app
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        )
        self.task = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self):
        import asyncio

        self.server.should_exit = False
        self.server.started = False
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        return self

    async def stop(self):
        self.server.should_exit = True
        if self.task is not None:
            await self.task
            self.task = None


def address_sync_app(numbers: dict[str, str], calls: list):
    """Plays address-sync's restricted endpoint (the contract in adapters/address_sync.py)."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def lookup(request):
        if request.headers.get("authorization") != f"Bearer {ADDRESS_SYNC_TOKEN}":
            return JSONResponse({"error": "missing_token"}, status_code=401)
        body = await request.json()
        calls.append(body["addressee_id"])
        if body["addressee_id"] == "100404":
            return JSONResponse({"error": "no_individual_number"}, status_code=404)
        number = numbers.get(body["addressee_id"])
        if number is None:
            return JSONResponse({"error": "unknown_addressee"}, status_code=404)
        return JSONResponse({"addressee_id": body["addressee_id"], "individual_number": number})

    return Starlette(routes=[Route("/internal/individual-number", lookup, methods=["POST"])])


@pytest.fixture
async def simulator():
    from osame_simulator.app import SimulatorSettings, build_app

    peer = await HttpPeer(
        build_app(SimulatorSettings(timeout_seconds=1.5, synthetic_income=True, no_data_ratio=0))
    ).start()
    yield peer
    await peer.stop()


@pytest.fixture
async def address_sync():
    calls: list[str] = []
    peer = await HttpPeer(address_sync_app(NUMBERS, calls)).start()
    peer.calls = calls
    yield peer
    await peer.stop()


@pytest.fixture
async def make_linked_service(make_service, tmp_path, simulator, address_sync):
    """A migrated gateway with the row-48 list loaded, wired to the simulator and the address-sync peer."""

    from osame_gateway.bootstrap import build_processor
    from osame_gateway.entrypoints.commands import DEFAULT_LIST
    from osame_gateway.service_layer.permitted import load_permitted_list

    processors = []

    async def make(**overrides):
        svc = make_service(f"sqlite+aiosqlite:///{tmp_path}/gw-linked-{len(processors)}.db")
        settings = svc.spec.settings.model_copy(
            update={
                "network_url": simulator.url,
                "address_sync_url": address_sync.url,
                "address_sync_token": ADDRESS_SYNC_TOKEN,
                "network_timeout": 0.5,
                "network_backoff_initial": 0.01,
                "network_backoff_max": 0.05,
                "query_retry_base_seconds": 0.0,
                "query_retry_cap_seconds": 0.0,
                **overrides,
            }
        )
        svc.spec = dataclasses.replace(svc.spec, settings=settings)
        svc.runtime.settings = settings
        await svc.migrate()
        async with svc.runtime.unit_of_work() as uow:
            await load_permitted_list(uow, json.loads(DEFAULT_LIST.read_text(encoding="utf-8")))
        svc.processor = build_processor(svc.runtime, settings)
        processors.append(svc.processor)
        return svc

    yield make
    for p in processors:
        await p.network.caller.aclose()
        await p.numbers.caller.aclose()


def income_request(query_id="q-1", addressee_id="100009", item="income", affair=AFFAIR, year=2025):
    """An income query as collection sends it (signed by the chassis consumer's test keys when published)."""
    import datetime as dt

    from osame_contracts.messages import collection

    return collection.IncomeQueryRequested(
        query_id=query_id,
        addressee_id=addressee_id,
        affair=affair,
        item=item,
        fiscal_year=year,
        purpose="財産調査",
        staff_user="staff-01",
        requested_on=dt.date(2026, 7, 1),
    )


async def receive(svc, message):
    """The gateway's consumer handler with a network configured."""
    from osame_gateway.service_layer import handlers

    await svc.handle(lambda m, uow: handlers.handle_income_query(m, uow, linkage_configured=True), message)


@pytest.fixture
def service_harness():
    return Service
