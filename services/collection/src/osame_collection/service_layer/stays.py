"""執行停止 (its three grounds, 延滞金 exemption, 3-year and immediate extinction, cancellation) and the
不納欠損 run that writes off what stays, extinction or limitation have ended."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from osame_chassis.errors import PermanentError
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import collection as contract
from pydantic import BaseModel, Field
from sqlalchemy import insert, select, update

from osame_collection.adapters import orm
from osame_collection.adapters.repository import CollectionRepository
from osame_collection.domain.dates import DateRefused, not_before
from osame_collection.domain.stay import Stay, StayGround
from osame_collection.domain.write_off import extinction
from osame_collection.service_layer import audit
from osame_collection.service_layer.cases import AddresseeId, NotFound, Staff, _require_case, limitation_of
from osame_collection.service_layer.owed import owed_on
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
    at once (即時消滅) under ground no_property.

    The decision day is a typed date: not after the business date, and not before the 納期限 of
    any installment it stays (a 執行停止 typed as 2020 on a 2026 tax used to extinguish it at once)."""
    policy.check_typed("decided_on", command.decided_on)
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
    owing = {
        (i["notice_number"], i["installment_no"]): i
        for i in await repo.open_installments(command.addressee_id)
    }
    if any(k not in owing for k in keys):
        raise PermanentError("installments:not_owed_by_addressee")
    try:
        for key in keys:
            not_before("decided_on", command.decided_on, "due_date", owing[key]["due_date"])
    except DateRefused as exc:
        raise PermanentError(exc.code) from exc
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


async def cancel_stay(
    command: CancelStay, uow: UnitOfWork, *, policy: CollectionPolicy = DEFAULT_POLICY
) -> None:
    """法15条の8: the stay ends; 延滞金 accrues again from the cancellation day."""
    policy.check_typed("cancelled_on", command.cancelled_on)
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
# Two steps (issue #12 defect 6): a run is prepared (what would be written off, nothing changes) and
# applied only when a different staff user approves it. Irreversible steps need two people.


class RunWriteOffs(BaseModel):
    as_of: date
    staff_user: str = Staff


class ApproveWriteOffs(BaseModel):
    run_id: str = Field(max_length=36)
    staff_user: str = Staff


async def _extinguished(repo: CollectionRepository, as_of: date, policy: CollectionPolicy) -> list[dict]:
    """Every owing installment extinguished by ``as_of``, with its cause, day and what it still owes."""
    stays = await repo.stays_by_installment()
    out = []
    for item in await repo.open_installments():
        key = (item["notice_number"], item["installment_no"])
        clock = await limitation_of(repo, item)
        stay_days = [
            (d, s.immediate_extinction) for s in stays.get(key, []) if (d := s.extinguished_on()) is not None
        ]
        found = extinction(clock.extinguished_on, stay_days, as_of)
        if found is None:
            continue
        cause, day = found
        line = (await owed_on(repo, [item], day, policy))[key].owed
        out.append(
            {
                "item": item,
                "cause": cause,
                "day": day,
                "principal_tax": line.principal_tax,
                # not computable (unpriced period): the last accrued amount, never 0
                "late_fee": item["late_fee"] if line.late_fee is None else line.late_fee,
                "demand_fee": line.demand_fee,
            }
        )
    return out


async def run_write_offs(
    command: RunWriteOffs, uow: UnitOfWork, *, policy: CollectionPolicy = DEFAULT_POLICY
) -> dict:
    """Prepare the 不納欠損 of every owing installment extinguished by ``as_of`` (three causes):
    nothing is written off until another staff user approves the run (``approve_write_offs``)."""
    policy.check_typed("as_of", command.as_of)  # a run dated in the future would extinguish early
    repo = CollectionRepository(uow.session)
    found = await _extinguished(repo, command.as_of, policy)
    counts = {c.value: 0 for c in contract.WriteOffCause}
    for f in found:
        counts[f["cause"].value] += 1
    run_id = str(uuid.uuid4())
    items = [[f["item"]["notice_number"], f["item"]["installment_no"]] for f in found]
    await uow.session.execute(
        insert(orm.write_off_runs).values(
            run_id=run_id,
            as_of=command.as_of,
            status="prepared",
            prepared_by=command.staff_user,
            prepared_at=datetime.now(UTC),
            items=items,
            counts=counts,
        )
    )
    await audit.record(
        uow.session, command.staff_user, "write_off.prepare", None, {"run_id": run_id, "counts": counts}
    )
    return {"run_id": run_id, "status": "prepared", "as_of": command.as_of.isoformat(), "written_off": counts}


async def approve_write_offs(
    command: ApproveWriteOffs, uow: UnitOfWork, *, policy: CollectionPolicy = DEFAULT_POLICY
) -> dict:
    """Apply a prepared 不納欠損 run: approver ≠ preparer; only what is still owed and still
    extinguished on the run's day is written off (a payment since the preparation is kept)."""
    W = orm.write_off_runs
    run = (await uow.session.execute(select(W).where(W.c.run_id == command.run_id))).mappings().first()
    if run is None:
        raise NotFound("unknown_write_off_run")
    if run["status"] != "prepared":
        raise PermanentError(f"write_off_run_{run['status']}")
    if run["prepared_by"] == command.staff_user:
        raise PermanentError("approver_must_differ_from_preparer")
    policy.check_typed("as_of", run["as_of"])
    repo = CollectionRepository(uow.session)
    prepared = {tuple(k) for k in run["items"]}
    counts = {c.value: 0 for c in contract.WriteOffCause}
    written: list[contract.WrittenOffInstallment] = []
    for f in await _extinguished(repo, run["as_of"], policy):
        item, cause, day = f["item"], f["cause"], f["day"]
        key = (item["notice_number"], item["installment_no"])
        if key not in prepared:
            continue
        await uow.session.execute(
            insert(orm.write_offs).values(
                notice_number=key[0],
                installment_no=key[1],
                addressee_id=item["addressee_id"],
                cause=cause.value,
                principal_tax=f["principal_tax"],
                late_fee=f["late_fee"],
                demand_fee=f["demand_fee"],
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
                principal_tax=f["principal_tax"],
                late_fee=f["late_fee"],
                demand_fee=f["demand_fee"],
                extinguished_on=day,
            )
        )
        await audit.record(
            uow.session,
            command.staff_user,
            "write_off.record",
            item["addressee_id"],
            {
                "run_id": command.run_id,
                "notice_number": key[0],
                "installment_no": key[1],
                "cause": cause.value,
                "principal_tax": f["principal_tax"],
            },
        )
    await uow.session.execute(
        update(W)
        .where(W.c.run_id == command.run_id)
        .values(
            status="approved", approved_by=command.staff_user, approved_at=datetime.now(UTC), counts=counts
        )
    )
    await publish_bulk(
        uow,
        contract.InstallmentsWrittenOff,
        written,
        lambda items: contract.InstallmentsWrittenOff(items=items),
    )
    return {
        "run_id": command.run_id,
        "status": "approved",
        "as_of": run["as_of"].isoformat(),
        "prepared_by": run["prepared_by"],
        "written_off": counts,
    }
