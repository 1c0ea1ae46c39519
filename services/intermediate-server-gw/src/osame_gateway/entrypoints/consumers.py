"""FastStream subscriptions of the gateway: contract message → service-layer handler."""

from __future__ import annotations

from osame_chassis.messaging.consumer import subscribe
from osame_chassis.runtime import ServiceRuntime
from osame_contracts.messages import collection

from osame_gateway.service_layer import handlers


def register(runtime: ServiceRuntime) -> None:
    subscribe(runtime, collection.IncomeQueryRequested, handlers.handle_income_query)
