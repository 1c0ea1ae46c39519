"""FastStream subscriptions of receipts: contract message → service-layer handler (no logic here)."""

from __future__ import annotations

from functools import partial

from osame_chassis.messaging.consumer import subscribe
from osame_chassis.runtime import ServiceRuntime
from osame_contracts.messages import address_sync, collection, receipts, taxation
from osame_contracts.messages import taxation_special_collection as special

from osame_receipts.domain.reconciliation import parse_order
from osame_receipts.service_layer import addressees, appropriation, channels, charges, handlers, withholding


def register(runtime: ServiceRuntime) -> None:
    settings = runtime.settings
    order = parse_order(getattr(settings, "reconciliation_order", "demand_fee,principal_tax,late_fee"))
    subscribe(runtime, taxation.AssessmentRegistered, handlers.record_assessment)
    subscribe(runtime, taxation.AssessmentChanged, handlers.record_assessment)
    subscribe(runtime, receipts.RecordReceipt, partial(channels.receive_receipt, order=order))
    subscribe(runtime, receipts.AppropriateOverpayment, appropriation.apply_appropriation)
    subscribe(runtime, address_sync.AddresseeChanged, handlers.apply_addressee_change)
    subscribe(runtime, collection.DemandNoticesIssued, charges.charge_demand_fees)
    subscribe(runtime, collection.LateFeesAssessed, charges.charge_late_fees)
    subscribe(runtime, collection.InstallmentsWrittenOff, charges.write_off)
    subscribe(runtime, address_sync.AddresseesMerged, addressees.apply_addressees_merged)
    subscribe(runtime, special.SpecialCollectionDetermined, withholding.record_withholding)
    subscribe(runtime, special.SpecialCollectionChanged, withholding.record_withholding)
    subscribe(runtime, special.SpecialCollectionSeparated, withholding.record_separation)
