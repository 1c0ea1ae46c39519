"""Issue 13 item 1, tried as an attacker with access to the broker: each forgery now fails.

Real RabbitMQ, real services in this process, each connected as its own broker user of a
per-test namespace (users, permissions and topic permissions generated from the contracts).
Refusals happen at two layers: the broker (permissions, topic permissions, `user_id`
validation) and the consumer (publisher allowed for the routing key, staff proof, answers only
to queries made). A positive control in each test shows the legitimate path still works.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import aio_pika
import pytest
from osame_chassis.messaging.staff_proof import StaffProofSigner, generate_key
from osame_chassis.testing import signer_for_tests
from osame_contracts.messages import address_sync, collection, gateway
from sqlalchemy import select

from .conftest import Refused, dlq_depth, eventually, publish_as

pytestmark = pytest.mark.integration

PROTECTED = "300001"


def protection_off(revision: int = 2) -> bytes:
    return (
        address_sync.SetProtection(
            addressee_id=PROTECTED, revision=revision, protected=False, effective_on=dt.date(2026, 7, 1)
        )
        .model_dump_json()
        .encode()
    )


def income_request(query_id: str, staff_user: str = "staff-01") -> collection.IncomeQueryRequested:
    return collection.IncomeQueryRequested(
        query_id=query_id,
        addressee_id="300002",
        affair="local_tax_assessment_collection",
        item=collection.InformationItem.INCOME,
        fiscal_year=2025,
        purpose="財産調査",
        staff_user=staff_user,
        requested_on=dt.date(2026, 7, 1),
    )


def props(routing_key: str, message_id: str, user_id: str | None) -> dict:
    return {
        "message_id": message_id,
        "type": routing_key,
        "user_id": user_id,
        "content_type": "application/json",
    }


async def _rows(harness, table):
    async with harness.runtime.sessions() as session:
        return (await session.execute(select(table))).mappings().all()


def _rejections(caplog) -> list[str]:
    return [r.reason for r in caplog.records if getattr(r, "reason", None) and r.name == "osame.consumer"]


async def test_a_forged_set_protection_is_refused_at_the_broker_and_at_the_consumer(
    live, broker_accounts, broker_prefix, amqp_url, caplog
):
    from osame_address_sync.adapters import orm

    caplog.set_level(logging.ERROR, logger="osame.consumer")
    service = await live("address-sync")
    names = broker_accounts.names
    commands = names.commands().name
    key = address_sync.SetProtection.routing_key
    queue = names.queue("address-sync", address_sync.SetProtection)

    # Another service's own user may not publish the routing key (topic permission).
    with pytest.raises(Refused, match="ACCESS_REFUSED"):
        await publish_as(
            broker_accounts.url("collection"), commands, key, protection_off(), **props(key, "f-1", None)
        )
    # An outside system that may publish other keys may not publish this one either.
    with pytest.raises(Refused, match="ACCESS_REFUSED"):
        await publish_as(
            broker_accounts.url("channels"), commands, key, protection_off(), **props(key, "f-2", None)
        )
    # 宛名管理 may send this command too, but may not claim to be 住基: RabbitMQ validates user_id
    # against the connection's user (checked after the permissions, which pass here).
    with pytest.raises(Refused, match="PRECONDITION_FAILED"):
        await publish_as(
            broker_accounts.url("atena"),
            commands,
            key,
            protection_off(),
            **props(key, "f-3", names.user("jumin")),
        )
    # A user the broker lets through (here the administrator, as with one shared user) is not an
    # allowed publisher: the consumer dead-letters it, with or without a user_id.
    await publish_as(amqp_url, commands, key, protection_off(), **props(key, "f-4", "guest"))
    await publish_as(amqp_url, commands, key, protection_off(), **props(key, "f-5", None))
    await eventually(lambda: dlq_depth(amqp_url, queue), timeout=30)
    await eventually(lambda: _depth_is(amqp_url, queue, 2), timeout=30)
    assert await _rows(service, orm.protections) == []
    assert "publisher 'guest' may not publish address-sync.protection.upsert.v1" in _rejections(caplog)
    assert "publisher 'None' may not publish address-sync.protection.upsert.v1" in _rejections(caplog)

    # Positive control: 住基 itself, with its own user, sets the protection.
    await publish_as(
        broker_accounts.url("jumin"),
        commands,
        key,
        protection_off(1),
        **props(key, "ok-1", names.user("jumin")),
    )
    rows = await eventually(lambda: _rows(service, orm.protections))
    assert [(r["addressee_id"], r["protected"]) for r in rows] == [(PROTECTED, False)]


async def _depth_is(admin_url: str, queue: str, expected: int) -> bool:
    return await dlq_depth(admin_url, queue) == expected


def _publish_without_message_id(url: str, exchange: str, routing_key: str, body: bytes, user_id: str) -> None:
    """aio-pika fills in a random message_id; pika (here through testcontainers' rabbitmq extra) sends
    what it is given, as any other client may."""
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        properties = pika.BasicProperties(
            type=routing_key, user_id=user_id, delivery_mode=2, content_type="application/json"
        )
        channel.basic_publish(exchange, routing_key, body, properties, mandatory=True)
    finally:
        connection.close()


async def test_a_message_without_message_id_is_dead_lettered_not_given_one(
    live, broker_accounts, amqp_url, caplog
):
    from osame_address_sync.adapters import orm

    caplog.set_level(logging.ERROR, logger="osame.consumer")
    service = await live("address-sync")
    names = broker_accounts.names
    key = address_sync.SetProtection.routing_key
    await asyncio.to_thread(
        _publish_without_message_id,
        broker_accounts.url("jumin"),
        names.commands().name,
        key,
        protection_off(1),
        names.user("jumin"),
    )
    queue = names.queue("address-sync", address_sync.SetProtection)
    await eventually(lambda: _depth_is(amqp_url, queue, 1), timeout=30)
    assert await _rows(service, orm.protections) == []
    assert service.rejected() == 1
    assert any(r.startswith("missing message_id") for r in _rejections(caplog))


async def test_a_forged_income_query_is_refused_and_a_signed_one_is_taken(
    live, broker_accounts, amqp_url, caplog
):
    from osame_gateway.adapters import orm

    caplog.set_level(logging.ERROR, logger="osame.consumer")
    service = await live("intermediate-server-gw")
    names = broker_accounts.names
    events = names.events().name
    key = collection.IncomeQueryRequested.routing_key
    queue = names.queue("intermediate-server-gw", collection.IncomeQueryRequested)
    as_collection = names.user("collection")
    legit = signer_for_tests("collection").sign(income_request("q-legit"))

    # Nobody but collection may publish the request (topic permissions), whatever it claims.
    for principal in ("channels", "atena", "address-sync"):
        with pytest.raises(Refused, match="ACCESS_REFUSED"):
            await publish_as(
                broker_accounts.url(principal),
                events,
                key,
                legit.model_dump_json().encode(),
                **props(key, f"x-{principal}", None),
            )
    # With collection's own credentials (a compromised or buggy publisher) the staff id is still
    # proven or refused: no proof, a proof signed by another key, a proof moved to another query,
    # a proof for another staff member, a valid proof re-signed by an attacker's key.
    attacker = StaffProofSigner("collection", generate_key()[0])
    forgeries = {
        "no-proof": income_request("q-1", staff_user="nobody"),
        "foreign-key": attacker.sign(income_request("q-2", staff_user="nobody")),
        "moved-proof": income_request("q-3").model_copy(update={"staff_proof": legit.staff_proof}),
        "renamed-staff": legit.model_copy(update={"staff_user": "nobody"}),
    }
    for message_id, forged in forgeries.items():
        await publish_as(
            broker_accounts.url("collection"),
            events,
            key,
            forged.model_dump_json().encode(),
            **props(key, message_id, as_collection),
        )
    await eventually(lambda: _depth_is(amqp_url, queue, len(forgeries)), timeout=30)
    assert await _rows(service, orm.income_queries) == []
    assert sorted(r for r in _rejections(caplog) if r.startswith("staff proof refused")) == [
        "staff proof refused: digest_mismatch",
        "staff proof refused: digest_mismatch",
        "staff proof refused: missing",
        "staff proof refused: unknown_key",
    ]
    assert not any("nobody" in reason for reason in _rejections(caplog))  # no body value in a reason

    # Positive control: the request collection signed for its authenticated staff member.
    await publish_as(
        broker_accounts.url("collection"),
        events,
        key,
        legit.model_dump_json().encode(),
        **props(key, "legit", as_collection),
    )
    [row] = await eventually(lambda: _rows(service, orm.income_queries))
    assert (row["query_id"], row["staff_user"]) == ("q-legit", "staff-01")


async def test_an_answer_to_a_query_never_made_is_dead_lettered(live, broker_accounts, amqp_url, caplog):
    from osame_collection.adapters import orm

    caplog.set_level(logging.ERROR, logger="osame.consumer")
    service = await live("collection")
    names = broker_accounts.names
    key = gateway.IncomeQueryAnswered.routing_key
    answer = gateway.IncomeQueryAnswered(
        query_id="never-asked",
        addressee_id="300003",
        fiscal_year=2025,
        certificate_id="cert-9",
        provider="高岡市長",
        answered_at=dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC),
        income=gateway.IncomeFigures(
            total_income=9_000_000,
            salary_revenue=9_000_000,
            business_income=0,
            taxable_income=7_000_000,
            municipal_income_levy=420_000,
        ),
    )
    await publish_as(
        broker_accounts.url("intermediate-server-gw"),
        names.events().name,
        key,
        answer.model_dump_json().encode(),
        **props(key, "a-1", names.user("intermediate-server-gw")),
    )
    queue = names.queue("collection", gateway.IncomeQueryAnswered)
    await eventually(lambda: _depth_is(amqp_url, queue, 1), timeout=30)
    assert await _rows(service, orm.asset_inquiries) == []
    assert "refused: answer to an income query this service did not make" in _rejections(caplog)


async def test_no_client_can_bind_a_queue_to_read_jumin_commands(broker_accounts, broker_prefix):
    names = broker_accounts.names
    key = address_sync.RecordResidentChange.routing_key

    async def bind_as(principal: str, queue: str, exchange: str, routing_key: str) -> None:
        connection = await aio_pika.connect(broker_accounts.url(principal))
        try:
            channel = await connection.channel()
            declared = await channel.declare_queue(queue, durable=True, arguments={"x-queue-type": "quorum"})
            try:
                await declared.bind(exchange, routing_key)
            finally:
                channel = await connection.channel()
                await channel.queue_delete(queue)
        except aio_pika.exceptions.ChannelClosed as exc:
            raise Refused(exc) from exc
        finally:
            await connection.close()

    # receipts consumes commands, but only its own: binding another key is refused.
    with pytest.raises(Refused, match=f"access to topic '{key}'"):
        await bind_as("receipts", f"{broker_prefix}receipts.spy", names.commands().name, key)
    # collection consumes no command at all: it may not bind to the commands exchange.
    with pytest.raises(Refused, match="ACCESS_REFUSED"):
        await bind_as("collection", f"{broker_prefix}collection.spy", names.commands().name, key)
    # An outside system may not even declare a queue.
    with pytest.raises(Refused, match="ACCESS_REFUSED"):
        await bind_as("jumin", f"{broker_prefix}jumin.spy", names.commands().name, key)
    # A service may not name its queue like another service's to pass for it.
    with pytest.raises(Refused, match="ACCESS_REFUSED"):
        await bind_as("receipts", f"{broker_prefix}address-sync.spy", names.commands().name, key)


async def test_services_may_not_reach_queues_by_name_or_reconfigure_exchanges(broker_accounts):
    names = broker_accounts.names
    queue = names.queue("address-sync", address_sync.SetProtection)
    # The default exchange would deliver straight to a work queue, around every topic permission.
    with pytest.raises(Refused, match=r"amq\.default"):
        await publish_as(
            broker_accounts.url("collection"),
            "",
            queue,
            protection_off(),
            **props("address-sync.protection.upsert.v1", "d-1", names.user("collection")),
        )
    connection = await aio_pika.connect(broker_accounts.url("receipts"))
    try:
        channel = await connection.channel()
        with pytest.raises(aio_pika.exceptions.ChannelClosed, match="ACCESS_REFUSED"):
            await channel.exchange_delete(names.events().name)
    finally:
        await connection.close()


async def test_a_merge_with_a_forged_staff_name_is_refused_and_a_signed_one_is_recorded(
    live, broker_accounts, broker_prefix, amqp_url, caplog
):
    from osame_address_sync.adapters import orm
    from osame_cli.bus import connect

    caplog.set_level(logging.ERROR, logger="osame.consumer")
    service = await live("address-sync")
    names = broker_accounts.names
    key = address_sync.MergeAddressees.routing_key
    as_atena = names.user("atena")
    signer = signer_for_tests("atena")
    async with connect(amqp_url, broker_prefix, accounts=broker_accounts, signers={"atena": signer}) as bus:
        for addressee_id in ("300011", "300012"):
            await bus.send(
                address_sync.UpsertAddressee(
                    addressee_id=addressee_id,
                    version=1,
                    name="名寄 試験",
                    name_kana="ナヨセ シケン",
                    postal_code="933-0000",
                    address="富山県高岡市試験町1番1号",
                )
            )
    await eventually(lambda: _count(service, orm.addressees, 2))

    def merge(decided_by: str = "staff-02") -> address_sync.MergeAddressees:
        return address_sync.MergeAddressees(
            surviving_addressee_id="300011",
            merged_addressee_id="300012",
            decided_by=decided_by,
            decided_on=dt.date(2026, 7, 1),
        )

    signed = signer.sign(merge())
    # 住基's user may not send a 名寄せ at all.
    with pytest.raises(Refused, match="ACCESS_REFUSED"):
        await publish_as(
            broker_accounts.url("jumin"),
            names.commands().name,
            key,
            signed.model_dump_json().encode(),
            **props(key, "m-0", names.user("jumin")),
        )
    # 宛名管理's own user with a free-text name (no proof), or a proven merge renamed.
    for message_id, forged in {
        "m-1": merge("nobody"),
        "m-2": signed.model_copy(update={"decided_by": "nobody"}),
    }.items():
        await publish_as(
            broker_accounts.url("atena"),
            names.commands().name,
            key,
            forged.model_dump_json().encode(),
            **props(key, message_id, as_atena),
        )
    queue = names.queue("address-sync", address_sync.MergeAddressees)
    await eventually(lambda: _depth_is(amqp_url, queue, 2), timeout=30)
    assert await _rows(service, orm.merges) == []
    assert {"staff proof refused: missing", "staff proof refused: digest_mismatch"} <= set(
        _rejections(caplog)
    )

    await publish_as(
        broker_accounts.url("atena"),
        names.commands().name,
        key,
        signed.model_dump_json().encode(),
        **props(key, "m-ok", as_atena),
    )
    [row] = await eventually(lambda: _rows(service, orm.merges))
    assert (row["merged_addressee_id"], row["decided_by"]) == ("300012", "staff-02")


async def _count(harness, table, expected: int) -> bool:
    return len(await _rows(harness, table)) == expected
