"""The one publish helper. Nothing else in Osame calls `broker.publish`.

Persistent delivery, a stable `message_id` (the outbox row's), a `message_type`
(the routing key), publisher confirms, and unroutable messages raised as errors
(the broker's channel is opened with `on_return_raises=True`). `exchange=None` is the
default exchange, where the routing key names one queue (used to replay a dead letter).
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
            content_type="application/json",
            headers=headers or {},
            timeout=timeout,
        )
    except Exception as exc:  # aio_pika DeliveryError / PublishError / timeouts
        raise PublishFailed(f"publish of {message_type} failed: {type(exc).__name__}") from exc
    if not isinstance(result, Basic.Ack):
        raise PublishFailed(f"publish of {message_type} not confirmed: {type(result).__name__}")
