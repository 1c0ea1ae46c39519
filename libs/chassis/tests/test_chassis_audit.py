"""Hash-chained audit log (osame_chassis.audit): append, verify, tamper detection, no forks under concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from osame_chassis.audit import GENESIS, AuditLog, audit_log_table
from osame_chassis.db import create_engine, session_factory
from sqlalchemy import MetaData, delete, select, update
from sqlalchemy.exc import IntegrityError

metadata = MetaData()
TABLE = audit_log_table(metadata)
LOG = AuditLog(TABLE)
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]


@pytest.fixture(params=BACKENDS)
async def sessions(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/audit.db"
    else:
        pg_databases = request.getfixturevalue("pg_databases")
        (url,) = await asyncio.to_thread(pg_databases, 1)
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield session_factory(engine)
    await engine.dispose()


async def append_many(sessions, n: int, start=datetime(2026, 7, 1, 9, 0, tzinfo=UTC)):
    for i in range(n):
        async with sessions() as session, session.begin():
            await LOG.append(
                session,
                user=f"staff-{i:02d}",
                operation="provision-records.read",
                outcome="ok",
                addressee_id=str(100000 + i),
                at=start + timedelta(seconds=i, microseconds=123),
            )


async def verify(sessions):
    async with sessions() as session:
        return await LOG.verify(session)


async def test_chain_verifies_and_links(sessions):
    await append_many(sessions, 5)
    result = await verify(sessions)
    assert (result.ok, result.entries, result.first_broken_id) == (True, 5, None)
    async with sessions() as session:
        rows = await LOG.entries(session)
        assert rows[0]["prev_hash"] == GENESIS
        assert [r["prev_hash"] for r in rows[1:]] == [r["entry_hash"] for r in rows[:-1]]
        assert [r["user_id"] for r in await LOG.entries(session, addressee_id="100003")] == ["staff-03"]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(
            lambda t, rid: update(t).where(t.c.id == rid).values(outcome="refused"), id="edit-outcome"
        ),
        pytest.param(lambda t, rid: update(t).where(t.c.id == rid).values(user_id="someone"), id="edit-user"),
        pytest.param(
            lambda t, rid: update(t).where(t.c.id == rid).values(at=datetime(2020, 1, 1, tzinfo=UTC)),
            id="edit-time",
        ),
        pytest.param(lambda t, rid: delete(t).where(t.c.id == rid), id="delete-row"),
    ],
)
async def test_tampering_is_detected_at_the_first_changed_row(sessions, tamper):
    await append_many(sessions, 5)
    async with sessions() as session, session.begin():
        ids = (await session.execute(select(TABLE.c.id).order_by(TABLE.c.id))).scalars().all()
        await session.execute(tamper(TABLE, ids[2]))
    result = await verify(sessions)
    assert result.ok is False
    # an edit breaks the edited row; a deletion breaks the row after the gap
    assert result.first_broken_id in (ids[2], ids[3])


async def test_a_fork_is_impossible(sessions):
    await append_many(sessions, 1)
    async with sessions() as session:
        (row,) = await LOG.entries(session)
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            await session.execute(
                TABLE.insert().values(
                    at=datetime.now(UTC),
                    user_id="x",
                    operation="op",
                    outcome="ok",
                    prev_hash=row["prev_hash"],
                    entry_hash="f" * 64,
                )
            )


async def test_concurrent_writers_keep_one_chain(sessions):
    """Every writer succeeds at its first attempt (no caller retries): writers wait for each other."""

    async def writer(i):
        async with sessions() as session, session.begin():
            await LOG.append(session, user=f"w{i}", operation="op", outcome="ok")
            await asyncio.sleep(0.02)  # the other writers run here

    await asyncio.gather(*(writer(i) for i in range(10)))
    result = await verify(sessions)
    assert (result.ok, result.entries) == (True, 10)
