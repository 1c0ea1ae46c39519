"""Audit trail use: every staff action and every data access through the API is recorded."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from osame_collection.adapters import audit_log
from osame_collection.domain.audit import verify_chain


async def record(
    session: AsyncSession, staff_user: str, action: str, addressee_id: str | None, detail: dict
) -> int:
    return await audit_log.append(session, staff_user, action, addressee_id, detail)


async def trail(session: AsyncSession, addressee_id: str | None = None) -> list[dict]:
    return await audit_log.entries(session, addressee_id)


async def verify(session: AsyncSession) -> int | None:
    """The seq of the first broken entry, or None when the whole chain is intact."""
    return verify_chain(await audit_log.entries(session))
