"""AsyncAPI 3.0 document of a service: what it receives (from FastStream's subscribers) and what
it sends (from the contracts), every payload a contract's JSON Schema.

Handlers take the raw body (the chassis validates it, so errors never echo input), so
FastStream cannot see the payload type; the contract's JSON Schema is put in its place. All
payload schemas are generated together, so a model nested in several messages is one entry
of `components/schemas` and every `$ref` points there (pydantic's per-model `$defs` would
leave references dangling). Publishing goes through the outbox relay, not FastStream
publishers, so `send` operations are added from the contracts: the events a service owns
(the first segment of the routing key), and the commands it is declared to send.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faststream.rabbit import RabbitBroker
from faststream.specification import AsyncAPI
from osame_contracts.base import Kind, Message
from osame_contracts.publishers import published_by as declared_publications
from osame_contracts.topology import exchange_for
from pydantic.json_schema import models_json_schema

if TYPE_CHECKING:
    from osame_chassis.runtime import ServiceRuntime

AMQP_BINDING_VERSION = "0.3.0"
SCHEMA_PREFIX = "#/components/schemas/"


def published_by(service: str) -> tuple[type[Message], ...]:
    """Messages `service` publishes, in routing-key order, as the contracts declare them
    (`osame_contracts.publishers`: events of its own and the commands it sends)."""
    return declared_publications(service)


def payload_schemas(models: list[type[Message]]) -> tuple[dict[str, str], dict[str, dict]]:
    """(routing key → `$ref` of its payload, every schema for `components/schemas`)."""
    unique = list(dict.fromkeys(models))
    keys, top = models_json_schema(
        [(m, "validation") for m in unique], ref_template=SCHEMA_PREFIX + "{model}"
    )
    refs = {m.routing_key: keys[(m, "validation")]["$ref"] for m in unique}
    return refs, top.get("$defs", {})


def _message_component(model: type[Message], payload_ref: str) -> dict:
    return {
        "name": model.routing_key,
        "title": model.__name__,
        "summary": (model.__doc__ or "").strip().split("\n", 1)[0],
        "contentType": "application/json",
        "payload": {"$ref": payload_ref},
        "bindings": {"amqp": {"messageType": model.routing_key, "bindingVersion": AMQP_BINDING_VERSION}},
    }


def document(
    broker: RabbitBroker,
    title: str,
    consumed: dict[str, type[Message]],
    *,
    service: str | None = None,
    prefix: str = "",
    version: str = "0.1.0",
) -> dict:
    """`consumed` maps queue name → the contract model it carries; `service` adds its sends."""
    spec = (
        AsyncAPI(broker, title=title, version=version, schema_version="3.0.0")
        .to_specification()
        .to_jsonable()
    )
    sent = list(published_by(service)) if service else []
    refs, schemas = payload_schemas([*consumed.values(), *sent])
    components = spec.setdefault("components", {})
    messages = components.setdefault("messages", {})
    for name in list(messages):
        queue = next((q for q in consumed if name.startswith(q + ":")), None)
        if queue is not None:
            model = consumed[queue]
            messages[name] = _message_component(model, refs[model.routing_key])
    components["schemas"] = dict(sorted(schemas.items()))
    channels = spec.setdefault("channels", {})
    operations = spec.setdefault("operations", {})
    for model in sent:
        channel, message = f"send.{model.routing_key}", model.routing_key
        exchange = prefix + exchange_for(model)
        messages[message] = _message_component(model, refs[model.routing_key])
        channels[channel] = {
            "address": model.routing_key,
            "title": f"{exchange} · {model.routing_key}",
            "description": (model.__doc__ or "").strip(),
            "messages": {model.__name__: {"$ref": f"#/components/messages/{message}"}},
            "bindings": {
                "amqp": {
                    "is": "routingKey",
                    "exchange": {
                        "name": exchange,
                        "type": "direct" if model.kind is Kind.COMMAND else "topic",
                        "durable": True,
                        "autoDelete": False,
                        "vhost": "/",
                    },
                    "bindingVersion": AMQP_BINDING_VERSION,
                }
            },
        }
        if "servers" in spec:
            channels[channel]["servers"] = [{"$ref": f"#/servers/{s}"} for s in spec["servers"]]
        operations[channel] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": f"{model.kind} published with the outbox relay (persistent, confirmed)",
            "messages": [{"$ref": f"#/channels/{channel}/messages/{model.__name__}"}],
            "bindings": {
                "amqp": {
                    "deliveryMode": 2,
                    "mandatory": True,
                    "cc": [model.routing_key],
                    "bindingVersion": AMQP_BINDING_VERSION,
                }
            },
        }
    return spec


def runtime_document(runtime: ServiceRuntime) -> dict:
    """The document of a running (or registered) service."""
    from osame_chassis.telemetry import service_version

    settings = runtime.settings
    return document(
        runtime.broker,
        runtime.spec.title or settings.service_name,
        runtime.consumed,
        service=settings.service_name,
        prefix=settings.amqp_prefix,
        version=service_version(runtime.spec),
    )
