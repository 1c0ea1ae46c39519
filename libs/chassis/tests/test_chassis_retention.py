"""Retention of outbox and inbox (issue 13): a dry run counts, the real run deletes exactly what the
dry run counted, and an unpublished outbox row is never deleted, however old."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from osame_chassis import retention
from osame_chassis.db import create_engine, session_factory
from osame_chassis.messaging.tables import inbox, outbox, plumbing_metadata
from osame_chassis.settings import ServiceSettings
from sqlalchemy import func, select

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _outbox(i: int, created: datetime, published: datetime | None) -> dict:
    return {
        "message_id": f"m-{i}",
        "exchange": "osame.events",
        "routing_key": "x.y.z.v1",
        "message_type": "x.y.z.v1",
        "payload": b"{}",
        "headers": {},
        "created_at": created,
        "published_at": published,
        "attempts": 0,
    }


async def test_dry_run_counts_and_the_real_run_deletes_only_expired_rows(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/svc.db")
    async with engine.begin() as conn:
        await conn.run_sync(plumbing_metadata.create_all)
    sessions = session_factory(engine)
    old, recent = NOW - timedelta(days=40), NOW - timedelta(days=2)
    async with sessions() as session, session.begin():
        await session.execute(
            outbox.insert(),
            [
                _outbox(1, old, old),
                _outbox(2, old, None),
                _outbox(3, recent, recent),
                _outbox(4, old, NOW - timedelta(days=8)),
            ],
        )
        await session.execute(
            inbox.insert(),
            [
                {"consumer": "q", "message_id": "a", "processed_at": old},
                {"consumer": "q", "message_id": "b", "processed_at": recent},
            ],
        )
    rules = retention.plumbing_rules(ServiceSettings(telemetry_enabled=False))
    assert [(r.table.name, r.days) for r in rules] == [("outbox", 7), ("inbox", 30)]
    counted = await retention.apply(sessions, rules, dry_run=True, now=NOW)
    assert counted == {"outbox": 2, "inbox": 1}
    async with sessions() as session:
        assert (await session.execute(select(func.count()).select_from(outbox))).scalar_one() == 4
    assert await retention.apply(sessions, rules, dry_run=False, now=NOW) == counted
    async with sessions() as session:
        kept = (await session.execute(select(outbox.c.message_id).order_by(outbox.c.id))).scalars().all()
        assert kept == ["m-2", "m-3"]  # the unpublished one stays, however old
        assert (await session.execute(select(inbox.c.message_id))).scalars().all() == ["b"]
    assert await retention.apply(sessions, rules, dry_run=True, now=NOW) == {"outbox": 0, "inbox": 0}
    await engine.dispose()
