"""FastStream subscriptions of refunds: contract message → service-layer handler."""

from __future__ import annotations

from osame_chassis.messaging.consumer import subscribe
from osame_chassis.runtime import ServiceRuntime
from osame_contracts.messages import receipts

from osame_refunds.service_layer import handlers


def register(runtime: ServiceRuntime) -> None:
    subscribe(runtime, receipts.OverpaymentDetected, handlers.register_overpayment)
