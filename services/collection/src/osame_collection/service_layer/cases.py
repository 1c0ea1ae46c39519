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
from osame_law import LawError
from osame_law.limitation_clock import LimitationEvent, LimitationEventKind, limitation_clock
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import insert, select, update

from osame_collection.adapters import orm
from osame_collection.adapters.repository import CollectionRepository, event_id
from osame_collection.domain import seizure as seizure_rules
from osame_collection.domain.late_fee import accrued_late_fee
from osame_collection.domain.stay import Stay, StayGround
from osame_collection.domain.write_off import extinction
from osame_collection.service_layer import audit
from osame_collection.service_layer.policy import DEFAULT_POLICY, CollectionPolicy
from osame_collection.service_layer.publishing import publish_bulk

AddresseeId = Field(pattern=r"^[0-9]{1,15}$")
Staff = Field(max_length=64, min_length=1)


class NotFound(PermanentError):
    """The addressee / record does not exist in collection's database."""


async def _require_case(uow: UnitOfWork, addressee_id: str) -> None:
    """Open the case (担当 unassigned) on first touch; refuse an addressee collection has never seen."""
    repo = CollectionRepository(uow.session)
    if not await repo.installments_of(addressee_id):
        raise NotFound("unknown_addressee")
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
    events = [
        LimitationEvent(LimitationEventKind(kind), on)
        for kind, on in await repo.limitation_events((item["notice_number"], item["installment_no"]))
    ]
    return limitation_clock(item["due_date"], events)


async def delinquency_view(
    command: ViewCase, uow: UnitOfWork, *, policy: CollectionPolicy = DEFAULT_POLICY
) -> dict:
    """Every unpaid installment of the addressee with its 延滞金 accrued to ``as_of``, the 督促, the
    時効 clock, and the case records (no name or address: the view is by 宛名番号)."""
    await _require_case(uow, command.addressee_id)
    repo = CollectionRepository(uow.session)
    items = [i for i in await repo.installments_of(command.addressee_id) if i["status"] == "open"]
    keys = [(i["notice_number"], i["installment_no"]) for i in items]
    payments = await repo.payments_for(keys)
    exempt = await repo.exempt_intervals_for(keys, command.as_of)
    unpaid = []
    for item, key in zip(items, keys, strict=True):
        try:
            fee = accrued_late_fee(
                item["principal_tax"],
                item["due_date"],
                command.as_of,
                payments.get(key, []),
                exempt.get(key, []),
                policy.late_fee,
            ).late_fee
            fee_error = None
        except LawError as exc:
            fee, fee_error = None, str(exc)
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
                "unpaid": item["principal_tax"] - item["paid"],
                "late_fee": fee,
                "late_fee_error": fee_error,
                "demand_issued_on": _iso(item["demand_issued_on"]),
                "demand_fee": item["demand_fee"],
                "earliest_seizure_on": _iso(item["earliest_seizure_on"]),
                "written_off_on": _iso(item["written_off_on"]),
                "limitation_ends_on": clock.ends_on.isoformat(),
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
        "totals": {
            "unpaid": sum(u["unpaid"] for u in unpaid),
            "late_fee": sum(u["late_fee"] or 0 for u in unpaid),
            "demand_fee": sum(u["demand_fee"] for u in unpaid),
        },
        "contacts": await rows(orm.contact_records, orm.contact_records.c.contacted_on),
        "pledges": await rows(orm.pledges, orm.pledges.c.signed_on),
        "reminders": await rows(orm.reminders, orm.reminders.c.issued_on),
        "inquiries": await rows(orm.asset_inquiries, orm.asset_inquiries.c.updated_at),
        "dispositions": await rows(orm.dispositions, orm.dispositions.c.executed_on),
        "stays": await rows(orm.enforcement_stays, orm.enforcement_stays.c.decided_on),
        "write_offs": await rows(orm.write_offs, orm.write_offs.c.extinguished_on),
    }
    await audit.record(
        uow.session, command.staff_user, "case.view", command.addressee_id, {"as_of": command.as_of}
    )
    return view


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
    staff_user: str = Staff


async def record_contact(command: RecordContact, uow: UnitOfWork) -> str:
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


async def record_inquiry(command: RecordInquiry, uow: UnitOfWork) -> str:
    """財産調査 record; an income inquiry goes to the gateway (情報照会, IncomeQueryRequested)."""
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


class Holder(BaseModel):
    """The holder of the property as the third party (bank, employer, registry) reported it."""

    name: str = Field(min_length=1, max_length=100)
    birth_date: date | None = None
    address: str = Field(default="", max_length=200)


class SalaryFacts(BaseModel):
    gross: int = Field(ge=0)
    withheld_taxes: int = Field(ge=0)
    social_insurance: int = Field(ge=0)
    dependents: int = Field(ge=0, le=20)


class DepositCredit(BaseModel):
    source: seizure_rules.CreditSource
    amount: int = Field(ge=0)
    protected_part: int | None = Field(default=None, ge=0)


class RecordDisposition(BaseModel):
    addressee_id: str = AddresseeId
    kind: Literal["seizure", "claim_filing", "joint_seizure", "distribution", "release"]
    executed_on: date
    amount: int = Field(ge=0, description="seized / claimed / distributed / released amount (yen)")
    property_type: seizure_rules.PropertyType | None = None
    holder: Holder | None = None
    salary: SalaryFacts | None = None
    deposit_balance: int | None = Field(default=None, ge=0)
    deposit_credits: list[DepositCredit] = Field(default_factory=list, max_length=100)
    related_id: str | None = Field(default=None, description="the seizure a release/distribution refers to")
    installments: list[tuple[str, int]] = Field(default_factory=list, description="default: every open one")
    staff_user: str = Staff

    @model_validator(mode="after")
    def _shape(self) -> RecordDisposition:
        if self.kind in ("seizure", "joint_seizure") and (self.property_type is None or self.holder is None):
            raise ValueError("a seizure needs property_type and the holder as reported")
        if self.kind in ("distribution", "release") and not self.related_id:
            raise ValueError("a distribution or release refers to its seizure (related_id)")
        return self


