"""Group commit in the chassis consumer (issue 17) against the real RabbitMQ and PostgreSQL.

The messages of a queue that arrive while a batch is being applied are applied together in one
unit of work. Each test holds the consumer on a first message until the next ones have been
delivered, so they form one batch; then checks that batching never changes what is applied:
a poison message is dead-lettered alone, a transient failure is retried, duplicates within the
batch are applied once, and an abort mid-batch leaves nothing half-applied.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from osame_chassis.errors import PermanentError
from osame_chassis.ids import new_id
from osame_cli import dlq
from osame_cli.bus import connect

from .conftest import changed, count_applied, eventually

pytestmark = pytest.mark.integration

BLOCKER = "300000"


class Gate:
    """A handler that holds the first message until released, so the next ones queue up."""

    def __init__(self, behaviour=None):
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.calls: Counter[str] = Counter()
        self.behaviour = behaviour or {}

    async def __call__(self, event, uow) -> None:
        self.calls[event.addressee_id] += 1
        if event.addressee_id == BLOCKER:
            self.entered.set()
            await self.release.wait()
        action = self.behaviour.get(event.addressee_id)
        if action is not None:
            await action(self.calls[event.addressee_id])
        await count_applied(event, uow)


async def _hold_then_send(bus, consumer, gate: Gate, sends) -> None:
    """Send the blocker, wait until its handler runs, send the rest, wait until the broker has
    delivered them all to the consumer (none ready in the queue), then release the blocker."""
    await bus.send(changed(BLOCKER))
    await asyncio.wait_for(gate.entered.wait(), 20)
    for message, message_id in sends:
        await bus.send(message, message_id=message_id)
    await eventually(lambda: _ready_is_zero(bus, consumer.runtime.queues[0]))
    await asyncio.sleep(0.3)  # the delivered messages pass the checks and join the pending batch
    gate.release.set()


async def _ready_is_zero(bus, queue: str) -> bool:
    return await bus.queue_depth(queue) == 0


def _total(counter) -> float:
    return sum(s.value for m in counter.collect() for s in m.samples if s.name.endswith("_total"))


async def _dlq_depth(bus, queue: str) -> int:
    return await bus.queue_depth(queue + ".dlq") or 0


async def test_batch_with_poison_and_transient_failure_dead_letters_the_poison_alone(
    make_harness, amqp_url, broker_prefix, broker_accounts
):
    async def transient(call: int) -> None:
        if call == 1:
            raise RuntimeError("serialization failure")

    async def poison(call: int) -> None:
        raise PermanentError("installment unknown")

    gate = Gate({"300002": transient, "300003": poison})
    consumer = await make_harness(handler=gate)
    ids = ["300001", "300002", "300003", "300004"]
    async with connect(amqp_url, broker_prefix, accounts=broker_accounts) as bus:
        poison_id = new_id()
        sends = [(changed(a), poison_id if a == "300003" else new_id()) for a in ids]
        await _hold_then_send(bus, consumer, gate, sends)
        queue = consumer.runtime.queues[0]
        await eventually(lambda: _dlq_depth(bus, queue))
        await eventually(lambda: consumer.times_applied("300004"))
        dead = await dlq.inspect(bus, queue.removeprefix(broker_prefix))
    assert [(d["message_id"], d["reason"]) for d in dead] == [(poison_id, "rejected")]
    for addressee in (BLOCKER, "300001", "300002", "300004"):
        assert await consumer.times_applied(addressee) == 1
    assert await consumer.times_applied("300003") == 0
    # They were one batch: the batch failed at the transient error and was applied one by one.
    assert gate.calls["300001"] == 2
    assert gate.calls["300002"] == 2
    assert await consumer.inbox_rows() == 4  # the poison's claim was rolled back with it


async def test_duplicates_within_one_batch_are_applied_once(
    make_harness, amqp_url, broker_prefix, broker_accounts
):
    gate = Gate()
    consumer = await make_harness(handler=gate)
    twice = new_id()
    sends = [(changed("300011"), twice), (changed("300012"), new_id()), (changed("300011"), twice)]
    async with connect(amqp_url, broker_prefix, accounts=broker_accounts) as bus:
        await _hold_then_send(bus, consumer, gate, sends)
        await eventually(lambda: consumer.times_applied("300012"))
        await eventually(lambda: _total(consumer.runtime.metrics.duplicates) == 1)
        assert await bus.queue_depth(consumer.runtime.queues[0]) == 0
    assert await consumer.times_applied("300011") == 1
    assert gate.calls["300011"] == 1  # the inbox claim in the same transaction skips the handler
    assert await consumer.inbox_rows() == 3


class Abort(BaseException):
    """Stands for the process dying mid-batch (SIGKILL): not an error the consumer can handle."""


async def test_abort_mid_batch_leaves_nothing_half_applied(
    make_harness, amqp_url, broker_prefix, broker_accounts
):
    seen_uncommitted: list[tuple[int, int]] = []
    consumer = None

    async def die_once(call: int) -> None:
        if call == 1:
            # The first two messages of the batch were handled in this transaction: from outside,
            # neither their effect nor their inbox claim is visible.
            seen_uncommitted.append((await consumer.times_applied("300021"), await consumer.inbox_rows()))
            raise Abort()

    gate = Gate({"300023": die_once})
    consumer = await make_harness(handler=gate)
    ids = ["300021", "300022", "300023", "300024"]
    async with connect(amqp_url, broker_prefix, accounts=broker_accounts) as bus:
        await _hold_then_send(bus, consumer, gate, [(changed(a), new_id()) for a in ids])
        for addressee in ids:
            await eventually(lambda a=addressee: consumer.times_applied(a), timeout=30)
        await eventually(lambda: _ready_is_zero(bus, consumer.runtime.queues[0]))
    assert seen_uncommitted == [(0, 1)]  # only the blocker, committed in its own batch
    assert gate.calls["300021"] == 2  # applied in the aborted batch, then again after redelivery
    for addressee in (BLOCKER, *ids):
        assert await consumer.times_applied(addressee) == 1
    assert await consumer.inbox_rows() == 5
