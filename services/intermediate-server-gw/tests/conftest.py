"""Fixtures: the intermediate-server-gw service's runtime on a migrated database, with no broker connection.

`service` is the runtime on a fresh SQLite file (migrated to head); `make_service(url)` builds
one on any database URL (not migrated: call `await svc.migrate()`). `bus` registers the
service's subscriptions and yields FastStream's in-memory TestRabbitBroker around them.
"""

from __future__ import annotations

import dataclasses
import json
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from faststream.rabbit import TestRabbitBroker
from osame_chassis.messaging.tables import inbox, outbox, plumbing_metadata
from osame_chassis.migrations import upgrade
from osame_chassis.runtime import ServiceRuntime
from osame_gateway.adapters import orm
from osame_gateway.bootstrap import GatewaySettings, build_spec
from sqlalchemy import func, inspect, select, text


class Service:
    """One runtime plus the small helpers tests need to drive it and read its database."""

    def __init__(self, database_url: str):
        spec = build_spec()
        settings = GatewaySettings(database_url=database_url, telemetry_enabled=False, amqp_prefix="test.")
        self.spec = dataclasses.replace(spec, settings=settings)
        self.runtime = ServiceRuntime(self.spec, provider=None)

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

    def make(database_url: str) -> Service:
        made.append(Service(database_url))
        return made[-1]

    yield make
    for svc in made:
        await svc.close()


@pytest.fixture
async def service(make_service, tmp_path) -> Service:
    svc = make_service(f"sqlite+aiosqlite:///{tmp_path}/intermediate-server-gw.db")
    await svc.migrate()
    return svc


@pytest.fixture
async def bus(service):
    """The service's subscriptions on FastStream's in-memory broker (routing + consumer wrapper + handler)."""
    service.spec.register(service.runtime)
    async with TestRabbitBroker(service.runtime.broker) as broker:
        yield broker


# ---------------------------------------------------------------- real HTTP peers of the gateway

NUMBERS = {"100009": "123456789018", "100010": "987654321093"}  # test 個人番号 (valid check digits)
ADDRESS_SYNC_TOKEN = "gateway-service-token-for-tests"


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
    import json

    from osame_gateway.__main__ import DEFAULT_LIST
    from osame_gateway.bootstrap import build_processor
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
