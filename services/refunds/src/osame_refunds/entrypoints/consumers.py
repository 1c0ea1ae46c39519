"""FastStream subscriptions of refunds: contract message → service-layer handler."""

from __future__ import annotations

from osame_chassis.messaging.consumer import subscribe
from osame_chassis.runtime import ServiceRuntime
from osame_contracts.subscriptions.refunds import CONSUMES

from osame_refunds.service_layer import handlers

HANDLERS = {
    "receipts.overpayment.detected.v1": handlers.register_overpayment,
    "receipts.assessment.recorded.v1": handlers.project_assessment,
    "receipts.installment.settled.v1": handlers.project_installment_states,
    "receipts.installment.partly-paid.v1": handlers.project_installment_states,
    "receipts.appropriation.applied.v1": handlers.appropriation_applied,
    "receipts.appropriation.refused.v1": handlers.appropriation_refused,
    "collection.demand-notice.issued.v1": handlers.note_demand_notices,
    "receipts.installment.charged.v1": handlers.project_installment_states,
    "receipts.overpayment.withdrawn.v1": handlers.overpayment_withdrawn,
    "address-sync.addressee.merged.v1": handlers.record_merge,
}


def register(runtime: ServiceRuntime) -> None:
    for model in CONSUMES:
        subscribe(runtime, model, HANDLERS[model.routing_key])
