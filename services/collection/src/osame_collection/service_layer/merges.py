"""名寄せ (address-sync.addressee.merged.v1): the merged addressee's case file follows the survivor.

On a merge, every row collection files under the merged 宛名番号 — the installment projection,
receipts, 督促, 催告, the case (担当), 折衝記録, 分納誓約, 財産調査, 処分, 執行停止, 不納欠損, and any
later table with an `addressee_id` — is re-pointed to the survivor, so the next 督促/催告 letter goes
to the survivor's address (one 滞納者, one letter per 催告) and a 差押 is matched (F12) against the
survivor. Kept as they were: the merged addressee's own mailing copy and 送付先 (`addressees`,
`mailing_overrides`, still updated by its own events) and the hash-chained audit trail, which
gets one entry per side naming the rows that moved.

Any arrival order: the alias (`addressee_merges`) is kept even when collection has not seen the
addressee yet, and the ledger, receipt and inquiry handlers file what names a merged 宛名番号 under
its survivor (`current`, `current_all`). On PostgreSQL a merge takes an exclusive transaction-level
advisory lock and those handlers a shared one, so a merge and a concurrent ledger event cannot
leave a row behind under the merged 宛名番号.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from osame_chassis.errors import PermanentError
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import address_sync
from sqlalchemy import Table, delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from osame_collection.adapters import orm
from osame_collection.domain.merges import final_survivor, plan_merge
from osame_collection.service_layer import audit

log = logging.getLogger(__name__)

MERGE_LOCK = 0x4D455247  # advisory lock key ("MERG") serialising merges against the projection writers

# Tables whose addressee_id is *not* moved to the survivor: the merged record's own copy (its own
# events keep updating it), the audit trail (hash chain, never rewritten), the alias table itself,
# and `cases` (one row per addressee: joined by hand below).
STAYS_WITH_THE_RECORD = frozenset(
    {"addressees", "mailing_overrides", "audit_log", "addressee_merges", "cases"}
)


def follows_the_person() -> list[Table]:
    """Every table of collection with an `addressee_id` that moves with the person on a merge."""
    return [
        t
        for name, t in sorted(orm.metadata.tables.items())
        if "addressee_id" in t.c and name not in STAYS_WITH_THE_RECORD
    ]


async def _lock(session: AsyncSession, *, shared: bool) -> None:
    if session.bind.dialect.name == "postgresql":  # SQLite serialises writers anyway
        function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        await session.execute(text(f"SELECT {function}(:key)"), {"key": MERGE_LOCK})


async def _aliases(session: AsyncSession, ids: set[str]) -> dict[str, str]:
    """The aliases reachable from `ids` (merged → survivor), following chains."""
    M = orm.addressee_merges
    found: dict[str, str] = {}
    todo = set(ids)
    for _ in range(10):  # aliases are flattened: one round normally, two while a chain is half-applied
        todo -= set(found)
        if not todo:
            break
        rows = await session.execute(
            select(M.c.merged_addressee_id, M.c.surviving_addressee_id).where(
                M.c.merged_addressee_id.in_(sorted(todo))
            )
        )
        step = dict(rows.all())
        if not step:
            break
        found.update(step)
        todo = set(step.values())
    return found


async def current_all(uow: UnitOfWork, addressee_ids: set[str]) -> dict[str, str]:
    """宛名番号 → the one its rows are filed under (itself unless merged). Takes the shared lock."""
    await _lock(uow.session, shared=True)
    aliases = await _aliases(uow.session, set(addressee_ids))
    return {a: final_survivor(aliases, a) for a in addressee_ids}


async def current(uow: UnitOfWork, addressee_id: str) -> str:
    """The 宛名番号 a row naming `addressee_id` is filed under (the final survivor of a merge)."""
    return (await current_all(uow, {addressee_id}))[addressee_id]


async def survivor_of(session: AsyncSession, addressee_id: str) -> str | None:
    """The survivor a merged 宛名番号 now belongs to (None when not merged); read-only, no lock."""
    M = orm.addressee_merges
    return (
        await session.execute(
            select(M.c.surviving_addressee_id).where(M.c.merged_addressee_id == addressee_id)
        )
    ).scalar_one_or_none()


async def _join_cases(session: AsyncSession, merged: str, survivor: str) -> str | None:
    """One case per person: the merged case becomes the survivor's, or is joined into it (the
    survivor's 担当 stays; an unassigned survivor takes the merged case's 担当)."""
    C = orm.cases
    theirs = (await session.execute(select(C).where(C.c.addressee_id == merged))).mappings().first()
    if theirs is None:
        return None
    ours = (await session.execute(select(C).where(C.c.addressee_id == survivor))).mappings().first()
    if ours is None:
        await session.execute(update(C).where(C.c.addressee_id == merged).values(addressee_id=survivor))
        return "moved"
    if ours["assignee"] is None and theirs["assignee"] is not None:
        await session.execute(
            update(C).where(C.c.addressee_id == survivor).values(assignee=theirs["assignee"])
        )
    await session.execute(delete(C).where(C.c.addressee_id == merged))
    return "joined"


async def apply_addressees_merged(event: address_sync.AddresseesMerged, uow: UnitOfWork) -> None:
    """名寄せ: file the merged addressee (and whatever was merged into it) under its final survivor."""
    session = uow.session
    await _lock(session, shared=False)
    merged = event.merged_addressee_id
    aliases = await _aliases(session, {merged, event.surviving_addressee_id})
    plan = plan_merge(aliases, merged=merged, survivor=event.surviving_addressee_id)
    if plan.refusal is not None:
        raise PermanentError(f"merge_refused: {plan.refusal.value}")
    if plan.duplicate:
        return
    survivor = plan.survivor
    M = orm.addressee_merges
    await session.execute(
        insert(M).values(
            merged_addressee_id=merged,
            surviving_addressee_id=survivor,
            named_survivor_id=event.surviving_addressee_id,
            unified_addressee_id=event.unified_addressee_id,
            reason=event.reason.value,
            merged_on=event.merged_on,
            recorded_at=datetime.now(UTC),
        )
    )
    # Flatten: whatever was merged into the merged addressee now belongs to the final survivor too
    # (its rows were moved to the merged addressee when that merge was applied).
    await session.execute(
        update(M).where(M.c.surviving_addressee_id == merged).values(surviving_addressee_id=survivor)
    )
    I = orm.installments  # noqa: E741
    keys = [
        [n, i]
        for n, i in (
            await session.execute(
                select(I.c.notice_number, I.c.installment_no)
                .where(I.c.addressee_id == merged)
                .order_by(I.c.notice_number, I.c.installment_no)
            )
        ).all()
    ]
    moved = {}
    for table in follows_the_person():
        result = await session.execute(
            update(table).where(table.c.addressee_id == merged).values(addressee_id=survivor)
        )
        if result.rowcount:
            moved[table.name] = result.rowcount
    case = await _join_cases(session, merged, survivor)
    detail = {
        "merged_addressee_id": merged,
        "surviving_addressee_id": survivor,
        "named_survivor_id": event.surviving_addressee_id,
        "unified_addressee_id": event.unified_addressee_id,
        "reason": event.reason.value,
        "merged_on": event.merged_on,
        "moved": moved,
        "case": case,
        "installments": keys,
    }
    await audit.record(session, "address-sync", "addressee.merged", survivor, detail)
    await audit.record(session, "address-sync", "addressee.merged_into", merged, detail)
    log.info("名寄せ applied: %s merged into %s (%d installments moved)", merged, survivor, len(keys))
