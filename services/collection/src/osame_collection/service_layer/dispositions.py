"""処分 (差押, 交付要求, 参加差押, 配当, 解除): recording dispositions with the F12 match rule and the
差押禁止 (protected amount) checks for salaries, pensions and protected deposits (F13)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date
from typing import Literal

from osame_chassis.errors import PermanentError
from osame_chassis.uow import UnitOfWork
from osame_law import LawError
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import insert, select

from osame_collection.adapters import batch_sql, orm
from osame_collection.adapters.repository import CollectionRepository, event_id
from osame_collection.domain import distribution as distribution_rules
from osame_collection.domain import seizure as seizure_rules
from osame_collection.domain.dates import DateRefused, not_before
from osame_collection.domain.late_fee import accrued_late_fee
from osame_collection.service_layer import audit, inquiries
from osame_collection.service_layer.cases import AddresseeId, NotFound, Staff, _require_case
from osame_collection.service_layer.policy import DEFAULT_POLICY, CollectionPolicy
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


class CompetingClaim(BaseModel):
    """Another claim on the proceeds (domain.distribution.Claim): a tax office or another local
    government (差押 / 交付要求 / 参加差押), a 公課, or a 担保権 with its registration day."""

    claimant: str = Field(min_length=1, max_length=100)
    kind: distribution_rules.ClaimKind
    amount: int = Field(ge=0)
    filed_on: date | None = None
    statutory_due_on: date | None = None
    sequence: int = Field(default=0, ge=0)


class RecordDisposition(BaseModel):
    addressee_id: str = AddresseeId
    kind: Literal["seizure", "claim_filing", "joint_seizure", "distribution", "release"]
    executed_on: date
    amount: int | None = Field(
        default=None,
        ge=0,
        description="seized / claimed / distributed / released amount (yen); "
        "computed for a distribution given its proceeds",
    )
    property_type: seizure_rules.PropertyType | None = None
    holder: Holder | None = None
    answer_id: str | None = Field(default=None, max_length=36, description="a recorded 財産調査 answer")
    salary: SalaryFacts | None = None
    deposit_balance: int | None = Field(default=None, ge=0)
    deposit_credits: list[DepositCredit] = Field(default_factory=list, max_length=100)
    related_id: str | None = Field(default=None, description="the seizure a release/distribution refers to")
    installments: list[tuple[str, int]] = Field(default_factory=list, description="default: every open one")
    # 配当: the proceeds (換価代金 / 取立金), the 滞納処分費, the other claims, our 法定納期限等
    proceeds: int | None = Field(default=None, ge=0)
    disposition_costs: int = Field(default=0, ge=0)
    competing_claims: list[CompetingClaim] = Field(default_factory=list, max_length=50)
    statutory_due_on: date | None = Field(default=None, description="default: the oldest 納期限")
    staff_user: str = Staff

    @model_validator(mode="after")
    def _shape(self) -> RecordDisposition:
        if self.kind in ("seizure", "joint_seizure") and (
            self.property_type is None or (self.holder is None) == (self.answer_id is None)
        ):
            raise ValueError("a seizure needs property_type and the holder as reported or an answer_id")
        if self.kind in ("distribution", "release") and not self.related_id:
            raise ValueError("a distribution or release refers to its seizure (related_id)")
        computed = self.kind == "distribution" and self.proceeds is not None
        if self.amount is None and not computed:
            raise ValueError("amount is required (a distribution may give proceeds instead)")
        if (self.proceeds is not None or self.competing_claims) and self.kind != "distribution":
            raise ValueError("proceeds and competing claims belong to a distribution")
        return self


async def record_disposition(
    command: RecordDisposition, uow: UnitOfWork, *, policy: CollectionPolicy = DEFAULT_POLICY
) -> dict:
    """処分: 差押 (F12 match + 差押禁止 check), 交付要求, 参加差押, 配当 (配当計算 when the proceeds
    are given), 解除."""
    policy.check_typed("executed_on", command.executed_on)
    await _require_case(uow, command.addressee_id)
    repo = CollectionRepository(uow.session)
    protected = 0
    match = None
    if command.kind in ("seizure", "joint_seizure"):
        if await stay_in_force(uow, command.addressee_id, command.executed_on):
            raise PermanentError("enforcement_stay_in_force")  # no new seizure during 執行停止
        ours = inquiries.identity_of(await repo.addressee(command.addressee_id))
        if command.answer_id is not None:  # the holder as the recorded 財産調査 answer gives them
            holder = await inquiries.answer_for_seizure(
                uow, command.answer_id, command.addressee_id, command.property_type, command.executed_on
            )
        else:
            holder = seizure_rules.Identity(**command.holder.model_dump())
        match = seizure_rules.match_holder(ours, holder)
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
    related = None
    if command.kind in ("distribution", "release"):
        D = orm.dispositions
        related = (
            (
                await uow.session.execute(
                    select(D.c.addressee_id, D.c.kind, D.c.executed_on, D.c.installments).where(
                        D.c.disposition_id == command.related_id
                    )
                )
            )
            .mappings()
            .first()
        )
        if related is None or related["addressee_id"] != command.addressee_id:
            raise NotFound("unknown_related_disposition")
        try:  # a 解除 / 配当 ends the procedure it names: not before it began
            not_before("executed_on", command.executed_on, "related_executed_on", related["executed_on"])
        except DateRefused as exc:
            raise PermanentError(exc.code) from exc
    open_items = {
        (i["notice_number"], i["installment_no"]): i
        for i in await repo.open_installments(command.addressee_id)
    }
    keys = [tuple(k) for k in command.installments] or list(open_items)
    if command.kind == "distribution" and not command.installments:
        # 配当 goes to the installments of the 差押 / 交付要求 it refers to that are still open
        keys = [tuple(k) for k in related["installments"] if tuple(k) in open_items]
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
    if command.kind in (
        "seizure",
        "joint_seizure",
        "distribution",
    ) and await batch_sql.postponed_installments(uow.session, keys, command.executed_on):
        raise PermanentError("postponement_in_force")  # no 差押 or 換価 during a 猶予 (法15条, 15条の5)
    amount = command.amount
    detail: dict = {"match": match.value} if match else {}
    if command.answer_id is not None:
        detail["answer_id"] = command.answer_id
    statement = None
    if command.kind == "distribution" and command.proceeds is not None:
        statement = await _distribution_statement(uow, repo, command, related, keys, open_items, policy)
        amount = statement["city_share"]
        detail["distribution"] = statement
    disposition_id = str(uuid.uuid4())
    await uow.session.execute(
        insert(orm.dispositions).values(
            disposition_id=disposition_id,
            addressee_id=command.addressee_id,
            kind=command.kind,
            property_type=command.property_type.value if command.property_type else None,
            executed_on=command.executed_on,
            amount=amount,
            protected_amount=protected,
            related_id=command.related_id,
            installments=[list(k) for k in keys],
            detail=detail,
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
        {"disposition_id": disposition_id, "amount": amount, "protected_amount": protected},
    )
    result = {
        "disposition_id": disposition_id,
        "amount": amount,
        "protected_amount": protected,
        "match": match.value if match else None,
    }
    if statement is not None:
        result["distribution"] = statement
    return result


# the city's position in the distribution, from the disposition it refers to
_OWN_KIND = {
    "seizure": distribution_rules.ClaimKind.SEIZURE,
    "claim_filing": distribution_rules.ClaimKind.CLAIM_FILING,
    "joint_seizure": distribution_rules.ClaimKind.JOINT_SEIZURE,
}
CITY = "city"


async def _distribution_statement(
    uow: UnitOfWork,
    repo: CollectionRepository,
    command: RecordDisposition,
    related,
    keys: list,
    open_items: dict,
    policy: CollectionPolicy,
) -> dict:
    """配当計算書: the proceeds split by ``domain.distribution`` and the city's share applied to its
    installments (延滞金 accrued to the distribution day)."""
    own_kind = _OWN_KIND.get(related["kind"])
    if own_kind is None:
        raise PermanentError("distribution_needs_seizure_or_claim")
    missing = [k for k in keys if k not in open_items]
    if missing or not keys:
        raise PermanentError("no_open_installments")
    payments = await repo.payments_for(keys)
    exempt = await repo.exempt_intervals_for(keys, command.executed_on)
    rates = await repo.rate_table()
    items = []
    for key in keys:
        row = open_items[key]
        try:
            fee = accrued_late_fee(
                row["principal_tax"],
                row["due_date"],
                command.executed_on,
                payments.get(key, []),
                exempt.get(key, []),
                policy.late_fee,
                rates,
            ).late_fee
        except LawError as exc:
            raise PermanentError("late_fee_not_computable") from exc
        items.append(
            distribution_rules.OwnItem(
                key[0],
                key[1],
                row["due_date"],
                principal=row["principal_tax"] - row["paid"],
                late_fee=fee,
                demand_fee=row["demand_fee"] or 0,
            )
        )
    own = distribution_rules.Claim(
        CITY,
        own_kind,
        sum(i.total for i in items),
        related["executed_on"],
        command.statutory_due_on or min(i.due_date for i in items),
    )
    others = [
        distribution_rules.Claim(c.claimant, c.kind, c.amount, c.filed_on, c.statutory_due_on, c.sequence)
        for c in command.competing_claims
    ]
    if any(c.claimant == CITY for c in others):
        raise PermanentError("claimant_name_reserved")
    try:
        result = distribution_rules.distribute(command.proceeds, command.disposition_costs, [own, *others])
        share = result.allocated_to(CITY)
        applied = distribution_rules.allocate_own(share, items)
    except distribution_rules.DistributionError as exc:
        raise PermanentError(f"distribution_refused:{exc}") from exc
    return {
        "proceeds": result.proceeds,
        "disposition_costs": command.disposition_costs,
        "city_claim": own.amount,
        "city_share": share,
        "surplus": result.surplus,
        "allocations": [dataclasses.asdict(a) for a in result.allocations],
        "city_breakdown": [dataclasses.asdict(a) for a in applied],
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
