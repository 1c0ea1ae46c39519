"""FastStream subscriptions of collection: contract message → service-layer handler."""

from __future__ import annotations

from osame_chassis.messaging.consumer import subscribe
from osame_chassis.runtime import ServiceRuntime
from osame_contracts.messages import address_sync, collection, gateway, receipts, refunds

from osame_collection.entrypoints import scheduler
from osame_collection.service_layer import handlers, linkage


def register(runtime: ServiceRuntime) -> None:
    subscribe(runtime, receipts.AssessmentRecorded, handlers.project_assessment)
    subscribe(runtime, receipts.ReceiptRecorded, handlers.note_receipt)
    subscribe(runtime, receipts.InstallmentsSettled, handlers.project_installment_states)
    subscribe(runtime, receipts.InstallmentsPartlyPaid, handlers.project_installment_states)
    subscribe(runtime, address_sync.AddresseeChanged, handlers.apply_addressee_change)
    subscribe(runtime, gateway.IncomeQueryRefused, handlers.record_query_refusal)
    subscribe(runtime, collection.PledgeBreached, handlers.send_breach_reminder)
    subscribe(runtime, address_sync.AddresseeChangedV2, handlers.apply_addressee_change_v2)
    subscribe(runtime, gateway.IncomeQueryAnswered, linkage.record_income_answer)
    subscribe(runtime, refunds.AppropriationDecided, linkage.hold_for_appropriation)
    subscribe(runtime, refunds.AppropriationSettled, linkage.release_after_appropriation)
    subscribe(runtime, receipts.ReceiptReversed, handlers.reverse_receipt)
    scheduler.install(runtime)
