"""Fixtures for the bus security tests: real services in this process against the real broker,
each connected as its own broker user of the test's namespace, and raw publishers that can set
any AMQP property (the attacker's tools)."""

from __future__ import annotations

import base64

import aio_pika
import pytest
from osame_chassis.sealed_number import RecipientKey, public_of, seal
from osame_chassis.testing import ServiceHarness, eventually  # noqa: F401  (the tests import it from here)

# address-sync's transport key: 住基 seals every 個人番号 to its public half (issue 13 item 4).
TRANSPORT_PRIVATE = base64.b64encode(bytes(range(60, 92))).decode()
TRANSPORT_RECIPIENT = RecipientKey.parse(f"t1:{public_of(TRANSPORT_PRIVATE)}")


def sealed(number: str, routing_key: str, addressee_id: str) -> dict[str, str]:
    """A 個人番号 as a publisher puts it on the bus."""
    return seal(number, TRANSPORT_RECIPIENT, routing_key=routing_key, addressee_id=addressee_id)


def _specs():
    from osame_address_sync.adapters import orm as address_orm
    from osame_address_sync.bootstrap import AddressSyncSettings
    from osame_address_sync.bootstrap import build_spec as address_spec
    from osame_collection.adapters import orm as collection_orm
    from osame_collection.bootstrap import CollectionSettings
    from osame_collection.bootstrap import build_spec as collection_spec
    from osame_gateway.adapters import orm as gateway_orm
    from osame_gateway.bootstrap import GatewaySettings
    from osame_gateway.bootstrap import build_spec as gateway_spec

    key = base64.b64encode(bytes(range(32))).decode()
    return {
        "address-sync": (
            address_spec,
            AddressSyncSettings,
            address_orm.metadata,
            {
                "mynumber_key": key,
                "mynumber_transport_keys": f"t1:{TRANSPORT_PRIVATE}",
            },
        ),
        "intermediate-server-gw": (gateway_spec, GatewaySettings, gateway_orm.metadata, {}),
        "collection": (collection_spec, CollectionSettings, collection_orm.metadata, {}),
    }


@pytest.fixture
async def live(broker_prefix, broker_accounts, tmp_path):
    """`await live("address-sync")`: that service consuming and relaying on the real broker as its
    own user (SQLite store, test staff proof keys); stopped afterwards."""
    started: list[ServiceHarness] = []
    specs = _specs()

    async def start(service: str) -> ServiceHarness:
        spec, settings_class, metadata, extra = specs[service]
        settings = settings_class(
            database_url=f"sqlite+aiosqlite:///{tmp_path}/{service}.db",
            amqp_url=broker_accounts.url(service),
            amqp_prefix=broker_prefix,
            telemetry_enabled=False,
            outbox_poll_interval=0.05,
            handler_retry_attempts=1,
            **extra,
        )
        harness = ServiceHarness(spec, settings, metadata)
        await harness.start()
        started.append(harness)
        return harness

    yield start
    for harness in started:
        await harness.stop()


class Refused(Exception):
    """The broker closed the channel instead of taking the message (code: 403 or 406)."""

    def __init__(self, exc: Exception):
        super().__init__(str(exc))
        self.text = str(exc)


async def publish_as(url: str, exchange: str, routing_key: str, body: bytes, **properties) -> None:
    """Publish like any AMQP client could, with whatever properties; raises `Refused` when the broker
    refuses (channel closed), returns once the broker confirmed it."""
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        target = (
            channel.default_exchange if exchange == "" else await channel.get_exchange(exchange, ensure=False)
        )
        await target.publish(
            aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT, **properties),
            routing_key,
            timeout=10,
        )
    except (aio_pika.exceptions.ChannelClosed, aio_pika.exceptions.ChannelInvalidStateError) as exc:
        raise Refused(exc) from exc
    finally:
        await connection.close()


async def dlq_depth(admin_url: str, queue: str) -> int:
    connection = await aio_pika.connect(admin_url)
    try:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue + ".dlq", passive=True)
        return declared.declaration_result.message_count
    finally:
        await connection.close()
