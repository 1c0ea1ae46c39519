"""Migration 0006 moves the 個人番号提供記録 (`my_number_releases`, an unkeyed chain of its own) onto
the service's keyed audit chain (issue 13), after the access entries already there: a genesis entry
with the old chain's length, head and first broken seq, then each release as `my-number.release`.
The rate limit and /stats read them there. Its downgrade puts every release back into
`my_number_releases`, chained by the old rule again, and leaves `audit_log` as 0005 had it, its
chain verifying. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from osame_address_sync.adapters.orm import AUDIT
from osame_address_sync.adapters.repository import AddresseeRepository, stats
from osame_address_sync.bootstrap import build_spec
from osame_chassis.audit import AuditLog, audit_log_table
from osame_chassis.db import create_engine, session_factory
from osame_chassis.migrations import downgrade, upgrade
from sqlalchemy import DateTime, MetaData, column, delete, insert, inspect, select, table
from sqlalchemy.exc import DBAPIError

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]
FIELDS = ("requested_at", "caller", "requested_by", "addressee_id", "purpose", "request_ref", "outcome")
RELEASES = table("my_number_releases", *(column(f) for f in FIELDS[1:]), column("seq"), column("prev_hash"),
                 column("hash"), column("requested_at", DateTime(timezone=True)))  # fmt: skip
BEFORE = AuditLog(audit_log_table(MetaData()))  # audit_log as 0005 left it (no detail column)
AT = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=20)


def old_link(prev: str, entry: dict) -> str:
    """address-sync's retired rule: SHA-256 over the previous hash and the sorted entry, no key."""
    shown = {
        k: entry[k].strftime("%Y-%m-%dT%H:%M:%SZ") if k == "requested_at" else str(entry[k]) for k in FIELDS
    }
    return hashlib.sha256((prev + json.dumps(shown, sort_keys=True, ensure_ascii=False)).encode()).hexdigest()


async def _history(engine, forged: bool) -> tuple[str, list[dict]]:
    """(head hash, the release rows as seeded), after one access entry in audit_log."""
    seeded = []
    async with session_factory(engine)() as session, session.begin():
        await BEFORE.append(session, user="staff-01", operation="addressee.search", outcome="ok")
        prev = "0" * 64
        for seq, outcome in enumerate(("released", "purpose_refused", "released"), start=1):
            entry = dict(requested_at=AT + timedelta(seconds=seq), caller="intermediate-server-gw",
                         requested_by="intermediate-server-gw", addressee_id=f"20000{seq}",
                         purpose="linkage_code_acquisition", request_ref=f"q-{seq}", outcome=outcome)  # fmt: skip
            digest = old_link(prev, entry)
            if forged and seq == 3:
                entry["outcome"] = "no_pending_query"  # rewritten after it was chained
            await session.execute(insert(RELEASES).values(**entry, seq=seq, prev_hash=prev, hash=digest))
            seeded.append({**entry, "seq": seq, "prev_hash": prev, "hash": digest})
            prev = digest
    return prev, seeded


async def _engine(backend: str, request, tmp_path):
    if backend == "sqlite":
        return create_engine(f"sqlite+aiosqlite:///{tmp_path}/releases.db")
    (url,) = await asyncio.to_thread(request.getfixturevalue("pg_databases"), 1)
    return create_engine(url)


