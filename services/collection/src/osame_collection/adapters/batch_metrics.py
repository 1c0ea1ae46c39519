"""Batch runs (nightly, 催告 campaigns) as Prometheus gauges, read from `batches` at each scrape.

Runs started by the service's scheduler, by `POST /batches/nightly` or by the separate
`osame-collection nightly` process all land in the same table, so the running service reports
every one of them (alerts: a failed run, or no successful nightly run for a day).
"""

from __future__ import annotations

from osame_chassis.metrics import PlumbingMetrics
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from osame_collection.adapters.orm import batches


async def refresh_batch_metrics(session: AsyncSession, metrics: PlumbingMetrics) -> None:
    rows = await session.execute(select(batches.c.kind, batches.c.status, batches.c.finished_at))
    metrics.record_batch_runs(rows.all())
