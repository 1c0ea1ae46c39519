"""Model-based test of the broker's access control against the contracts alone.

A hypothesis state machine drives the real RabbitMQ with the provisioned users of one namespace:
any principal publishes any routing key (known or not) on either exchange, claiming its own
user_id, none, or another principal's; any principal tries to declare a queue named like its own or
another's, and to bind one to either exchange with any key. The model decides every outcome
from `osame_contracts.publishers.PUBLISHERS` and `osame_contracts.topology.SUBSCRIPTIONS` only —
never from the generated grants — and every published message the broker took is counted in an
observer queue (publisher confirms make the count exact at each step).

Short by default; `OSAME_MODEL_EXAMPLES=200` runs a longer search.
"""

from __future__ import annotations

import asyncio
import itertools
import os

import aio_pika
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from osame_contracts.base import Kind
from osame_contracts.publishers import OUTSIDE_SYSTEMS, PRINCIPALS, PUBLISHERS
from osame_contracts.registry import REGISTRY
from osame_contracts.topology import SERVICES, SUBSCRIPTIONS

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("OSAME_MODEL_EXAMPLES", "4"))
KEYS = [*sorted(REGISTRY), "receipts.nothing.happened.v1", "address-sync.secret.leaked.v9"]


# ------------------------------------------------------------------ the model (contracts only)


def kind_of(key: str) -> Kind:
    return REGISTRY[key].kind if key in REGISTRY else Kind.EVENT


def may_publish(principal: str, exchange: str, key: str) -> bool:
    wanted = "commands" if kind_of(key) is Kind.COMMAND else "events"
    return key in PUBLISHERS and principal in PUBLISHERS[key] and exchange == wanted


def may_bind(principal: str, queue_owner: str, exchange: str, key: str) -> bool:
    if principal not in SERVICES or queue_owner != principal:
        return False
    consumed = {m.routing_key: m.kind for m in SUBSCRIPTIONS[principal]}
    wanted = Kind.COMMAND if exchange == "commands" else Kind.EVENT
    return consumed.get(key) is wanted


def outcome_of_publish(principal: str, exchange: str, key: str, claim: str | None) -> str:
    if not may_publish(principal, exchange, key):
        return "ACCESS_REFUSED"
    if claim is not None and claim != principal:
        return "PRECONDITION_FAILED"
    return "accepted"


# ------------------------------------------------------------------ the real broker


