"""SQLite (the embedded default) must not lose a read-modify-write to a concurrent transaction: the
driver would read outside any transaction and BEGIN only at the first write (the next audit seq was
computed twice and one staff action failed with an IntegrityError)."""

from __future__ import annotations

import asyncio

from osame_chassis.db import create_engine, session_factory
from sqlalchemy import text


async def test_concurrent_read_modify_write_is_serialised(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
    sessions = session_factory(engine)
    try:
        async with sessions() as s:
            await s.execute(text("CREATE TABLE counter (value INTEGER NOT NULL)"))
            await s.execute(text("INSERT INTO counter VALUES (0)"))
            await s.commit()

        async def increment() -> None:
            async with sessions() as s:
                value = (await s.execute(text("SELECT value FROM counter"))).scalar_one()
                await asyncio.sleep(0.05)  # the other transaction runs here
                await s.execute(text("UPDATE counter SET value = :v"), {"v": value + 1})
                await s.commit()

        await asyncio.gather(*(increment() for _ in range(4)))
        async with sessions() as s:
            assert (await s.execute(text("SELECT value FROM counter"))).scalar_one() == 4
    finally:
        await engine.dispose()
