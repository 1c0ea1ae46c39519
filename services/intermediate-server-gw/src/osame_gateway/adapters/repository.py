"""Gateway persistence (SQLAlchemy Core)."""

from __future__ import annotations

from datetime import datetime

from osame_chassis.audit import AuditLog
from osame_chassis.db import count_rows
from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from osame_gateway.adapters import orm
from osame_gateway.domain.permitted_list import PermittedQuery
from osame_gateway.domain.query_progress import PENDING

AUDIT = AuditLog(orm.audit_log)

RECORD_FIELDS = (
    "query_id",
    "addressee_id",
    "requesting_service",
    "affair",
    "item",
    "staff_user",
    "fiscal_year",
)


class GatewayRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    # -- permitted-query list ------------------------------------------------------------
    async def permitted(self) -> list[tuple[str, str]]:
        rows = await self.session.execute(
            select(orm.permitted_queries.c.affair, orm.permitted_queries.c.item)
        )
        return [(r.affair, r.item) for r in rows]

    async def permitted_entries(self) -> list[dict]:
        t = orm.permitted_queries
        return [dict(r) for r in (await self.session.execute(select(t).order_by(t.c.id))).mappings()]

    async def replace_permitted(self, entries: list[PermittedQuery]) -> tuple[int, int, int]:
        """Make the table equal to `entries` (upsert by (事務, item), delete the rest): (added, changed, removed)."""
        t = orm.permitted_queries
        current = {(r["affair"], r["item"]): r for r in await self.permitted_entries()}
        added = changed = 0
        for e in entries:
            values = {
                "legal_basis": e.legal_basis,
                "table_row": e.table_row,
                "provider": e.provider,
                "information": e.information,
            }
            old = current.pop((e.affair, e.item), None)
            if old is None:
                await self.session.execute(insert(t).values(affair=e.affair, item=e.item, **values))
                added += 1
            elif any(old[k] != v for k, v in values.items()):
                await self.session.execute(update(t).where(t.c.id == old["id"]).values(**values))
                changed += 1
        if current:
            await self.session.execute(delete(t).where(t.c.id.in_([r["id"] for r in current.values()])))
        return added, changed, len(current)

    # -- 情報提供等記録 -------------------------------------------------------------------
    async def record(self, **values) -> None:
        await self.session.execute(insert(orm.query_records).values(**values))

    async def record_step(self, query: dict, *, step: str, outcome: str, at: datetime, **extra) -> None:
        """One 情報提供等記録 row for a step of `query` (who, when, 事務, item, 符号 — never 個人番号)."""
        await self.record(
            **{k: query[k] for k in RECORD_FIELDS}, step=step, outcome=outcome, recorded_at=at, **extra
        )

    async def provision_records(self, addressee_id: str) -> list[dict]:
        t = orm.query_records
        query = select(t).where(t.c.addressee_id == addressee_id).order_by(t.c.recorded_at, t.c.id)
        return [dict(r) for r in (await self.session.execute(query)).mappings()]

    async def delete_records_before(self, cutoff: datetime) -> int:
        t = orm.query_records
        return (await self.session.execute(delete(t).where(t.c.recorded_at < cutoff))).rowcount

    async def delete_finished_queries_before(self, cutoff: datetime) -> int:
        t = orm.income_queries
        result = await self.session.execute(
            delete(t).where(and_(t.c.status != PENDING, t.c.finished_at < cutoff))
        )
        return result.rowcount

    # -- 符号 --------------------------------------------------------------------------
    async def linkage_code(self, addressee_id: str) -> str | None:
        t = orm.linkage_codes
        return (
            await self.session.execute(select(t.c.linkage_code).where(t.c.addressee_id == addressee_id))
        ).scalar_one_or_none()

    async def store_linkage_code(self, addressee_id: str, code: str, at: datetime) -> bool:
        """Store the 符号 once; False when one was already stored (a concurrent pass won)."""
        if await self.linkage_code(addressee_id) is not None:
            return False
        await self.session.execute(
            insert(orm.linkage_codes).values(addressee_id=addressee_id, linkage_code=code, obtained_at=at)
        )
        return True

    async def drop_linkage_code(self, addressee_id: str) -> int:
        t = orm.linkage_codes
        return (await self.session.execute(delete(t).where(t.c.addressee_id == addressee_id))).rowcount

    # -- queries ----------------------------------------------------------------------
    async def query(self, query_id: str) -> dict | None:
        t = orm.income_queries
        row = (await self.session.execute(select(t).where(t.c.query_id == query_id))).mappings().first()
        return dict(row) if row else None

    async def add_query(self, **values) -> None:
        await self.session.execute(insert(orm.income_queries).values(**values))

    async def due_query_ids(self, now: datetime, limit: int) -> list[str]:
        t = orm.income_queries
        query = (
            select(t.c.query_id)
            .where(t.c.status == PENDING, t.c.next_attempt_at <= now)
            .where(or_(t.c.lease_until.is_(None), t.c.lease_until < now))
            .order_by(t.c.next_attempt_at)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    async def pending_received_before(self, cutoff: datetime, limit: int) -> list[str]:
        """Pending queries received before `cutoff` (past their deadline), leased or not."""
        t = orm.income_queries
        query = (
            select(t.c.query_id)
            .where(t.c.status == PENDING, t.c.received_at < cutoff)
            .order_by(t.c.received_at)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    async def lease(self, query_id: str, now: datetime, until: datetime) -> bool:
        t = orm.income_queries
        result = await self.session.execute(
            update(t)
            .where(t.c.query_id == query_id, t.c.status == PENDING)
            .where(or_(t.c.lease_until.is_(None), t.c.lease_until < now))
            .values(lease_until=until)
        )
        return result.rowcount == 1

    async def update_pending(self, query_id: str, **values) -> bool:
        """Change a query only while it is pending (a finished one is never changed again)."""
        t = orm.income_queries
        result = await self.session.execute(
            update(t).where(t.c.query_id == query_id, t.c.status == PENDING).values(**values)
        )
        return result.rowcount == 1

    async def status_counts(self) -> dict[str, int]:
        t = orm.income_queries
        rows = await self.session.execute(select(t.c.status, func.count()).group_by(t.c.status))
        return {f"income_queries_{status}": n for status, n in rows}


async def stats(session: AsyncSession) -> dict[str, int]:
    out = await count_rows(
        session,
        {
            "permitted_queries": orm.permitted_queries,
            "query_records": orm.query_records,
            "linkage_codes": orm.linkage_codes,
            "income_queries": orm.income_queries,
            "audit_log": orm.audit_log,
        },
    )
    out.update(await GatewayRepository(session).status_counts())
    return out
