"""執行停止 (its three grounds, 延滞金 exemption, 3-year and immediate extinction, cancellation) and the
不納欠損 run that writes off what stays, extinction or limitation have ended."""

from __future__ import annotations

import uuid
from datetime import date

from osame_chassis.errors import PermanentError
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import collection as contract
from osame_law import LawError
from pydantic import BaseModel, Field
from sqlalchemy import insert, select, update

from osame_collection.adapters import orm
from osame_collection.adapters.repository import CollectionRepository
from osame_collection.domain.late_fee import accrued_late_fee
from osame_collection.domain.stay import Stay, StayGround
from osame_collection.domain.write_off import extinction
from osame_collection.service_layer import audit
from osame_collection.service_layer.cases import AddresseeId, NotFound, Staff, _require_case, limitation_of
from osame_collection.service_layer.policy import DEFAULT_POLICY, CollectionPolicy
from osame_collection.service_layer.publishing import publish_bulk


class RecordStay(BaseModel):
    addressee_id: str = AddresseeId
    ground: StayGround
    decided_on: date
    immediate_extinction: bool = False
    installments: list[tuple[str, int]] = Field(default_factory=list, description="default: every open one")
    staff_user: str = Staff


async def stay_in_force(uow: UnitOfWork, addressee_id: str, on: date) -> bool:
    S = orm.enforcement_stays
    rows = (
        await uow.session.execute(
            select(S.c.decided_on, S.c.cancelled_on).where(S.c.addressee_id == addressee_id)
        )
    ).all()
    return any(d <= on and (c is None or c > on) for d, c in rows)


async def record_stay(
    command: RecordStay, uow: UnitOfWork, *, policy: CollectionPolicy = DEFAULT_POLICY
) -> str:
    """執行停止: 延滞金 exempt from the decision day (F2); the debt is extinguished after 3 years, or
    at once (即時消滅) under ground no_property."""
    await _require_case(uow, command.addressee_id)
    try:
        Stay(command.ground, command.decided_on, None, command.immediate_extinction)
    except ValueError as exc:
        raise PermanentError("immediate_extinction_needs_no_property") from exc
    repo = CollectionRepository(uow.session)
    keys = [tuple(k) for k in command.installments] or [
        (i["notice_number"], i["installment_no"]) for i in await repo.open_installments(command.addressee_id)
    ]
    if not keys:
        raise PermanentError("nothing_to_stay")
    stay_id = str(uuid.uuid4())
    await uow.session.execute(
        insert(orm.enforcement_stays).values(
            stay_id=stay_id,
            addressee_id=command.addressee_id,
            ground=command.ground.value,
            decided_on=command.decided_on,
            immediate_extinction=command.immediate_extinction,
            installments=[list(k) for k in keys],
            staff_user=command.staff_user,
        )
    )
    await audit.record(
        uow.session,
        command.staff_user,
        "stay.record",
        command.addressee_id,
        {"stay_id": stay_id, "ground": command.ground.value, "immediate": command.immediate_extinction},
    )
    return stay_id


class CancelStay(BaseModel):
    stay_id: str
    cancelled_on: date
    staff_user: str = Staff


async def cancel_stay(command: CancelStay, uow: UnitOfWork) -> None:
    """法15条の8: the stay ends; 延滞金 accrues again from the cancellation day."""
    S = orm.enforcement_stays
    row = (await uow.session.execute(select(S).where(S.c.stay_id == command.stay_id))).mappings().first()
    if row is None:
        raise NotFound("unknown_stay")
    if command.cancelled_on < row["decided_on"]:
        raise PermanentError("cancelled_before_decided")
    await uow.session.execute(
        update(S).where(S.c.stay_id == command.stay_id).values(cancelled_on=command.cancelled_on)
    )
    await audit.record(
        uow.session, command.staff_user, "stay.cancel", row["addressee_id"], {"stay_id": command.stay_id}
    )


# -- 不納欠損 ----------------------------------------------------------------------------------


class RunWriteOffs(BaseModel):
    as_of: date
    staff_user: str = Staff


async def run_write_offs(
    command: RunWriteOffs, uow: UnitOfWork, *, policy: CollectionPolicy = DEFAULT_POLICY
) -> dict:
    """不納欠損 of every open installment whose right is extinguished by ``as_of`` (three causes)."""
    repo = CollectionRepository(uow.session)
    stays = await repo.stays_by_installment()
    counts = {c.value: 0 for c in contract.WriteOffCause}
    written: list[contract.WrittenOffInstallment] = []
    for item in await repo.open_installments():
        key = (item["notice_number"], item["installment_no"])
        clock = await limitation_of(repo, item)
        stay_days = [
            (d, s.immediate_extinction) for s in stays.get(key, []) if (d := s.extinguished_on()) is not None
        ]
        found = extinction(clock.extinguished_on, stay_days, command.as_of)
        if found is None:
            continue
        cause, day = found
        payments = (await repo.payments_for([key])).get(key, [])
        exempt = (await repo.exempt_intervals_for([key], day)).get(key, [])
        try:
            fee = accrued_late_fee(
                item["principal_tax"],
                item["due_date"],
                max(day, item["due_date"]),
                payments,
                exempt,
                policy.late_fee,
            ).late_fee
        except LawError:
            fee = item["late_fee"]
        unpaid = item["principal_tax"] - item["paid"]
        await uow.session.execute(
            insert(orm.write_offs).values(
                notice_number=key[0],
                installment_no=key[1],
                addressee_id=item["addressee_id"],
                cause=cause.value,
                principal_tax=unpaid,
                late_fee=fee,
                demand_fee=item["demand_fee"],
                extinguished_on=day,
                staff_user=command.staff_user,
            )
        )
        await repo.update_installment(key[0], key[1], written_off_on=day, write_off_cause=cause.value)
        counts[cause.value] += 1
        written.append(
            contract.WrittenOffInstallment(
                addressee_id=item["addressee_id"],
                notice_number=key[0],
                installment_no=key[1],
                cause=contract.WriteOffCause(cause.value),
                principal_tax=unpaid,
                late_fee=fee,
                demand_fee=item["demand_fee"],
                extinguished_on=day,
            )
        )
        await audit.record(
            uow.session,
            command.staff_user,
            "write_off.record",
            item["addressee_id"],
            {
                "notice_number": key[0],
                "installment_no": key[1],
                "cause": cause.value,
                "principal_tax": unpaid,
            },
        )
    await publish_bulk(
        uow,
        contract.InstallmentsWrittenOff,
        written,
        lambda items: contract.InstallmentsWrittenOff(items=items),
    )
    return {"as_of": command.as_of.isoformat(), "written_off": counts}
