"""Address-sync persistence (SQLAlchemy Core)."""

from __future__ import annotations

from osame_chassis.db import count_rows
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from osame_address_sync.adapters import orm


class AddresseeRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def version(self, addressee_id: str) -> int | None:
        query = select(orm.addressees.c.version).where(orm.addressees.c.addressee_id == addressee_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def save(self, values: dict, *, new: bool) -> None:
        if new:
            await self.session.execute(insert(orm.addressees).values(**values))
        else:
            await self.session.execute(
                update(orm.addressees)
                .where(orm.addressees.c.addressee_id == values["addressee_id"])
                .values(**values)
            )


async def stats(session: AsyncSession) -> dict[str, int]:
    return await count_rows(session, {"addressees": orm.addressees})
