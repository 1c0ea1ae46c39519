"""Read-side SQL for the staff screens: the unmatched list searched and paged on the server, one
unmatched receipt, one held item, the receipts of a 通知書番号 and the 収納訂正 list by status.

Reads only (no use case writes through here). Columns are ids, codes, amounts and dates: the raw
record of a file (which may carry a payer's name) is never selected.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from osame_receipts.adapters import orm

r = orm.receipts.c
c = orm.receipt_corrections.c
LIVE = ("final", "preliminary")
RECEIPT_COLUMNS = (
    r.receipt_id,
    r.channel,
    r.channel_key,
    r.notice_number,
    r.installment_no,
    r.amount,
    r.applied,
    r.overpaid,
    r.paid_on,
    r.booked_on,
    r.state,
    r.matched,
    r.reversed_on,
    r.batch_id,
)
CORRECTION_STATUSES = ("pending", "approved", "rejected")


@dataclass(frozen=True)
class UnmatchedSearch:
    """未消込 search: every given term must match (ids, a channel code and 領収日 bounds)."""

    notice_number: str | None = None
    channel: str | None = None
    batch_id: str | None = None
    paid_from: dt.date | None = None
    paid_to: dt.date | None = None


async def _paged(session: AsyncSession, query: Select, limit: int, offset: int) -> tuple[int, list[dict]]:
    total = (
        await session.execute(select(func.count()).select_from(query.order_by(None).subquery()))
    ).scalar_one()
    rows = (await session.execute(query.limit(limit).offset(offset))).mappings().all()
    return total, [dict(x) for x in rows]


def _unmatched() -> Select:
    return select(*RECEIPT_COLUMNS).where(r.matched.is_(False), r.state.in_(LIVE))


async def unmatched(
    session: AsyncSession, search: UnmatchedSearch, *, limit: int, offset: int
) -> tuple[int, list[dict]]:
    """(how many unmatched receipts match, one page of them, oldest first)."""
    query = _unmatched()
    if search.notice_number:
        query = query.where(r.notice_number == search.notice_number)
    if search.channel:
        query = query.where(r.channel == search.channel)
    if search.batch_id:
        query = query.where(r.batch_id == search.batch_id)
    if search.paid_from:
        query = query.where(r.paid_on >= search.paid_from)
    if search.paid_to:
        query = query.where(r.paid_on <= search.paid_to)
    return await _paged(session, query.order_by(r.recorded_at, r.receipt_id), limit, offset)


async def unmatched_one(session: AsyncSession, receipt_id: str) -> dict | None:
    row = (await session.execute(_unmatched().where(r.receipt_id == receipt_id))).mappings().first()
    return dict(row) if row is not None else None


async def suspense_one(session: AsyncSession, suspense_id: str) -> dict | None:
    s = orm.suspense_items.c
    query = select(orm.suspense_items).where(s.suspense_id == suspense_id)
    row = (await session.execute(query)).mappings().first()
    return dict(row) if row is not None else None


async def receipt(session: AsyncSession, receipt_id: str) -> dict | None:
    row = (
        (await session.execute(select(*RECEIPT_COLUMNS).where(r.receipt_id == receipt_id))).mappings().first()
    )
    return dict(row) if row is not None else None


async def receipts_of_notice(session: AsyncSession, notice_number: str, *, limit: int) -> list[dict]:
    """Every receipt booked on one 通知書番号 (any state), by 期別 then 領収日: where a 収納訂正 starts."""
    query = (
        select(*RECEIPT_COLUMNS)
        .where(r.notice_number == notice_number)
        .order_by(r.installment_no, r.paid_on, r.recorded_at, r.receipt_id)
        .limit(limit)
    )
    return [dict(x) for x in (await session.execute(query)).mappings().all()]


async def corrections(
    session: AsyncSession, status: str | None, *, limit: int, offset: int
) -> tuple[int, list[dict]]:
    """収納訂正 with the receipt each concerns: pending oldest first, decided newest first."""
    query = select(
        c.correction_id,
        c.receipt_id,
        c.kind,
        c.target_notice_number,
        c.target_installment_no,
        c.reason,
        c.status,
        c.proposed_by,
        c.proposed_on,
        c.decided_by,
        c.decided_on,
        c.decision_note,
        c.new_receipt_id,
        r.channel,
        r.notice_number,
        r.installment_no,
        r.amount,
        r.paid_on,
        r.booked_on,
    ).select_from(orm.receipt_corrections.join(orm.receipts, r.receipt_id == c.receipt_id))
    if status:
        query = query.where(c.status == status)
    order = (
        (c.recorded_at, c.correction_id) if status == "pending" else (c.recorded_at.desc(), c.correction_id)
    )
    return await _paged(session, query.order_by(*order), limit, offset)
