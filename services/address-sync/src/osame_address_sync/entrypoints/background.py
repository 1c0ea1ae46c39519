"""The running service's own loop: apply 支援措置 decisions on their effective date (business date)."""

from __future__ import annotations

import asyncio
import logging

from osame_chassis.runtime import ServiceRuntime

from osame_address_sync.service_layer.protection import apply_due_protections

log = logging.getLogger("osame.address_sync.background")


async def apply_due_once(runtime: ServiceRuntime) -> int:
    """One pass: every due decision applied (in batches, one transaction each); returns the count."""
    deps = runtime.settings.deps()
    total = 0
    while True:
        async with runtime.unit_of_work() as uow:
            applied = await apply_due_protections(uow, deps)
            await uow.commit()
        total += applied
        if applied == 0:
            return total


async def run(runtime: ServiceRuntime, stop: asyncio.Event) -> None:
    """Until `stop`: a pass every `protection_check_interval_seconds` (the first right away)."""
    interval = runtime.settings.protection_check_interval_seconds
    while not stop.is_set():
        try:
            if runtime.ready:
                applied = await apply_due_once(runtime)
                if applied:
                    log.info("支援措置 decisions applied on their date: %d addressees", applied)
        except Exception as exc:  # keep the loop alive; the decisions stay due and are tried again
            log.error("protection pass failed (%s)", type(exc).__name__)
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass
