"""Declares exchanges, quorum work queues and their dead-letter queues.

Every work queue: quorum, explicit `x-delivery-limit` (RabbitMQ 3.x has no default),
dead-lettering to `osame.dlx` at-least-once (which needs `x-overflow=reject-publish`),
routed by the queue's own name to `<queue>.dlq`.
"""

from __future__ import annotations

from faststream.rabbit import ExchangeType, QueueType, RabbitBroker, RabbitExchange, RabbitQueue
from osame_contracts import topology as contract_topology
from osame_contracts.base import Message


class Names:
    """Prefixed broker names (a prefix isolates test runs or environments on one vhost)."""

    def __init__(self, prefix: str = ""):
        self.prefix = prefix

    def events(self) -> RabbitExchange:
        return RabbitExchange(self.prefix + contract_topology.EVENTS_EXCHANGE, type=ExchangeType.TOPIC)

    def commands(self) -> RabbitExchange:
        return RabbitExchange(self.prefix + contract_topology.COMMANDS_EXCHANGE, type=ExchangeType.DIRECT)

    def dead_letters(self) -> RabbitExchange:
        return RabbitExchange(self.prefix + contract_topology.DEAD_LETTER_EXCHANGE, type=ExchangeType.DIRECT)

    def exchange_for(self, model: type[Message]) -> RabbitExchange:
        name = contract_topology.exchange_for(model)
        return self.commands() if name == contract_topology.COMMANDS_EXCHANGE else self.events()

    def queue(self, service: str, model: type[Message]) -> str:
        return self.prefix + contract_topology.queue_name(service, model)

    def dlq(self, queue: str) -> str:
        return contract_topology.dead_letter_queue_name(queue)


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


def dead_letter_queue(names: Names, queue: str) -> RabbitQueue:
    return RabbitQueue(names.dlq(queue), queue_type=QueueType.QUORUM, durable=True, routing_key=queue)


async def declare_exchanges(broker: RabbitBroker, names: Names) -> None:
    for exchange in (names.events(), names.commands(), names.dead_letters()):
        await broker.declare_exchange(exchange)


async def declare_dead_letter_queues(broker: RabbitBroker, names: Names, queues: list[str]) -> None:
    """DLQs exist before their work queues receive anything, so nothing dead-letters into the void."""
    dlx = await broker.declare_exchange(names.dead_letters())
    for queue in queues:
        declared = await broker.declare_queue(dead_letter_queue(names, queue))
        await declared.bind(dlx, routing_key=queue)
