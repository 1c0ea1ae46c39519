"""Case management (滞納整理): delinquency view, 折衝記録, 財産調査, 処分, 執行停止, 不納欠損, 時効.

Every use case writes an audit entry (who, what, which 宛名番号); reads through the API do too.
Errors that staff must fix raise ``PermanentError`` with a reason code (no personal data).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Literal

from osame_chassis.errors import PermanentError
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import collection as contract
from osame_law.limitation_clock import LimitationEvent, LimitationEventKind, limitation_clock
from pydantic import BaseModel, Field
from sqlalchemy import insert, select, tuple_, update

from osame_collection.adapters import inquiry_answers, late_fee_segments, orm
from osame_collection.adapters.repository import CollectionRepository
from osame_collection.domain.dates import DateRefused, not_before, planned_within
from osame_collection.domain.late_fee_explained import ROUNDING_BASIS
from osame_collection.domain.projection import OWING
from osame_collection.service_layer import audit, merges, refund_watch
from osame_collection.service_layer.owed import owed_on
from osame_collection.service_layer.policy import DEFAULT_POLICY, CollectionPolicy

AddresseeId = Field(pattern=r"^[0-9]{1,15}$")
Staff = Field(max_length=64, min_length=1)


class NotFound(PermanentError):
    """The addressee / record does not exist in collection's database."""


async def _require_case(uow: UnitOfWork, addressee_id: str) -> None:
    """Open the case (担当 unassigned) on first touch; refuse an addressee collection has never seen,
    and one merged into another (名寄せ: its case is the survivor's, named in the reason)."""
    repo = CollectionRepository(uow.session)
    if not await repo.installments_of(addressee_id):
        survivor = await merges.survivor_of(uow.session, addressee_id)
        raise NotFound(f"merged_into:{survivor}" if survivor else "unknown_addressee")
    held = (
        await uow.session.execute(
            select(orm.cases.c.addressee_id).where(orm.cases.c.addressee_id == addressee_id)
        )
    ).first()
    if held is None:
        await uow.session.execute(
            insert(orm.cases).values(addressee_id=addressee_id, opened_at=datetime.now(UTC))
        )


# -- delinquency view --------------------------------------------------------------------------


class ViewCase(BaseModel):
    addressee_id: str = AddresseeId
    as_of: date
    staff_user: str = Staff


async def limitation_of(repo: CollectionRepository, item: dict):
    return limitation_clock_of(
        item, await repo.limitation_events((item["notice_number"], item["installment_no"]))
    )


def limitation_clock_of(item: dict, rows: list[tuple[str, date, date | None]]):
    """The 時効 clock of an installment from its (kind, occurred_on, ended_on) event rows."""
    events = [
        LimitationEvent(LimitationEventKind(kind), on, max(ended, on) if ended else None)
        for kind, on, ended in rows
    ]
    return limitation_clock(item["due_date"], events)


async def printed_demand_late_fees(uow: UnitOfWork, keys: list[tuple[str, int]]) -> dict:
    """{key: {demand_notice_id, issued_on, late_fee, segments}} of the 督促 of each installment: the
    延滞金 its 督促状 printed and the segments stored with it (issue #12 B5)."""
    if not keys:
        return {}
    found = await late_fee_segments.demand_notices_of(uow.session, keys)
    owners = [(n["demand_notice_id"], (n["notice_number"], n["installment_no"])) for n in found]
    stored = await late_fee_segments.load(uow.session, "demand_notice", owners)
    return {
        key: {
            "demand_notice_id": owner,
            "issued_on": n["issued_on"].isoformat(),
            "late_fee": n["late_fee_accrued"],
            "segments": stored.get((owner, key), []),
        }
        for n, (owner, key) in zip(found, owners, strict=True)
    }


