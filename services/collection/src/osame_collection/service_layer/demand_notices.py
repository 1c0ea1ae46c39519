"""A held 督促状 served at last (another address, 公示送達): only now does it have legal effect —
the 督促手数料 is charged, the earliest seizure date runs and the 時効 restarts (issue #12 defect 7;
法20 presumed delivery, 法20条の2 公示送達: the staff enter the day service took effect)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from osame_chassis.errors import PermanentError
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import collection as contract
from osame_law import earliest_seizure_date
from pydantic import BaseModel, Field
from sqlalchemy import select, update

from osame_collection.adapters import orm
from osame_collection.adapters.repository import CollectionRepository
from osame_collection.domain.dates import DateRefused, not_before
from osame_collection.service_layer import audit
from osame_collection.service_layer.cases import NotFound, Staff
from osame_collection.service_layer.policy import CollectionPolicy


class ServeDemandNotice(BaseModel):
    demand_notice_id: str = Field(max_length=64)
    served_on: date
    means: Literal["other_address", "public_notice"]
    staff_user: str = Staff


async def serve(command: ServeDemandNotice, uow: UnitOfWork, *, policy: CollectionPolicy) -> dict:
    DN, I = orm.demand_notices, orm.installments  # noqa: E741
    row = (
        (await uow.session.execute(select(DN).where(DN.c.demand_notice_id == command.demand_notice_id)))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("unknown_demand_notice")
    if row["served_on"] is not None:
        raise PermanentError("demand_notice_already_served")
    policy.check_typed("served_on", command.served_on)
    try:
        not_before("served_on", command.served_on, "issued_on", row["issued_on"])
    except DateRefused as exc:
        raise PermanentError(exc.code) from exc
    fees = await CollectionRepository(uow.session).demand_fee_schedule(policy.demand_fees)
    fee = fees.fee_on(row["issued_on"])
    seizure_on = earliest_seizure_date(command.served_on)
    key = (row["notice_number"], row["installment_no"])
    await uow.session.execute(
        update(DN)
        .where(DN.c.demand_notice_id == command.demand_notice_id)
        .values(served_on=command.served_on, demand_fee=fee, earliest_seizure_on=seizure_on)
    )
    await uow.session.execute(
        update(I)
        .where(I.c.notice_number == key[0], I.c.installment_no == key[1])
        .values(demand_fee=fee, earliest_seizure_on=seizure_on)
    )
    repo = CollectionRepository(uow.session)
    await repo.add_limitation_event(
        command.demand_notice_id, key, "demand", command.served_on, command.demand_notice_id
    )
    await repo.refresh_status([key])
    await uow.publish(
        contract.DemandNoticesIssued(
            batch_id=row["batch_id"],
            items=[
                contract.IssuedDemandNotice(
                    demand_notice_id=row["demand_notice_id"],
                    addressee_id=row["addressee_id"],
                    notice_number=key[0],
                    installment_no=key[1],
                    issued_on=row["issued_on"],
                    demand_fee=fee,
                    principal_tax_due=row["principal_tax_due"],
                    late_fee_accrued=row["late_fee_accrued"],
                    earliest_seizure_on=seizure_on,
                )
            ],
        )
    )
    await audit.record(
        uow.session,
        command.staff_user,
        "demand_notice.served",
        row["addressee_id"],
        {
            "demand_notice_id": command.demand_notice_id,
            "means": command.means,
            "served_on": command.served_on,
        },
    )
    return {
        "demand_notice_id": command.demand_notice_id,
        "served_on": command.served_on.isoformat(),
        "fee": fee,
    }
