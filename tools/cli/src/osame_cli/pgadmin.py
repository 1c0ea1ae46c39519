"""Creating and dropping per-service PostgreSQL databases (demo and tests)."""

from __future__ import annotations

import asyncpg
from sqlalchemy.engine import make_url


def redact_url(url: str) -> str:
    """The URL without its password, for printing."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<url>"


def database_url(server_url: str, database: str) -> str:
    url = make_url(server_url)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+asyncpg")
    return url.set(database=database).render_as_string(hide_password=False)


async def _admin(server_url: str) -> asyncpg.Connection:
    url = make_url(server_url)
    return await asyncpg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        database="postgres",
    )


async def create_databases(server_url: str, names: list[str]) -> dict[str, str]:
    """Create each database (dropping a leftover of the same name); returns name → SQLAlchemy URL."""
    conn = await _admin(server_url)
    try:
        for name in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return {name: database_url(server_url, name) for name in names}


async def drop_databases(server_url: str, urls_or_names: list[str]) -> None:
    conn = await _admin(server_url)
    try:
        for item in urls_or_names:
            name = make_url(item).database if "://" in item else item
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
