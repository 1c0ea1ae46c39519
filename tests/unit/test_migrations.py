"""Every service's migrations, one test: on SQLite and PostgreSQL, head matches the models (no
drift), upgrading again is a no-op, downgrading to base removes every table, and upgrading again
gives the same schema. Replaces the per-service migration tests (issue 20)."""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from osame_chassis.db import create_engine
from osame_chassis.messaging.tables import plumbing_metadata
from osame_chassis.migrations import alembic_config, upgrade
from sqlalchemy import inspect, text

PLUMBING = {"outbox", "inbox", "alembic_version"}
# service → (package, tables the head must have, exactly those?)
SERVICES = {
    "receipts": ("osame_receipts", PLUMBING, False),
    "refunds": ("osame_refunds", PLUMBING, False),
    "collection": ("osame_collection", PLUMBING, False),
    "address-sync": ("osame_address_sync", PLUMBING, False),
    "intermediate-server-gw": ("osame_gateway", PLUMBING, False),
    "console": ("osame_console", {"alembic_version", "audit_log", "sessions", "sign_in_requests"}, True),
}
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]


def _migrations_and_metadata(package: str):
    migrations = Path(importlib.import_module(package).__file__).parent / "migrations"
    metadata = importlib.import_module(f"{package}.adapters.orm").metadata
    # the console keeps no outbox or inbox (it publishes nothing, consumes nothing)
    return migrations, [metadata] if package == "osame_console" else [metadata, plumbing_metadata]


async def _snapshot(engine, metadatas) -> tuple[str | None, list, dict]:
    """(alembic head, drift from the models, {table: [columns]})."""

    def inspect_all(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        inspector = inspect(connection)
        tables = {
            t: [c["name"] for c in inspector.get_columns(t)] for t in sorted(inspector.get_table_names())
        }
        return compare_metadata(context, metadatas), tables

    async with engine.connect() as conn:
        head = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one_or_none()
        drift, tables = await conn.run_sync(inspect_all)
    return head, drift, tables


async def _downgrade_to_base(engine, migrations: Path) -> None:
    config = alembic_config(migrations, engine.url.render_as_string(hide_password=False))

    def run(connection) -> None:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")

    async with engine.begin() as connection:
        await connection.run_sync(run)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_migrations_head_down_and_up_again(service, backend, request, tmp_path):
    package, required, exact = SERVICES[service]
    migrations, metadatas = _migrations_and_metadata(package)
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/{service}-migrations.db"
    else:
        (url,) = await asyncio.to_thread(request.getfixturevalue("pg_databases"), 1)
    engine = create_engine(url)
    try:
        await upgrade(engine, migrations)
        head, drift, tables = await _snapshot(engine, metadatas)
        assert drift == []
        assert head is not None
        assert (set(tables) == required) if exact else (required <= set(tables))

        await upgrade(engine, migrations)  # again: a no-op
        assert await _snapshot(engine, metadatas) == (head, [], tables)

        await _downgrade_to_base(engine, migrations)
        base_head, _, base_tables = await _snapshot(engine, metadatas)
        assert base_head is None
        assert set(base_tables) == {"alembic_version"}

        await upgrade(engine, migrations)  # up again from base: the same schema
        assert await _snapshot(engine, metadatas) == (head, [], tables)
    finally:
        await engine.dispose()
