"""Gateway persistence (SQLAlchemy Core)."""

from __future__ import annotations

from osame_chassis.db import count_rows
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from osame_gateway.adapters import orm


class GatewayRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def permitted(self) -> list[tuple[str, str]]:
        rows = await self.session.execute(
            select(orm.permitted_queries.c.affair, orm.permitted_queries.c.item)
        )
        return [(r.affair, r.item) for r in rows]

    async def record(self, **values) -> None:
        await self.session.execute(insert(orm.query_records).values(**values))


async def stats(session: AsyncSession) -> dict[str, int]:
    return await count_rows(
        session, {"permitted_queries": orm.permitted_queries, "query_records": orm.query_records}
    )
