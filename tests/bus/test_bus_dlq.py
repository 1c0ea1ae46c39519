"""Issue 13 item 4 (DLQ half): dead letters are kept for a limited time and number, an operator
purges them (after confirming) or replays one by id, every action leaves an audit line, and
neither the audit line nor the dead letter's headers carry personal data.

Real RabbitMQ. Dead letters are made the way the broker makes them: 住基's user publishes
commands to address-sync's work queue (no consumer here) and they are rejected from it.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

import aio_pika
import httpx
import pytest
from osame_chassis.messaging.provision import management_url, vhost_of
from osame_chassis.messaging.topology import DeadLetterRetention, dead_letter_queue, work_queue
from osame_cli import dlq
from osame_cli.bus import connect
from osame_cli.dlq_cli import dlq_app
from osame_contracts.messages import address_sync
from typer.testing import CliRunner

from .conftest import eventually

pytestmark = pytest.mark.integration

NAME = "死亡 文字"  # personal data inside the bodies: must reach no audit line and no header
MODEL = address_sync.UpsertAddressee
WORK = "address-sync." + MODEL.routing_key


def upsert(addressee_id: str) -> bytes:
    return (
        MODEL(
            addressee_id=addressee_id,
            version=1,
            name=NAME,
            name_kana="シボウ モジ",
            postal_code="933-0000",
            address="高岡市",
        )
        .model_dump_json()
        .encode()
    )


async def _declare(admin_url: str, prefix: str, retention: DeadLetterRetention | None = None):
    from osame_chassis.messaging.topology import Names

    names = Names(prefix)
    queue = prefix + WORK
    connection = await aio_pika.connect(admin_url)
    try:
        channel = await connection.channel()
        await _declare_work_queue(channel, names, queue)
        spec = dead_letter_queue(names, queue, retention)
        dead = await channel.declare_queue(spec.name, durable=True, arguments=spec.arguments)
        await dead.bind(names.dead_letters().name, queue)
    finally:
        await connection.close()
    return queue


async def _declare_work_queue(channel, names, queue: str) -> None:
    spec = work_queue(names, queue, MODEL.routing_key, 5)
    declared = await channel.declare_queue(queue, durable=True, arguments=spec.arguments)
    await declared.bind(names.commands().name, MODEL.routing_key)


async def _dead_letters(accounts, admin_url: str, count: int, *, wait: bool = True) -> list[str]:
    """`count` UpsertAddressee commands from 宛名管理, rejected from the work queue into its DLQ."""
    names = accounts.names
    queue = names.prefix + WORK
    ids = [f"dl-{n}" for n in range(count)]
    async with connect(accounts.url("atena"), names.prefix) as bus:
        for n, message_id in enumerate(ids):
            await bus.send_raw(
                upsert(f"40000{n}"),
                exchange=names.commands(),
                routing_key=MODEL.routing_key,
                message_id=message_id,
                message_type=MODEL.routing_key,
            )
    connection = await aio_pika.connect(admin_url)
    try:
        channel = await connection.channel()
        work = await channel.declare_queue(queue, passive=True)
        for _ in ids:
            message = await eventually(lambda: work.get(fail=False))
            await message.reject(requeue=False)
    finally:
        await connection.close()
    if wait:
        await eventually(lambda: _depth(admin_url, queue + ".dlq", count))
    return ids


async def _depth(admin_url: str, queue: str, expected: int) -> bool:
    connection = await aio_pika.connect(admin_url)
    try:
        channel = await connection.channel()
        return (await channel.declare_queue(queue, passive=True)).declaration_result.message_count == expected
    finally:
        await connection.close()


def _queue_arguments(admin_url: str, queue: str) -> dict:
    return _queue_stats(admin_url, queue)["arguments"]


async def test_a_service_declares_its_dlqs_with_the_configured_retention(live, broker_accounts, amqp_url):
    service = await live("address-sync")
    settings = service.runtime.settings
    queue = broker_accounts.names.queue("address-sync", MODEL)
    arguments = await asyncio.to_thread(_queue_arguments, amqp_url, queue + ".dlq")
    assert arguments["x-message-ttl"] == settings.dlq_message_ttl_seconds * 1000
    assert arguments["x-max-length"] == settings.dlq_max_length
    assert arguments["x-overflow"] == "reject-publish"
    assert arguments["x-queue-type"] == "quorum"


async def test_a_dead_letter_is_deleted_when_its_retention_expires(
    broker_accounts, broker_prefix, amqp_url, extra_queues
):
    """The DLQ's own arguments with a retention of seconds (no setting allows so little); the test
    adds a graveyard behind the DLQ only to see what the broker removed, and why."""
    graveyard = "bus-test.graveyard"
    extra_queues.append(graveyard)
    queue = broker_prefix + WORK
    retention = DeadLetterRetention(ttl_seconds=1, max_length=10)
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        await _declare_work_queue(channel, broker_accounts.names, queue)
        spec = dead_letter_queue(broker_accounts.names, queue, retention)
        watched = {
            **spec.arguments,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": broker_prefix + graveyard,
        }
        dead = await channel.declare_queue(spec.name, durable=True, arguments=watched)
        await dead.bind(broker_accounts.names.dead_letters().name, queue)
        buried = await channel.declare_queue(broker_prefix + graveyard, durable=True)
    finally:
        await connection.close()
    ids = await _dead_letters(broker_accounts, amqp_url, 2, wait=False)

    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        buried = await channel.declare_queue(broker_prefix + graveyard, passive=True)
        expired = []
        for _ in ids:
            message = await eventually(lambda: buried.get(fail=False), timeout=60)
            last = message.headers["x-death"][0]
            expired.append((message.message_id, last["reason"], last["queue"]))
            await message.ack()
    finally:
        await connection.close()
    assert sorted(expired) == [(i, "expired", queue + ".dlq") for i in ids]


async def test_a_full_dlq_holds_dead_letters_back_instead_of_dropping_the_oldest(
    broker_accounts, broker_prefix, amqp_url
):
    queue = await _declare(amqp_url, broker_prefix, DeadLetterRetention(ttl_seconds=3600, max_length=1))
    # A quorum queue takes messages until it is over its limit: two get in, the oldest is not dropped ...
    await _dead_letters(broker_accounts, amqp_url, 2)
    # ... and once it is over, the next waits in its work queue (at-least-once dead-lettering) until
    # there is room. The broker tells its publishers "over the limit" asynchronously, so the third is
    # sent only after the second is in: sent together, all three may land before the news arrives.
    await _dead_letters(broker_accounts, amqp_url, 1, wait=False)
    held = await eventually(
        lambda: asyncio.to_thread(lambda: _queue_stats(amqp_url, queue).get("messages_dlx") == 1), timeout=60
    )
    assert held
    assert await _depth(amqp_url, queue + ".dlq", 2)


def _queue_stats(admin_url: str, queue: str) -> dict:
    base = management_url(admin_url)
    response = httpx.get(f"{base}/api/queues/{quote(vhost_of(admin_url), safe='')}/{quote(queue, safe='')}")
    response.raise_for_status()
    return response.json()


def _cli(broker_accounts, audit_file, *args, input=None):
    env = {
        "OSAME_AMQP_URL": broker_accounts.url("operator"),
        "OSAME_AMQP_PREFIX": broker_accounts.prefix,
        "OSAME_DLQ_AUDIT_FILE": str(audit_file),
    }
    return CliRunner().invoke(
        dlq_app,
        [*args, "--amqp-url", env["OSAME_AMQP_URL"], "--prefix", env["OSAME_AMQP_PREFIX"]],
        input=input,
        env=env,
    )


def _audit(audit_file) -> list[dict]:
    if not audit_file.exists():
        return []
    text = audit_file.read_text(encoding="utf-8")
    assert NAME not in text
    return [json.loads(line) for line in text.splitlines()]


def test_purge_asks_first_deletes_on_yes_and_leaves_an_audit_line(
    broker_accounts, broker_prefix, amqp_url, tmp_path
):
    asyncio.run(_declare(amqp_url, broker_prefix))
    asyncio.run(_dead_letters(broker_accounts, amqp_url, 3))
    audit_file = tmp_path / "dlq-audit.jsonl"

    refused = _cli(broker_accounts, audit_file, "purge", WORK, input="n\n")
    assert refused.exit_code == 1 and "nothing purged" in refused.output
    assert asyncio.run(_depth(amqp_url, broker_prefix + WORK + ".dlq", 3))
    assert _audit(audit_file) == []

    confirmed = _cli(broker_accounts, audit_file, "purge", WORK, input="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    assert "purged 3 dead letter(s)" in confirmed.output
    assert asyncio.run(_depth(amqp_url, broker_prefix + WORK + ".dlq", 0))
    [line] = _audit(audit_file)
    assert {k: line[k] for k in ("operator", "action", "queue", "message_id", "count")} == {
        "operator": broker_accounts.user("operator"),
        "action": "purge",
        "queue": broker_prefix + WORK,
        "message_id": None,
        "count": 3,
    }

    asyncio.run(_dead_letters(broker_accounts, amqp_url, 1))
    scripted = _cli(broker_accounts, audit_file, "purge", WORK, "--yes")
    assert scripted.exit_code == 0 and "purged 1" in scripted.output
    assert [a["count"] for a in _audit(audit_file)] == [3, 1]


def test_replay_of_one_message_by_id_keeps_its_publisher_and_the_others(
    broker_accounts, broker_prefix, amqp_url, tmp_path
):
    asyncio.run(_declare(amqp_url, broker_prefix))
    ids = asyncio.run(_dead_letters(broker_accounts, amqp_url, 3))
    audit_file = tmp_path / "dlq-audit.jsonl"

    inspected = _cli(broker_accounts, audit_file, "inspect", WORK)
    assert inspected.exit_code == 0, inspected.output
    assert NAME not in inspected.output  # bodies are never printed
    shown = json.loads(inspected.output)
    assert [d["message_id"] for d in shown] == ids
    assert {d["publisher"] for d in shown} == {broker_accounts.user("atena")}

    replayed = _cli(broker_accounts, audit_file, "replay", WORK, "--message-id", ids[1])
    assert replayed.exit_code == 0, replayed.output
    missing = _cli(broker_accounts, audit_file, "replay", WORK, "--message-id", "no-such-id")
    assert missing.exit_code == 1

    async def check():
        connection = await aio_pika.connect(amqp_url)
        try:
            channel = await connection.channel()
            work = await channel.declare_queue(broker_prefix + WORK, passive=True)
            back = await eventually(lambda: work.get(fail=False))
            # The consumer will judge it by its original publisher, and see the replay.
            assert (back.message_id, back.user_id) == (ids[1], broker_accounts.user("atena"))
            assert NAME not in json.dumps(back.headers, default=str, ensure_ascii=False)
            assert json.loads(back.headers["x-osame-replayed"])["reason"] == "rejected"
            await back.ack()
            dead = await channel.declare_queue(broker_prefix + WORK + ".dlq", passive=True)
            left = []
            while (message := await dead.get(fail=False)) is not None:
                left.append(message.message_id)
                assert NAME not in json.dumps(message.headers, default=str, ensure_ascii=False)
                await message.nack(requeue=True)
                if len(left) == 2:
                    break
            return sorted(left)
        finally:
            await connection.close()

    assert asyncio.run(check()) == sorted([ids[0], ids[2]])
    assert [(a["action"], a["message_id"], a["count"]) for a in _audit(audit_file)] == [
        ("replay-one", ids[1], 1),
        ("replay-one", "no-such-id", 0),
    ]


async def test_the_operator_may_touch_dead_letters_only(broker_accounts, broker_prefix, amqp_url):
    queue = await _declare(amqp_url, broker_prefix)
    connection = await aio_pika.connect(broker_accounts.url("operator"))
    try:
        channel = await connection.channel()
        work = await channel.declare_queue(queue, passive=True)
        with pytest.raises(aio_pika.exceptions.ChannelClosed, match="ACCESS_REFUSED"):
            await work.get(fail=False)  # reading a live work queue
        channel = await connection.channel(publisher_confirms=True)
        events = await channel.get_exchange(broker_accounts.names.events().name, ensure=False)
        with pytest.raises(aio_pika.exceptions.ChannelClosed, match="ACCESS_REFUSED"):
            await events.publish(aio_pika.Message(b"{}", message_id="op-1"), "receipts.receipt.recorded.v1")
    finally:
        await connection.close()
    async with connect(broker_accounts.url("operator"), broker_prefix) as bus:
        assert await dlq.depth(bus, WORK) == 0
