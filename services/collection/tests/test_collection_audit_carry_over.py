"""Migration 0019 carries collection's old, unkeyed audit chain onto the chassis chain (issue 13):
a genesis entry records the old chain's length, head and where it was already broken; every old
entry follows with its content (an HTTP entry's outcome and client in their own columns), keyed;
the new chain verifies and goes on. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime

import pytest
from osame_chassis.db import create_engine, session_factory
from osame_chassis.migrations import upgrade
from osame_collection.adapters.orm import AUDIT
from osame_collection.bootstrap import build_spec
from sqlalchemy import JSON, DateTime, column, insert, table

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


async def _old_chain(engine, forged: bool) -> str:
    prev = "0" * 64
    async with session_factory(engine)() as session, session.begin():
        for seq, (user, action, addressee_id, detail) in enumerate(ROWS, start=1):
            at = datetime(2026, 7, 1, 9, seq, tzinfo=UTC)
            digest = unkeyed(prev, seq, at, user, action, addressee_id, detail)
            if forged and seq == 2:
                detail = {**detail, "amount": 1}  # edited after it was chained
            values = dict(seq=seq, at=at, staff_user=user, action=action, addressee_id=addressee_id)
            await session.execute(insert(OLD).values(**values, detail=detail, prev_hash=prev, hash=digest))
            prev = digest
    return prev


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("forged", [False, True], ids=["intact", "forged-before"])
async def test_the_old_chain_is_carried_over_keyed(backend, forged, request, tmp_path):
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/carry.db"
    else:
        (url,) = await asyncio.to_thread(request.getfixturevalue("pg_databases"), 1)
    engine = create_engine(url)
    try:
        migrations = build_spec().migrations
        await upgrade(engine, migrations, "0018")
        old_head = await _old_chain(engine, forged)
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
