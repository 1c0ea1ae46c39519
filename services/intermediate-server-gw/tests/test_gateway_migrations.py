"""intermediate-server-gw migrations: head on SQLite and PostgreSQL matches the metadata; upgrading again is a no-op."""

from __future__ import annotations

import asyncio

import pytest

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]


async def _database_url(backend: str, request, tmp_path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/intermediate-server-gw-migrations.db"
    pg_databases = request.getfixturevalue("pg_databases")
    (url,) = await asyncio.to_thread(pg_databases, 1)
    return url


@pytest.mark.parametrize("backend", BACKENDS)
async def test_gateway_head_has_no_drift_from_metadata(backend, request, tmp_path, make_service):
    svc = make_service(await _database_url(backend, request, tmp_path))
    await svc.migrate()
    assert await svc.drift() == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_gateway_upgrade_twice_is_a_no_op(backend, request, tmp_path, make_service):
    svc = make_service(await _database_url(backend, request, tmp_path))
    await svc.migrate()
    head, tables = await svc.schema_snapshot()
    assert {"outbox", "inbox", "alembic_version"} <= set(tables)
    await svc.migrate()
    assert await svc.schema_snapshot() == (head, tables)
    assert await svc.drift() == []
