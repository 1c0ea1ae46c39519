"""Dead-letter queue depths for 管理 (counts only: the console never reads a dead letter's body).

Read from the broker with passive declares (the queues are the contracts' topology, with the
deployment's name prefix); a queue that does not exist yet is reported as such. Needs a broker
user that may passively declare the `*.dlq` queues; unset, the panel says so.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass

import aio_pika
from osame_contracts.topology import all_queues, dead_letter_queue_name

log = logging.getLogger("osame.console.dead_letters")


@dataclass(frozen=True)
class DeadLetterDepth:
    queue: str  # the work queue the messages died in (without prefix)
    depth: int | None  # None: the dead-letter queue does not exist


async def dead_letter_depths(
    amqp_url: str, prefix: str, timeout: float = 10.0, *, ssl_context: ssl.SSLContext | None = None
) -> list[DeadLetterDepth]:
    """`ssl_context`: for an amqps:// URL, the verifying context (`ConsoleSettings.dead_letter_tls`)."""
    connection = await aio_pika.connect(amqp_url, timeout=timeout, ssl_context=ssl_context)
    try:
        out = []
        for queue in sorted(all_queues()):
            channel = await connection.channel()
            try:
                declared = await channel.declare_queue(dead_letter_queue_name(prefix + queue), passive=True)
                out.append(DeadLetterDepth(queue, declared.declaration_result.message_count))
            except aio_pika.exceptions.ChannelClosed:
                out.append(DeadLetterDepth(queue, None))
            finally:
                if not channel.is_closed:
                    await channel.close()
        return out
    finally:
        await connection.close()