async def delinquency_view(
    command: ViewCase, uow: UnitOfWork, *, policy: CollectionPolicy = DEFAULT_POLICY
) -> dict:
    """Every unpaid installment of the addressee with its 延滞金 accrued to ``as_of``, the 督促, the
    時効 clock, and the case records (no name or address: the view is by 宛名番号)."""
    await _require_case(uow, command.addressee_id)
    repo = CollectionRepository(uow.session)
    items = [i for i in await repo.installments_of(command.addressee_id) if i["status"] in OWING]
    lines = await owed_on(repo, items, command.as_of, policy)
    notices = await printed_demand_late_fees(uow, [(i["notice_number"], i["installment_no"]) for i in items])
    unpaid = []
    for item in items:
        line = lines[(item["notice_number"], item["installment_no"])]
        clock = await limitation_of(repo, item)
        unpaid.append(
            {
                "notice_number": item["notice_number"],
                "installment_no": item["installment_no"],
                "tax_item": item["tax_item"],
                "fiscal_year": item["fiscal_year"],
                "due_date": item["due_date"].isoformat(),
                "principal_tax": item["principal_tax"],
                "paid": item["paid"],
                "status": item["status"],
                "unpaid": line.owed.principal_tax,
                "late_fee": line.owed.late_fee,
                "late_fee_error": line.late_fee_error,
                # how it was computed (B5): segments with days, base, rate and legal basis — a 確定延滞金's
                # as stored when it was fixed (never recomputed with today's rates), else accrued to as_of
                "late_fee_segments": line.explained(item["tax_item"]),
                "late_fee_segments_stored": line.stored_segments is not None,
                # the 延滞金 the 督促状 printed, with its stored segments
                "demand_notice_late_fee": notices.get((item["notice_number"], item["installment_no"])),
                "demand_issued_on": _iso(item["demand_issued_on"]),
                "demand_fee": line.owed.demand_fee,
                "owed": line.owed.total,
                "earliest_seizure_on": _iso(item["earliest_seizure_on"]),
                "written_off_on": _iso(item["written_off_on"]),
                "limitation_ends_on": _iso(clock.ends_on),  # null while a 差押 / 交付要求 is in force
                "limitation_suspended_by_procedure_since": _iso(clock.suspended_by_procedure_since),
                "limitation_suspended_by_reminder_on": _iso(clock.suspended_by_reminder_on),
            }
        )

    async def rows(table, order):
        query = select(table).where(table.c.addressee_id == command.addressee_id).order_by(order)
        return [_jsonable(dict(r)) for r in (await uow.session.execute(query)).mappings()]

    case = (
        (await uow.session.execute(select(orm.cases).where(orm.cases.c.addressee_id == command.addressee_id)))
        .mappings()
        .first()
    )
    view = {
        "addressee_id": command.addressee_id,
        "as_of": command.as_of.isoformat(),
        "assignee": case["assignee"] if case else None,
        "unpaid": unpaid,
        "late_fee_rounding": ROUNDING_BASIS,
        "totals": {
            "unpaid": sum(u["unpaid"] for u in unpaid),
            "late_fee": sum(u["late_fee"] or 0 for u in unpaid),
            "demand_fee": sum(u["demand_fee"] for u in unpaid),
            "owed": sum(u["owed"] for u in unpaid),
            "late_fee_unpriced": sum(1 for u in unpaid if u["late_fee"] is None),
        },
        "contacts": await rows(orm.contact_records, orm.contact_records.c.contacted_on),
        "pledges": await rows(orm.pledges, orm.pledges.c.signed_on),
        "reminders": await rows(orm.reminders, orm.reminders.c.issued_on),
        "inquiries": await rows(orm.asset_inquiries, orm.asset_inquiries.c.updated_at),
        "inquiry_answers": await inquiry_answers.answers_of(uow.session, command.addressee_id),
        "dispositions": await rows(orm.dispositions, orm.dispositions.c.executed_on),
        "stays": await rows(orm.enforcement_stays, orm.enforcement_stays.c.decided_on),
        "postponements": await rows(orm.postponements, orm.postponements.c.applied_on),
        "write_offs": await rows(orm.write_offs, orm.write_offs.c.extinguished_on),
        "demand_holds": await _holds_of(uow, items),
        **await refund_watch.case_view(uow.session, command.addressee_id),
    }
    await audit.record(
        uow.session, command.staff_user, "case.view", command.addressee_id, {"as_of": command.as_of}
    )
    return view


async def _holds_of(uow: UnitOfWork, items: list[dict]) -> list[dict]:
    """督促停止 on the listed installments: reason, who, when, why."""
    keys = [(i["notice_number"], i["installment_no"]) for i in items]
    if not keys:
        return []
    H = orm.demand_holds
    query = select(H).where(tuple_(H.c.notice_number, H.c.installment_no).in_(keys)).order_by(H.c.held_at)
    return [_jsonable(dict(r)) for r in (await uow.session.execute(query)).mappings()]


