"""`osame publish FILE`: validate a JSON message against its contract and send it as an outside
system must (docs/integrating.md).

The body is checked twice before anything is sent: against the contract's JSON Schema (the same
document as `contracts/schemas/<routing key>.json`) and against the contract model the consumer
applies. Errors name the JSON path and the rule broken, never a value (bodies hold personal data).
It then goes out through the chassis' publish helper: persistent, the given `message_id` (no
random default: a redelivered or re-sent message must keep its id, or the consumer's inbox
cannot recognise it), `message_type` = routing key, `content_type` = application/json, publisher
confirms, and an unroutable message is an error. The AMQP `user_id` is the user of the
connection (the publishing system's own broker user from `--amqp-url`; RabbitMQ checks it, and
Osame's consumers accept each routing key only from the publishers the contracts declare).

A 個人番号 never travels in clear (issue 13 item 4): write it in the file as the 12-digit string
and give address-sync's transport public key with `--mynumber-key id:base64` (or
OSAME_MYNUMBER_TRANSPORT_PUBLIC_KEY); each one is sealed to that key before the body is checked
and sent (osame_chassis.sealed_number). An already sealed `{"key_id", "sealed"}` goes as it is.

A staff action (a contract with a staff field, e.g. `address-sync.merge.record.v2`) must carry a
staff proof signed by the publishing system: give its signing key with `--staff-key` and the
proof is added to the body before it is sent (osame_chassis.messaging.staff_proof).
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import typer
from jsonschema import Draft202012Validator
from osame_contracts.base import Message
from osame_contracts.registry import REGISTRY, UnknownMessageType, model_for
from osame_contracts.schemas import schema_of
from pydantic import ValidationError

MESSAGE_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._:-]{0,127}$")


class MessageRefused(ValueError):
    """The file cannot be sent as it is; the message says why (no values)."""


def routing_key_of(path: Path, given: str | None) -> str:
    key = given or path.name.removesuffix(".json")
    if key not in REGISTRY:
        raise MessageRefused(
            f"unknown message type {key!r}: name it with --type (one of the routing keys in contracts/schemas), "
            "or name the file <routing key>.json"
        )
    return key


def seal_numbers(key: str, body: object, recipient: str | None, check: bool) -> object:
    """Seal each 個人番号 written in clear in `body` to address-sync's transport key (`--check`
    without a key seals to a throwaway key: the shape is what is checked)."""
    from osame_chassis.sealed_number import RecipientKey, TransportKeyError, public_of, seal_clear_numbers

    if not isinstance(body, dict):
        return body
    try:
        if recipient:
            target = RecipientKey.parse(recipient)
        elif check:
            target = RecipientKey.parse(f"check:{public_of(generate_private())}")
        else:
            target = None
        return seal_clear_numbers(body, model_for(key), target)
    except UnknownMessageType:
        return body
    except TransportKeyError as exc:
        raise MessageRefused(f"{key}: {exc}") from None
    except ValueError:
        raise MessageRefused(f"{key}: a 個人番号 is 12 digits") from None


def generate_private() -> str:
    from osame_chassis.sealed_number import generate_keypair

    return generate_keypair()[0]


def validate(key: str, body: object) -> type[Message]:
    """Check `body` against the contract of `key`; raise MessageRefused listing every problem."""
    try:
        model = model_for(key)
    except UnknownMessageType:
        raise MessageRefused(f"unknown message type {key!r}") from None
    schema = json.loads(schema_of(model))
    problems = list(
        dict.fromkeys(
            _problem(error)
            for error in sorted(Draft202012Validator(schema).iter_errors(body), key=lambda e: list(e.path))
        )
    )
    if not problems:
        try:
            model.model_validate(body)
        except ValidationError as exc:
            problems = [
                f"$.{'.'.join(str(p) for p in item['loc'])}: {item['msg'].removeprefix('Value error, ')}"
                for item in exc.errors(include_input=False, include_url=False)
            ]
    if problems:
        raise MessageRefused(f"{key}: the body does not match the contract: " + "; ".join(problems))
    return model


def _problem(error) -> str:
    """Where and which rule, without the offending value (it may be personal data)."""
    if error.validator == "required":
        return f"{error.json_path}: missing {error.message.split(' is a required property')[0]}"
    if error.validator == "additionalProperties":
        return f"{error.json_path}: a field the contract does not define"
    rule = json.dumps(error.validator_value, ensure_ascii=False)
    return f"{error.json_path}: must satisfy {error.validator} {rule[:60]}{'…' if len(rule) > 60 else ''}"


def check_message_id(message_id: str | None) -> str:
    if not message_id:
        raise MessageRefused(
            "a message_id is required: give every message a stable id of your system (e.g. the id of the "
            "record it carries) and send the same id again when you re-send it; the consumer ignores a "
            "message_id it has already applied"
        )
    if not MESSAGE_ID.match(message_id):
        raise MessageRefused(
            "message_id must be 1-128 characters of letters, digits and . _ : - (no personal data)"
        )
    return message_id


def principal_of(amqp_url: str, prefix: str) -> str | None:
    """The principal (outside system) whose broker user the URL names, e.g. `osame-atena` → `atena`."""
    from osame_chassis.messaging.topology import Names

    user = urlsplit(amqp_url).username
    return Names(prefix).principal_of(unquote(user)) if user else None


def sign_staff_action(
    model: type[Message], body: dict, staff_key: Path | None, principal: str | None
) -> dict:
    """The body with its staff proof when `model` is a staff action (unchanged otherwise)."""
    if model.staff_field is None or body.get("staff_proof"):
        return body
    if staff_key is None:
        raise MessageRefused(
            f"{model.routing_key} is a staff action: it needs a staff proof signed by your system "
            "(--staff-key FILE, the private key `osame bus staff-key` made for it)"
        )
    from osame_chassis.messaging.staff_proof import StaffProofSigner

    try:
        signer = StaffProofSigner(principal or "publisher", staff_key.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MessageRefused(
            f"--staff-key: not a usable EC P-256 private key ({type(exc).__name__})"
        ) from None
    return json.loads(signer.sign(model.model_validate(body)).model_dump_json())


async def send(amqp_url: str, prefix: str, model: type[Message], body: bytes, message_id: str) -> None:
    """Publish on the model's exchange with the required properties; `user_id` is the connection's
    broker user (bus.send_raw's default)."""
    from osame_cli.bus import connect

    async with connect(amqp_url, prefix) as bus:
        await bus.send_raw(
            body,
            exchange=bus.names.exchange_for(model),
            routing_key=model.routing_key,
            message_id=message_id,
            message_type=model.message_type(),
        )


def publish(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSON body of one message"),
    message_id: str = typer.Option(None, "--message-id", help="Stable id of this message (required)"),
    message_type: str = typer.Option(
        None, "--type", help="Routing key; default: the file name without .json"
    ),
    check: bool = typer.Option(False, "--check", help="Only validate; send nothing"),
    amqp_url: str = typer.Option(
        "amqp://guest:guest@127.0.0.1:5672/", "--amqp-url", envvar="OSAME_AMQP_URL", help="Broker URL"
    ),
    prefix: str = typer.Option("", "--prefix", envvar="OSAME_AMQP_PREFIX", help="Broker name prefix"),
    mynumber_key: str = typer.Option(
        None,
        "--mynumber-key",
        envvar="OSAME_MYNUMBER_TRANSPORT_PUBLIC_KEY",
        help="address-sync's transport public key (id:base64) to seal each 個人番号 in the file to",
    ),
    staff_key: Path = typer.Option(
        None,
        "--staff-key",
        exists=True,
        dir_okay=False,
        help="Your system's staff proof signing key (PEM); needed for staff actions such as a 名寄せ",
    ),
) -> None:
    """Validate a JSON message against its contract and send it to Osame (docs/integrating.md)."""
    try:
        key = routing_key_of(file, message_type)
        try:
            body = json.loads(file.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MessageRefused(f"{file.name} is not UTF-8 JSON ({type(exc).__name__})") from None
        body = seal_numbers(key, body, mynumber_key, check)
        model = validate(key, body)
        if check:
            typer.echo(f"{key}: valid")
            return
        message_id = check_message_id(message_id)
        body = sign_staff_action(model, body, staff_key, principal_of(amqp_url, prefix))
    except MessageRefused as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(2) from None
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    try:
        asyncio.run(send(amqp_url, prefix, model, payload, message_id))
    except Exception as exc:
        from osame_chassis.messaging.publish import PublishFailed
        from osame_chassis.startup import broker_problem

        if isinstance(exc, PublishFailed):
            reason = (
                f"the broker did not accept {key} (no queue bound for it under prefix {prefix!r}, or refused): "
                "check --prefix and that the consuming service has started"
            )
        else:
            reason = broker_problem(exc, amqp_url)
        typer.echo(f"not sent: {reason}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"sent {key} message_id={message_id}")
