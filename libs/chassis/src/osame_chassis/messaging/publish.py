"""The one publish helper. Nothing else in Osame calls `broker.publish`.

Persistent delivery, a stable `message_id` (the outbox row's), a `message_type`
(the routing key), the AMQP `user_id` (the connection's broker user: RabbitMQ refuses any
other, and consumers accept a routing key only from the publishers the contracts allow),
publisher confirms, and unroutable messages raised as errors (the broker's channel is opened
with `on_return_raises=True`). A refusal by the broker — a `user_id` that is not the
connection's user, a routing key outside the user's topic permissions — closes the channel
and is raised as `PublishFailed` too (the robust channel reopens for the next publish).
`exchange=None` is the default exchange, where the routing key names one queue (used to
replay a dead letter).
"""

from __future__ import annotations

from typing import Any

from faststream.rabbit import RabbitBroker, RabbitExchange
from pamqp.commands import Basic


class PublishFailed(RuntimeError):
    """The broker did not confirm the message (nacked, returned or unroutable)."""


async def publish(
    broker: RabbitBroker,
    *,
    exchange: RabbitExchange | None,
    routing_key: str,
    body: bytes,
    message_id: str,
    message_type: str,
    user_id: str | None,
    headers: dict[str, Any] | None = None,
    timeout: float = 10.0,
) -> None:
    try:
        result = await broker.publish(  # the only call site
            body,
            exchange=exchange,
            routing_key=routing_key,
            persist=True,
            mandatory=True,
            message_id=message_id,
            message_type=message_type,
            user_id=user_id,
            content_type="application/json",
            headers=headers or {},
            timeout=timeout,
        )
    except Exception as exc:  # aio_pika DeliveryError / PublishError / timeouts
        raise PublishFailed(f"publish of {message_type} failed: {type(exc).__name__}") from exc
    if not isinstance(result, Basic.Ack):
        raise PublishFailed(f"publish of {message_type} not confirmed: {type(result).__name__}")
