"""Migration 0019 carries collection's old, unkeyed audit chain onto the chassis chain (issue 13):
a genesis entry records the old chain's length, head and where it was already broken; every old
entry follows with its content (an HTTP entry's outcome and client in their own columns), keyed;
the new chain verifies and goes on. Its downgrade carries every entry back onto the old chain, which
the old rule verifies again. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime

import pytest
from osame_chassis.audit import drop_append_only_ddl
from osame_chassis.db import create_engine, session_factory
from osame_chassis.migrations import downgrade, upgrade
from osame_collection.adapters.orm import AUDIT
from osame_collection.bootstrap import build_spec
from sqlalchemy import JSON, DateTime, column, insert, select, table, text, update
from sqlalchemy.exc import DBAPIError

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]
OLD = table(
    "audit_log",
    column("seq"),
    column("at", DateTime(timezone=True)),
    column("staff_user"),
    column("action"),
    column("addressee_id"),
    column("detail", JSON),
    column("prev_hash"),
    column("hash"),
)
ROWS = [
    ("staff-01", "http.collection:cases.read", "100001", {"outcome": "ok", "client": "10.0.0.1"}),
    ("staff-02", "contact.record", "100001", {"contact_id": "c-1", "amount": 5000}),
    ("ops-07", "batches.run", None, {"outcome": "refused:permission_denied", "client": "cli:collection"}),
]


def unkeyed(prev: str, seq: int, at: datetime, user: str, action: str, addressee_id, detail) -> str:
    """collection's retired rule: SHA-256 of the previous hash and the entry, no key."""
    body = [prev, seq, at.isoformat(), user, action, addressee_id, detail]
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


async def _old_chain(engine, forged: bool) -> tuple[str, list[dict]]:
    """(head hash, the rows as seeded) of an old chain written as collection's old code did."""
    prev = "0" * 64
    seeded = []
    async with session_factory(engine)() as session, session.begin():
        for seq, (user, action, addressee_id, detail) in enumerate(ROWS, start=1):
            at = datetime(2026, 7, 1, 9, seq, tzinfo=UTC)
            digest = unkeyed(prev, seq, at, user, action, addressee_id, detail)
            if forged and seq == 2:
                detail = {**detail, "amount": 1}  # edited after it was chained
            values = dict(seq=seq, at=at, staff_user=user, action=action, addressee_id=addressee_id)
            await session.execute(insert(OLD).values(**values, detail=detail, prev_hash=prev, hash=digest))
            seeded.append({**values, "detail": detail, "prev_hash": prev, "hash": digest})
            prev = digest
    return prev, seeded


async def _engine(backend: str, request, tmp_path):
    if backend == "sqlite":
        return create_engine(f"sqlite+aiosqlite:///{tmp_path}/carry.db")
    (url,) = await asyncio.to_thread(request.getfixturevalue("pg_databases"), 1)
    return create_engine(url)


