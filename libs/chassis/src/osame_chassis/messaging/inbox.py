"""Inbox: a consumer records `(consumer, message_id)` in the same transaction as its effect."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from osame_chassis.messaging.tables import inbox


async def claim(session: AsyncSession, consumer: str, message_id: str) -> bool:
    """True when this message is new for `consumer`; False for a duplicate delivery."""
    dialect = session.bind.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(inbox)
        .values(consumer=consumer, message_id=message_id, processed_at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["consumer", "message_id"])
    )
    result = await session.execute(stmt)
    return result.rowcount == 1
