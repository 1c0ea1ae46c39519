"""What collection takes from refunds and the gateway: 充当 holds and 財産調査 income answers."""

from __future__ import annotations

from datetime import UTC, datetime

from osame_chassis.errors import PermanentError
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import gateway, refunds
from sqlalchemy import select, update

from osame_collection.adapters import orm
from osame_collection.service_layer import merges
from osame_collection.service_layer.holds import DemandHold, set_hold

APPROPRIATION_PENDING = "appropriation_pending"


def _installments(items) -> list[tuple[str, int]]:
    return sorted({(i.notice_number, i.installment_no) for i in items})


async def _mark(uow: UnitOfWork, appropriation_id: str, settled: bool) -> bool | None:
    """Record what was seen of a 充当; returns whether it had already been settled (None: first sight)."""
    t = orm.appropriation_marks
    held = (
        await uow.session.execute(select(t.c.settled).where(t.c.appropriation_id == appropriation_id))
    ).first()
    if held is None:
        await uow.session.execute(t.insert().values(appropriation_id=appropriation_id, settled=settled))
        return None
    if settled and not held.settled:
        await uow.session.execute(
            update(t).where(t.c.appropriation_id == appropriation_id).values(settled=True)
        )
    return held.settled


async def hold_for_appropriation(event: refunds.AppropriationDecided, uow: UnitOfWork) -> None:
    """A 充当 is pending for these installments: no 督促 until it is applied or refused (行き違い)."""
    if await _mark(uow, event.appropriation_id, settled=False):
        return  # its outcome arrived first: nothing is pending any more
    for notice_number, installment_no in _installments(event.items):
        await set_hold(
            DemandHold(
                notice_number=notice_number, installment_no=installment_no, reason=APPROPRIATION_PENDING
            ),
            uow,
        )


async def release_after_appropriation(event: refunds.AppropriationSettled, uow: UnitOfWork) -> None:
    await _mark(uow, event.appropriation_id, settled=True)
    for notice_number, installment_no in _installments(event.items):
        await set_hold(
            DemandHold(
                notice_number=notice_number,
                installment_no=installment_no,
                reason=APPROPRIATION_PENDING,
                release=True,
            ),
            uow,
        )


async def require_own_query(uow: UnitOfWork, query_id: str, addressee_id: str) -> str:
    """An answer is accepted only for an income query this service made, about the addressee it
    asked for (or the survivor that addressee was merged into); returns the query's status."""
    t = orm.asset_inquiries
    row = (
        await uow.session.execute(
            select(t.c.status, t.c.addressee_id, t.c.kind).where(t.c.query_id == query_id)
        )
    ).first()
    if row is None or row.kind != "income":
        raise PermanentError("answer to an income query this service did not make")
    filed = await merges.current_all(uow, {addressee_id, row.addressee_id})
    if filed[addressee_id] != filed[row.addressee_id]:
        raise PermanentError("answer names another addressee than its income query")
    return row.status


async def record_income_answer(event: gateway.IncomeQueryAnswered, uow: UnitOfWork) -> None:
    """財産調査: store the income figures the gateway obtained on the inquiry (once)."""
    if await require_own_query(uow, event.query_id, event.addressee_id) in {"answered", "refused"}:
        return
    detail = {
        "fiscal_year": event.fiscal_year,
        "certificate_id": event.certificate_id,
        "provider": event.provider,
        "answered_at": event.answered_at.isoformat(),
        "income": event.income.model_dump() if event.income is not None else None,
    }
    values = {"status": "answered", "reason": None, "detail": detail, "updated_at": datetime.now(UTC)}
    t = orm.asset_inquiries
    await uow.session.execute(update(t).where(t.c.query_id == event.query_id).values(**values))
