"""Write the RabbitMQ definitions (exchanges, quorum work queues, DLQs, bindings) for Osame.

The services declare this topology themselves at start; the file is for
operators who pre-create it (management UI "Import definitions", or
`rabbitmqctl import_definitions deploy/rabbitmq/definitions.json`).
It is generated from the same code the services use (osame_contracts.topology
and osame_chassis.messaging.topology), so the queue arguments are identical and
a redeclare by a service never fails with PRECONDITION_FAILED.

    uv run python deploy/rabbitmq/generate_definitions.py > deploy/rabbitmq/definitions.json

tests/deploy/test_deploy_compose.py fails when the committed file is stale.
The delivery limit is the services' default (OSAME_DELIVERY_LIMIT); regenerate
with --delivery-limit N if production runs another value.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

VHOST = "/"


def build_definitions(delivery_limit: int | None = None, prefix: str = "") -> dict[str, Any]:
    from osame_chassis.messaging.topology import Names, dead_letter_queue, work_queue
    from osame_chassis.settings import ServiceSettings
    from osame_contracts import topology

    limit = (
        delivery_limit
        if delivery_limit is not None
        else ServiceSettings.model_fields["delivery_limit"].default
    )
    names = Names(prefix)
    exchanges = [names.events(), names.commands(), names.dead_letters()]
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
                dead_letter_queue(names, queue_name),
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
    args = parser.parse_args(argv)
    sys.stdout.write(render(build_definitions(args.delivery_limit, args.prefix)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
