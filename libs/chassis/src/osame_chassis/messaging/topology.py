"""Declares quorum work queues and their dead-letter queues; names exchanges, queues and broker users.

Every work queue: quorum, explicit `x-delivery-limit` (RabbitMQ 3.x has no default),
dead-lettering to `osame.dlx` at-least-once (which needs `x-overflow=reject-publish`),
routed by the queue's own name to `<queue>.dlq`. Every DLQ: quorum, a retention limit
(`x-message-ttl`, `x-max-length`) and `x-overflow=reject-publish`, so a full DLQ holds dead
letters back in their work queue (at-least-once) instead of dropping the oldest.

The three exchanges are topic exchanges, so RabbitMQ's topic permissions limit the routing keys
each broker user may publish with and bind with on every one of them. They are created when the
broker is provisioned (`osame_chassis.messaging.provision`, `deploy/rabbitmq/definitions.json`);
services only check that they exist (a service's broker user may not configure exchanges).
"""

from __future__ import annotations

from dataclasses import dataclass

from aio_pika.exceptions import ChannelNotFoundEntity
from faststream.rabbit import ExchangeType, QueueType, RabbitBroker, RabbitExchange, RabbitQueue
from osame_contracts import topology as contract_topology
from osame_contracts.base import Message

USER_PREFIX = "osame-"  # broker user of principal P: <OSAME_AMQP_PREFIX>osame-<P>


class Names:
    """Prefixed broker names (a prefix isolates test runs or environments on one vhost)."""

    def __init__(self, prefix: str = ""):
        self.prefix = prefix

    def _exchange(self, name: str) -> RabbitExchange:
        return RabbitExchange(self.prefix + name, type=ExchangeType.TOPIC, durable=True, declare=False)

    def events(self) -> RabbitExchange:
        return self._exchange(contract_topology.EVENTS_EXCHANGE)

    def commands(self) -> RabbitExchange:
        return self._exchange(contract_topology.COMMANDS_EXCHANGE)

    def dead_letters(self) -> RabbitExchange:
        return self._exchange(contract_topology.DEAD_LETTER_EXCHANGE)

    def exchanges(self) -> tuple[RabbitExchange, RabbitExchange, RabbitExchange]:
        return self.events(), self.commands(), self.dead_letters()

    def exchange_named(self, name: str) -> RabbitExchange:
        """The exchange object for a prefixed exchange name (as stored in an outbox row)."""
        for exchange in self.exchanges():
            if exchange.name == name:
                return exchange
        raise ValueError(f"not an Osame exchange of prefix {self.prefix!r}: {name!r}")

    def exchange_for(self, model: type[Message]) -> RabbitExchange:
        name = contract_topology.exchange_for(model)
        return self.commands() if name == contract_topology.COMMANDS_EXCHANGE else self.events()

    def queue(self, service: str, model: type[Message]) -> str:
        return self.prefix + contract_topology.queue_name(service, model)

    def dlq(self, queue: str) -> str:
        return contract_topology.dead_letter_queue_name(queue)

    def user(self, principal: str) -> str:
        """The broker user of a principal (a service or an outside system) in this namespace."""
        return f"{self.prefix}{USER_PREFIX}{principal}"

    def principal_of(self, user_id: str | None) -> str | None:
        """The principal whose broker user is `user_id` in this namespace, or None."""
        head = self.prefix + USER_PREFIX
        if not user_id or not user_id.startswith(head) or len(user_id) == len(head):
            return None
        return user_id[len(head) :]


@dataclass(frozen=True)
class DeadLetterRetention:
    """How long and how many dead letters a DLQ keeps (queue arguments, so declared identically everywhere)."""

    ttl_seconds: int
    max_length: int

    @classmethod
    def from_settings(cls, settings) -> DeadLetterRetention:
        return cls(ttl_seconds=settings.dlq_message_ttl_seconds, max_length=settings.dlq_max_length)

    @classmethod
    def default(cls) -> DeadLetterRetention:
        from osame_chassis.settings import ServiceSettings

        fields = ServiceSettings.model_fields
        return cls(fields["dlq_message_ttl_seconds"].default, fields["dlq_max_length"].default)

    def arguments(self) -> dict[str, object]:
        return {
            "x-message-ttl": self.ttl_seconds * 1000,
            "x-max-length": self.max_length,
            "x-overflow": "reject-publish",
        }


def work_queue(names: Names, queue: str, routing_key: str, delivery_limit: int) -> RabbitQueue:
    return RabbitQueue(
        queue,
        queue_type=QueueType.QUORUM,
        durable=True,
        routing_key=routing_key,
        arguments={
            "x-delivery-limit": delivery_limit,
            "x-dead-letter-exchange": names.dead_letters().name,
            "x-dead-letter-routing-key": queue,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
    )


def dead_letter_queue(names: Names, queue: str, retention: DeadLetterRetention | None = None) -> RabbitQueue:
    return RabbitQueue(
        names.dlq(queue),
        queue_type=QueueType.QUORUM,
        durable=True,
        routing_key=queue,
        arguments=(retention or DeadLetterRetention.default()).arguments(),
    )


class BrokerNotProvisioned(RuntimeError):
    """An exchange is missing: the broker namespace was not provisioned (`osame bus provision`)."""


async def declare_exchanges(broker: RabbitBroker, names: Names) -> None:
    """Check the three exchanges exist (passive declare); they are created by provisioning."""
    for exchange in names.exchanges():
        try:
            await broker.declare_exchange(exchange)
        except ChannelNotFoundEntity as exc:
            raise BrokerNotProvisioned(
                f"exchange {exchange.name!r} does not exist: provision the broker first "
                "(`osame bus provision`, or import deploy/rabbitmq/definitions.json)"
            ) from exc


async def declare_dead_letter_queues(
    broker: RabbitBroker, names: Names, queues: list[str], retention: DeadLetterRetention | None = None
) -> None:
    """DLQs exist before their work queues receive anything, so nothing dead-letters into the void."""
    dlx = await broker.declare_exchange(names.dead_letters())
    for queue in queues:
        declared = await broker.declare_queue(dead_letter_queue(names, queue, retention))
        await declared.bind(dlx, routing_key=queue)
