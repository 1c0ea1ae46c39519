"""FastStream subscriptions of collection: contract message → service-layer handler.

The city's settings (延滞金 rounding, 督促手数料, business date) reach every handler the same way:
a handler that takes ``policy`` gets the one built from the settings here, bound once (issue #12
defect 13: the rounding setting never reached the 確定延滞金 on the message path). Handlers on the
message path have no default policy, so one left unbound fails loudly instead of using another's.
"""

from __future__ import annotations

import functools
import inspect

from osame_chassis.messaging.consumer import subscribe as _subscribe
from osame_chassis.runtime import ServiceRuntime
from osame_contracts.messages import address_sync, collection, gateway, receipts, refunds

from osame_collection.adapters.batch_metrics import refresh_batch_metrics
from osame_collection.service_layer import direct_debits, handlers, linkage, merges, refund_watch, unmatched


def bind(handler, policy):
    """The handler with the city's policy bound when it takes one."""
    if "policy" in inspect.signature(handler).parameters:
        return functools.partial(handler, policy=policy)
    return handler


def register(runtime: ServiceRuntime) -> None:
    policy = runtime.settings.policy()

    def subscribe(runtime, model, handler):
        return _subscribe(runtime, model, bind(handler, policy))

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
    subscribe(runtime, address_sync.AddresseesMerged, merges.apply_addressees_merged)
    subscribe(runtime, receipts.ReceiptsUnmatched, unmatched.hold_for_unmatched)
    subscribe(runtime, refunds.RefundDecided, refund_watch.check_refund_decided)
    subscribe(runtime, refunds.RefundPaid, refund_watch.close_after_payment)
    subscribe(runtime, refunds.RefundFailed, refund_watch.open_contact_task)
    subscribe(runtime, receipts.DirectDebitRequested, direct_debits.note_debit_requested)
    subscribe(runtime, receipts.DirectDebitResultsImported, direct_debits.note_results_imported)
    runtime.metrics.add_refresher(refresh_batch_metrics)  # batch runs on /metrics
