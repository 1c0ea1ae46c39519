"""Subscribing a service-layer handler to a contract message, with the reliability rules applied.

The wrapper (not the handler) refuses a message with no `message_id`; accepts a routing key
only from the publishers the contracts allow (`osame_contracts.publishers`), judged by the AMQP
`user_id` that RabbitMQ validated against the publishing connection's user; parses the body with
the contract model, so validation errors never echo input; verifies the staff proof of a staff
action (`staff_proof`), so the staff id it names was authenticated by its publisher; opens a unit of work; records the message in the inbox in the
same transaction as the effect (duplicates are acknowledged and skipped); retries
transient failures with tenacity; rejects permanent failures to the DLQ with the reason
logged; and returns still-failing messages to the queue so the delivery limit applies.

Group commit (issue 17): the messages of one queue that arrive while its previous batch is being
applied (at most the prefetch count) are applied together in one unit of work — one commit,
each message still claimed in the inbox and handled in its own trace context, in arrival order.
When any of them fails, the batch is rolled back and its messages are applied one by one, so a
poison message is dead-lettered alone and the others are applied once. Each message is still
acknowledged, rejected or requeued on its own, after the commit that holds its effect.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from faststream import AckPolicy
from faststream.exceptions import AckMessage, RejectMessage
from faststream.rabbit.annotations import RabbitMessage
from opentelemetry import context as otel_context
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

APPLIED = "applied"
DUPLICATE = "duplicate"


def describe_validation_error(err: ValidationError) -> str:
    """Field locations and error types only (never values)."""
    parts = [f"{'.'.join(str(p) for p in e['loc']) or '<body>'}:{e['type']}" for e in err.errors()[:10]]
    return "invalid body: " + ", ".join(parts)


@dataclass
class Delivery:
    """One checked message waiting for its batch: its outcome is APPLIED, DUPLICATE or the error."""

    message_id: str
    body: Message
    trace: otel_context.Context  # the message's own consume span (linked to its producer)
    outcome: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    def settle(self, outcome: str | BaseException) -> None:
        if not self.outcome.done():
            self.outcome.set_result(outcome)


class QueueApplier:
    """Applies one queue's deliveries: those that arrive while a batch runs form the next batch."""

    def __init__(self, runtime: ServiceRuntime, queue: str, handler: Handler, batch_limit: int):
        self._runtime = runtime
        self._queue = queue
        self._handler = handler
        self._batch_limit = batch_limit
        self._pending: list[Delivery] = []
        self._task: asyncio.Task | None = None

    def submit(self, delivery: Delivery) -> None:
        self._pending.append(delivery)
        if self._task is None or self._task.done():
            # An empty context: the loop outlives any one message's trace.
            self._task = asyncio.create_task(
                self._drain(), name=f"apply {self._queue}", context=contextvars.Context()
            )

    async def _drain(self) -> None:
        batch: list[Delivery] = []
        try:
            while self._pending:
                batch, self._pending = self._pending[: self._batch_limit], self._pending[self._batch_limit :]
                # bounded work in flight: probes and stats stay prompt
                async with self._runtime.handler_slots:
                    await self._apply(batch)
        finally:  # cancelled (shutdown): unsettled messages go back to the queue, nothing was committed
            for delivery in [*batch, *self._pending]:
                delivery.settle(RuntimeError("consumer stopped before the message was applied"))

    async def _apply(self, batch: list[Delivery]) -> None:
        if len(batch) > 1:
            try:
                outcomes = await self._together(batch)
            except Exception as err:
                log.info(
                    "batch of %d failed (%s); applying its messages one by one",
                    len(batch),
                    type(err).__name__,
                    extra={"queue": self._queue},
                )
            else:
                for delivery, outcome in zip(batch, outcomes, strict=True):
                    delivery.settle(outcome)
                return
        for delivery in batch:
            delivery.settle(await self._alone(delivery))

    async def _together(self, batch: list[Delivery]) -> list[str]:
        """Every message of the batch in one unit of work and one commit (or none of them)."""
        outcomes = []
        async with self._runtime.unit_of_work() as uow:
            new = await uow.claim_all(self._queue, [d.message_id for d in batch])
            for delivery in batch:
                if delivery.message_id not in new:
                    outcomes.append(DUPLICATE)  # already applied, or earlier in this batch
                    continue
                new.discard(delivery.message_id)
                token = otel_context.attach(delivery.trace)
                try:
                    await self._handler(delivery.body, uow)
                finally:
                    otel_context.detach(token)
                outcomes.append(APPLIED)
            await uow.commit()
        return outcomes

    async def _alone(self, delivery: Delivery) -> str | BaseException:
        """One message in its own unit of work, transient failures retried with tenacity."""
        token = otel_context.attach(delivery.trace)
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self._runtime.settings.handler_retry_attempts),
                wait=wait_exponential_jitter(multiplier=0.05, max=1.0),
                retry=retry_if_not_exception_type(PermanentError),
                reraise=True,
            ):
                with attempt:
                    async with self._runtime.unit_of_work() as uow:
                        outcome = await self._claim_and_handle(uow, delivery)
                        await uow.commit()
            return outcome
        except Exception as err:
            return err
        finally:
            otel_context.detach(token)

    async def _claim_and_handle(self, uow: UnitOfWork, delivery: Delivery) -> str:
        if not await uow.claim(self._queue, delivery.message_id):
            return DUPLICATE  # already applied: skip the handler
        await self._handler(delivery.body, uow)
        return APPLIED


def subscribe(runtime: ServiceRuntime, model: type[Message], handler: Handler) -> str:
    """Register `handler` for `model` on this service's own quorum queue; returns the queue name."""
    names = runtime.names
    settings = runtime.settings
    queue = names.queue(settings.service_name, model)
    runtime.queues.append(queue)
    runtime.consumed[queue] = model
    publishers = allowed_publishers(model.routing_key)
    staff_proofs = verifier_from_settings(settings) if model.staff_field else None
    applier = QueueApplier(runtime, queue, handler, settings.prefetch)

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
        delivery = Delivery(message_id, body, otel_context.get_current())
        applier.submit(delivery)
        outcome = await asyncio.shield(delivery.outcome)  # settled after its batch commits or fails
        if outcome == DUPLICATE:
            runtime.metrics.duplicates.labels(queue=queue).inc()
            log.info("duplicate delivery skipped", extra={"message_id": message_id, "queue": queue})
        elif isinstance(outcome, PermanentError):
            await _reject(message_id, f"refused: {outcome}", msg.body)
        elif isinstance(outcome, BaseException):
            runtime.metrics.requeued.labels(queue=queue).inc()
            log.warning(
                "handler failed (%s); returned to queue for redelivery",
                type(outcome).__name__,
                extra={"message_id": message_id, "queue": queue},
                exc_info=outcome,  # frames only (osame_chassis.logs.redacted_stack)
            )
            raise RejectMessage(requeue=True) from outcome

    return queue
