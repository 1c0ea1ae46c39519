"""Receipts' addressee copy: 名寄せ (address-sync.addressee.merged.v1).

The merge is recorded as an alias (merged 宛名番号 → final survivor) beside the addressee copy;
the ledger is not rewritten (a notice's 納税義務者 is the 税務システム's, changed only by its 更正).
Idempotent and order-free: a repeat is a no-op, a merge may arrive before either addressee is
known here, and a chain (A into B, then B into C, in either order) ends with A → C.
"""

from __future__ import annotations

from datetime import UTC, datetime

from osame_chassis.errors import PermanentError
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import address_sync
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from osame_receipts.adapters import orm
from osame_receipts.domain.merges import final_survivor, plan_merge

M = orm.addressee_merges


async def _aliases(session: AsyncSession, ids: set[str]) -> dict[str, str]:
    """The aliases reachable from `ids`, following chains (flattened: normally one round)."""
    found: dict[str, str] = {}
    todo = set(ids)
    for _ in range(10):
        todo -= set(found)
        if not todo:
            break
        query = select(M.c.merged_addressee_id, M.c.surviving_addressee_id).where(
            M.c.merged_addressee_id.in_(sorted(todo))
        )
        step = dict((await session.execute(query)).all())
        if not step:
            break
        found.update(step)
        todo = set(step.values())
    return found


async def survivor_of(session: AsyncSession, addressee_id: str) -> str:
    """The 宛名番号 of the person `addressee_id` belongs to (itself unless merged)."""
    return final_survivor(await _aliases(session, {addressee_id}), addressee_id)


async def apply_addressees_merged(event: address_sync.AddresseesMerged, uow: UnitOfWork) -> None:
    """名寄せ: remember that the merged 宛名番号 is the survivor's person."""
    session = uow.session
    merged = event.merged_addressee_id
    aliases = await _aliases(session, {merged, event.surviving_addressee_id})
    plan = plan_merge(aliases, merged=merged, survivor=event.surviving_addressee_id)
    if plan.refusal is not None:
        raise PermanentError(f"merge_refused: {plan.refusal.value}")
    if plan.duplicate:
        return
    await session.execute(
        insert(M).values(
            merged_addressee_id=merged,
            surviving_addressee_id=plan.survivor,
            named_survivor_id=event.surviving_addressee_id,
            unified_addressee_id=event.unified_addressee_id,
            reason=event.reason.value,
            merged_on=event.merged_on,
            recorded_at=datetime.now(UTC),
        )
    )
    await session.execute(
        update(M).where(M.c.surviving_addressee_id == merged).values(surviving_addressee_id=plan.survivor)
    )
