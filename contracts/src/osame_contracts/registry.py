"""Registry from routing key to message model: the one vocabulary the services share."""

from __future__ import annotations

from osame_contracts.base import ROUTING_KEY_PATTERN, Message
from osame_contracts.messages import address_sync, collection, gateway, receipts, taxation

ALL_MESSAGES: tuple[type[Message], ...] = (
    taxation.AssessmentRegistered,
    taxation.AssessmentChanged,
    receipts.RecordReceipt,
    receipts.AssessmentRecorded,
    receipts.ReceiptRecorded,
    receipts.InstallmentsSettled,
    receipts.InstallmentsPartlyPaid,
    receipts.OverpaymentDetected,
    address_sync.UpsertAddressee,
    address_sync.AddresseeChanged,
    collection.IncomeQueryRequested,
    gateway.IncomeQueryRefused,
)


class UnknownMessageType(LookupError):
    pass


def _build() -> dict[str, type[Message]]:
    out: dict[str, type[Message]] = {}
    for model in ALL_MESSAGES:
        key = model.routing_key
        if not ROUTING_KEY_PATTERN.match(key):
            raise ValueError(f"bad routing key {key!r} on {model.__name__}")
        if key in out:
            raise ValueError(f"routing key {key!r} registered twice")
        out[key] = model
    return out


REGISTRY: dict[str, type[Message]] = _build()


def model_for(routing_key: str) -> type[Message]:
    try:
        return REGISTRY[routing_key]
    except KeyError:
        raise UnknownMessageType(routing_key) from None
