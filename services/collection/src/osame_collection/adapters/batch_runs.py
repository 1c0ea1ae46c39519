"""SQL of the batch-run list (夜間バッチ・催告 の実行一覧): the rows of `batches`, newest first.

A read model for screens and operators: status, dates, counts and the failure's error type (the
failed row keeps only the type, never data). No personal data is in `batches`.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from osame_collection.adapters.orm import batches

KINDS = ("nightly", "campaign")
STATUSES = ("running", "done", "failed")
# what the list shows of a run's summary: its counts (the full summary is GET /batches/{id})
COUNTS = ("open_installments", "demand_notices", "demand_notices_held", "pledges_breached", "letters")


async def batch_runs(
    session: AsyncSession, *, kind: str | None, status: str | None, limit: int, offset: int
) -> tuple[int, list[dict]]:
    """(how many runs match, one page of them: newest first by start time)."""
    b = batches.c
    where = [
        c for c in (b.kind == kind if kind else None, b.status == status if status else None) if c is not None
    ]
    total = (await session.execute(select(func.count()).select_from(batches).where(*where))).scalar_one()
    query = (
        select(b.batch_id, b.kind, b.run_on, b.campaign_id, b.status, b.started_at, b.finished_at)
        .add_columns(b.total, b.processed, b.summary, b.staff_user)
        .where(*where)
        .order_by(b.started_at.desc(), b.batch_id)
        .limit(limit)
        .offset(offset)
    )
    return total, [_run(dict(r)) for r in (await session.execute(query)).mappings()]


def _run(row: dict) -> dict:
    summary = row.pop("summary") or {}
    row["counts"] = {k: summary[k] for k in COUNTS if isinstance(summary.get(k), int)}
    row["failure"] = summary.get("error") if row["status"] == "failed" else None
    for key in ("run_on", "started_at", "finished_at"):
        row[key] = row[key].isoformat() if row[key] is not None else None
    return row
