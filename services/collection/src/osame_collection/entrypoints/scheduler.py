"""In-service schedule of the nightly batch (``OSAME_NIGHTLY_AT=HH:MM``, Asia/Tokyo).

The batch date is the Tokyo calendar day of the run. A run already recorded as done for that date
(table ``batches``) is not repeated, so a restart or a second replica does not dun twice (the
督促 INSERT is also unique per installment). A failed run leaves nothing half-applied, is recorded
as ``failed`` (alerted through the batch metrics) and is retried the same day every
``RETRY_MINUTES`` until it succeeds (issue #12 defect 11).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from osame_chassis.runtime import ServiceRuntime
from sqlalchemy import select

from osame_collection.adapters import orm
from osame_collection.service_layer.nightly import RunNightly, run_and_record

log = logging.getLogger("osame.collection.scheduler")
TOKYO = ZoneInfo("Asia/Tokyo")


def seconds_until(at: str, now: datetime) -> float:
    hour, minute = (int(x) for x in at.split(":"))
    target = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    return (target - now).total_seconds()


RETRY_MINUTES = 30


async def run_once(runtime: ServiceRuntime, day) -> dict | None:
    async with runtime.unit_of_work() as uow:
        done = (
            await uow.session.execute(
                select(orm.batches.c.batch_id).where(
                    orm.batches.c.kind == "nightly",
                    orm.batches.c.run_on == day,
                    orm.batches.c.status == "done",
                )
            )
        ).first()
    if done is not None:
        return None
    summary = await run_and_record(
        runtime.unit_of_work,
        RunNightly(batch_date=day, staff_user="scheduler"),
        policy=runtime.settings.policy(),
    )
    log.info("nightly batch done: %d demand notices", summary["demand_notices"])
    return summary


async def loop(runtime: ServiceRuntime) -> None:
    at = runtime.settings.nightly_at
    while True:
        await asyncio.sleep(seconds_until(at, datetime.now(TOKYO)))
        day = datetime.now(TOKYO).date()
        while datetime.now(TOKYO).date() == day:
            try:
                await run_once(runtime, day)
                break
            except Exception as exc:  # recorded as failed; logged without data; retried the same day
                log.error("nightly batch failed (%s); retrying in %d min", type(exc).__name__, RETRY_MINUTES)
                await asyncio.sleep(RETRY_MINUTES * 60)


async def run(runtime: ServiceRuntime, stop: asyncio.Event) -> None:
    """The schedule beside the consumers (a `ServiceSpec.background` task, cancelled at shutdown);
    nothing when OSAME_NIGHTLY_AT is not set."""
    if runtime.settings.nightly_at:
        await loop(runtime)
