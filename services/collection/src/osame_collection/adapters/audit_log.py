"""Append-only, hash-chained audit log (who, when, what, which 宛名番号) in collection's database.

Appends are serialised: on PostgreSQL the last entry is read FOR UPDATE (SQLite serialises writers).
The detail holds ids, codes and amounts only — never names or addresses.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from osame_collection.adapters import orm
from osame_collection.domain.audit import GENESIS, entry_hash

A = orm.audit_log


def _normal(detail: dict) -> dict:
    return json.loads(json.dumps(detail, ensure_ascii=False, default=str))


def as_utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


async def append(
    session: AsyncSession, staff_user: str, action: str, addressee_id: str | None, detail: dict
) -> int:
    query = select(A.c.seq, A.c.hash).order_by(A.c.seq.desc()).limit(1)
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    last = (await session.execute(query)).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    at = datetime.now(UTC).replace(microsecond=0)
    detail = _normal(detail)
    digest = entry_hash(prev, seq, at, staff_user, action, addressee_id, detail)
    await session.execute(
        insert(A).values(
            seq=seq,
            at=at,
            staff_user=staff_user,
            action=action,
            addressee_id=addressee_id,
            detail=detail,
            prev_hash=prev,
            hash=digest,
        )
    )
    return seq


async def entries(session: AsyncSession, addressee_id: str | None = None) -> list[dict]:
    query = select(A).order_by(A.c.seq)
    if addressee_id is not None:
        query = query.where(A.c.addressee_id == addressee_id)
    rows = [dict(r) for r in (await session.execute(query)).mappings()]
    for r in rows:
        r["at"] = as_utc(r["at"])
    return rows
