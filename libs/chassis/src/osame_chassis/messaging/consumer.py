"""Subscribing a service-layer handler to a contract message, with the reliability rules applied.

The wrapper (not the handler) refuses a message with no `message_id`; accepts a routing key
only from the publishers the contracts allow (`osame_contracts.publishers`), judged by the AMQP
`user_id` that RabbitMQ validated against the publishing connection's user; parses the body with
the contract model, so validation errors never echo input; verifies the staff proof of a staff
action (`staff_proof`), so the staff id it names was authenticated by its publisher; opens a unit of work; records the message in the inbox in the
same transaction as the effect (duplicates are acknowledged and skipped); retries
transient failures with tenacity; rejects permanent failures to the DLQ with the reason
logged; and returns still-failing messages to the queue so the delivery limit applies.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from faststream import AckPolicy
from faststream.exceptions import AckMessage, RejectMessage
from faststream.rabbit.annotations import RabbitMessage
from osame_contracts.base import Message
from osame_contracts.publishers import allowed_publishers
from pydantic import ValidationError
from tenacity import AsyncRetrying, retry_if_not_exception_type, stop_after_attempt, wait_exponential_jitter

from osame_chassis.errors import PermanentError
from osame_chassis.messaging.staff_proof import StaffProofError, verifier_from_settings
from osame_chassis.messaging.topology import work_queue
from osame_chassis.sealed_number import clear_my_number_in

if TYPE_CHECKING:
    from osame_chassis.runtime import ServiceRuntime
    from osame_chassis.uow import UnitOfWork

log = logging.getLogger("osame.consumer")


Handler = Callable[[Message, "UnitOfWork"], Awaitable[object]]


def describe_validation_error(err: ValidationError) -> str:
    """Field locations and error types only (never values)."""
    parts = [f"{'.'.join(str(p) for p in e['loc']) or '<body>'}:{e['type']}" for e in err.errors()[:10]]
    return "invalid body: " + ", ".join(parts)


def subscribe(runtime: ServiceRuntime, model: type[Message], handler: Handler) -> str:
    """Register `handler` for `model` on this service's own quorum queue; returns the queue name."""
    names = runtime.names
    settings = runtime.settings
    queue = names.queue(settings.service_name, model)
    runtime.queues.append(queue)
    runtime.consumed[queue] = model
    publishers = allowed_publishers(model.routing_key)
    staff_proofs = verifier_from_settings(settings) if model.staff_field else None

    async def _reject(message_id: str, reason: str, body: bytes) -> None:
        runtime.metrics.rejected.labels(queue=queue).inc()
        if clear_my_number_in(body):
            # A DLQ is readable by operators and outlives the message: a refused body holding a
            # 個人番号 in clear is not kept there (issue 13 item 4). The publisher must re-send it sealed.
            log.error(
                "refused and not kept: %s; the body holds a 個人番号 in clear",
                reason,
                extra={"message_id": message_id, "queue": queue, "reason": reason},
            )
            raise AckMessage()
        log.error(
            "rejected to DLQ: %s", reason, extra={"message_id": message_id, "queue": queue, "reason": reason}
        )
        raise RejectMessage(requeue=False)

    @runtime.broker.subscriber(
        work_queue(names, queue, model.routing_key, settings.delivery_limit),
        names.exchange_for(model),
        ack_policy=AckPolicy.REJECT_ON_ERROR,
        title=queue,
        description=(model.__doc__ or "").strip(),
    )
    async def _consume(msg: RabbitMessage) -> None:
        message_id = (msg.raw_message.message_id or "")[:64]  # any sender sets it: bounded in logs
        if not message_id:
            await _reject("<none>", "missing message_id (publish through the outbox helper)", msg.body)
        user_id = msg.raw_message.user_id
        publisher = names.principal_of(user_id)
        if publisher not in publishers:
            await _reject(
                message_id, f"publisher {str(user_id)[:80]!r} may not publish {model.routing_key}", msg.body
            )
        if msg.raw_message.type and msg.raw_message.type != model.message_type():
            await _reject(
                message_id,
                f"message_type {msg.raw_message.type[:80]!r} is not {model.message_type()!r}",
                msg.body,
            )
        try:
            body = model.model_validate_json(msg.body)
        except ValidationError as err:
            await _reject(message_id, describe_validation_error(err), msg.body)
        if staff_proofs is not None:
            try:
                staff_proofs.verify(body, publisher)
            except StaffProofError as err:
                await _reject(message_id, f"staff proof refused: {err.code}", msg.body)
        async with runtime.handler_slots:  # bounded work in flight: probes and stats stay prompt
            try:
                async for attempt in AsyncRetrying(
                    stop=stop_after_attempt(settings.handler_retry_attempts),
                    wait=wait_exponential_jitter(multiplier=0.05, max=1.0),
                    retry=retry_if_not_exception_type(PermanentError),
                    reraise=True,
                ):
                    with attempt:
                        async with runtime.unit_of_work() as uow:
                            if not await uow.claim(queue, message_id):
                                runtime.metrics.duplicates.labels(queue=queue).inc()
                                log.info(
                                    "duplicate delivery skipped",
                                    extra={"message_id": message_id, "queue": queue},
                                )
                                return
                            await handler(body, uow)
                            await uow.commit()
            except PermanentError as err:
                await _reject(message_id, f"refused: {err}", msg.body)
            except Exception as err:
                runtime.metrics.requeued.labels(queue=queue).inc()
                log.warning(
                    "handler failed (%s); returned to queue for redelivery",
                    type(err).__name__,
                    extra={"message_id": message_id, "queue": queue},
                    exc_info=err,  # frames only (osame_chassis.logs.redacted_stack)
                )
                raise RejectMessage(requeue=True) from err

    return queue
