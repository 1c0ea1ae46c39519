"""Worklists for the 滞納整理 team (read APIs of the staff screens; rules in ``domain.worklist``).

Every list is as of the server's business date (Asia/Tokyo, never a request field), sorted on a
total order and paged (``page``, ``per_page`` ≤ 200, with ``total``). Items carry 宛名番号, keys,
days and amounts — no name or address: the screen opens the case through the case view and its
access rules (支援措置 records are never shown by name anywhere in collection). A list is of the
signed-in user's own cases by default; another 担当's (or everybody's: ``assignee="*"``) needs the
``worklists.team`` permission (the route checks it). Each read is audited (who, which list).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from osame_chassis.errors import PermanentError
from osame_chassis.uow import UnitOfWork
from pydantic import BaseModel, Field

from osame_collection.adapters import worklists as sql
from osame_collection.adapters.repository import CollectionRepository
from osame_collection.domain import worklist as rules
from osame_collection.service_layer import audit
from osame_collection.service_layer.cases import limitation_clock_of
from osame_collection.service_layer.policy import DEFAULT_POLICY, CollectionPolicy

Kind = Literal[
    "cases",
    "next-actions",
    "promises",
    "limitation",
    "seizures",
    "pledges-breached",
    "postponements-breached",
]
EVERYONE = "*"


class ReadWorklist(BaseModel):
    kind: Kind
    assignee: str = Field(min_length=1, max_length=64, description='a 担当, or "*" for every case')
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=rules.DEFAULT_PER_PAGE, ge=1, le=rules.MAX_PER_PAGE)
    horizon_days: int = Field(default=180, ge=0, le=rules.MAX_HORIZON_DAYS, description="時効 approaching")
    ahead_days: int = Field(default=0, ge=0, le=31, description="promised payments due within")
    staff_user: str = Field(min_length=1, max_length=64)


def _jsonable(row: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}


async def read_worklist(
    command: ReadWorklist, uow: UnitOfWork, *, policy: CollectionPolicy = DEFAULT_POLICY
) -> dict:
    today = policy.business_date()
    page = rules.Page(command.page, command.per_page)
    who = None if command.assignee == EVERYONE else command.assignee
    session = uow.session
    if command.kind == "cases":
        if who is None:
            raise PermanentError("assignee:required_for_cases")
        total, items = await sql.cases_of(session, who, page.offset, page.per_page)
    elif command.kind == "next-actions":
        total, items = await sql.next_actions_due(session, today, who, page.offset, page.per_page)
    elif command.kind == "promises":
        through = today + timedelta(days=command.ahead_days)
        total, items = await sql.promises_due(session, through, who, page.offset, page.per_page)
    elif command.kind == "seizures":
        total, items = await sql.seizures_pending_conversion(session, who, page.offset, page.per_page)
    elif command.kind == "pledges-breached":
        total, items = await sql.pledges_breached(session, who, page.offset, page.per_page)
    elif command.kind == "postponements-breached":
        total, items = await sql.postponements_breached(session, who, page.offset, page.per_page)
    else:
        total, items = await _limitation_approaching(uow, today, who, command.horizon_days, page)
    await audit.record(
        session,
        command.staff_user,
        "worklist.read",
        None,
        {"kind": command.kind, "assignee": command.assignee, "page": page.number, "returned": len(items)},
    )
    return {
        "kind": command.kind,
        "as_of": today.isoformat(),
        "assignee": command.assignee,
        "page": page.number,
        "per_page": page.per_page,
        "total": total,
        "items": [_jsonable(i) for i in items],
    }


async def _limitation_approaching(
    uow: UnitOfWork, today: date, who: str | None, horizon_days: int, page: rules.Page
) -> tuple[int, list[dict]]:
    """Owing installments whose 時効 completes within the horizon, by completion day."""
    repo = CollectionRepository(uow.session)
    items = await sql.owing_installments(uow.session, who)
    events = await repo.limitation_events_for([(i["notice_number"], i["installment_no"]) for i in items])
    found = []
    for item in items:
        clock = limitation_clock_of(item, events.get((item["notice_number"], item["installment_no"]), []))
        if rules.limitation_approaching(clock.ends_on, today, horizon_days):
            found.append({**item, "limitation_ends_on": clock.ends_on})
    found.sort(
        key=lambda i: (i["limitation_ends_on"], i["addressee_id"], i["notice_number"], i["installment_no"])
    )
    return len(found), found[page.offset : page.offset + page.per_page]