def _old_chain_breaks_at(rows: list[dict]) -> int | None:
    prev = "0" * 64
    for r in rows:
        if (r["prev_hash"], r["hash"]) != (prev, old_link(prev, r)):
            return r["seq"]
        prev = r["hash"]
    return None


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("forged", [False, True], ids=["intact", "forged-before"])
async def test_releases_join_the_keyed_chain(backend, forged, request, tmp_path):
    engine = await _engine(backend, request, tmp_path)
    try:
        migrations = build_spec().migrations
        await upgrade(engine, migrations, "0005")
        old_head, _ = await _history(engine, forged)
        await upgrade(engine, migrations)
        async with session_factory(engine)() as session:
            checked = await AUDIT.verify(session)
            access, genesis, *releases = await AUDIT.entries(session)
            recent = await AddresseeRepository(session).releases_since("intermediate-server-gw", AT)
            counts = await stats(session)
        assert (checked.ok, checked.entries) == (True, 5)
        assert access["operation"] == "addressee.search"
        assert genesis["operation"] == "audit.carried-over"
        assert genesis["detail"] == {
            "source": "address-sync my_number_releases (unkeyed SHA-256, revisions 0002-0005)",
            "entries": 3,
            "head": old_head,
            "first_broken": 3 if forged else None,
        }
        assert [(r["operation"], r["addressee_id"], r["outcome"]) for r in releases] == [
            ("my-number.release", "200001", "released"),
            ("my-number.release", "200002", "purpose_refused"),
            ("my-number.release", "200003", "no_pending_query" if forged else "released"),
        ]
        assert releases[0]["detail"] == {
            "requested_by": "intermediate-server-gw",
            "purpose": "linkage_code_acquisition",
            "request_ref": "q-1",
        }
        assert recent == (1 if forged else 2) and counts["my_number_releases"] == 3
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("forged", [False, True], ids=["intact", "forged-before"])
async def test_the_downgrade_puts_the_releases_back(backend, forged, request, tmp_path):
    engine = await _engine(backend, request, tmp_path)
    try:
        migrations = build_spec().migrations
        await upgrade(engine, migrations, "0005")
        _, seeded = await _history(engine, forged)
        await upgrade(engine, migrations)
        async with session_factory(engine)() as session, session.begin():  # written after the upgrade
            await AUDIT.append(session, user="staff-02", operation="addressee.read", outcome="ok")
            await AUDIT.append(session, user="intermediate-server-gw", operation="my-number.release",
                               outcome="rate_limited", addressee_id="200004", at=AT + timedelta(seconds=9),
                               detail={"requested_by": "intermediate-server-gw",
                                       "purpose": "linkage_code_acquisition", "request_ref": "q-4"})  # fmt: skip
        await downgrade(engine, migrations, "0005")
        async with session_factory(engine)() as session:
            query = select(RELEASES).order_by(RELEASES.c.seq)
            rows = [dict(r) for r in (await session.execute(query)).mappings()]
            checked = await BEFORE.verify(session)
            left = await BEFORE.entries(session)
        for row in rows:
            row["requested_at"] = row["requested_at"].replace(tzinfo=UTC)
        assert _old_chain_breaks_at(rows) is None  # the old code's rule verifies it
        content = ("seq", *FIELDS)
        assert [{k: r[k] for k in content} for r in rows[:3]] == [{k: r[k] for k in content} for r in seeded]
        if not forged:  # same rows, same rule: the very hashes that were seeded
            assert rows[:3] == seeded
        assert (rows[3]["seq"], rows[3]["request_ref"], rows[3]["outcome"]) == (4, "q-4", "rate_limited")
        assert (checked.ok, checked.entries) == (True, 2)  # re-linked where the releases were
        assert [e["operation"] for e in left] == ["addressee.search", "addressee.read"]

        def columns(connection) -> list[str]:
            return [c["name"] for c in inspect(connection).get_columns("audit_log")]

        async with engine.connect() as connection:
            assert "detail" not in await connection.run_sync(columns)
        with pytest.raises(DBAPIError, match="append-only"):  # 0005's triggers are back
            async with session_factory(engine)() as session, session.begin():
                await session.execute(delete(BEFORE.table))
        await upgrade(engine, migrations)  # and up again: carried over once more, keyed
        async with session_factory(engine)() as session:
            checked = await AUDIT.verify(session)
        assert (checked.ok, checked.entries) == (True, 7)
    finally:
        await engine.dispose()
