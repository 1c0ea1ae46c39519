"""Dead-letter queues: list depths, inspect messages, replay them to their queue.

A replay re-publishes the message unchanged (same message_id and type) straight to the
one work queue it died in (default exchange), so other consumers are not disturbed and
the failed consumer's inbox still dedupes a replay of something it did apply.
"""

from __future__ import annotations

import json

import aio_pika
from osame_contracts.topology import all_queues, dead_letter_queue_name

from osame_cli.bus import Bus


def death_summary(headers: dict) -> dict:
    deaths = headers.get("x-death") or []
    first = deaths[0] if deaths else {}
    return {
        "reason": headers.get("x-first-death-reason") or first.get("reason"),
        "queue": headers.get("x-first-death-queue") or first.get("queue"),
        "count": first.get("count"),
        "routing_keys": list(first.get("routing-keys") or []),
    }


async def list_depths(bus: Bus) -> list[tuple[str, int]]:
    out = []
    for queue in all_queues():
        depth = await bus.queue_depth(dead_letter_queue_name(bus.names.prefix + queue))
        out.append((queue, depth or 0))
    return out


async def inspect(bus: Bus, queue: str, limit: int = 10) -> list[dict]:
    """Peek at up to `limit` dead letters without removing them (they are returned to the DLQ).

    Bodies are not shown (they may hold personal data); ids, types, sizes and death reasons are.
    """
    channel = await bus.connection.channel()
    out = []
    try:
        dlq = await channel.declare_queue(dead_letter_queue_name(bus.names.prefix + queue), passive=True)
        held = []
        for _ in range(limit):
            message = await dlq.get(no_ack=False, fail=False)
            if message is None:
                break
            held.append(message)
            out.append(
                {
                    "message_id": message.message_id,
                    "type": message.type,
                    "bytes": len(message.body),
                    **death_summary(message.headers or {}),
                }
            )
        for message in held:
            await message.nack(requeue=True)
    finally:
        await channel.close()
    return out


async def replay(bus: Bus, queue: str, limit: int | None = None) -> int:
    """Move dead letters back to their work queue; returns how many were replayed."""
    channel = await bus.connection.channel()
    replayed = 0
    target = bus.names.prefix + queue
    try:
        dlq = await channel.declare_queue(dead_letter_queue_name(target), passive=True)
        # At most what is there now: a message that dies again at once must not be replayed forever.
        depth = dlq.declaration_result.message_count
        limit = depth if limit is None else min(limit, depth)
        while replayed < limit:
            message: aio_pika.IncomingMessage | None = await dlq.get(no_ack=False, fail=False)
            if message is None:
                break
            headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-")}
            headers["x-osame-replayed"] = json.dumps(death_summary(message.headers or {}), default=str)
            await bus.send_raw(
                message.body,
                exchange=None,
                routing_key=target,
                message_id=message.message_id,
                message_type=message.type or "",
                headers=headers,
            )
            await message.ack()
            replayed += 1
    finally:
        await channel.close()
    return replayed
