"""SQL of 財産調査 answers (service_layer.inquiries)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from osame_collection.adapters import orm

A = orm.inquiry_answers


async def answer(session: AsyncSession, answer_id: str) -> dict | None:
    row = (await session.execute(select(A).where(A.c.answer_id == answer_id))).mappings().first()
    return dict(row) if row else None


async def answers_of(session: AsyncSession, addressee_id: str) -> list[dict]:
    """For the case view: the property and the match — never the holder's data."""
    query = (
        select(A.c.answer_id, A.c.query_id, A.c.kind, A.c.answered_on, A.c.property, A.c.match)
        .where(A.c.addressee_id == addressee_id)
        .order_by(A.c.answered_on, A.c.answer_id)
    )
    return [
        {**dict(r), "answered_on": r["answered_on"].isoformat()}
        for r in (await session.execute(query)).mappings()
    ]
