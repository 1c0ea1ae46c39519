"""SQL of 徴収猶予 / 換価の猶予 (service_layer.postponements): the application with its 期別, the
decision's changes, the 分割 schedule."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from osame_collection.adapters import orm

PO, PI, PP = orm.postponements, orm.postponement_items, orm.postponement_payments


async def insert_application(session: AsyncSession, values: dict, keys: list[tuple[str, int]]) -> None:
    await session.execute(insert(PO).values(**values))
    await session.execute(
        insert(PI),
        [
            {"postponement_id": values["postponement_id"], "notice_number": n, "installment_no": i}
            for n, i in keys
        ],
    )


async def load(session: AsyncSession, postponement_id: str) -> tuple[dict | None, list[tuple[str, int]]]:
    row = (
        (await session.execute(select(PO).where(PO.c.postponement_id == postponement_id))).mappings().first()
    )
    if row is None:
        return None, []
    query = select(PI.c.notice_number, PI.c.installment_no).where(PI.c.postponement_id == postponement_id)
    return dict(row), [(n, i) for n, i in (await session.execute(query)).all()]


async def change(session: AsyncSession, postponement_id: str, **values) -> None:
    await session.execute(update(PO).where(PO.c.postponement_id == postponement_id).values(**values))


async def insert_schedule(
    session: AsyncSession, postponement_id: str, schedule: list[tuple[date, int]]
) -> None:
    if schedule:
        await session.execute(
            insert(PP),
            [
                {"postponement_id": postponement_id, "seq": n, "due_on": d, "amount": a}
                for n, (d, a) in enumerate(schedule, 1)
            ],
        )
