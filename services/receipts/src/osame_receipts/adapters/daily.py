"""日計: the money of one 収入日 by channel and tax item (速報 vs 確報), the suspense list's part of it,
and each file behind it reconciled against the file's own total (trailer; 全銀: 振替済金額).

A file reconciles when its own money total = what its records became: receipts standing in the
ledger (applied, overpaid or unmatched) + held on the suspense list (held, resolved or returned) +
records that were already recorded before (duplicates). Anything else — money lost, counted twice,
an unreadable amount — is flagged (`reconciled: false`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from osame_receipts.adapters import orm


async def daily_totals(session: AsyncSession, booked_on: dt.date) -> dict:
    r, n, s, b = orm.receipts.c, orm.notices.c, orm.suspense_items.c, orm.import_batches.c
    by_item = (
        await session.execute(
            select(r.channel, n.tax_item, r.state, func.count(), func.sum(r.amount))
            .select_from(orm.receipts.outerjoin(orm.notices, n.notice_number == r.notice_number))
            .where(r.booked_on == booked_on, r.channel != "appropriation")
            .group_by(r.channel, n.tax_item, r.state)
            .order_by(r.channel, n.tax_item, r.state)
        )
    ).all()
    held = (
        await session.execute(
            select(s.channel, s.status, func.count(), func.coalesce(func.sum(s.amount), 0))
            .where(s.booked_on == booked_on)
            .group_by(s.channel, s.status)
            .order_by(s.channel, s.status)
        )
    ).all()
    batch_ids = union(
        select(r.batch_id.label("batch_id")).where(r.booked_on == booked_on, r.batch_id.is_not(None)),
        select(s.batch_id.label("batch_id")).where(s.booked_on == booked_on, s.batch_id.is_not(None)),
    ).subquery()
    batches = (
        (
            await session.execute(
                select(orm.import_batches)
                .where(b.batch_id.in_(select(batch_ids.c.batch_id)))
                .order_by(b.imported_at)
            )
        )
        .mappings()
        .all()
    )
    files = []
    for batch in batches:
        in_ledger = (
            await session.execute(
                select(func.coalesce(func.sum(r.amount), 0)).where(
                    r.batch_id == batch["batch_id"], r.state == "final"
                )
            )
        ).scalar_one()
        on_hold = (
            await session.execute(
                select(func.coalesce(func.sum(s.amount), 0)).where(s.batch_id == batch["batch_id"])
            )
        ).scalar_one()
        accounted = in_ledger + on_hold + batch["duplicate_yen"]
        files.append(
            {
                "batch_id": batch["batch_id"],
                "file": batch["file_name"],
                "channel": batch["channel"],
                "status": batch["status"],
                "file_total": batch["paid_yen"],
                "in_ledger": in_ledger,
                "held": on_hold,
                "duplicates": batch["duplicate_yen"],
                "reconciled": batch["paid_yen"] is not None and accounted == batch["paid_yen"],
            }
        )
    channels: dict[str, dict] = {}
    for channel, tax_item, state, count, yen in by_item:
        entry = channels.setdefault(channel, {"final": 0, "preliminary": 0, "reversed": 0, "by_tax_item": []})
        if state in entry:
            entry[state] += yen
        entry["by_tax_item"].append(
            {"tax_item": tax_item or "unmatched", "state": state, "count": count, "yen": yen}
        )
    return {
        "booked_on": booked_on.isoformat(),
        "channels": channels,
        "suspense": [{"channel": c, "status": st, "count": k, "yen": y} for c, st, k, y in held],
        "files": files,
        "reconciled": all(f["reconciled"] for f in files),
    }
