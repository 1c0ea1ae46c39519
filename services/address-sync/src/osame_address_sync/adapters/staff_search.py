"""The 宛名検索 query (by 宛名番号, or by カナ氏名 contained in the name, spaces ignored)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from osame_address_sync.adapters import orm


def _like_fragment(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def find_addressees(
    session: AsyncSession, *, addressee_id: str | None, kana: str | None, limit: int
) -> tuple[list[dict], bool]:
    """(rows, truncated): at most `limit` rows in カナ order."""
    t = orm.addressees
    query = select(t)
    if addressee_id:
        query = query.where(t.c.addressee_id == addressee_id)
    if kana:
        compact = func.replace(func.replace(t.c.name_kana, " ", ""), "\u3000", "")
        query = query.where(compact.like(_like_fragment(kana), escape="\\"))
    query = query.order_by(t.c.name_kana, t.c.addressee_id).limit(limit + 1)
    rows = [dict(r) for r in (await session.execute(query)).mappings()]
    return rows[:limit], len(rows) > limit
