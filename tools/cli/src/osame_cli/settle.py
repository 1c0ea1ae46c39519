"""Waiting for the flow to settle: expected counts reached, outboxes empty, work queues drained."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
from osame_contracts.topology import all_queues, dead_letter_queue_name

from osame_cli.bus import Bus
from osame_cli.stack import Stack


async def queue_depths(bus: Bus) -> dict[str, int]:
    out = {}
    for queue in all_queues():
        depth = await bus.queue_depth(bus.names.prefix + queue)
        out[queue] = depth or 0
    return out


async def dlq_depths(bus: Bus) -> dict[str, int]:
    out = {}
    for queue in all_queues():
        depth = await bus.queue_depth(dead_letter_queue_name(bus.names.prefix + queue))
        out[queue] = depth or 0
    return out


async def wait_settled(
    stack: Stack, bus: Bus, done: Callable[[dict[str, dict]], bool], timeout: float = 120
) -> dict[str, dict]:
    """Poll until `done(stats)` holds, no outbox has pending rows and every work queue is empty,
    twice in a row with the same consumed counts. A /stats call that times out (a busy machine) is
    a poll that did not see the flow settled, not a failure: only the deadline fails."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            stats = await asyncio.to_thread(stack.stats)
        except httpx.TimeoutException:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"flow did not settle in {timeout}s: a service's /stats timed out"
                ) from None
            last = None
            await asyncio.sleep(0.5)
            continue
        quiet = all(s["outbox_pending"] == 0 for s in stats.values())
        depths = await queue_depths(bus)
        consumed = {n: s["messages_consumed"] for n, s in stats.items()}
        if done(stats) and quiet and not any(depths.values()) and consumed == last:
            return stats
        last = consumed if quiet and not any(depths.values()) else None
        if time.monotonic() > deadline:
            raise TimeoutError(f"flow did not settle in {timeout}s: {stats} queues={depths}")
        await asyncio.sleep(0.5)
