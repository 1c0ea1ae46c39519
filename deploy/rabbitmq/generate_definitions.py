"""Write the RabbitMQ definitions for Osame, generated from the contracts.

- `definitions.json`: the topology — the three topic exchanges, every quorum work queue and
  its DLQ (with the retention limit) and their bindings. Services declare their own queues at
  start (the same code makes them, so a redeclare never fails with PRECONDITION_FAILED) but
  only check the exchanges, which provisioning creates. Safe to import again.
- `access.json` (`--access`): one broker user per principal (each Osame service, each outside
  system, and `operator`), with least-privilege permissions and topic permissions
  (osame_chassis.messaging.grants). The users have no password: `osame bus provision` applies
  the same grants with passwords and is what compose (`broker-setup`) and the Kubernetes Job
  run. Importing access.json again would reset the passwords (RabbitMQ replaces a user it
  imports): use it for review and for a first import only.

    uv run python deploy/rabbitmq/generate_definitions.py > deploy/rabbitmq/definitions.json
    uv run python deploy/rabbitmq/generate_definitions.py --access > deploy/rabbitmq/access.json

tests/deploy fails when a committed file is stale. The delivery limit and the DLQ retention
are the services' defaults (OSAME_DELIVERY_LIMIT, OSAME_DLQ_MESSAGE_TTL_SECONDS,
OSAME_DLQ_MAX_LENGTH); regenerate with the options if production runs other values.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

VHOST = "/"


def build_access(prefix: str = "") -> dict[str, Any]:
    from osame_chassis.messaging.grants import all_grants, definitions

    return definitions(VHOST, all_grants(prefix))


def build_definitions(
    delivery_limit: int | None = None,
    prefix: str = "",
    dlq_ttl_seconds: int | None = None,
    dlq_max_length: int | None = None,
) -> dict[str, Any]:
    from osame_chassis.messaging.topology import DeadLetterRetention, Names, dead_letter_queue, work_queue
    from osame_chassis.settings import ServiceSettings
    from osame_contracts import topology

    limit = (
        delivery_limit
        if delivery_limit is not None
        else ServiceSettings.model_fields["delivery_limit"].default
    )
    default = DeadLetterRetention.default()
    retention = DeadLetterRetention(
        dlq_ttl_seconds if dlq_ttl_seconds is not None else default.ttl_seconds,
        dlq_max_length if dlq_max_length is not None else default.max_length,
    )
    names = Names(prefix)
    exchanges = names.exchanges()
    definitions: dict[str, Any] = {
        "vhosts": [{"name": VHOST}],
        "exchanges": [
            {
                "name": exchange.name,
                "vhost": VHOST,
                "type": exchange.type.value,
                "durable": exchange.durable,
                "auto_delete": exchange.auto_delete,
                "internal": False,
                "arguments": dict(exchange.arguments or {}),
            }
            for exchange in exchanges
        ],
        "queues": [],
        "bindings": [],
        "policies": [],
    }
    for service, models in topology.SUBSCRIPTIONS.items():
        for model in models:
            queue_name = names.queue(service, model)
            for queue in (
                work_queue(names, queue_name, model.routing_key, limit),
                dead_letter_queue(names, queue_name, retention),
            ):
                definitions["queues"].append(
                    {
                        "name": queue.name,
                        "vhost": VHOST,
                        "durable": queue.durable,
                        "auto_delete": queue.auto_delete,
                        "arguments": dict(queue.arguments or {}),
                    }
                )
            definitions["bindings"].append(
                {
                    "source": names.exchange_for(model).name,
                    "vhost": VHOST,
                    "destination": queue_name,
                    "destination_type": "queue",
                    "routing_key": model.routing_key,
                    "arguments": {},
                }
            )
            definitions["bindings"].append(
                {
                    "source": names.dead_letters().name,
                    "vhost": VHOST,
                    "destination": names.dlq(queue_name),
                    "destination_type": "queue",
                    "routing_key": queue_name,
                    "arguments": {},
                }
            )
    return definitions


def render(definitions: dict[str, Any]) -> str:
    return json.dumps(definitions, ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delivery-limit", type=int, default=None, help="x-delivery-limit of work queues")
    parser.add_argument("--prefix", default="", help="name prefix (OSAME_AMQP_PREFIX)")
    parser.add_argument("--dlq-ttl-seconds", type=int, default=None, help="x-message-ttl of DLQs, in seconds")
    parser.add_argument("--dlq-max-length", type=int, default=None, help="x-max-length of DLQs")
    parser.add_argument("--access", action="store_true", help="write access.json (users and permissions)")
    args = parser.parse_args(argv)
    if args.access:
        sys.stdout.write(render(build_access(args.prefix)))
        return 0
    definitions = build_definitions(
        args.delivery_limit, args.prefix, args.dlq_ttl_seconds, args.dlq_max_length
    )
    sys.stdout.write(render(definitions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
