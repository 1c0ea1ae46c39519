"""処分 (差押, 交付要求, 参加差押, 配当, 解除): recording dispositions with the F12 match rule and the
差押禁止 (protected amount) checks for salaries, pensions and protected deposits (F13)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from osame_chassis.errors import PermanentError
from osame_chassis.uow import UnitOfWork
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import insert, select

from osame_collection.adapters import orm
from osame_collection.adapters.repository import CollectionRepository, event_id
from osame_collection.domain import seizure as seizure_rules
from osame_collection.service_layer import audit
from osame_collection.service_layer.cases import AddresseeId, NotFound, Staff, _require_case
from osame_collection.service_layer.stays import stay_in_force


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
        if await stay_in_force(uow, command.addressee_id, command.executed_on):
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
