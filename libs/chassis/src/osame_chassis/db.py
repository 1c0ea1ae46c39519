"""Async SQLAlchemy engine and session factory for one service's own database.

SQLite (aiosqlite) is the embedded default; PostgreSQL (asyncpg) when a URL is set.
SQLite gets WAL and a busy timeout so the relay and handlers can share the file.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from osame_chassis.dburl import engine_arguments


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str) -> AsyncEngine:
    url, connect_args = engine_arguments(url)  # postgresql://, postgres://, libpq ssl parameters
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
            # The driver would otherwise run SELECTs outside any transaction and BEGIN only at the
            # first write, so a read-modify-write (next audit seq, a version check) could act on a
            # stale read. Every transaction takes the write lock at its start instead (below).
            dbapi_connection.isolation_level = None

        @event.listens_for(engine.sync_engine, "begin")
        def _begin_immediate(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_async_engine(
        url, connect_args=connect_args, pool_pre_ping=True, pool_size=10, max_overflow=10
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


async def count_rows(session, tables: dict) -> dict[str, int]:
    """Row counts per table, for a service's /stats (counts only, never personal data)."""
    from sqlalchemy import func, select

    return {
        name: (await session.execute(select(func.count()).select_from(table))).scalar_one()
        for name, table in tables.items()
    }
