"""Refunds persistence (SQLAlchemy Core)."""

from __future__ import annotations

from osame_chassis.db import count_rows
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from osame_refunds.adapters import orm


class RefundsRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def has_overpayment(self, overpayment_id: str) -> bool:
        query = select(orm.overpayments.c.overpayment_id).where(
            orm.overpayments.c.overpayment_id == overpayment_id
        )
        return (await self.session.execute(query)).first() is not None

    async def add_overpayment(self, **values) -> None:
        await self.session.execute(insert(orm.overpayments).values(**values))


async def stats(session: AsyncSession) -> dict[str, int]:
    out = await count_rows(session, {"overpayments": orm.overpayments})
    held = select(func.coalesce(func.sum(orm.overpayments.c.amount), 0)).where(
        orm.overpayments.c.status == "held"
    )
    out["held_yen"] = (await session.execute(held)).scalar_one()
    return out
