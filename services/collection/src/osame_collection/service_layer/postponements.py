"""徴収猶予 / 換価の猶予 in the service: application, decision, extension, cancellation (rules in
``domain.postponement``). An approved 猶予 in force keeps its installments out of the 督促 batch,
the 催告 campaigns and breach 催告 (one guard: ``adapters.batch_sql.postponed``) and refuses 差押 and
配当 on them; its days are exempt from 延滞金 by ``osame_law`` (``repository.exempting_by_installment``).

履行監視 of the 分割 (法15条の3①一): the nightly batch flags a missed 分割 amount (``monitor``) into
the worklist ``postponements-breached``; staff decide 取消し or 継続 (``decide_breach``), audited; on
取消し the 延滞金 exemption ends per ``osame_law.postponement_cancellation``.

Every date a person types is checked against the business date and the record's own dates; every
step is audited (ids, kinds, days — no amounts tied to a name, no name).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Literal

from osame_chassis.errors import PermanentError
from osame_chassis.uow import UnitOfWork
from osame_law.postponement_cancellation import ground_arises_on, last_exempt_day
from pydantic import BaseModel, Field

from osame_collection.adapters import postponements as sql
from osame_collection.adapters.repository import CollectionRepository, postponement_of
from osame_collection.domain.dates import DateRefused, not_before, planned_within
from osame_collection.domain.postponement import (
    PostponementGround,
    PostponementKind,
    PostponementRefused,
    check_application_day,
    check_ground,
    check_period,
    check_schedule,
    missed_payment,
)
from osame_collection.service_layer import audit
from osame_collection.service_layer.cases import AddresseeId, NotFound, Staff, _require_case
from osame_collection.service_layer.policy import DEFAULT_POLICY, CollectionPolicy

PLANNED_MAX_DAYS = 366  # a 猶予 may be decided to start at most a year ahead


class ApplyPostponement(BaseModel):
    addressee_id: str = AddresseeId
    kind: PostponementKind
    ground: PostponementGround
    applied_on: date
    installments: list[tuple[str, int]] = Field(default_factory=list, description="default: every open one")
    staff_user: str = Staff


class PostponementPayment(BaseModel):
    due_on: date
    amount: int = Field(gt=0)


class DecidePostponement(BaseModel):
    postponement_id: str = Field(max_length=36)
    approve: bool
    decided_on: date
    starts_on: date | None = None
    ends_on: date | None = None
    amount: int | None = Field(default=None, gt=0, description="default: the 本税 unpaid of the items")
    schedule: list[PostponementPayment] = Field(default_factory=list, max_length=24)
    staff_user: str = Staff


class ExtendPostponement(BaseModel):
    postponement_id: str = Field(max_length=36)
    decided_on: date
    ends_on: date
    staff_user: str = Staff


class CancelPostponement(BaseModel):
    postponement_id: str = Field(max_length=36)
    cancelled_on: date
    staff_user: str = Staff


def _refused(fn, *args) -> None:
    try:
        fn(*args)
    except (DateRefused, PostponementRefused) as exc:
        raise PermanentError(exc.code) from exc


async def apply(
    command: ApplyPostponement, uow: UnitOfWork, *, policy: CollectionPolicy = DEFAULT_POLICY
) -> str:
    """Record an application (申請; for 換価の猶予 by 職権 the day the case was opened)."""
    policy.check_typed("applied_on", command.applied_on)
    await _require_case(uow, command.addressee_id)
    _refused(check_ground, command.kind, command.ground)
    owing = {
        (i["notice_number"], i["installment_no"]): i
        for i in await CollectionRepository(uow.session).open_installments(command.addressee_id)
    }
    keys = list(dict.fromkeys(tuple(k) for k in command.installments)) or list(owing)
    if not keys:
        raise PermanentError("nothing_to_postpone")
    if any(k not in owing for k in keys):
        raise PermanentError("installments:not_owed_by_addressee")
    dues = [owing[k]["due_date"] for k in keys]
    if command.kind is not PostponementKind.COLLECTION and any(command.applied_on <= d for d in dues):
        raise PermanentError("applied_on:not_after_due_date")  # 換価の猶予: the tax is in arrears
    if command.ground is PostponementGround.LATE_ASSESSMENT and any(command.applied_on > d for d in dues):
        raise PermanentError("applied_on:after_due_date")  # 法15条②: applied for by the 納期限
    _refused(check_application_day, command.kind, command.applied_on, dues)
    postponement_id = str(uuid.uuid4())
    await sql.insert_application(
        uow.session,
        {
            "postponement_id": postponement_id,
            "addressee_id": command.addressee_id,
            "kind": command.kind.value,
            "ground": command.ground.value,
            "applied_on": command.applied_on,
            "status": "applied",
            "recorded_by": command.staff_user,
        },
        keys,
    )
    await audit.record(
        uow.session,
        command.staff_user,
        "postponement.apply",
        command.addressee_id,
        {"postponement_id": postponement_id, "kind": command.kind.value, "items": len(keys)},
    )
    return postponement_id


async def _load(uow: UnitOfWork, postponement_id: str, status: str) -> tuple[dict, list[tuple[str, int]]]:
    """The 猶予 and its 期別; refused unless it is in ``status``."""
    row, keys = await sql.load(uow.session, postponement_id)
    if row is None:
        raise NotFound("unknown_postponement")
    if row["status"] != status:
        raise PermanentError(f"postponement_{row['status']}")
    return row, keys


async def _change(uow: UnitOfWork, row: dict, staff_user: str, action: str, values: dict) -> None:
    """Apply the step and audit it (ids and days only)."""
    await sql.change(uow.session, row["postponement_id"], **values)
    detail = {k: v for k, v in values.items() if k not in ("decided_by", "amount")}
    await audit.record(
        uow.session,
        staff_user,
        f"postponement.{action}",
        row["addressee_id"],
        {"postponement_id": row["postponement_id"], **detail},
    )


async def _check_no_overlap(
    uow: UnitOfWork, postponement_id: str, keys: list[tuple[str, int]], starts_on: date, ends_on: date
) -> None:
    """No other 猶予 and no 執行停止 on the same installments for any of the days (their 延滞金
    exemptions would overlap: ``osame_law`` refuses overlapping intervals)."""
    repo = CollectionRepository(uow.session)
    others = await repo.postponements_by_installment(excluding=postponement_id)
    stays = await repo.stays_by_installment()
    for key in keys:
        if any(p.starts_on <= ends_on and p.last_day() >= starts_on for p in others.get(key, [])):
            raise PermanentError("overlaps_postponement")
        for s in stays.get(key, []):
            interval = s.exempt_interval(ends_on)
            if interval is not None and interval.end >= starts_on:
                raise PermanentError("overlaps_enforcement_stay")


async def decide(
    command: DecidePostponement, uow: UnitOfWork, *, policy: CollectionPolicy = DEFAULT_POLICY
) -> dict:
    """許可 (period, amount, 分割) or 不許可 of an application."""
    policy.check_typed("decided_on", command.decided_on)
    row, keys = await _load(uow, command.postponement_id, "applied")
    _refused(not_before, "decided_on", command.decided_on, "applied_on", row["applied_on"])
    values: dict = {"decided_on": command.decided_on, "decided_by": command.staff_user}
    if not command.approve:
        values["status"] = "refused"
    else:
        if command.starts_on is None or command.ends_on is None:
            raise PermanentError("period:missing")
        _refused(not_before, "starts_on", command.starts_on, "applied_on", row["applied_on"])
        _refused(planned_within, "starts_on", command.starts_on, policy.business_date(), PLANNED_MAX_DAYS)
        _refused(check_period, command.starts_on, command.ends_on)
        items = await CollectionRepository(uow.session).installment_rows(keys)
        if row["kind"] != PostponementKind.COLLECTION.value:  # 換価の猶予: from after the 納期限
            for item in items:
                _refused(
                    not_before,
                    "starts_on",
                    command.starts_on,
                    "due_date",
                    item["due_date"] + timedelta(days=1),
                )
        unpaid = sum(max(0, i["principal_tax"] - i["paid"]) for i in items)
        amount = unpaid if command.amount is None else command.amount
        if amount > unpaid:
            raise PermanentError("amount:exceeds_unpaid")
        schedule = [(p.due_on, p.amount) for p in command.schedule]
        _refused(check_schedule, schedule, command.starts_on, command.ends_on, amount)
        await _check_no_overlap(uow, command.postponement_id, keys, command.starts_on, command.ends_on)
        values |= {
            "status": "approved",
            "starts_on": command.starts_on,
            "ends_on": command.ends_on,
            "first_starts_on": command.starts_on,
            "amount": amount,
        }
        await sql.insert_schedule(uow.session, command.postponement_id, schedule)
    await _change(uow, row, command.staff_user, "approve" if command.approve else "refuse", values)
    return {"postponement_id": command.postponement_id, "status": values["status"]}


async def extend(
    command: ExtendPostponement, uow: UnitOfWork, *, policy: CollectionPolicy = DEFAULT_POLICY
) -> dict:
    """延長 (法15条④): decided while the 猶予 is in force; each grant ≤ 1 year, the whole ≤ 2 years."""
    policy.check_typed("decided_on", command.decided_on)
    row, keys = await _load(uow, command.postponement_id, "approved")
    current = postponement_of(row)
    if not current.in_force(command.decided_on):
        raise PermanentError("decided_on:not_while_in_force")
    if command.ends_on <= row["ends_on"]:
        raise PermanentError("ends_on:not_after_current_end")
    _refused(check_period, row["ends_on"] + timedelta(days=1), command.ends_on, row["first_starts_on"])
    await _check_no_overlap(
        uow, command.postponement_id, keys, row["ends_on"] + timedelta(days=1), command.ends_on
    )
    await _change(uow, row, command.staff_user, "extend", {"ends_on": command.ends_on})
    return {"postponement_id": command.postponement_id, "ends_on": command.ends_on.isoformat()}


async def cancel(
    command: CancelPostponement, uow: UnitOfWork, *, policy: CollectionPolicy = DEFAULT_POLICY
) -> dict:
    """取消 (法15条の3): the 猶予 ends the day before ``cancelled_on``; 延滞金 accrues in full again."""
    policy.check_typed("cancelled_on", command.cancelled_on)
    row, _ = await _load(uow, command.postponement_id, "approved")
    _refused(not_before, "cancelled_on", command.cancelled_on, "decided_on", row["decided_on"])
    await _change(
        uow, row, command.staff_user, "cancel", {"status": "cancelled", "cancelled_on": command.cancelled_on}
    )
    return {"postponement_id": command.postponement_id, "status": "cancelled"}


# -- 履行監視 of the 分割 (法15条の3①一) ------------------------------------------------------------


async def monitor(uow: UnitOfWork, as_of: date, policy: CollectionPolicy = DEFAULT_POLICY) -> int:
    """Flag each approved 猶予 whose 分割 amount was not paid by its 期限 (plus the data lag
    allowance ``policy.pledge_grace_days``): one breach row awaiting a staff decision. A 猶予 with
    a breach still undecided is not flagged again; after 継続 only a later missed 期限 counts."""
    policy.check_typed("as_of", as_of)
    flagged = 0
    for p in await sql.monitored(uow.session):
        if any(b["decision"] is None for b in p["breaches"]):
            continue
        continued = [b["missed_due_on"] for b in p["breaches"] if b["decision"] == "continue"]
        totals: dict[date, int] = {}
        for due_on, _ in p["schedule"]:
            day = due_on + timedelta(days=policy.pledge_grace_days)
            totals[day] = await sql.paid_for(uow.session, p["items"], p["starts_on"], day)
        breach = missed_payment(
            p["schedule"], totals.__getitem__, as_of, policy.pledge_grace_days, max(continued, default=None)
        )
        if breach is None:
            continue
        flagged += 1
        await sql.insert_breach(
            uow.session,
            {
                "postponement_id": p["postponement_id"],
                "missed_due_on": breach.missed_due_on,
                "shortfall": breach.shortfall,
                "detected_on": as_of,
            },
        )
        await audit.record(
            uow.session,
            "batch",
            "postponement.breach.flagged",
            p["addressee_id"],
            {"postponement_id": p["postponement_id"], "missed_due_on": breach.missed_due_on},
        )
    return flagged


class DecideBreach(BaseModel):
    postponement_id: str = Field(max_length=36)
    decision: Literal["cancel", "continue"] = Field(description="取消し (法15条の3) or 継続")
    decided_on: date
    exemption_until: Literal["breach", "cancellation"] = Field(
        default="breach",
        description="on 取消し: 延滞金 exemption ends at the missed 期限 (法15条の9①ただし書) or the day before the 取消し",
    )
    note: str = Field(min_length=1, max_length=500, description="why (kept in the audit trail)")
    staff_user: str = Staff


async def decide_breach(
    command: DecideBreach, uow: UnitOfWork, *, policy: CollectionPolicy = DEFAULT_POLICY
) -> dict:
    """Staff decision on a flagged missed 分割: 取消し (the 猶予 ends the day before ``decided_on``;
    its exemption per ``osame_law.postponement_cancellation``) or 継続 (the 猶予 stays)."""
    policy.check_typed("decided_on", command.decided_on)
    row, _ = await _load(uow, command.postponement_id, "approved")
    breach = await sql.open_breach(uow.session, command.postponement_id)
    if breach is None:
        raise PermanentError("no_breach_awaiting_decision")
    _refused(not_before, "decided_on", command.decided_on, "detected_on", breach["detected_on"])
    await sql.decide_breach(
        uow.session,
        command.postponement_id,
        breach["missed_due_on"],
        decision=command.decision,
        decided_on=command.decided_on,
        decided_by=command.staff_user,
    )
    values: dict = {}
    if command.decision == "cancel":
        exempt_to = last_exempt_day(
            row["starts_on"],
            row["ends_on"],
            max(command.decided_on, row["starts_on"]),
            ground_arises_on(breach["missed_due_on"]),
            withhold_from_ground=command.exemption_until == "breach",
        )
        values = {
            "status": "cancelled",
            "cancelled_on": command.decided_on,
            # None = no day stays exempt: an end before the start keeps the interval empty
            "exemption_ends_on": exempt_to or row["starts_on"] - timedelta(days=1),
        }
        await sql.change(uow.session, command.postponement_id, **values)
    await audit.record(
        uow.session,
        command.staff_user,
        f"postponement.breach.{command.decision}",
        row["addressee_id"],
        {
            "postponement_id": command.postponement_id,
            "missed_due_on": breach["missed_due_on"],
            "decided_on": command.decided_on,
            "exemption_until": command.exemption_until if command.decision == "cancel" else None,
            "note": command.note,
        },
    )
    return {
        "postponement_id": command.postponement_id,
        "decision": command.decision,
        "missed_due_on": breach["missed_due_on"].isoformat(),
        "exemption_ends_on": _iso(values.get("exemption_ends_on")),
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