class Broker:
    def __init__(self, accounts, admin_url: str):
        self.accounts = accounts
        self.admin_url = admin_url
        self.loop = asyncio.new_event_loop()
        self.connections: dict[str, aio_pika.abc.AbstractConnection] = {}
        self.observer = f"{accounts.prefix}model-observer"
        self.run(self._observe())

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    async def _observe(self) -> None:
        connection = await aio_pika.connect(self.admin_url)
        self.connections["<admin>"] = connection
        channel = await connection.channel()
        queue = await channel.declare_queue(self.observer, durable=False, auto_delete=False)
        for exchange in ("events", "commands"):
            await queue.bind(self.exchange(exchange), "#")

    def exchange(self, which: str) -> str:
        return {"events": self.accounts.names.events(), "commands": self.accounts.names.commands()}[
            which
        ].name

    async def _connection(self, principal: str):
        if principal not in self.connections:
            self.connections[principal] = await aio_pika.connect(self.accounts.url(principal))
        return self.connections[principal]

    async def publish(self, principal: str, exchange: str, key: str, claim: str | None) -> str:
        channel = await (await self._connection(principal)).channel(publisher_confirms=True)
        target = await channel.get_exchange(self.exchange(exchange), ensure=False)
        user_id = self.accounts.user(claim) if claim is not None else None
        try:
            await target.publish(
                aio_pika.Message(b"{}", message_id="model", user_id=user_id), key, mandatory=False, timeout=10
            )
        except aio_pika.exceptions.ChannelClosed as exc:
            return str(exc).split(" ")[0].strip("(\"'")
        await channel.close()
        return "accepted"

    async def bind(self, principal: str, queue_owner: str, exchange: str, key: str, n: int) -> str:
        channel = await (await self._connection(principal)).channel()
        name = f"{self.accounts.prefix}{queue_owner}.model-{n}"
        try:
            queue = await channel.declare_queue(name, durable=False, exclusive=True)
            await queue.bind(self.exchange(exchange), key)
        except aio_pika.exceptions.ChannelClosed as exc:
            return str(exc).split(" ")[0].strip("(\"'")
        await queue.delete(if_unused=False, if_empty=False)
        await channel.close()
        return "accepted"

    async def declare(self, principal: str, queue_owner: str, n: int) -> str:
        channel = await (await self._connection(principal)).channel()
        name = f"{self.accounts.prefix}{queue_owner}.model-{n}"
        try:
            queue = await channel.declare_queue(name, durable=False, exclusive=True)
        except aio_pika.exceptions.ChannelClosed as exc:
            return str(exc).split(" ")[0].strip("(\"'")
        await queue.delete(if_unused=False, if_empty=False)
        await channel.close()
        return "accepted"

    async def observed(self) -> int:
        channel = await self.connections["<admin>"].channel()
        queue = await channel.declare_queue(self.observer, passive=True)
        await channel.close()
        return queue.declaration_result.message_count

    def close(self) -> None:
        async def close_all():
            channel = await self.connections["<admin>"].channel()
            await channel.queue_delete(self.observer)
            for connection in self.connections.values():
                await connection.close()

        self.run(close_all())
        self.loop.close()


def _reason(text: str) -> str:
    for code in ("ACCESS_REFUSED", "PRECONDITION_FAILED", "NOT_FOUND", "RESOURCE_LOCKED"):
        if code in text:
            return code
    return text


def test_the_broker_enforces_exactly_what_the_contracts_declare(broker_accounts, amqp_url):
    broker = Broker(broker_accounts, amqp_url)
    principals = st.sampled_from(PRINCIPALS)
    exchanges = st.sampled_from(("events", "commands"))
    keys = st.sampled_from(KEYS)
    queue_numbers = itertools.count(1)  # unique across examples: a refused bind leaves its queue behind

    class AccessModel(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.accepted = broker.run(broker.observed())

        @rule(principal=principals, exchange=exchanges, key=keys, claim=st.one_of(st.none(), principals))
        def publish(self, principal, exchange, key, claim):
            expected = outcome_of_publish(principal, exchange, key, claim)
            got = _reason(broker.run(broker.publish(principal, exchange, key, claim)))
            assert got == expected, (principal, exchange, key, claim)
            if got == "accepted":
                self.accepted += 1

        @rule(
            principal=principals,
            owner=st.sampled_from((*SERVICES, *OUTSIDE_SYSTEMS)),
            exchange=exchanges,
            key=keys,
        )
        def bind(self, principal, owner, exchange, key):
            expected = "accepted" if may_bind(principal, owner, exchange, key) else "ACCESS_REFUSED"
            got = _reason(broker.run(broker.bind(principal, owner, exchange, key, next(queue_numbers))))
            assert got == expected, (principal, owner, exchange, key)

        @rule(principal=principals, owner=st.sampled_from((*SERVICES, *OUTSIDE_SYSTEMS)))
        def declare(self, principal, owner):
            expected = "accepted" if principal in SERVICES and owner == principal else "ACCESS_REFUSED"
            got = _reason(broker.run(broker.declare(principal, owner, next(queue_numbers))))
            assert got == expected, (principal, owner)

        @invariant()
        def every_accepted_message_and_no_other_reached_the_observer(self):
            assert broker.run(broker.observed()) == self.accepted

    try:
        AccessModel.TestCase.settings = settings(
            max_examples=EXAMPLES,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        AccessModel.TestCase().runTest()
    finally:
        broker.close()
