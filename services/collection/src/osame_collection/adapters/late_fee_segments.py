"""SQL of the stored 延滞金 segments (issue #12 B5): written when an amount is fixed (確定延滞金,
督促状, 催告書), read by the case view and the letters — never recomputed with today's rates."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from osame_collection.adapters import orm

S = orm.late_fee_segments
Key = tuple[str, int]
CHUNK = 2_000


def rows_of(owner_kind: str, owner_id: str, key: Key, explained: list[dict]) -> list[dict]:
    """Table rows of one amount's segments (``domain.late_fee_explained.explain`` output)."""
    return [
        {
            "owner_kind": owner_kind,
            "owner_id": owner_id,
            "notice_number": key[0],
            "installment_no": key[1],
            "seq": n,
            "from_on": date.fromisoformat(s["from"]),
            "to_on": date.fromisoformat(s["to"]),
            "days": s["days"],
            "base": s["base"],
            "rate": s["rate"],
            "normal_rate": s["normal_rate"],
            "yen": s["yen"],
            "tier": s["tier"],
            "relief": s["relief"],
            "basis": s["basis"][:300],
        }
        for n, s in enumerate(explained, 1)
    ]


async def store(session: AsyncSession, rows: list[dict], replace: bool = True) -> None:
    """Insert segment rows (an owner's earlier rows for the same installment are replaced; a new
    owner — each 督促 of a batch — passes ``replace=False`` and skips the delete)."""
    if not rows:
        return
    if not replace:
        for start in range(0, len(rows), CHUNK):
            await session.execute(insert(S), rows[start : start + CHUNK])
        return
    owners = {(r["owner_kind"], r["owner_id"], r["notice_number"], r["installment_no"]) for r in rows}
    for kind in {o[0] for o in owners}:
        mine = [o[1:] for o in owners if o[0] == kind]
        for start in range(0, len(mine), CHUNK):
            await session.execute(
                delete(S).where(
                    S.c.owner_kind == kind,
                    tuple_(S.c.owner_id, S.c.notice_number, S.c.installment_no).in_(
                        mine[start : start + CHUNK]
                    ),
                )
            )
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(S), rows[start : start + CHUNK])


def _explained(row) -> dict:
    return {
        "from": row["from_on"].isoformat(),
        "to": row["to_on"].isoformat(),
        "days": row["days"],
        "base": row["base"],
        "rate": row["rate"],
        "normal_rate": row["normal_rate"],
        "yen": row["yen"],
        "tier": row["tier"],
        "relief": row["relief"],
        "basis": row["basis"],
    }


async def load(session: AsyncSession, owner_kind: str, owners: list[tuple[str, Key]]) -> dict:
    """{(owner_id, key): [segment dicts in order]} for the given owners of one kind."""
    out: dict[tuple[str, Key], list[dict]] = {}
    wanted = [(o, k[0], k[1]) for o, k in owners]
    for start in range(0, len(wanted), CHUNK):
        query = (
            select(S)
            .where(
                S.c.owner_kind == owner_kind,
                tuple_(S.c.owner_id, S.c.notice_number, S.c.installment_no).in_(
                    wanted[start : start + CHUNK]
                ),
            )
            .order_by(S.c.owner_id, S.c.notice_number, S.c.installment_no, S.c.seq)
        )
        for row in (await session.execute(query)).mappings():
            out.setdefault((row["owner_id"], (row["notice_number"], row["installment_no"])), []).append(
                _explained(row)
            )
    return out


async def demand_notices_of(session: AsyncSession, keys: list[Key]) -> list[dict]:
    """The 督促 of the installments ``keys``: id, keys, issue day and the 延滞金 it printed."""
    DN = orm.demand_notices
    out = []
    for start in range(0, len(keys), CHUNK):
        query = select(
            DN.c.demand_notice_id,
            DN.c.notice_number,
            DN.c.installment_no,
            DN.c.issued_on,
            DN.c.late_fee_accrued,
        ).where(tuple_(DN.c.notice_number, DN.c.installment_no).in_(keys[start : start + CHUNK]))
        out += [dict(r) for r in (await session.execute(query)).mappings()]
    return out
