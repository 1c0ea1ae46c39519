"""FastStream subscriptions of the gateway: contract message → service-layer handler."""

from __future__ import annotations

import functools

from osame_chassis.messaging.consumer import subscribe
from osame_chassis.runtime import ServiceRuntime
from osame_contracts.messages import address_sync, collection

from osame_gateway.service_layer import handlers


def register(runtime: ServiceRuntime) -> None:
    configured = bool(getattr(runtime.settings, "network_url", None))
    subscribe(
        runtime,
        collection.IncomeQueryRequested,
        functools.update_wrapper(
            functools.partial(handlers.handle_income_query, linkage_configured=configured),
            handlers.handle_income_query,
        ),
    )
    subscribe(runtime, address_sync.IndividualNumberChanged, handlers.invalidate_linkage_code)
