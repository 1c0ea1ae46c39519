"""A client connection to the bus for operator tools: publish contract messages, inspect and
drain queues.

Publishing goes through the chassis' one publish helper (persistent, message_id,
message_type, confirms, unroutable raised); queue inspection uses aio-pika directly.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

import aio_pika
from faststream.rabbit import Channel, RabbitBroker, RabbitExchange
from osame_chassis.ids import new_id
from osame_chassis.messaging.publish import publish
from osame_chassis.messaging.topology import Names
from osame_contracts.base import Message


class Bus:
    def __init__(self, broker: RabbitBroker, connection: aio_pika.abc.AbstractRobustConnection, names: Names):
        self.broker = broker
        self.connection = connection
        self.names = names

    async def send(self, message: Message, *, message_id: str | None = None) -> str:
        message_id = message_id or new_id()
        await publish(
            self.broker,
            exchange=self.names.exchange_for(type(message)),
            routing_key=message.routing_key,
            body=message.model_dump_json().encode(),
            message_id=message_id,
            message_type=message.message_type(),
        )
        return message_id

    async def send_raw(
        self,
        body: bytes,
        *,
        exchange: RabbitExchange | None,
        routing_key: str,
        message_id: str,
        message_type: str,
        headers: dict | None = None,
    ) -> None:
        await publish(
            self.broker,
            exchange=exchange,
            routing_key=routing_key,
            body=body,
            message_id=message_id,
            message_type=message_type,
            headers=headers,
        )

    async def queue_depth(self, queue: str) -> int | None:
        """Ready messages in `queue`, or None when it does not exist."""
        channel = await self.connection.channel()
        try:
            declared = await channel.declare_queue(queue, passive=True)
            return declared.declaration_result.message_count
        except aio_pika.exceptions.ChannelClosed:
            return None
        finally:
            if not channel.is_closed:
                await channel.close()

    async def delete(self, queues: list[str], exchanges: list[str]) -> None:
        channel = await self.connection.channel()
        try:
            for queue in queues:
                await channel.queue_delete(queue)
            for exchange in exchanges:
                await channel.exchange_delete(exchange)
        finally:
            await channel.close()


@asynccontextmanager
async def connect(amqp_url: str, prefix: str = "", *, middlewares=()):
    broker = RabbitBroker(
        amqp_url,
        default_channel=Channel(publisher_confirms=True, on_return_raises=True),
        middlewares=middlewares,
        log_level=10,
    )
    await broker.connect()
    connection = await aio_pika.connect_robust(amqp_url)
    try:
        yield Bus(broker, connection, Names(prefix))
    finally:
        await connection.close()
        await broker.stop()


async def delete_namespace(amqp_url: str, prefix: str, extra_queues: tuple[str, ...] = ()) -> None:
    """Delete every queue (with its DLQ) and exchange of the broker namespace `prefix` — a demo's,
    a benchmark's or a test's — so runs leave nothing behind on a shared broker."""
    from osame_contracts.topology import COMMANDS_EXCHANGE, DEAD_LETTER_EXCHANGE, EVENTS_EXCHANGE, all_queues

    async with connect(amqp_url, prefix) as bus:
        queues = [prefix + q for q in (*all_queues(), *extra_queues)]
        await bus.delete(
            queues + [q + ".dlq" for q in queues],
            [prefix + e for e in (EVENTS_EXCHANGE, COMMANDS_EXCHANGE, DEAD_LETTER_EXCHANGE)],
        )
