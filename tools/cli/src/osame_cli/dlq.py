"""Dead-letter queues: list depths, inspect, replay (all or one message by id), purge — each audited.

A replay re-publishes the message unchanged (same body, message_id, type and `user_id`) straight
to the one work queue it died in (default exchange), so other consumers are not disturbed, the
failed consumer's inbox still dedupes a replay of something it did apply, and the consumer
still judges the message by its original publisher. Keeping another user's `user_id` needs the
`operator` broker user (tag `impersonator`, see `osame_chassis.messaging.grants`).

Bodies are never printed or logged (they may hold personal data). Every action that changes a
DLQ writes one audit line — operator (the authenticated broker user, and the OS account),
action, queue, message id, count; no bodies, no reasons beyond the broker's — as JSON to the
log and appended to the audit file (`OSAME_DLQ_AUDIT_FILE`, default `var/log/osame-dlq-audit.jsonl`).

DLQs keep a dead letter for `OSAME_DLQ_MESSAGE_TTL_SECONDS` (default 30 days) and at most
`OSAME_DLQ_MAX_LENGTH` of them: replay or purge before they expire.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import aio_pika
from osame_contracts.topology import all_queues, dead_letter_queue_name

from osame_cli.bus import Bus

log = logging.getLogger("osame.audit.dlq")
DEFAULT_AUDIT_FILE = Path("var/log/osame-dlq-audit.jsonl")


class UnknownQueue(LookupError):
    pass


def death_summary(headers: dict) -> dict:
    deaths = headers.get("x-death") or []
    first = deaths[0] if deaths else {}
    return {
        "reason": headers.get("x-first-death-reason") or first.get("reason"),
        "queue": headers.get("x-first-death-queue") or first.get("queue"),
        "count": first.get("count"),
        "routing_keys": list(first.get("routing-keys") or []),
    }


@dataclass
class AuditTrail:
    """One JSON line per DLQ action: who, what, where, which message, how many (never a body)."""

    path: Path | None = None

    @classmethod
    def from_env(cls) -> AuditTrail:
        return cls(Path(os.environ.get("OSAME_DLQ_AUDIT_FILE") or DEFAULT_AUDIT_FILE))

    def record(self, bus: Bus, action: str, queue: str, *, count: int, message_id: str | None = None) -> dict:
        line = {
            "at": dt.datetime.now(dt.UTC).isoformat(),
            "operator": bus.user,
            "os_user": _os_user(),
            "action": action,
            "queue": bus.names.prefix + queue,
            "message_id": message_id,
            "count": count,
        }
        log.info("dlq %s", action, extra={"audit": line, "queue": line["queue"], "count": count})
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
        return line


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


async def _open_dlq(channel, bus: Bus, queue: str):
    try:
        return await channel.declare_queue(dead_letter_queue_name(bus.names.prefix + queue), passive=True)
    except aio_pika.exceptions.ChannelNotFoundEntity:
        raise UnknownQueue(f"no dead-letter queue for {queue!r} (see `osame dlq list`)") from None


async def list_depths(bus: Bus) -> list[tuple[str, int | None]]:
    """(work queue, dead letters) per queue; None when its DLQ does not exist (a wrong prefix or
    vhost, or a service that never started), which must not read as a healthy 0."""
    out = []
    for queue in all_queues():
        out.append((queue, await bus.queue_depth(dead_letter_queue_name(bus.names.prefix + queue))))
    return out


def missing_summary(rows: list[tuple[str, int | None]], prefix: str) -> str | None:
    """One line when some DLQs do not exist, else None."""
    missing = [queue for queue, depth in rows if depth is None]
    if not missing:
        return None
    return (
        f"{len(missing)} of {len(rows)} dead-letter queues do not exist under prefix {prefix!r} on this "
        "virtual host: check --prefix / OSAME_AMQP_PREFIX and the vhost in OSAME_AMQP_URL, or start the "
        "services (they declare their queues)"
    )


async def inspect(bus: Bus, queue: str, limit: int = 10) -> list[dict]:
    """Peek at up to `limit` dead letters without removing them (they are returned to the DLQ).

    Bodies are not shown (they may hold personal data); ids, types, publishers, sizes and death
    reasons are.
    """
    channel = await bus.connection.channel()
    out = []
    try:
        dlq = await _open_dlq(channel, bus, queue)
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
                    "publisher": message.user_id,
                    "bytes": len(message.body),
                    **death_summary(message.headers or {}),
                }
            )
        for message in held:
            await message.nack(requeue=True)
    finally:
        await channel.close()
    return out


async def _republish(bus: Bus, target: str, message: aio_pika.IncomingMessage) -> None:
    headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-")}
    headers["x-osame-replayed"] = json.dumps(death_summary(message.headers or {}), default=str)
    await bus.send_raw(
        message.body,
        exchange=None,
        routing_key=target,
        message_id=message.message_id or "",
        message_type=message.type or "",
        headers=headers,
        user_id=message.user_id or None,
    )


async def replay(bus: Bus, queue: str, limit: int | None = None, audit: AuditTrail | None = None) -> int:
    """Move dead letters back to their work queue; returns how many were replayed."""
    channel = await bus.connection.channel()
    replayed = 0
    target = bus.names.prefix + queue
    try:
        dlq = await _open_dlq(channel, bus, queue)
        # At most what is there now: a message that dies again at once must not be replayed forever.
        depth = dlq.declaration_result.message_count
        limit = depth if limit is None else min(limit, depth)
        while replayed < limit:
            message: aio_pika.IncomingMessage | None = await dlq.get(no_ack=False, fail=False)
            if message is None:
                break
            await _republish(bus, target, message)
            await message.ack()
            replayed += 1
    finally:
        await channel.close()
        (audit or AuditTrail()).record(bus, "replay", queue, count=replayed)
    return replayed


async def replay_one(bus: Bus, queue: str, message_id: str, audit: AuditTrail | None = None) -> bool:
    """Replay the one dead letter with `message_id` (the others stay); False when it is not there."""
    channel = await bus.connection.channel()
    target = bus.names.prefix + queue
    found = False
    held: list[aio_pika.IncomingMessage] = []
    try:
        dlq = await _open_dlq(channel, bus, queue)
        for _ in range(dlq.declaration_result.message_count):
            message = await dlq.get(no_ack=False, fail=False)
            if message is None:
                break
            if message.message_id == message_id:
                await _republish(bus, target, message)
                await message.ack()
                found = True
                break
            held.append(message)
    finally:
        for message in held:
            await message.nack(requeue=True)
        await channel.close()
        (audit or AuditTrail()).record(bus, "replay-one", queue, count=int(found), message_id=message_id)
    return found


async def depth(bus: Bus, queue: str) -> int:
    return await bus.queue_depth(dead_letter_queue_name(bus.names.prefix + queue)) or 0


async def purge(bus: Bus, queue: str, audit: AuditTrail | None = None) -> int:
    """Delete every dead letter of `queue` (after the operator confirmed); returns how many."""
    channel = await bus.connection.channel()
    purged = 0
    try:
        dlq = await _open_dlq(channel, bus, queue)
        result = await dlq.purge()
        purged = result.message_count
    finally:
        await channel.close()
        (audit or AuditTrail()).record(bus, "purge", queue, count=purged)
    return purged
