"""Append-only, hash-chained audit log (who, when, what, which 宛名番号) in collection's database.

Appends are serialised (`osame_chassis.db.serialise_writers`): the next seq is read and written by one
writer at a time, so concurrent staff calls and batches never fork the chain nor fail on it.
The detail holds ids, codes and amounts only — never names or addresses.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from osame_chassis.db import serialise_writers
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
    await serialise_writers(session, A.name)
    query = select(A.c.seq, A.c.hash).order_by(A.c.seq.desc()).limit(1)
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
