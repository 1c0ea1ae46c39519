"""Async SQLAlchemy engine and session factory for one service's own database.

SQLite (aiosqlite) is the embedded default; PostgreSQL (asyncpg) when a URL is set.
SQLite gets WAL and a busy timeout so the relay and handlers can share the file; its transactions
take the write lock at their start. A `reads_only` engine is a second, small pool for what must
answer while the service is busy (/stats, /readyz, /metrics): it never queues behind the message
handlers for a connection, and on SQLite its transactions read a snapshot without waiting for
the write lock a long import or batch holds.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from osame_chassis.dburl import engine_arguments


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, reads_only: bool = False) -> AsyncEngine:
    url, connect_args = engine_arguments(url)  # postgresql://, postgres://, libpq ssl parameters
    pool = {"pool_size": 2, "max_overflow": 3} if reads_only else {"pool_size": 10, "max_overflow": 10}
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **pool)

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
            # reads only: a WAL snapshot, no lock to wait for (a write in one fails, never waits)
            connection.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")

        return engine
    return create_async_engine(url, connect_args=connect_args, pool_pre_ping=True, **pool)


async def serialise_writers(session, name: str) -> None:
    """Hold the one writer slot of `name` (a hash chain, a sequence) until this transaction ends.

    The one place writers of a read-modify-write chain are serialised. PostgreSQL: a
    transaction-scoped advisory lock (a `SELECT … FOR UPDATE` of the last row is not enough: after
    the wait it re-reads that same row, not the one inserted meanwhile, and an empty table locks
    nothing). SQLite: every transaction already holds the database's write lock from its start
    (`BEGIN IMMEDIATE`, above), so there is nothing more to take.
    """
    if session.bind.dialect.name == "postgresql":
        key = zlib.crc32(name.encode()) & 0x7FFFFFFF
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


async def count_rows(session, tables: dict) -> dict[str, int]:
    """Row counts per table, for a service's /stats (counts only, never personal data)."""
    from sqlalchemy import func, select

    return {
        name: (await session.execute(select(func.count()).select_from(table))).scalar_one()
        for name, table in tables.items()
    }
