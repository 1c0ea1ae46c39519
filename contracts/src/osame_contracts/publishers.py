"""Who may publish each routing key: the owner of every message and its permitted publishers, as data.

A *principal* is one broker user: one per Osame service and one per outside system that
publishes onto the bus. RabbitMQ authenticates the user of every connection, validates the
AMQP `user_id` property of every message against it, and limits the routing keys each user may
publish or bind with (topic permissions generated from this table, see
`osame_chassis.messaging.grants`). Every consumer checks, once, in the chassis wrapper, that
the `user_id` of a message is a publisher this table allows for its routing key, and
dead-letters anything else.

- An event is published by its owner, the first segment of its routing key
  (`receipts.installment.settled.v1` → `receipts`; `taxation.assessment.registered.v1` →
  the outside 税務システム `taxation`). `EVENT_PUBLISHERS` lists exceptions; there are none.
- A command is owned by the service that executes it (again the first segment) and is sent by
  others; each command names its publishers in `COMMAND_PUBLISHERS`. A command nobody is
  declared to send cannot be sent at all (a test checks every message has publishers).
"""

from __future__ import annotations

from types import MappingProxyType

from osame_contracts.base import Kind, Message
from osame_contracts.messages import address_sync, receipts
from osame_contracts.registry import REGISTRY
from osame_contracts.topology import SERVICES

# Outside systems that publish onto the bus, each with its own broker user.
OUTSIDE_SYSTEMS: MappingProxyType[str, str] = MappingProxyType(
    {
        "taxation": "税務システム: 賦課 and 更正 (taxation.assessment.*), 特別徴収 決定/変更/異動 (taxation.special-collection.*)",
        "jumin": "住民記録システム (住基): 異動 and 支援措置",
        "atena": "宛名管理: 住登外者, 法人, 送付先, 支援措置 of 住登外者, staff 名寄せ",
        "channels": "収納チャネル adapters: banks, コンビニ, MPN, eLTAX agents (one payment per command)",
    }
)

PRINCIPALS: tuple[str, ...] = (*SERVICES, *OUTSIDE_SYSTEMS)

COMMAND_PUBLISHERS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        receipts.RecordReceipt.routing_key: ("channels",),
        receipts.AppropriateOverpayment.routing_key: ("refunds",),
        address_sync.RecordResidentChange.routing_key: ("jumin",),
        address_sync.UpsertAddressee.routing_key: ("atena",),
        address_sync.RegisterNonResident.routing_key: ("atena",),
        address_sync.RegisterCorporation.routing_key: ("atena",),
        address_sync.SetMailingOverride.routing_key: ("atena",),
        # 支援措置 is recorded in 住基 for residents; 宛名管理 records it for 住登外者.
        address_sync.SetProtection.routing_key: ("jumin", "atena"),
        address_sync.MergeAddressees.routing_key: ("atena",),
    }
)

# Events published by a principal other than their owner (none: an event comes from its owner).
EVENT_PUBLISHERS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType({})


class UndeclaredPublishers(LookupError):
    pass


def owner(model: type[Message]) -> str:
    """The principal that owns the message: the first segment of its routing key."""
    return model.routing_key.split(".", 1)[0]


def publishers_of(model: type[Message]) -> frozenset[str]:
    """The principals allowed to publish `model`; empty when nobody is declared."""
    if model.kind is Kind.COMMAND:
        return frozenset(COMMAND_PUBLISHERS.get(model.routing_key, ()))
    return frozenset((owner(model), *EVENT_PUBLISHERS.get(model.routing_key, ())))


PUBLISHERS: MappingProxyType[str, frozenset[str]] = MappingProxyType(
    {key: publishers_of(model) for key, model in sorted(REGISTRY.items())}
)


def allowed_publishers(routing_key: str) -> frozenset[str]:
    try:
        return PUBLISHERS[routing_key]
    except KeyError:
        raise UndeclaredPublishers(routing_key) from None


def published_by(principal: str) -> tuple[type[Message], ...]:
    """Every message `principal` may publish (in routing-key order)."""
    return tuple(REGISTRY[key] for key, who in PUBLISHERS.items() if principal in who)
