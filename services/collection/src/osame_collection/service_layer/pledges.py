"""分納誓約 (installment pledges) and 履行監視 (fulfilment monitoring)."""

from __future__ import annotations

import uuid
from datetime import date

from osame_chassis.errors import PermanentError
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import collection as contract
from pydantic import BaseModel, Field
from sqlalchemy import func, insert, select, update

from osame_collection.adapters import orm
from osame_collection.adapters.repository import CollectionRepository, event_id
from osame_collection.domain.pledge import ScheduledPayment, first_breach, is_completed, validate_schedule
from osame_collection.service_layer import audit
from osame_collection.service_layer.policy import DEFAULT_POLICY, CollectionPolicy

P = orm.pledges
PP = orm.pledge_payments
R = orm.receipts


class PledgePayment(BaseModel):
    due_on: date
    amount: int = Field(gt=0)


class RecordPledge(BaseModel):
    addressee_id: str = Field(pattern=r"^[0-9]{1,15}$")
    signed_on: date
    schedule: list[PledgePayment] = Field(min_length=1, max_length=120)
    grace_days: int | None = Field(default=None, ge=0, le=60)
    installments: list[tuple[str, int]] = Field(
        default_factory=list, max_length=500, description="the 期別 it covers (default: every open one)"
    )
    staff_user: str = Field(max_length=64)


async def record_pledge(
    command: RecordPledge, uow: UnitOfWork, *, policy: CollectionPolicy = DEFAULT_POLICY
) -> str:
    """Register a signed 分納誓約 for the 期別 it names (default: every open one): a 承認 that
    restarts the 時効 of each of them; campaigns leave them to 履行監視, a breach 催告 names them."""
    policy.check_typed("signed_on", command.signed_on)
    schedule = [ScheduledPayment(p.due_on, p.amount) for p in command.schedule]
    try:
        validate_schedule(schedule, command.signed_on)
    except ValueError as exc:
        raise PermanentError(str(exc)) from exc
    repo = CollectionRepository(uow.session)
    open_items = await repo.open_installments(command.addressee_id)
    if not open_items:
        raise PermanentError("the addressee has no unpaid installment to pledge")
    if command.installments:
        named = set(dict.fromkeys(tuple(k) for k in command.installments))
        if not named <= {(i["notice_number"], i["installment_no"]) for i in open_items}:
            raise PermanentError("installments:not_owed_by_addressee")
        open_items = [i for i in open_items if (i["notice_number"], i["installment_no"]) in named]
    pledge_id = str(uuid.uuid4())
    grace = policy.pledge_grace_days if command.grace_days is None else command.grace_days
    await uow.session.execute(
        insert(P).values(
            pledge_id=pledge_id,
            addressee_id=command.addressee_id,
            signed_on=command.signed_on,
            grace_days=grace,
            status="active",
            staff_user=command.staff_user,
        )
    )
    await uow.session.execute(
        insert(PP),
        [
            {"pledge_id": pledge_id, "seq": n, "due_on": p.due_on, "amount": p.amount}
            for n, p in enumerate(schedule, 1)
        ],
    )
    await uow.session.execute(
        insert(orm.pledge_items),
        [
            {
                "pledge_id": pledge_id,
                "notice_number": i["notice_number"],
                "installment_no": i["installment_no"],
            }
            for i in open_items
        ],
    )
    for item in open_items:
        key = (item["notice_number"], item["installment_no"])
        await repo.add_limitation_event(
            event_id("acknowledgement", pledge_id, key), key, "acknowledgement", command.signed_on, pledge_id
        )
    await audit.record(
        uow.session,
        command.staff_user,
        "pledge.record",
        command.addressee_id,
        {"pledge_id": pledge_id, "payments": len(schedule), "total": sum(p.amount for p in schedule)},
    )
    return pledge_id


async def covered_installments(session, pledge_id: str) -> set[tuple[str, int]] | None:
    """The 期別 a pledge covers (None: signed before pledges named theirs — every one)."""
    PLI = orm.pledge_items
    query = select(PLI.c.notice_number, PLI.c.installment_no).where(PLI.c.pledge_id == pledge_id)
    return {(n, i) for n, i in (await session.execute(query)).all()} or None


async def _paid_since(uow: UnitOfWork, addressee_id: str, since: date, through: date) -> int:
    query = select(func.coalesce(func.sum(R.c.applied), 0)).where(
        R.c.addressee_id == addressee_id,
        R.c.preliminary.is_(False),
        R.c.cancelled.is_(False),
        R.c.paid_on >= since,
        R.c.paid_on <= through,
    )
    return int((await uow.session.execute(query)).scalar_one())


async def monitor(uow: UnitOfWork, as_of: date, policy: CollectionPolicy = DEFAULT_POLICY) -> int:
    """履行監視: mark missed pledges breached and raise PledgeBreached (collection sends the 催告)."""
    policy.check_typed("as_of", as_of)
    active = [
        dict(r) for r in (await uow.session.execute(select(P).where(P.c.status == "active"))).mappings()
    ]
    breached = 0
    for pledge in active:
        rows = (
            await uow.session.execute(
                select(PP.c.due_on, PP.c.amount)
                .where(PP.c.pledge_id == pledge["pledge_id"])
                .order_by(PP.c.seq)
            )
        ).all()
        schedule = [ScheduledPayment(d, a) for d, a in rows]
        paid: dict[date, int] = {}

        async def paid_total_on(day: date, pledge=pledge, paid=paid) -> int:
            if day not in paid:
                paid[day] = await _paid_since(uow, pledge["addressee_id"], pledge["signed_on"], day)
            return paid[day]

        # first_breach is pure: pre-compute the totals it may ask for.
        for payment in schedule:
            await paid_total_on(date.fromordinal(payment.due_on.toordinal() + pledge["grace_days"]))
        breach = first_breach(schedule, lambda day, paid=paid: paid[day], as_of, pledge["grace_days"])
        if breach is None:
            if is_completed(schedule, await paid_total_on(as_of)):
                await uow.session.execute(
                    update(P).where(P.c.pledge_id == pledge["pledge_id"]).values(status="completed")
                )
            continue
        breached += 1
        await uow.session.execute(
            update(P).where(P.c.pledge_id == pledge["pledge_id"]).values(status="breached", breached_on=as_of)
        )
        await uow.publish(
            contract.PledgeBreached(
                pledge_id=pledge["pledge_id"],
                addressee_id=pledge["addressee_id"],
                missed_due_on=breach.missed_due_on,
                shortfall=breach.shortfall,
                detected_on=as_of,
            )
        )
        await audit.record(
            uow.session,
            "batch",
            "pledge.breached",
            pledge["addressee_id"],
            {
                "pledge_id": pledge["pledge_id"],
                "missed_due_on": breach.missed_due_on,
                "shortfall": breach.shortfall,
            },
        )
    return breached