def _old_chain_breaks_at(rows: list[dict]) -> int | None:
    prev = "0" * 64
    for r in rows:
        digest = unkeyed(
            prev, r["seq"], r["at"], r["staff_user"], r["action"], r["addressee_id"], r["detail"]
        )
        if (r["prev_hash"], r["hash"]) != (prev, digest):
            return r["seq"]
        prev = r["hash"]
    return None


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("forged", [False, True], ids=["intact", "forged-before"])
async def test_the_old_chain_is_carried_over_keyed(backend, forged, request, tmp_path):
    engine = await _engine(backend, request, tmp_path)
    try:
        migrations = build_spec().migrations
        await upgrade(engine, migrations, "0018")
        old_head, _ = await _old_chain(engine, forged)
        await upgrade(engine, migrations)
        async with session_factory(engine)() as session:
            checked = await AUDIT.verify(session)
            genesis, *carried = await AUDIT.entries(session)
        assert (checked.ok, checked.entries) == (True, 4)
        assert (genesis["operation"], genesis["outcome"]) == (
            "audit.carried-over",
            "broken:2" if forged else "ok",
        )
        assert genesis["detail"]["head"] == old_head and genesis["detail"]["entries"] == 3
        assert genesis["detail"]["first_broken"] == (2 if forged else None)
        assert [
            (e["user_id"], e["operation"], e["addressee_id"], e["outcome"], e["client"]) for e in carried
        ] == [
            ("staff-01", "http.collection:cases.read", "100001", "ok", "10.0.0.1"),
            ("staff-02", "contact.record", "100001", "ok", None),
            ("ops-07", "batches.run", None, "refused:permission_denied", "cli:collection"),
        ]
        assert carried[1]["detail"] == {"contact_id": "c-1", "amount": 1 if forged else 5000}
        assert carried[0]["at"] == datetime(2026, 7, 1, 9, 1, tzinfo=UTC)
        async with session_factory(engine)() as session, session.begin():
            await AUDIT.append(session, user="staff-03", operation="case.view", outcome="ok", detail={})
        async with session_factory(engine)() as session:
            assert (await AUDIT.verify(session)).entries == 5
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("forged", [False, True], ids=["intact", "forged-before"])
async def test_the_downgrade_carries_every_entry_back_onto_the_old_chain(backend, forged, request, tmp_path):
    engine = await _engine(backend, request, tmp_path)
    try:
        migrations = build_spec().migrations
        await upgrade(engine, migrations, "0018")
        _, seeded = await _old_chain(engine, forged)
        await upgrade(engine, migrations)
        async with session_factory(engine)() as session, session.begin():  # written after the upgrade
            await AUDIT.append(session, user="staff-03", operation="http.collection:cases.read",
                               outcome="status:404", client="10.0.0.9", addressee_id="100002")  # fmt: skip
        await downgrade(engine, migrations, "0018")
        async with session_factory(engine)() as session:
            rows = [dict(r) for r in (await session.execute(select(OLD).order_by(OLD.c.seq))).mappings()]
        for row in rows:
            row["at"] = row["at"].replace(tzinfo=UTC) if row["at"].tzinfo is None else row["at"]
        assert _old_chain_breaks_at(rows) is None  # the old code's rule verifies it
        content = ("seq", "at", "staff_user", "action", "addressee_id", "detail")
        assert [{k: r[k] for k in content} for r in rows[:3]] == [{k: r[k] for k in content} for r in seeded]
        if not forged:  # same rows, same rule: the very hashes that were seeded
            assert rows[:3] == seeded
        assert {k: rows[3][k] for k in content[2:]} == {
            "staff_user": "staff-03",
            "action": "http.collection:cases.read",
            "addressee_id": "100002",
            "detail": {"outcome": "status:404", "client": "10.0.0.9"},
        }
        with pytest.raises(DBAPIError, match="append-only"):  # 0016's triggers are back
            async with session_factory(engine)() as session, session.begin():
                await session.execute(update(OLD).values(staff_user="x"))
        await upgrade(engine, migrations)  # and up again: carried over once more, keyed
        async with session_factory(engine)() as session:
            checked = await AUDIT.verify(session)
        assert (checked.ok, checked.entries) == (True, 5)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_rewritten_keyed_chain_is_not_carried_back(backend, request, tmp_path):
    engine = await _engine(backend, request, tmp_path)
    try:
        migrations = build_spec().migrations
        await upgrade(engine, migrations, "0018")
        await _old_chain(engine, False)
        await upgrade(engine, migrations, "0019")  # the carry-over itself (later revisions are not its test)
        async with engine.begin() as connection:  # someone with the database but not the key
            for statement in drop_append_only_ddl(engine.dialect.name):
                await connection.execute(text(statement))
            await connection.execute(text("UPDATE audit_log SET outcome = 'ok' WHERE id = 4"))
        with pytest.raises(RuntimeError, match="chain broken at id 4: downgrade refused"):
            await downgrade(engine, migrations, "0018")
        async with engine.connect() as connection:
            version = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
        assert version == "0019"
    finally:
        await engine.dispose()
