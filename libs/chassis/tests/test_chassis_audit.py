"""Hash-chained audit log (osame_chassis.audit): append, verify, tamper detection, no forks under concurrency;
the chain keyed outside the database, signed checkpoints against truncation, and the database's own
refusal of UPDATE/DELETE (issue 13)."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from osame_chassis.audit import (
    DEVELOPMENT_KEY,
    GENESIS,
    AuditKeyError,
    AuditLog,
    append_only_ddl,
    audit_key,
    audit_log_table,
    entry_hash,
)
from osame_chassis.db import create_engine, session_factory
from sqlalchemy import MetaData, delete, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

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


# -- keyed chain, checkpoints and the database's own refusal (issue 13) ------------------------------


async def _ids(sessions) -> list[int]:
    async with sessions() as session:
        return list((await session.execute(select(TABLE.c.id).order_by(TABLE.c.id))).scalars().all())


async def test_a_rewritten_row_is_detected_even_with_the_chain_recomputed_without_the_key(sessions):
    """A database-level attacker edits a row and recomputes every later hash, but not with the key."""
    await append_many(sessions, 5)
    ids = await _ids(sessions)
    async with sessions() as session, session.begin():
        rows = await LOG.entries(session)
        prev = rows[1]["entry_hash"]
        for row in rows[2:]:
            values = {**row, "outcome": "refused:forged" if row["id"] == ids[2] else row["outcome"]}
            digest = entry_hash(
                b"a guessed key of the attacker 0000",
                prev,
                values["at"],
                values["user_id"],
                values["operation"],
                values["addressee_id"],
                values["outcome"],
                values["client"],
            )
            await session.execute(
                update(TABLE)
                .where(TABLE.c.id == row["id"])
                .values(outcome=values["outcome"], prev_hash=prev, entry_hash=digest)
            )
            prev = digest
    result = await verify(sessions)
    assert (result.ok, result.first_broken_id) == (False, ids[2])


async def test_a_truncated_tail_is_detected_through_the_checkpoint(sessions, tmp_path):
    path = tmp_path / "checkpoints.jsonl"
    await append_many(sessions, 5)
    async with sessions() as session:
        point = await LOG.checkpoint(session, "svc", path)
    assert point["seq"] == (await _ids(sessions))[-1] and point["head"] != GENESIS
    async with sessions() as session:
        assert (await LOG.verify_checkpoints(session, "svc", path)).ok
    ids = await _ids(sessions)
    async with sessions() as session, session.begin():
        await session.execute(delete(TABLE).where(TABLE.c.id >= ids[3]))
    assert (await verify(sessions)).ok, "a shorter chain is still a valid chain: only the checkpoint shows it"
    async with sessions() as session:
        checked = await LOG.verify_checkpoints(session, "svc", path)
    assert not checked.ok and checked.problems == [f"seq {ids[4]}: row missing (truncated or deleted)"]


async def test_a_checkpoint_must_be_signed_with_the_key_and_match_its_row(sessions, tmp_path):
    path = tmp_path / "checkpoints.jsonl"
    await append_many(sessions, 3)
    async with sessions() as session:
        await LOG.checkpoint(session, "svc", path)
        await LOG.checkpoint(session, "other-service", path)  # another service's line: not this one's concern
    forged = json.loads(path.read_text().splitlines()[0]) | {"head": "f" * 64}
    path.write_text(path.read_text() + json.dumps(forged) + "\n")
    async with sessions() as session:
        checked = await LOG.verify_checkpoints(session, "svc", path)
    assert (checked.ok, checked.checkpoints, checked.problems) == (False, 2, ["line 3: bad signature"])


def test_the_key_comes_from_outside_the_database_and_development_alone_has_a_default(tmp_path):
    key = base64.b64encode(bytes(range(32))).decode()
    assert audit_key({"OSAME_AUDIT_KEY": key, "OSAME_ENVIRONMENT": "production"}) == bytes(range(32))
    (tmp_path / "audit.key").write_text(key)
    assert audit_key({"OSAME_AUDIT_KEY_FILE": str(tmp_path / "audit.key"), "OSAME_ENVIRONMENT": "production"})
    assert audit_key({}) == DEVELOPMENT_KEY
    for env in ({"OSAME_ENVIRONMENT": "production"}, {"OSAME_AUDIT_KEY": "c2hvcnQ="}):
        with pytest.raises(AuditKeyError) as err:
            audit_key(env)
        assert "c2hvcnQ" not in str(err.value)


async def test_the_database_refuses_update_and_delete_of_the_audit_table(sessions):
    await append_many(sessions, 2)
    async with sessions() as session, session.begin():
        for statement in append_only_ddl(session.bind.dialect.name, TABLE.name):
            await session.execute(text(statement))
    ids = await _ids(sessions)
    for change in (update(TABLE).where(TABLE.c.id == ids[0]).values(outcome="x"), delete(TABLE)):
        with pytest.raises(DBAPIError) as refused:
            async with sessions() as session, session.begin():
                await session.execute(change)
        assert "append-only" in str(refused.value)
    if (await _dialect(sessions)) == "postgresql":
        with pytest.raises(DBAPIError):
            async with sessions() as session, session.begin():
                await session.execute(text(f"TRUNCATE {TABLE.name}"))
    await append_many(sessions, 1)  # appending still works
    assert (await verify(sessions)).entries == 3


async def _dialect(sessions) -> str:
    async with sessions() as session:
        return session.bind.dialect.name


async def test_the_runner_writes_signed_checkpoints_periodically(tmp_path):
    from types import SimpleNamespace

    from osame_chassis.audit import audit_checkpoints
    from osame_chassis.settings import ServiceSettings
    from osame_chassis.testing import eventually

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/svc.db")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    sessions = session_factory(engine)
    await append_many(sessions, 2)
    path = tmp_path / "outside" / "checkpoints.jsonl"
    settings = ServiceSettings(
        service_name="svc",
        audit_checkpoint_file=path,
        audit_checkpoint_interval_seconds=0.05,
        telemetry_enabled=False,
    )
    stopping = asyncio.Event()
    task = asyncio.create_task(
        audit_checkpoints(SimpleNamespace(settings=settings, engine=engine, sessions=sessions), stopping)
    )
    await eventually(lambda: path.exists() and len(path.read_text().splitlines()) >= 2, timeout=10)
    stopping.set()
    await task
    async with sessions() as session:
        checked = await LOG.verify_checkpoints(session, "svc", path)
    assert checked.ok and checked.checkpoints >= 2
    assert json.loads(path.read_text().splitlines()[0])["seq"] == 2
    await engine.dispose()
