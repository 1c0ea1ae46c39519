"""`osame publish`: every example of docs/integrating.md validates and goes through the real broker
with the properties an integrator must set; a missing message_id or a bad body is refused."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aio_pika
import pytest
from osame_chassis.messaging.staff_proof import StaffProofVerifier, generate_key
from osame_chassis.messaging.topology import Names, declare_exchanges
from osame_cli.bus import connect
from osame_cli.main import app
from osame_contracts.registry import REGISTRY
from typer.testing import CliRunner

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "integrating" / "examples"
# What outside systems publish: 税務システム (taxation.*), the channel adapters (receipts.receipt.record.v1)
# and 住基 / 宛名管理 (address-sync commands).
INBOUND = sorted(
    key
    for key, model in REGISTRY.items()
    if key.startswith("taxation.")
    or key == "receipts.receipt.record.v1"
    or (key.startswith("address-sync.") and model.kind.value == "command")
)


def test_every_inbound_contract_has_an_example():
    assert sorted(p.name.removesuffix(".json") for p in EXAMPLES.glob("*.json")) == INBOUND


@pytest.mark.parametrize("key", INBOUND)
def test_every_example_validates(key):
    result = runner.invoke(app, ["publish", "--check", str(EXAMPLES / f"{key}.json")])
    assert result.exit_code == 0, result.output
    assert f"{key}: valid" in result.output


def test_a_missing_message_id_is_refused_not_replaced(tmp_path):
    result = runner.invoke(app, ["publish", str(EXAMPLES / "receipts.receipt.record.v1.json")])
    assert result.exit_code == 2
    assert "a message_id is required" in result.output


def test_a_body_that_breaks_the_contract_is_refused_without_echoing_values(tmp_path):
    body = json.loads((EXAMPLES / "receipts.receipt.record.v1.json").read_text(encoding="utf-8"))
    body["amount"] = -5
    body["channel"] = "secret-channel-value"
    del body["notice_number"]
    path = tmp_path / "receipts.receipt.record.v1.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    result = runner.invoke(app, ["publish", "--message-id", "x-1", str(path)])
    assert result.exit_code == 2
    assert "missing 'notice_number'" in result.output and "$.amount" in result.output
    assert "secret-channel-value" not in result.output


def test_an_unknown_type_is_refused(tmp_path):
    path = tmp_path / "body.json"
    path.write_text("{}", encoding="utf-8")
    result = runner.invoke(app, ["publish", "--message-id", "x-1", str(path)])
    assert result.exit_code == 2 and "unknown message type 'body'" in result.output


@pytest.mark.integration
def test_every_example_goes_through_the_real_broker(amqp_url, broker_prefix, extra_queues, tmp_path):
    """A test queue bound to each example's exchange and routing key receives exactly what was sent,
    with persistent delivery, the given message_id, message_type and content_type; a staff action
    arrives with the staff proof `--staff-key` signed over it."""
    private_pem, public_pem = generate_key()
    staff_key = tmp_path / "atena.key"
    staff_key.write_text(private_pem, encoding="utf-8")
    names = Names(broker_prefix)
    queue = "integrator-probe"
    extra_queues.append(queue)

    async def bind() -> None:
        async with connect(amqp_url, broker_prefix) as bus:
            await declare_exchanges(bus.broker, names)
            channel = await bus.connection.channel()
            declared = await channel.declare_queue(broker_prefix + queue, durable=True)
            for key in INBOUND:
                exchange = names.exchange_for(REGISTRY[key]).name
                await declared.bind(exchange, routing_key=key)
            await channel.close()

    asyncio.run(bind())
    for n, key in enumerate(INBOUND):
        result = runner.invoke(
            app,
            [
                "publish",
                str(EXAMPLES / f"{key}.json"),
                "--message-id",
                f"example-{n}",
                "--amqp-url",
                amqp_url,
                "--prefix",
                broker_prefix,
                "--staff-key",
                str(staff_key),
            ],
        )
        assert result.exit_code == 0, result.output

    async def receive() -> list[aio_pika.IncomingMessage]:
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            declared = await channel.declare_queue(broker_prefix + queue, passive=True)
            got = []
            while (message := await declared.get(no_ack=True, fail=False)) is not None:
                got.append(message)
            return got

    received = {m.type: m for m in asyncio.run(receive())}
    assert sorted(received) == INBOUND
    for n, key in enumerate(INBOUND):
        message = received[key]
        assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        assert message.message_id == f"example-{n}"
        assert message.content_type == "application/json"
        body = json.loads(message.body)
        model = REGISTRY[key].model_validate_json(message.body)
        if model.staff_field is not None:
            verifier = StaffProofVerifier({"publisher": [public_pem]})
            assert verifier.verify(model, "publisher") == body[model.staff_field]
            del body["staff_proof"]
        assert body == json.loads((EXAMPLES / f"{key}.json").read_text(encoding="utf-8"))


def test_a_staff_action_without_a_staff_key_is_refused():
    path = EXAMPLES / "address-sync.merge.record.v2.json"
    result = runner.invoke(app, ["publish", str(path), "--message-id", "m-1"])
    assert result.exit_code == 2 and "needs a staff proof" in result.output


@pytest.mark.integration
def test_an_unroutable_message_is_an_error(amqp_url, broker_prefix):
    async def exchanges_only() -> None:
        async with connect(amqp_url, broker_prefix) as bus:
            await declare_exchanges(bus.broker, Names(broker_prefix))

    asyncio.run(exchanges_only())  # no queue bound: the broker returns the message
    path = EXAMPLES / "taxation.assessment.registered.v1.json"
    args = ["publish", str(path), "--message-id", "x-1", "--amqp-url", amqp_url, "--prefix", broker_prefix]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "did not accept" in result.output


def test_a_my_number_in_clear_is_sealed_to_address_syncs_key_or_refused(tmp_path):
    """Issue 13 item 4: `osame publish` never sends a 個人番号 in clear."""
    from osame_chassis.sealed_number import (
        RecipientKey,
        TransportKeyring,
        generate_keypair,
        seal_clear_numbers,
    )
    from osame_contracts.messages.address_sync import RegisterNonResident

    number = "123456789018"
    body = json.loads((EXAMPLES / "address-sync.non-resident.upsert.v1.json").read_text(encoding="utf-8"))
    body["my_number"] = number
    path = tmp_path / "address-sync.non-resident.upsert.v1.json"
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    refused = runner.invoke(app, ["publish", str(path), "--message-id", "m-1"], env={})
    assert refused.exit_code == 2 and "sealed" in refused.output and number not in refused.output
    assert runner.invoke(app, ["publish", "--check", str(path)]).exit_code == 0

    private, public = generate_keypair()
    out = seal_clear_numbers(body, RegisterNonResident, RecipientKey.parse(f"t9:{public}"))
    assert number not in json.dumps(out) and out["my_number"]["key_id"] == "t9"
    opened = TransportKeyring.parse(f"t9:{private}").open(
        "t9",
        out["my_number"]["sealed"],
        routing_key=RegisterNonResident.routing_key,
        addressee_id=body["addressee_id"],
    )
    assert opened == number
    RegisterNonResident.model_validate(out)
