"""What collection takes from refunds' 還付 events (rules in domain/refund_watch.py).

- `refunds.refund.decided.v1` → the refund is recorded and cross-checked against collection's
  projection: 本税 still owed and payable on the decision day raises an alert (audit entry
  `refund.unappropriated_debt`, `unpaid_total` in the view) — a 充当 was probably missed (法17条の2①).
- `refunds.refund.failed.v1` → a 折衝 task to contact the taxpayer (`refund.contact_task.open`).
- `refunds.refund.paid.v1` → the refund is marked paid and its open tasks are resolved.

Each handler tolerates duplicates and any arrival order between the three queues.
"""

from __future__ import annotations

import datetime as dt
import logging
from datetime import UTC, datetime

from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import refunds
from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from osame_collection.adapters import orm
from osame_collection.adapters.repository import CollectionRepository
from osame_collection.domain.refund_watch import (
    APPROPRIATION_PENDING,
    TaskStatus,
    WatchedInstallment,
    missed_appropriations,
    refund_status,
    task_status_on_failure,
)
from osame_collection.service_layer import audit

log = logging.getLogger("osame.collection.refund_watch")

W = orm.refund_watch
T = orm.refund_contact_tasks
SYSTEM = "system"


async def _watched(session: AsyncSession, refund_id: str) -> dict | None:
    row = (await session.execute(select(W).where(W.c.refund_id == refund_id).with_for_update())).mappings()
    first = row.first()
    return dict(first) if first is not None else None


async def _ensure(session: AsyncSession, refund_id: str, addressee_id: str) -> dict:
    held = await _watched(session, refund_id)
    if held is None:
        await session.execute(insert(W).values(refund_id=refund_id, addressee_id=addressee_id))
        held = await _watched(session, refund_id)
    return held


async def _installments(session: AsyncSession, addressee_id: str) -> list[WatchedInstallment]:
    rows = await CollectionRepository(session).installments_of(addressee_id)
    keys = [(r["notice_number"], r["installment_no"]) for r in rows]
    pending: set[tuple[str, int]] = set()
    if keys:
        H = orm.demand_holds
        query = select(H.c.notice_number, H.c.installment_no).where(
            H.c.reason == APPROPRIATION_PENDING, tuple_(H.c.notice_number, H.c.installment_no).in_(keys)
        )
        pending = {(n, i) for n, i in (await session.execute(query)).all()}
    return [
        WatchedInstallment(
            notice_number=r["notice_number"],
            installment_no=r["installment_no"],
            due_date=r["due_date"],
            principal_tax=r["principal_tax"],
            paid=r["paid"],
            written_off=r["written_off_on"] is not None,
            appropriation_pending=(r["notice_number"], r["installment_no"]) in pending,
        )
        for r in rows
    ]


async def check_refund_decided(event: refunds.RefundDecided, uow: UnitOfWork) -> None:
    """Record the 還付 decision and cross-check it once: was 本税 owed and payable on `decided_on`?"""
    session = uow.session
    held = await _ensure(session, event.refund_id, event.addressee_id)
    if held["checked_at"] is not None:
        return  # already checked (a redelivery under another message id)
    missed = missed_appropriations(event.decided_on, await _installments(session, event.addressee_id))
    lines = [
        {
            "notice_number": m.notice_number,
            "installment_no": m.installment_no,
            "due_date": m.due_date.isoformat(),
            "unpaid": m.unpaid,
        }
        for m in missed
    ]
    unpaid_total = sum(m.unpaid for m in missed)
    await session.execute(
        update(W)
        .where(W.c.refund_id == event.refund_id)
        .values(
            overpayment_id=event.overpayment_id,
            amount=event.amount,
            refund_interest=event.refund_interest,
            decided_on=event.decided_on,
            unpaid_total=unpaid_total,
            unpaid_at_decision=lines,
            checked_at=datetime.now(UTC),
        )
    )
    if missed:
        log.warning("refund decided while tax was owed", extra={"count": len(missed)})
        await audit.record(
            session,
            SYSTEM,
            "refund.unappropriated_debt",
            event.addressee_id,
            {
                "refund_id": event.refund_id,
                "decided_on": event.decided_on,
                "amount": event.amount,
                "unpaid_total": unpaid_total,
                "installments": [[m.notice_number, m.installment_no] for m in missed],
            },
        )


