"""FastStream subscriptions of receipts: contract message → service-layer handler (no logic here)."""

from __future__ import annotations

from osame_chassis.messaging.consumer import subscribe
from osame_chassis.runtime import ServiceRuntime
from osame_contracts.messages import address_sync, receipts, taxation

from osame_receipts.service_layer import handlers


def register(runtime: ServiceRuntime) -> None:
    subscribe(runtime, taxation.AssessmentRegistered, handlers.record_assessment)
    subscribe(runtime, taxation.AssessmentChanged, handlers.record_assessment)
    subscribe(runtime, receipts.RecordReceipt, handlers.record_receipt)
    subscribe(runtime, address_sync.AddresseeChanged, handlers.apply_addressee_change)
