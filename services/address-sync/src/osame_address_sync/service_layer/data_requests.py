"""訂正請求 / 利用停止請求: register, decide, mark applied (rules in domain.data_requests).

Who acts is the verified token's subject and every date is the business date; the handlers take
them from the caller's door, never from the request body.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from osame_chassis.uow import UnitOfWork

from osame_address_sync.adapters.data_requests import DataRequests
from osame_address_sync.domain.data_requests import (
    Ground,
    Kind,
    RequestRefused,
    Status,
    Target,
    check_apply,
    check_new,
    decide,
    due_on,
)


@dataclass(frozen=True)
class NewRequest:
    addressee_id: str
    kind: Kind
    target: Target
    detail: str
    disclosed_on: dt.date | None = None


async def register(uow: UnitOfWork, ask: NewRequest, staff: str) -> dict:
    today = uow.today()
    check_new(ask.kind, today, ask.disclosed_on)
    row = {
        "request_id": str(uuid.uuid4()),
        "addressee_id": ask.addressee_id,
        "kind": ask.kind.value,
        "target": ask.target.value,
        "detail": ask.detail,
        "received_on": today,
        "disclosed_on": ask.disclosed_on,
        "due_on": due_on(today),
        "status": Status.RECEIVED.value,
        "registered_by": staff,
        "recorded_at": dt.datetime.now(dt.UTC),
    }
    await DataRequests(uow.session).add(row)
    await uow.commit()
    return row


async def _locked(repo: DataRequests, request_id: str) -> dict:
    row = await repo.get(request_id, for_update=True)
    if row is None:
        raise RequestRefused("unknown_request", "no such request")
    return row


async def record_decision(
    uow: UnitOfWork, request_id: str, accept: bool, ground: Ground | None, note: str, staff: str
) -> dict:
    repo = DataRequests(uow.session)
    row = await _locked(repo, request_id)
    decision = decide(Kind(row["kind"]), Target(row["target"]), Status(row["status"]), accept, ground)
    values = {
        "status": decision.status.value,
        "basis": decision.basis[:200],
        "ground": ground.value if ground else None,
        "decided_by": staff,
        "decided_on": uow.today(),
        "decision_note": note,
    }
    await repo.update(request_id, values)
    await uow.commit()
    return {**row, **values}


async def mark_applied(uow: UnitOfWork, request_id: str, note: str, staff: str) -> dict:
    repo = DataRequests(uow.session)
    row = await _locked(repo, request_id)
    check_apply(Status(row["status"]))
    values = {
        "status": Status.APPLIED.value,
        "applied_by": staff,
        "applied_on": uow.today(),
        "applied_note": note,
    }
    await repo.update(request_id, values)
    await uow.commit()
    return {**row, **values}


async def of_addressee(uow: UnitOfWork, addressee_id: str) -> list[dict]:
    return await DataRequests(uow.session).of_addressee(addressee_id)
