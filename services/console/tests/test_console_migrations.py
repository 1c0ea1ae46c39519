"""The console's migrations: head on SQLite and PostgreSQL matches the metadata; again is a no-op."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from osame_chassis.db import create_engine
from osame_chassis.migrations import upgrade
from osame_console.adapters.orm import metadata
from osame_console.bootstrap import MIGRATIONS
from sqlalchemy import inspect, text

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]


async def _url(backend, request, tmp_path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/console-migrations.db"
    (url,) = await asyncio.to_thread(request.getfixturevalue("pg_databases"), 1)
    return url


async def _drift_and_tables(engine):
    def inspect_all(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata), sorted(inspect(connection).get_table_names())

    async with engine.connect() as conn:
        head = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
        drift, tables = await conn.run_sync(inspect_all)
    return head, drift, tables


@pytest.mark.parametrize("backend", BACKENDS)
async def test_console_head_has_no_drift_and_upgrading_again_is_a_no_op(backend, request, tmp_path):
    engine = create_engine(await _url(backend, request, tmp_path))
    try:
        await upgrade(engine, MIGRATIONS)
        head, drift, tables = await _drift_and_tables(engine)
        assert drift == []
        assert tables == ["alembic_version", "audit_log", "sessions", "sign_in_requests"]
        await upgrade(engine, MIGRATIONS)
        assert await _drift_and_tables(engine) == (head, [], tables)
    finally:
        await engine.dispose()
