"""SQL of the worklists (service_layer.worklists): ids, keys, days and amounts only — never a name
or an address (the screens open the case by 宛名番号, under the case view's own access rules)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, exists, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from osame_collection.adapters import orm
from osame_collection.domain.projection import OWING

I = orm.installments  # noqa: E741
C, CR, P, PP, D = orm.cases, orm.contact_records, orm.pledges, orm.pledge_payments, orm.dispositions


def _live():
    return and_(I.c.status.in_(OWING), I.c.written_off_on.is_(None))


async def cases_of(session: AsyncSession, assignee: str, offset: int, limit: int) -> tuple[int, list[dict]]:
    """Cases of a 担当 that still owe something: installments owing, earliest 納期限, 本税 unpaid."""
    owing = (
        select(
            I.c.addressee_id,
            func.count().label("installments"),
            func.min(I.c.due_date).label("earliest_due_date"),
            func.sum(I.c.principal_tax - I.c.paid).label("principal_unpaid"),
        )
        .where(_live())
        .group_by(I.c.addressee_id)
        .subquery()
    )
    base = (
        select(C.c.addressee_id, owing.c.installments, owing.c.earliest_due_date, owing.c.principal_unpaid)
        .join(owing, owing.c.addressee_id == C.c.addressee_id)
        .where(C.c.assignee == assignee)
    )
    return await _paged(session, base, (owing.c.earliest_due_date, C.c.addressee_id), offset, limit)


async def next_actions_due(
    session: AsyncSession, on: date, assignee: str | None, offset: int, limit: int
) -> tuple[int, list[dict]]:
    """The latest 折衝記録 of each case whose 次回対応日 is on or before ``on``."""
    later = CR.alias("later")
    newer = exists().where(
        later.c.addressee_id == CR.c.addressee_id,
        (later.c.contacted_on > CR.c.contacted_on)
        | and_(later.c.contacted_on == CR.c.contacted_on, later.c.recorded_at > CR.c.recorded_at),
    )
    base = (
        select(
            CR.c.addressee_id,
            CR.c.contact_id,
            CR.c.contacted_on,
            CR.c.next_action_on,
            CR.c.next_action,
            C.c.assignee,
        )
        .outerjoin(C, C.c.addressee_id == CR.c.addressee_id)
        .where(CR.c.next_action_on.is_not(None), CR.c.next_action_on <= on, not_(newer))
    )
    if assignee is not None:
        base = base.where(C.c.assignee == assignee)
    return await _paged(session, base, (CR.c.next_action_on, CR.c.addressee_id), offset, limit)


async def promises_due(
    session: AsyncSession, through: date, assignee: str | None, offset: int, limit: int
) -> tuple[int, list[dict]]:
    """Scheduled payments of active 分納誓約 due on or before ``through``."""
    base = (
        select(P.c.addressee_id, P.c.pledge_id, PP.c.seq, PP.c.due_on, PP.c.amount, C.c.assignee)
        .join(PP, PP.c.pledge_id == P.c.pledge_id)
        .outerjoin(C, C.c.addressee_id == P.c.addressee_id)
        .where(P.c.status == "active", PP.c.due_on <= through)
    )
    if assignee is not None:
        base = base.where(C.c.assignee == assignee)
    return await _paged(
        session, base, (PP.c.due_on, P.c.addressee_id, P.c.pledge_id, PP.c.seq), offset, limit
    )


async def owing_installments(session: AsyncSession, assignee: str | None) -> list[dict]:
    query = (
        select(
            I.c.addressee_id,
            I.c.notice_number,
            I.c.installment_no,
            I.c.tax_item,
            I.c.fiscal_year,
            I.c.due_date,
        )
        .outerjoin(C, C.c.addressee_id == I.c.addressee_id)
        .where(_live())
    )
    if assignee is not None:
        query = query.where(C.c.assignee == assignee)
    return [dict(r) for r in (await session.execute(query)).mappings()]


async def seizures_pending_conversion(
    session: AsyncSession, assignee: str | None, offset: int, limit: int
) -> tuple[int, list[dict]]:
    """差押 with neither a 解除 nor a 配当 referring to it (換価 pending)."""
    ended = D.alias("ended")
    base = (
        select(
            D.c.addressee_id,
            D.c.disposition_id,
            D.c.property_type,
            D.c.executed_on,
            D.c.amount,
            C.c.assignee,
        )
        .outerjoin(C, C.c.addressee_id == D.c.addressee_id)
        .where(
            D.c.kind == "seizure",
            not_(
                exists().where(
                    ended.c.related_id == D.c.disposition_id, ended.c.kind.in_(("release", "distribution"))
                )
            ),
        )
    )
    if assignee is not None:
        base = base.where(C.c.assignee == assignee)
    return await _paged(session, base, (D.c.executed_on, D.c.disposition_id), offset, limit)


async def pledges_breached(
    session: AsyncSession, assignee: str | None, offset: int, limit: int
) -> tuple[int, list[dict]]:
    base = (
        select(P.c.addressee_id, P.c.pledge_id, P.c.signed_on, P.c.breached_on, C.c.assignee)
        .outerjoin(C, C.c.addressee_id == P.c.addressee_id)
        .where(P.c.status == "breached")
    )
    if assignee is not None:
        base = base.where(C.c.assignee == assignee)
    return await _paged(session, base, (P.c.breached_on, P.c.pledge_id), offset, limit)


async def postponements_breached(
    session: AsyncSession, assignee: str | None, offset: int, limit: int
) -> tuple[int, list[dict]]:
    """猶予 whose missed 分割 amount awaits a 取消し / 継続 decision (法15条の3)."""
    PO, PB = orm.postponements, orm.postponement_breaches
    base = (
        select(
            PO.c.addressee_id,
            PO.c.postponement_id,
            PO.c.kind,
            PB.c.missed_due_on,
            PB.c.shortfall,
            PB.c.detected_on,
            C.c.assignee,
        )
        .join(PO, PO.c.postponement_id == PB.c.postponement_id)
        .outerjoin(C, C.c.addressee_id == PO.c.addressee_id)
        .where(PB.c.decision.is_(None), PO.c.status == "approved")
    )
    if assignee is not None:
        base = base.where(C.c.assignee == assignee)
    return await _paged(session, base, (PB.c.detected_on, PO.c.postponement_id), offset, limit)


async def _paged(session: AsyncSession, base, order, offset: int, limit: int) -> tuple[int, list[dict]]:
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = await session.execute(base.order_by(*order).offset(offset).limit(limit))
    return total, [dict(r) for r in rows.mappings()]
