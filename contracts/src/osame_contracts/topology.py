"""Broker topology as data: exchanges, and which service consumes which message.

Each consuming service lists what it consumes in `osame_contracts.subscriptions.<service>`.
Services declare their queues from this table, and operator tools (DLQ listing,
replay) read it, so the two never disagree. A queue is named
`<service>.<routing key>`; its dead-letter queue is `<queue>.dlq`.
"""

from __future__ import annotations

import importlib

from osame_contracts.base import Kind, Message

EVENTS_EXCHANGE = "osame.events"  # topic
COMMANDS_EXCHANGE = "osame.commands"  # direct
DEAD_LETTER_EXCHANGE = "osame.dlx"  # direct, routed by queue name

SERVICES = ("receipts", "refunds", "collection", "address-sync", "intermediate-server-gw")

SUBSCRIPTIONS: dict[str, tuple[type[Message], ...]] = {
    service: importlib.import_module(f"osame_contracts.subscriptions.{service.replace('-', '_')}").CONSUMES
    for service in SERVICES
}


def exchange_for(model: type[Message]) -> str:
    return COMMANDS_EXCHANGE if model.kind is Kind.COMMAND else EVENTS_EXCHANGE


def queue_name(service: str, model: type[Message]) -> str:
    return f"{service}.{model.routing_key}"


def dead_letter_queue_name(queue: str) -> str:
    return f"{queue}.dlq"


def all_queues() -> list[str]:
    return [queue_name(s, m) for s, models in SUBSCRIPTIONS.items() for m in models]