async def open_contact_task(event: refunds.RefundFailed, uow: UnitOfWork) -> None:
    """振込不能: a 折衝 task to ask the taxpayer for a new account (resolved at once if already paid)."""
    session = uow.session
    held = await _ensure(session, event.refund_id, event.addressee_id)
    last = held["last_failed_on"]
    if last is None or event.failed_on > last:
        await session.execute(
            update(W).where(W.c.refund_id == event.refund_id).values(last_failed_on=event.failed_on)
        )
    key = (T.c.refund_id == event.refund_id, T.c.failed_on == event.failed_on)
    if (await session.execute(select(T.c.status).where(*key))).first() is not None:
        return
    status = task_status_on_failure(held["paid_on"])
    await session.execute(
        insert(T).values(
            refund_id=event.refund_id,
            failed_on=event.failed_on,
            addressee_id=event.addressee_id,
            reason=event.reason,
            status=status,
            opened_at=datetime.now(UTC),
            resolved_on=held["paid_on"] if status == TaskStatus.RESOLVED else None,
        )
    )
    await audit.record(
        session,
        SYSTEM,
        "refund.contact_task.open" if status == TaskStatus.OPEN else "refund.contact_task.resolved",
        event.addressee_id,
        {"refund_id": event.refund_id, "failed_on": event.failed_on, "reason": event.reason},
    )


async def close_after_payment(event: refunds.RefundPaid, uow: UnitOfWork) -> None:
    """The refund was paid: record it and resolve its open 折衝 tasks."""
    session = uow.session
    held = await _ensure(session, event.refund_id, event.addressee_id)
    if held["paid_on"] is None:
        values = {"paid_on": event.paid_on}
        if held["amount"] is None:  # the decision has not been seen yet
            values.update(amount=event.amount, refund_interest=event.refund_interest)
        await session.execute(update(W).where(W.c.refund_id == event.refund_id).values(**values))
    open_tasks = (
        await session.execute(
            select(T.c.failed_on).where(T.c.refund_id == event.refund_id, T.c.status == TaskStatus.OPEN)
        )
    ).all()
    if not open_tasks:
        return
    await session.execute(
        update(T)
        .where(T.c.refund_id == event.refund_id, T.c.status == TaskStatus.OPEN)
        .values(status=TaskStatus.RESOLVED, resolved_on=event.paid_on)
    )
    await audit.record(
        session,
        SYSTEM,
        "refund.contact_task.resolved",
        event.addressee_id,
        {"refund_id": event.refund_id, "paid_on": event.paid_on, "tasks": len(open_tasks)},
    )


async def case_view(session: AsyncSession, addressee_id: str) -> dict:
    """The refunds part of the delinquency view: each refund with its status and 充当 cross-check,
    and the 折衝 tasks from returned transfers."""
    refunds_rows = (
        await session.execute(
            select(W).where(W.c.addressee_id == addressee_id).order_by(W.c.decided_on, W.c.refund_id)
        )
    ).mappings()
    tasks = (
        await session.execute(
            select(T).where(T.c.addressee_id == addressee_id).order_by(T.c.failed_on, T.c.refund_id)
        )
    ).mappings()
    return {
        "refunds": [
            {
                **_jsonable(dict(r)),
                "status": refund_status(r["paid_on"], r["last_failed_on"]),
                "unappropriated_debt_alert": bool(r["unpaid_total"]),
            }
            for r in refunds_rows
        ],
        "refund_contact_tasks": [_jsonable(dict(t)) for t in tasks],
    }


def _jsonable(row: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, (dt.date, datetime)) else v) for k, v in row.items()}
