"""Background loops of the running gateway: pending queries through the network, and retention."""

from __future__ import annotations

import asyncio
import logging
import time

from osame_chassis.runtime import ServiceRuntime

from osame_gateway.service_layer.processing import QueryProcessor
from osame_gateway.service_layer.retention import purge_expired

log = logging.getLogger("osame.gateway.worker")


async def run(
    runtime: ServiceRuntime, processor: QueryProcessor | None, settings, stop: asyncio.Event
) -> None:
    """Until `stop`: process due queries every `worker_poll_interval`, purge every `retention_interval_seconds`."""
    last_purge = 0.0
    while not stop.is_set():
        try:
            if runtime.ready:
                if processor is not None:
                    taken = await processor.run_once()
                    if taken:
                        continue  # there may be more due right away
                if time.monotonic() - last_purge >= settings.retention_interval_seconds:
                    async with runtime.unit_of_work() as uow:
                        await purge_expired(uow, settings.provision_record_retention_days)
                    last_purge = time.monotonic()
        except Exception as exc:  # keep the loop alive; the queries stay pending
            log.error("gateway worker pass failed (%s)", type(exc).__name__)
        try:
            await asyncio.wait_for(stop.wait(), timeout=settings.worker_poll_interval)
        except TimeoutError:
            pass