async def record_disposition(command: RecordDisposition, uow: UnitOfWork) -> dict:
    """処分: 差押 (F12 match + 差押禁止 check), 交付要求, 参加差押, 配当, 解除."""
    await _require_case(uow, command.addressee_id)
    repo = CollectionRepository(uow.session)
    protected = 0
    match = None
    if command.kind in ("seizure", "joint_seizure"):
        if await _stayed(uow, command.addressee_id, command.executed_on):
            raise PermanentError("enforcement_stay_in_force")  # no new seizure during 執行停止
        addressee = await repo.addressee(command.addressee_id)
        ours = seizure_rules.Identity(
            addressee["name"] if addressee else "",
            addressee["birth_date"] if addressee else None,
            addressee["address"] if addressee else "",
        )
        match = seizure_rules.match_holder(ours, seizure_rules.Identity(**command.holder.model_dump()))
        if not seizure_rules.is_accepted(match):
            await audit.record(
                uow.session,
                command.staff_user,
                "seizure.refused",
                command.addressee_id,
                {"match": match.value},
            )
            raise PermanentError(f"holder_not_matched:{match.value}")
        protected = _protected_amount(command)
        if command.property_type in (
            seizure_rules.PropertyType.SALARY,
            seizure_rules.PropertyType.PENSION,
            seizure_rules.PropertyType.DEPOSIT,
        ):
            seizable = _seizable(command, protected)
            if command.amount > seizable:
                raise PermanentError(f"exceeds_seizable_amount:{seizable}")
    if command.kind in ("distribution", "release"):
        related = (
            await uow.session.execute(
                select(orm.dispositions.c.addressee_id).where(
                    orm.dispositions.c.disposition_id == command.related_id
                )
            )
        ).first()
        if related is None or related[0] != command.addressee_id:
            raise NotFound("unknown_related_disposition")
    open_items = {
        (i["notice_number"], i["installment_no"]): i
        for i in await repo.open_installments(command.addressee_id)
    }
    keys = [tuple(k) for k in command.installments] or list(open_items)
    if command.kind == "seizure":
        # 法331①一: only installments dunned at least 10 days before (earliest seizure date passed)
        if not command.installments:
            keys = [
                k
                for k in keys
                if open_items[k]["earliest_seizure_on"]
                and open_items[k]["earliest_seizure_on"] <= command.executed_on
            ]
        early = [
            k
            for k in keys
            if k not in open_items
            or not open_items[k]["earliest_seizure_on"]
            or open_items[k]["earliest_seizure_on"] > command.executed_on
        ]
        if early or not keys:
            raise PermanentError("before_earliest_seizure_date")
    disposition_id = str(uuid.uuid4())
    await uow.session.execute(
        insert(orm.dispositions).values(
            disposition_id=disposition_id,
            addressee_id=command.addressee_id,
            kind=command.kind,
            property_type=command.property_type.value if command.property_type else None,
            executed_on=command.executed_on,
            amount=command.amount,
            protected_amount=protected,
            related_id=command.related_id,
            installments=[list(k) for k in keys],
            detail={"match": match.value} if match else {},
            staff_user=command.staff_user,
        )
    )
    if command.kind in ("seizure", "joint_seizure", "claim_filing"):
        kind = "claim_filing" if command.kind == "claim_filing" else "seizure"
        for key in keys:
            await repo.add_limitation_event(
                event_id(kind, disposition_id, key), key, kind, command.executed_on, disposition_id
            )
    await audit.record(
        uow.session,
        command.staff_user,
        f"disposition.{command.kind}",
        command.addressee_id,
        {"disposition_id": disposition_id, "amount": command.amount, "protected_amount": protected},
    )
    return {
        "disposition_id": disposition_id,
        "protected_amount": protected,
        "match": match.value if match else None,
    }


def _protected_amount(command: RecordDisposition) -> int:
    if command.property_type in (seizure_rules.PropertyType.SALARY, seizure_rules.PropertyType.PENSION):
        if command.salary is None:
            raise PermanentError("salary_facts_required")
        s = command.salary
        return seizure_rules.protected_salary(s.gross, s.withheld_taxes, s.social_insurance, s.dependents)
    if command.property_type is seizure_rules.PropertyType.DEPOSIT:
        if command.deposit_balance is None:
            raise PermanentError("deposit_balance_required")
        credits = [
            seizure_rules.Credit(c.source, c.amount, c.protected_part) for c in command.deposit_credits
        ]
        return seizure_rules.seizable_deposit(command.deposit_balance, credits)[1]
    return 0


def _seizable(command: RecordDisposition, protected: int) -> int:
    if command.property_type is seizure_rules.PropertyType.DEPOSIT:
        return (command.deposit_balance or 0) - protected
    return command.salary.gross - protected


# -- 執行停止 ----------------------------------------------------------------------------------


class RecordStay(BaseModel):
    addressee_id: str = AddresseeId
    ground: StayGround
    decided_on: date
    immediate_extinction: bool = False
    installments: list[tuple[str, int]] = Field(default_factory=list, description="default: every open one")
    staff_user: str = Staff


async def _stayed(uow: UnitOfWork, addressee_id: str, on: date) -> bool:
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
