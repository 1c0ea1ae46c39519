"""The one pytest plugin of the workspace's tests (loaded by the root conftest's `pytest_plugins`).

Run-wide: the real RabbitMQ and PostgreSQL, isolated per test run. URLs come from
OSAME_TEST_AMQP_URL / OSAME_TEST_DATABASE_URL (set by `./osame test` and CI). Without them the
local defaults are tried, then testcontainers where a Docker engine exists; otherwise tests that
need the service are skipped with the reason. Each run gets its own broker namespace — a name
prefix with its own exchanges and one broker user per principal
(`osame_chassis.messaging.provision`, through the management API) — and its own PostgreSQL
databases; all of it is deleted at the end.

Per service: a service's test conftest provides `service_harness` (a callable `database_url →
ServiceHarness`, usually its `Service` class with the service's test settings); this plugin turns
it into `make_service(url)`, `service` (on a fresh SQLite file migrated to head), `any_service`
(SQLite, and PostgreSQL as an integration test) and `bus` (the service's subscriptions on
FastStream's in-memory TestRabbitBroker). Test support only: never imported by service code.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import uuid
from urllib.parse import urlparse

import pytest
from hypothesis import HealthCheck, settings

# Property tests assert rules, never speed: hypothesis's per-example deadline (200 ms) is a timed
# assertion that fails on a busy 2-core machine (CI saw a sealed-number property fail that way).
settings.register_profile("osame", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("osame")

RUN_ID = uuid.uuid4().hex[:8]
_counter = itertools.count(1)


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2
        ):
            return True
    except OSError:
        return False


def _container_url(kind: str):
    try:
        if kind == "amqp":
            from testcontainers.community.rabbitmq import RabbitMqContainer

            container = RabbitMqContainer("rabbitmq:3.13-management").with_exposed_ports(15672).start()
            host = container.get_container_host_ip()
            url = f"amqp://{container.username}:{container.password}@{host}:{container.get_exposed_port(container.port)}/"
            # Broker users are provisioned through the management API (osame_chassis.messaging.provision).
            os.environ.setdefault(
                "OSAME_AMQP_MANAGEMENT_URL",
                f"http://{container.username}:{container.password}@{host}:{container.get_exposed_port(15672)}",
            )
        else:
            from testcontainers.community.postgres import PostgresContainer

            container = PostgresContainer("postgres:16-alpine").start()
            url = container.get_connection_url(driver=None)
        return container, url
    except Exception as exc:  # docker.errors.DockerException where there is no engine
        return None, f"{type(exc).__name__}"


def _service_url(env: str, default: str, port: int, kind: str):
    url = os.environ.get(env)
    if url:
        return None, url
    if _reachable(default, port):
        return None, default
    container, url_or_reason = _container_url(kind)
    if container is None:
        pytest.skip(f"no {kind} service: set {env} (testcontainers: {url_or_reason})")
    return container, url_or_reason


@pytest.fixture(scope="session")
def amqp_url():
    container, url = _service_url("OSAME_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/", 5672, "amqp")
    yield url
    if container is not None:
        container.stop()


@pytest.fixture(scope="session")
def pg_server_url():
    container, url = _service_url(
        "OSAME_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres", 5432, "postgres"
    )
    yield url
    if container is not None:
        container.stop()


@pytest.fixture
def broker_prefix(amqp_url):
    """A fresh broker namespace: a name prefix, its exchanges and its users (`broker_accounts`);
    every queue, exchange and user under it is deleted afterwards."""
    # The operator tool owns namespace deletion (demos and benchmarks use it too).
    from osame_cli.bus import delete_namespace

    from osame_chassis.messaging.provision import provision

    prefix = f"t{RUN_ID}-{next(_counter)}."
    _ACCOUNTS[prefix] = provision(amqp_url, prefix)
    yield prefix

    async def cleanup():
        await delete_namespace(amqp_url, prefix, tuple(_EXTRA_QUEUES))

    _ACCOUNTS.pop(prefix, None)
    asyncio.run(cleanup())


_ACCOUNTS: dict = {}


@pytest.fixture
def broker_accounts(broker_prefix):
    """The broker users of this test's namespace: `.url(principal)` is that principal's AMQP URL."""
    return _ACCOUNTS[broker_prefix]


# Queue names (without prefix) used by test-only consumers, removed with the prefix.
_EXTRA_QUEUES: list[str] = []


@pytest.fixture
def extra_queues():
    return _EXTRA_QUEUES


@pytest.fixture
def pg_databases(pg_server_url):
    """Factory: `pg_databases(n)` → n fresh PostgreSQL database URLs (asyncpg), dropped afterwards."""
    # The operator tool owns database administration (demos and benchmarks use it too).
    from osame_cli.pgadmin import create_databases, drop_databases

    created: list[str] = []

    def make(count: int = 1) -> list[str]:
        names = [f"osame_t{RUN_ID}_{next(_counter)}" for _ in range(count)]
        urls = asyncio.run(create_databases(pg_server_url, names))
        created.extend(names)
        return list(urls.values())

    yield make
    if created:
        asyncio.run(drop_databases(pg_server_url, created))


# ---------------------------------------------------------------- one service in process


@pytest.fixture
def service_harness():
    """A service's test conftest overrides this with its `Service` class (database_url → harness)."""
    pytest.fail("this test directory's conftest provides no `service_harness`")


@pytest.fixture
async def make_service(service_harness):
    """Factory: `make_service(url, **overrides)` → the service's harness on `url` (not migrated:
    `await svc.migrate()`); every one made is closed afterwards."""
    made: list = []

    def make(database_url: str, **overrides):
        made.append(service_harness(database_url, **overrides))
        return made[-1]

    yield make
    for svc in made:
        await svc.close()


def _service_file(service_harness, tmp_path, suffix: str = "") -> str:
    name = getattr(service_harness, "name", "service")
    return f"sqlite+aiosqlite:///{tmp_path}/{name}{suffix}.db"


@pytest.fixture
async def service(make_service, service_harness, tmp_path):
    """The service's runtime on a fresh SQLite file migrated to head, with no broker connection."""
    svc = make_service(_service_file(service_harness, tmp_path))
    await svc.migrate()
    return svc


@pytest.fixture
async def bus(service):
    """The service's subscriptions on FastStream's in-memory broker (routing + consumer wrapper + handler)."""
    from faststream.rabbit import TestRabbitBroker

    service.spec.register(service.runtime)
    async with TestRabbitBroker(service.runtime.broker) as broker:
        yield broker


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
async def any_service(request, make_service, service_harness, tmp_path):
    """The service on SQLite and (integration) on a fresh PostgreSQL database: bulk paths differ."""
    if request.param == "sqlite":
        svc = make_service(_service_file(service_harness, tmp_path, "-any"))
    else:
        pg_databases = request.getfixturevalue("pg_databases")
        (url,) = await asyncio.to_thread(pg_databases, 1)
        svc = make_service(url)
    await svc.migrate()
    return svc


@pytest.fixture
def issuer(tmp_path):
    """A development token issuer (its JWKS file beside it) for the HTTP tests."""
    from osame_chassis.auth import DevIssuer

    issuer = DevIssuer(tmp_path / "issuer")
    issuer.write_jwks()
    return issuer
