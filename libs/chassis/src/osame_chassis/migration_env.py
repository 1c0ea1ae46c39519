"""Shared body of every service's Alembic `env.py`: online mode on a given or new connection.

A service's `env.py` calls `run(target_metadata)`. The connection comes from
`config.attributes["connection"]` (service start) or from `sqlalchemy.url`
(the `alembic` command line). SQLite uses batch mode for ALTERs.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine


def _do_run(connection, target_metadata) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run(target_metadata) -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _do_run(connection, target_metadata)
        return

    async def _online() -> None:
        engine = create_async_engine(config.get_main_option("sqlalchemy.url"))
        async with engine.begin() as conn:
            await conn.run_sync(_do_run, target_metadata)
        await engine.dispose()

    asyncio.run(_online())
