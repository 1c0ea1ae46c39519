"""SQL of 徴収猶予 / 換価の猶予 (service_layer.postponements): the application with its 期別, the
decision's changes, the 分割 schedule."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, insert, select, tuple_, update
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


PB, R = orm.postponement_breaches, orm.receipts


async def monitored(session: AsyncSession) -> list[dict]:
    """Approved 猶予 with a 分割 schedule: the row, its schedule, its 期別 and its breach rows."""
    query = select(PO).where(PO.c.status == "approved").order_by(PO.c.postponement_id)
    rows = [dict(r) for r in (await session.execute(query)).mappings()]
    ids = [r["postponement_id"] for r in rows]
    if not ids:
        return []
    schedules: dict[str, list[tuple[date, int]]] = {}
    for pid, due_on, amount in await session.execute(
        select(PP.c.postponement_id, PP.c.due_on, PP.c.amount)
        .where(PP.c.postponement_id.in_(ids))
        .order_by(PP.c.postponement_id, PP.c.seq)
    ):
        schedules.setdefault(pid, []).append((due_on, amount))
    items: dict[str, list[tuple[str, int]]] = {}
    for pid, n, i in await session.execute(
        select(PI.c.postponement_id, PI.c.notice_number, PI.c.installment_no).where(
            PI.c.postponement_id.in_(ids)
        )
    ):
        items.setdefault(pid, []).append((n, i))
    breaches: dict[str, list[dict]] = {}
    for b in (await session.execute(select(PB).where(PB.c.postponement_id.in_(ids)))).mappings():
        breaches.setdefault(b["postponement_id"], []).append(dict(b))
    return [
        {
            **r,
            "schedule": schedules[r["postponement_id"]],
            "items": items.get(r["postponement_id"], []),
            "breaches": breaches.get(r["postponement_id"], []),
        }
        for r in rows
        if r["postponement_id"] in schedules
    ]


async def paid_for(session: AsyncSession, keys: list[tuple[str, int]], since: date, through: date) -> int:
    """Confirmed money received for the 期別 ``keys`` paid from ``since`` through ``through``."""
    if not keys:
        return 0
    query = select(func.coalesce(func.sum(R.c.applied), 0)).where(
        tuple_(R.c.notice_number, R.c.installment_no).in_(keys),
        R.c.preliminary.is_(False),
        R.c.cancelled.is_(False),
        R.c.paid_on >= since,
        R.c.paid_on <= through,
    )
    return int((await session.execute(query)).scalar_one())


async def insert_breach(session: AsyncSession, values: dict) -> None:
    await session.execute(insert(PB).values(**values))


async def open_breach(session: AsyncSession, postponement_id: str) -> dict | None:
    query = select(PB).where(PB.c.postponement_id == postponement_id, PB.c.decision.is_(None))
    row = (await session.execute(query)).mappings().first()
    return dict(row) if row else None


async def decide_breach(session: AsyncSession, postponement_id: str, missed_due_on: date, **values) -> None:
    await session.execute(
        update(PB)
        .where(PB.c.postponement_id == postponement_id, PB.c.missed_due_on == missed_due_on)
        .values(**values)
    )
