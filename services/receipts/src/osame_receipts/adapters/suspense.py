"""Persistence of the suspense list (保留 / 未確認入金): `suspense_items`."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from osame_receipts.adapters import orm

s = orm.suspense_items.c


class SuspenseRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def add(self, rows: list[dict]) -> None:
        if rows:
            now = datetime.now(UTC)
            await self.session.execute(
                insert(orm.suspense_items), [{"status": "held", "recorded_at": now, **r} for r in rows]
            )

    async def known_sources(self, channel: str, keys: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(keys), 5_000):
            query = select(s.source_key).where(
                s.channel == channel, s.source_key.in_(keys[start : start + 5_000])
            )
            found.update((await self.session.execute(query)).scalars())
        return found

    async def get(self, suspense_id: str, *, lock: bool = False) -> dict | None:
        query = select(orm.suspense_items).where(s.suspense_id == suspense_id)
        if lock:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return dict(row) if row is not None else None

    async def search(
        self,
        *,
        status: str | None = "held",
        channel: str | None = None,
        batch_id: str | None = None,
        notice_number: str | None = None,
        paid_from: dt.date | None = None,
        paid_to: dt.date | None = None,
        limit: int = 500,
    ) -> list[dict]:
        query = select(orm.suspense_items)
        if status:
            query = query.where(s.status == status)
        if channel:
            query = query.where(s.channel == channel)
        if batch_id:
            query = query.where(s.batch_id == batch_id)
        if notice_number:
            query = query.where(s.notice_number == notice_number)
        if paid_from:
            query = query.where(or_(s.paid_on.is_(None), s.paid_on >= paid_from))
        if paid_to:
            query = query.where(or_(s.paid_on.is_(None), s.paid_on <= paid_to))
        query = query.order_by(s.recorded_at, s.batch_id, s.record_no).limit(limit)
        return [dict(r) for r in (await self.session.execute(query)).mappings().all()]

    async def close(self, suspense_id: str, **values) -> None:
        await self.session.execute(
            update(orm.suspense_items).where(s.suspense_id == suspense_id).values(**values)
        )

    async def held_yen(self) -> int:
        query = select(func.coalesce(func.sum(s.amount), 0)).where(s.status == "held")
        return (await self.session.execute(query)).scalar_one()
