"""督促停止: holds that keep an installment out of the 督促 batch (pending 充当, staff decision).

A staff hold and its release each carry a reason (the hold's code plus a note saying why) and are
recorded: the hold row keeps who placed it, when and why; both steps go to the audit trail
(issue #12 defect 1). System holds (``staff_user`` "system", e.g. a 充当 in flight) need no note.
"""

from __future__ import annotations

from datetime import UTC, datetime

from osame_chassis.errors import PermanentError
from osame_chassis.uow import UnitOfWork
from pydantic import BaseModel, Field
from sqlalchemy import delete, insert, select

from osame_collection.adapters import orm
from osame_collection.service_layer import audit

H = orm.demand_holds


class DemandHold(BaseModel):
    notice_number: str = Field(pattern=r"^[0-9A-Za-z-]{1,20}$")
    installment_no: int = Field(ge=0, le=99)
    reason: str = Field(pattern=r"^[a-z_]{1,40}$", description="e.g. appropriation_pending, staff_hold")
    staff_user: str = Field(default="system", max_length=64)
    release: bool = False
    note: str | None = Field(default=None, max_length=500, description="why (required from staff)")


SYSTEM = "system"


async def set_hold(command: DemandHold, uow: UnitOfWork) -> bool:
    """Place (or release, with ``release=True``) a hold; idempotent. Returns whether anything changed."""
    if command.staff_user != SYSTEM and not (command.note or "").strip():
        raise PermanentError("note_required")
    where = (
        H.c.notice_number == command.notice_number,
        H.c.installment_no == command.installment_no,
        H.c.reason == command.reason,
    )
    held = (await uow.session.execute(select(H.c.reason).where(*where))).first() is not None
    if command.release:
        if not held:
            return False
        await uow.session.execute(delete(H).where(*where))
    else:
        if held:
            return False
        await uow.session.execute(
            insert(H).values(
                notice_number=command.notice_number,
                installment_no=command.installment_no,
                reason=command.reason,
                held_at=datetime.now(UTC),
                staff_user=command.staff_user,
                note=command.note,
            )
        )
    await audit.record(
        uow.session,
        command.staff_user,
        "demand_hold.release" if command.release else "demand_hold.set",
        None,
        {
            "notice_number": command.notice_number,
            "installment_no": command.installment_no,
            "reason": command.reason,
            "note": command.note,
        },
    )
    return True
