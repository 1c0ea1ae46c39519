"""The 訂正・利用停止 register's SQL (domain.data_requests has the rules)."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from osame_address_sync.adapters import orm

T = orm.data_requests


class DataRequests:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def add(self, row: dict) -> None:
        await self.session.execute(insert(T).values(**row))

    async def get(self, request_id: str, *, for_update: bool = False) -> dict | None:
        query = select(T).where(T.c.request_id == request_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return dict(row) if row else None

    async def update(self, request_id: str, values: dict) -> None:
        await self.session.execute(update(T).where(T.c.request_id == request_id).values(**values))

    async def of_addressee(self, addressee_id: str) -> list[dict]:
        query = select(T).where(T.c.addressee_id == addressee_id).order_by(T.c.received_on, T.c.recorded_at)
        return [dict(r) for r in (await self.session.execute(query)).mappings()]
