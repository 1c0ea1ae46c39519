"""SQL of the 充当 order rows (``service_layer.law_orders``): read all, add one (never rewritten)."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from osame_receipts.adapters import orm

T = orm.law_appropriation_orders


async def rows(session: AsyncSession) -> list[dict]:
    query = select(T).order_by(T.c.effective_from, T.c.loaded_at)
    return [dict(r) for r in (await session.execute(query)).mappings()]


async def add(session: AsyncSession, values: dict) -> None:
    await session.execute(insert(T).values(**values))