def _iso(value):
    return value.isoformat() if value is not None else None


def _jsonable(row: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in row.items()}


class AssignCase(BaseModel):
    addressee_id: str = AddresseeId
    assignee: str = Field(min_length=1, max_length=64)
    staff_user: str = Staff


async def assign_case(command: AssignCase, uow: UnitOfWork) -> None:
    await _require_case(uow, command.addressee_id)
    await uow.session.execute(
        update(orm.cases)
        .where(orm.cases.c.addressee_id == command.addressee_id)
        .values(assignee=command.assignee)
    )
    await audit.record(
        uow.session, command.staff_user, "case.assign", command.addressee_id, {"assignee": command.assignee}
    )


# -- 折衝記録 ----------------------------------------------------------------------------------


class RecordContact(BaseModel):
    addressee_id: str = AddresseeId
    contacted_on: date
    channel: Literal["phone", "visit", "counter", "letter", "other"]
    summary: str = Field(min_length=1, max_length=4000)
    next_action_on: date | None = None  # 次回対応日: on or after the contact, within a year
    next_action: str | None = Field(default=None, pattern=r"^[a-z_]{1,40}$", description="e.g. call, visit")
    staff_user: str = Staff


NEXT_ACTION_MAX_DAYS = 366


async def record_contact(
    command: RecordContact, uow: UnitOfWork, *, policy: CollectionPolicy = DEFAULT_POLICY
) -> str:
    policy.check_typed("contacted_on", command.contacted_on)
    if command.next_action_on is not None:
        try:
            not_before("next_action_on", command.next_action_on, "contacted_on", command.contacted_on)
            planned_within(
                "next_action_on", command.next_action_on, policy.business_date(), NEXT_ACTION_MAX_DAYS
            )
        except DateRefused as exc:
            raise PermanentError(exc.code) from exc
    await _require_case(uow, command.addressee_id)
    contact_id = str(uuid.uuid4())
    await uow.session.execute(
        insert(orm.contact_records).values(
            contact_id=contact_id, recorded_at=datetime.now(UTC), **command.model_dump()
        )
    )
    await audit.record(
        uow.session,
        command.staff_user,
        "contact.record",
        command.addressee_id,
        {"contact_id": contact_id, "channel": command.channel},
    )
    return contact_id


# -- 財産調査 ----------------------------------------------------------------------------------


class RecordInquiry(BaseModel):
    addressee_id: str = AddresseeId
    kind: Literal["bank", "employer", "real_estate", "income"]
    requested_on: date
    detail: dict = Field(
        default_factory=dict, description="institution, answer, balances … (kept in the DB only)"
    )
    fiscal_year: int | None = Field(default=None, ge=2000, le=2100, description="for income queries")
    staff_user: str = Staff


async def record_inquiry(
    command: RecordInquiry, uow: UnitOfWork, *, policy: CollectionPolicy = DEFAULT_POLICY
) -> str:
    """財産調査 record; an income inquiry goes to the gateway (情報照会, IncomeQueryRequested)."""
    policy.check_typed("requested_on", command.requested_on)
    await _require_case(uow, command.addressee_id)
    query_id = str(uuid.uuid4())
    status = "requested" if command.kind == "income" else "recorded"
    await uow.session.execute(
        insert(orm.asset_inquiries).values(
            query_id=query_id,
            addressee_id=command.addressee_id,
            status=status,
            updated_at=datetime.now(UTC),
            kind=command.kind,
            requested_on=command.requested_on,
            detail=command.detail,
            staff_user=command.staff_user,
        )
    )
    if command.kind == "income":
        await uow.publish(
            contract.IncomeQueryRequested(
                query_id=query_id,
                addressee_id=command.addressee_id,
                affair="local_tax_assessment_collection",
                item=contract.InformationItem.INCOME,
                fiscal_year=command.fiscal_year or command.requested_on.year,
                purpose="財産調査",
                staff_user=command.staff_user,
                requested_on=command.requested_on,
            )
        )
    await audit.record(
        uow.session,
        command.staff_user,
        f"inquiry.{command.kind}",
        command.addressee_id,
        {"query_id": query_id},
    )
    return query_id


# -- 処分 ------------------------------------------------------------------------------------
