"""Inbox: a consumer records `(consumer, message_id)` in the same transaction as its effect."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from osame_chassis.messaging.tables import inbox


def _insert(session: AsyncSession):
    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert


async def claim(session: AsyncSession, consumer: str, message_id: str) -> bool:
    """True when this message is new for `consumer`; False for a duplicate delivery."""
    insert = _insert(session)
    stmt = (
        insert(inbox)
        .values(consumer=consumer, message_id=message_id, processed_at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["consumer", "message_id"])
    )
    result = await session.execute(stmt)
    return result.rowcount == 1


async def claim_all(session: AsyncSession, consumer: str, message_ids: list[str]) -> set[str]:
    """The ids among `message_ids` that are new for `consumer`, claimed in one statement (an id
    listed twice is claimed once; the caller applies it once)."""
    now = datetime.now(UTC)
    rows = [dict(consumer=consumer, message_id=m, processed_at=now) for m in dict.fromkeys(message_ids)]
    stmt = (
        _insert(session)(inbox)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["consumer", "message_id"])
        .returning(inbox.c.message_id)
    )
    return set((await session.execute(stmt)).scalars())
