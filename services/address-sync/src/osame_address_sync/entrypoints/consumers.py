"""FastStream subscriptions of address-sync: contract message → service-layer handler."""

from __future__ import annotations

from osame_chassis.messaging.consumer import subscribe
from osame_chassis.runtime import ServiceRuntime
from osame_contracts.messages import address_sync

from osame_address_sync.service_layer import handlers


def register(runtime: ServiceRuntime) -> None:
    subscribe(runtime, address_sync.UpsertAddressee, handlers.upsert_addressee)
