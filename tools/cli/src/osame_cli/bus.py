"""A client connection to the bus for operator tools, the demo and tests: publish contract messages,
inspect and drain queues, provision and remove a broker namespace.

Publishing goes through the chassis' one publish helper (persistent, message_id,
message_type, user_id, confirms, unroutable raised). With the namespace's `Accounts`, each
message is published by a principal the contracts allow for its routing key, over that
principal's own connection (the demo and the tests play the outside systems this way), and a
staff action is signed with that principal's staff proof key. Queue inspection uses aio-pika
directly, as the user of the URL given to `connect` (an administrator, or the `operator`).
"""

from __future__ import annotations

import asyncio
import ssl
from contextlib import asynccontextmanager
from urllib.parse import unquote, urlsplit

import aio_pika
from faststream.rabbit import Channel, RabbitBroker, RabbitExchange
from faststream.security import BaseSecurity
from osame_chassis.ids import new_id
from osame_chassis.messaging.provision import Accounts, deprovision
from osame_chassis.messaging.publish import publish
from osame_chassis.messaging.staff_proof import StaffProofSigner
from osame_chassis.messaging.topology import Names
from osame_chassis.tls import amqp_tls_from_env
from osame_contracts.base import Message
from osame_contracts.publishers import allowed_publishers

OWN_USER = "<own user>"  # send_raw: the publishing connection's user


def user_of(amqp_url: str) -> str:
    return unquote(urlsplit(amqp_url).username or "guest")


def _broker(amqp_url: str, middlewares, tls: ssl.SSLContext | None = None) -> RabbitBroker:
    return RabbitBroker(
        amqp_url,
        security=BaseSecurity(ssl_context=tls) if tls is not None else None,
        default_channel=Channel(publisher_confirms=True, on_return_raises=True),
        middlewares=middlewares,
        log_level=10,
    )


class Bus:
    def __init__(
        self,
        broker: RabbitBroker,
        connection: aio_pika.abc.AbstractRobustConnection,
        names: Names,
        *,
        user: str,
        accounts: Accounts | None = None,
        signers: dict[str, StaffProofSigner] | None = None,
        middlewares=(),
        tls: ssl.SSLContext | None = None,
    ):
        self.broker = broker
        self.connection = connection
        self.names = names
        self.user = user  # the broker user of `broker` and `connection`
        self.accounts = accounts
        self.signers = signers or {}
        self._middlewares = middlewares
        self._tls = tls
        self._as: dict[str, RabbitBroker] = {}
        self._opening = asyncio.Lock()  # concurrent sends must not open a principal's connection twice

    def publisher_for(self, message: Message) -> str | None:
        """The principal that publishes `message` here: the first allowed one with an account."""
        if self.accounts is None:
            return None
        for principal in sorted(allowed_publishers(message.routing_key)):
            if principal in self.accounts.passwords:
                return principal
        raise LookupError(f"no account here may publish {message.routing_key}")

    async def _broker_as(self, principal: str | None) -> tuple[RabbitBroker, str]:
        if principal is None:
            return self.broker, self.user
        async with self._opening:
            if principal not in self._as:
                broker = _broker(self.accounts.url(principal), self._middlewares, self._tls)
                await broker.connect()
                self._as[principal] = broker
        return self._as[principal], self.accounts.user(principal)

    async def send(
        self, message: Message, *, message_id: str | None = None, as_principal: str | None = None
    ) -> str:
        principal = as_principal or self.publisher_for(message)
        if message.staff_field is not None and not getattr(message, "staff_proof", None):
            message = self.signers[principal].sign(message) if principal in self.signers else message
        broker, user = await self._broker_as(principal)
        message_id = message_id or new_id()
        await publish(
            broker,
            exchange=self.names.exchange_for(type(message)),
            routing_key=message.routing_key,
            body=message.model_dump_json().encode(),
            message_id=message_id,
            message_type=message.message_type(),
            user_id=user,
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
        user_id: str | None = OWN_USER,
        as_principal: str | None = None,
    ) -> None:
        """Publish bytes as they are; `user_id` defaults to the publishing connection's user (None: none)."""
        broker, user = await self._broker_as(as_principal)
        await publish(
            broker,
            exchange=exchange,
            routing_key=routing_key,
            body=body,
            message_id=message_id,
            message_type=message_type,
            user_id=user if user_id == OWN_USER else user_id,
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

    async def close(self) -> None:
        for broker in self._as.values():
            await broker.stop()
        self._as.clear()


@asynccontextmanager
async def connect(
    amqp_url: str,
    prefix: str = "",
    *,
    middlewares=(),
    accounts: Accounts | None = None,
    signers: dict[str, StaffProofSigner] | None = None,
):
    """An `amqps://` URL is verified as the services do it: OSAME_AMQP_CA_FILE (else the system
    CAs), OSAME_AMQP_CERT_FILE / OSAME_AMQP_KEY_FILE for a client certificate (osame_chassis.tls)."""
    tls = amqp_tls_from_env(amqp_url)
    broker = _broker(amqp_url, middlewares, tls)
    await broker.connect()
    connection = await aio_pika.connect_robust(amqp_url, ssl_context=tls)
    bus = Bus(
        broker,
        connection,
        Names(prefix),
        user=user_of(amqp_url),
        accounts=accounts,
        signers=signers,
        middlewares=middlewares,
        tls=tls,
    )
    try:
        yield bus
    finally:
        await bus.close()
        await connection.close()
        await broker.stop()


async def delete_namespace(amqp_url: str, prefix: str, extra_queues: tuple[str, ...] = ()) -> None:
    """Delete every queue (with its DLQ), exchange and broker user of the namespace `prefix` — a
    demo's, a benchmark's or a test's — so runs leave nothing behind on a shared broker.
    `amqp_url` must be an administrator's."""
    from osame_contracts.topology import COMMANDS_EXCHANGE, DEAD_LETTER_EXCHANGE, EVENTS_EXCHANGE, all_queues

    async with connect(amqp_url, prefix) as bus:
        queues = [prefix + q for q in (*all_queues(), *extra_queues)]
        await bus.delete(
            queues + [q + ".dlq" for q in queues],
            [prefix + e for e in (EVENTS_EXCHANGE, COMMANDS_EXCHANGE, DEAD_LETTER_EXCHANGE)],
        )
    if prefix:  # never the users of the production namespace
        await asyncio.to_thread(deprovision, amqp_url, prefix)
