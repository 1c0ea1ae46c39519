"""Reliability rules of the chassis against the real RabbitMQ and PostgreSQL."""

from __future__ import annotations

import asyncio
import json

import pytest
from osame_chassis.ids import new_id
from osame_chassis.messaging.outbox import OutboxRelay
from osame_cli import dlq
from osame_cli.bus import connect

from .conftest import changed, count_applied, eventually

pytestmark = pytest.mark.integration


async def test_redelivered_message_is_applied_once(make_harness, amqp_url, broker_prefix, broker_accounts):
    consumer = await make_harness()
    message = changed("200001")
    message_id = new_id()
    async with connect(amqp_url, broker_prefix, accounts=broker_accounts) as bus:
        await bus.send(message, message_id=message_id)
        await eventually(lambda: consumer.times_applied("200001"))
        # The broker redelivers with the same message_id (e.g. an ack lost with the connection).
        await bus.send(message, message_id=message_id)
        await eventually(lambda: _value(consumer.runtime.metrics.duplicates) == 1)
    assert await consumer.times_applied("200001") == 1
    assert consumer.calls == 1  # the inbox short-circuits the duplicate before the handler
    assert await consumer.inbox_rows() == 1


def _value(counter) -> float:
    return sum(s.value for m in counter.collect() for s in m.samples if s.name.endswith("_total"))


async def test_always_failing_message_reaches_dlq_after_delivery_limit(
    make_harness, amqp_url, broker_prefix, broker_accounts
):
    async def broken(event, uow):
        raise RuntimeError("database unavailable")

    consumer = await make_harness(handler=broken, delivery_limit=2, handler_retry_attempts=1)
    async with connect(amqp_url, broker_prefix, accounts=broker_accounts) as bus:
        message_id = await bus.send(changed("200002"))
        queue = consumer.runtime.queues[0].removeprefix(broker_prefix)
        await eventually(lambda: _dlq_depth(bus, queue), timeout=30)
        dead = await dlq.inspect(bus, queue)
    assert len(dead) == 1
    assert dead[0]["message_id"] == message_id
    assert dead[0]["reason"] == "delivery_limit"
    # RabbitMQ 3.x: the first delivery plus `delivery_limit` redeliveries, then dead-lettered.
    assert consumer.calls == 2 + 1
    assert await consumer.times_applied("200002") == 0


async def test_invalid_body_is_rejected_to_dlq_at_once_and_can_be_replayed(
    make_harness, amqp_url, broker_prefix, broker_accounts
):
    consumer = await make_harness()
    queue = consumer.runtime.queues[0]
    async with connect(amqp_url, broker_prefix, accounts=broker_accounts) as bus:
        body = json.loads(changed("200003").model_dump_json())
        body["version"] = 0  # violates the contract (version >= 1)
        message_id = new_id()
        await bus.send_raw(
            json.dumps(body).encode(),
            exchange=bus.names.events(),
            routing_key="address-sync.addressee.changed.v1",
            message_id=message_id,
            message_type="address-sync.addressee.changed.v1",
            as_principal="address-sync",
        )
        short = queue.removeprefix(broker_prefix)
        await eventually(lambda: _dlq_depth(bus, short))
        dead = await dlq.inspect(bus, short)
        assert [d["reason"] for d in dead] == ["rejected"]
        assert consumer.calls == 0
        # Replaying the unchanged message dead-letters it again: nothing is applied, nothing lost.
        async with connect(broker_accounts.url("operator"), broker_prefix) as operator:
            assert await dlq.replay(operator, short) == 1
        await eventually(lambda: _dlq_depth(bus, short))
    assert await consumer.times_applied("200003") == 0


async def _dlq_depth(bus, queue: str) -> int:
    return await bus.queue_depth(bus.names.prefix + queue + ".dlq") or 0


async def test_relay_crash_after_publish_republishes_same_message_id_and_consumer_applies_once(make_harness):
    consumer = await make_harness("chassis-consumer")
    producer = await make_harness("chassis-producer", as_principal="address-sync", consume=False)
    await producer.runtime.relay.stop(drain_timeout=0)  # drive the relay by hand below

    async with producer.runtime.unit_of_work() as uow:
        message_id = await uow.publish(changed("200004"))
        await uow.commit()

    async def crash(published: int) -> None:
        raise SystemError(f"relay killed after publishing {published} row(s), before marking them")

    names = producer.runtime.names
    user = producer.settings.amqp_user
    crashing = OutboxRelay(
        producer.runtime.sessions, producer.runtime.publisher, names, user_id=user, after_publish=crash
    )
    with pytest.raises(SystemError):
        await crashing.run_once()
    assert await producer.outbox_unpublished() == 1
    await eventually(lambda: consumer.times_applied("200004"))

    restarted = OutboxRelay(producer.runtime.sessions, producer.runtime.publisher, names, user_id=user)
    assert await restarted.run_once() == 1
    assert await producer.outbox_unpublished() == 0
    await eventually(lambda: _value(consumer.runtime.metrics.duplicates) == 1)
    assert await consumer.times_applied("200004") == 1
    assert consumer.calls == 1
    assert await consumer.inbox_rows() == 1
    assert message_id


async def test_unroutable_event_is_an_error_and_does_not_hold_back_the_others(make_harness):
    from datetime import UTC, datetime

    from osame_chassis.messaging.publish import PublishFailed
    from osame_chassis.messaging.tables import outbox

    consumer = await make_harness("chassis-consumer")
    producer = await make_harness("chassis-producer", as_principal="address-sync", consume=False)
    await producer.runtime.relay.stop(drain_timeout=0)
    async with producer.runtime.sessions() as session, session.begin():
        await session.execute(
            outbox.insert().values(
                message_id=new_id(),
                exchange=producer.runtime.names.events().name,
                # address-sync may publish it (topic permissions), but no queue is bound to it here.
                routing_key="address-sync.addressee.changed.v2",
                message_type="address-sync.addressee.changed.v2",
                payload=b"{}",
                headers={},
                created_at=datetime.now(UTC),
                attempts=0,
            )
        )
    async with producer.runtime.unit_of_work() as uow:
        await uow.publish(changed("200005"))
        await uow.commit()

    relay = OutboxRelay(
        producer.runtime.sessions,
        producer.runtime.publisher,
        producer.runtime.names,
        user_id=producer.settings.amqp_user,
    )
    assert await relay.run_once() == 1  # the routable one went out; the unroutable one was not marked
    await eventually(lambda: consumer.times_applied("200005"))
    assert await producer.outbox_unpublished() == 1
    with pytest.raises(PublishFailed):
        await relay.run_once()  # only the unroutable row is left: the relay reports it and backs off
    assert await producer.outbox_unpublished() == 1


async def test_graceful_stop_lets_in_flight_handlers_finish_and_acks_them(
    make_harness, amqp_url, broker_prefix, broker_accounts
):
    started = asyncio.Event()

    async def slow(event, uow):
        started.set()
        await asyncio.sleep(1.0)
        await count_applied(event, uow)

    consumer = await make_harness(handler=slow)
    async with connect(amqp_url, broker_prefix, accounts=broker_accounts) as bus:
        await bus.send(changed("200006"))
        await asyncio.wait_for(started.wait(), 20)
        await consumer.runtime.broker.stop()  # what SIGTERM does first: stop consuming, wait for in-flight
        assert await consumer.times_applied("200006") == 1
        # Acknowledged, not returned to the queue: nothing is redelivered to the next instance.
        assert await bus.queue_depth(consumer.runtime.queues[0]) == 0
