"""財産調査 answers (bank, employer): recorded with the holder exactly as the answer gives them
(kanji and/or kana name, birth date, address) and matched (F12, ``domain.seizure.match_holder``)
against our addressee when recorded and again when a 差押 relies on them.

The holder's data is personal data: it is stored in ``inquiry_answers`` only — never logged, never
in an audit entry, an exception message or the case view (which shows the property and the match).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Literal

from osame_chassis.errors import PermanentError
from osame_chassis.uow import UnitOfWork
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import insert, select, update

from osame_collection.adapters import inquiry_answers as answers_sql
from osame_collection.adapters import orm
from osame_collection.adapters.repository import CollectionRepository
from osame_collection.domain import seizure as seizure_rules
from osame_collection.domain.dates import DateRefused, not_after_business_date, not_before
from osame_collection.service_layer import audit
from osame_collection.service_layer.cases import NotFound, Staff
from osame_collection.service_layer.policy import DEFAULT_POLICY, CollectionPolicy

ANSWER_KINDS = {"bank": seizure_rules.PropertyType.DEPOSIT, "employer": seizure_rules.PropertyType.SALARY}


class AnswerHolder(BaseModel):
    """The account holder / employee as the bank or employer answered (at least one name)."""

    name: str = Field(default="", max_length=100)
    name_kana: str = Field(default="", max_length=200)
    birth_date: date | None = None
    address: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _named(self) -> AnswerHolder:
        if not (self.name.strip() or self.name_kana.strip()):
            raise ValueError("the answer names the holder (name or name_kana)")
        return self


class BankAccount(BaseModel):
    bank_code: str = Field(pattern=r"^[0-9]{4}$")
    branch_code: str = Field(pattern=r"^[0-9]{3}$")
    account_type: Literal["ordinary", "current", "savings", "time"]
    balance: int = Field(ge=0)


class Employment(BaseModel):
    employer: str = Field(min_length=1, max_length=200)
    monthly_gross: int | None = Field(default=None, ge=0)
    pay_day: int | None = Field(default=None, ge=1, le=31)


class RecordAnswer(BaseModel):
    query_id: str = Field(max_length=36)
    answered_on: date
    holder: AnswerHolder
    bank: BankAccount | None = None
    employment: Employment | None = None
    staff_user: str = Staff

    @model_validator(mode="after")
    def _one_property(self) -> RecordAnswer:
        if (self.bank is None) == (self.employment is None):
            raise ValueError("an answer gives either bank or employment")
        return self


def identity_of(addressee: dict | None) -> seizure_rules.Identity:
    """Our addressee's identity for the F12 match (empty when collection has no copy)."""
    if addressee is None:
        return seizure_rules.Identity("")
    return seizure_rules.Identity(
        addressee["name"], addressee["birth_date"], addressee["address"], addressee["name_kana"]
    )


def holder_identity(answer: dict) -> seizure_rules.Identity:
    return seizure_rules.Identity(
        answer["holder_name"],
        answer["holder_birth_date"],
        answer["holder_address"],
        answer["holder_name_kana"],
    )


async def record_answer(
    command: RecordAnswer, uow: UnitOfWork, *, policy: CollectionPolicy = DEFAULT_POLICY
) -> dict:
    policy.check_typed("answered_on", command.answered_on)
    Q = orm.asset_inquiries
    inquiry = (
        (await uow.session.execute(select(Q).where(Q.c.query_id == command.query_id))).mappings().first()
    )
    if inquiry is None:
        raise NotFound("unknown_inquiry")
    kind = "bank" if command.bank is not None else "employer"
    if inquiry["kind"] != kind:
        raise PermanentError("answer_kind_mismatch")
    try:
        if inquiry["requested_on"] is not None:
            not_before("answered_on", command.answered_on, "requested_on", inquiry["requested_on"])
        if command.holder.birth_date is not None:
            not_after_business_date("holder.birth_date", command.holder.birth_date, policy.business_date())
    except DateRefused as exc:
        raise PermanentError(exc.code) from exc
    addressee_id = inquiry["addressee_id"]
    values = {
        "holder_name": command.holder.name.strip(),
        "holder_name_kana": command.holder.name_kana.strip(),
        "holder_birth_date": command.holder.birth_date,
        "holder_address": command.holder.address.strip(),
    }
    ours = identity_of(await CollectionRepository(uow.session).addressee(addressee_id))
    match = seizure_rules.match_holder(ours, holder_identity(values))
    answer_id = str(uuid.uuid4())
    await uow.session.execute(
        insert(orm.inquiry_answers).values(
            answer_id=answer_id,
            query_id=command.query_id,
            addressee_id=addressee_id,
            kind=kind,
            answered_on=command.answered_on,
            property=(command.bank or command.employment).model_dump(),
            match=match.value,
            staff_user=command.staff_user,
            recorded_at=datetime.now(UTC),
            **values,
        )
    )
    await uow.session.execute(update(Q).where(Q.c.query_id == command.query_id).values(status="answered"))
    await audit.record(
        uow.session,
        command.staff_user,
        f"inquiry.{kind}.answer",
        addressee_id,
        {"query_id": command.query_id, "answer_id": answer_id, "match": match.value},
    )
    return {"answer_id": answer_id, "match": match.value, "accepted": seizure_rules.is_accepted(match)}


async def answer_for_seizure(
    uow: UnitOfWork, answer_id: str, addressee_id: str, property_type, executed_on: date
) -> seizure_rules.Identity:
    """The holder of a recorded answer a 差押 relies on: the addressee's own, of the right kind, and
    answered on or before the 差押."""
    answer = await answers_sql.answer(uow.session, answer_id)
    if answer is None or answer["addressee_id"] != addressee_id:
        raise NotFound("unknown_answer")
    if ANSWER_KINDS[answer["kind"]] is not property_type:
        raise PermanentError("answer_kind_mismatch")
    try:
        not_before("executed_on", executed_on, "answered_on", answer["answered_on"])
    except DateRefused as exc:
        raise PermanentError(exc.code) from exc
    return holder_identity(answer)
