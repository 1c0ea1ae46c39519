"""Issue 13 item 4: no 個人番号 in clear on the shared bus, and none in a dead-letter queue.

Real RabbitMQ, address-sync consuming as its own broker user, 住基 publishing as its own.
A sealed number that cannot be applied (sealed for another 宛名番号) is dead-lettered: its DLQ
body holds only the envelope. A number sent in clear is refused and not kept at all. Then every
DLQ of address-sync is read and scanned for a 12-digit run with a valid 個人番号 check digit.
"""

from __future__ import annotations

import datetime as dt
import json

import aio_pika
import pytest
from osame_chassis.messaging.topology import Names
from osame_chassis.sealed_number import clear_my_number_in
from osame_contracts.messages import address_sync

from .conftest import dlq_depth, eventually, publish_as, sealed

pytestmark = pytest.mark.integration

NUMBER_OK, NUMBER_POISON, NUMBER_CLEAR = "123456789018", "987654321093", "111111111118"
MODEL = address_sync.RecordResidentChange


def moved_in(addressee_id: str, my_number) -> dict:
    body = MODEL(
        change_id=f"C{addressee_id}-1",
        addressee_id=addressee_id,
        sequence=1,
        change_kind="moved_in",
        changed_on=dt.date(2026, 4, 1),
        fields={"name": "封緘 試験", "address": {"printed": "富山県高岡市試験町4番4号"}},
    ).model_dump(mode="json")
    body["fields"]["my_number"] = my_number
    return body


async def _dead_letters(admin_url: str, queues: list[str], names: Names) -> list[bytes]:
    connection = await aio_pika.connect(admin_url)
    bodies = []
    try:
        channel = await connection.channel()
        for queue in queues:
            dlq = await channel.declare_queue(names.dlq(queue), passive=True)
            while (message := await dlq.get(no_ack=True, fail=False)) is not None:
                bodies.append(message.body)
    finally:
        await connection.close()
    return bodies


async def test_no_clear_my_number_reaches_a_dead_letter_queue(live, broker_accounts, amqp_url):
    assert clear_my_number_in(NUMBER_CLEAR.encode()) and clear_my_number_in(NUMBER_POISON.encode())
    address = await live("address-sync")
    names = broker_accounts.names
    queue = names.queue("address-sync", MODEL)

    async def send(body: dict, message_id: str) -> None:
        await publish_as(
            broker_accounts.url("jumin"),
            names.commands().name,
            MODEL.routing_key,
            json.dumps(body, ensure_ascii=False).encode(),
            message_id=message_id,
            type=MODEL.routing_key,
            user_id=names.user("jumin"),
            content_type="application/json",
        )

    # Poison: sealed for another 宛名番号 (copied from another message) — does not open here.
    await send(moved_in("600001", sealed(NUMBER_POISON, MODEL.routing_key, "600099")), "m-poison")
    # In clear: a publisher that did not seal.
    await send(moved_in("600002", NUMBER_CLEAR), "m-clear")
    # Sealed properly: applied.
    await send(moved_in("600003", sealed(NUMBER_OK, MODEL.routing_key, "600003")), "m-ok")

    async def applied() -> bool:
        from osame_address_sync.adapters import orm

        async with address.runtime.sessions() as session:
            rows = (await session.execute(orm.my_numbers.select())).mappings().all()
        return [r["addressee_id"] for r in rows] == ["600003"]

    await eventually(applied, timeout=30)
    rejected = address.runtime.metrics.rejected.labels(queue=queue)
    await eventually(lambda: rejected._value.get() == 2, timeout=30)  # both refusals are done
    await eventually(lambda: _depth_is(amqp_url, queue, 1), timeout=30)

    bodies = await _dead_letters(amqp_url, address.runtime.queues, names)
    assert len(bodies) == 1, "the poison message is dead-lettered, the clear one is not kept"
    assert json.loads(bodies[0])["addressee_id"] == "600001"
    assert json.loads(bodies[0])["fields"]["my_number"]["key_id"] == "t1"
    assert not any(clear_my_number_in(body) for body in bodies)


async def _depth_is(admin_url: str, queue: str, expected: int) -> bool:
    return await dlq_depth(admin_url, queue) == expected
