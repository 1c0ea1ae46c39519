"""FastStream subscriptions of address-sync: contract message → service-layer handler."""

from __future__ import annotations

from functools import partial

from osame_chassis.messaging.consumer import subscribe
from osame_chassis.runtime import ServiceRuntime
from osame_contracts.messages import address_sync, collection

from osame_address_sync.service_layer import handlers
from osame_address_sync.service_layer.my_number_release import note_income_query


def register(runtime: ServiceRuntime) -> None:
    deps = runtime.settings.deps()
    subscribe(runtime, address_sync.UpsertAddressee, partial(handlers.upsert_addressee, deps=deps))
    subscribe(runtime, address_sync.RecordResidentChange, partial(handlers.record_resident_change, deps=deps))
    subscribe(runtime, address_sync.RegisterNonResident, partial(handlers.register_non_resident, deps=deps))
    subscribe(runtime, address_sync.RegisterCorporation, partial(handlers.register_corporation, deps=deps))
    subscribe(runtime, address_sync.SetMailingOverride, partial(handlers.set_mailing_override, deps=deps))
    subscribe(runtime, address_sync.SetProtection, partial(handlers.set_protection, deps=deps))
    subscribe(runtime, address_sync.MergeAddressees, partial(handlers.merge_addressees, deps=deps))
    subscribe(runtime, collection.IncomeQueryRequested, partial(note_income_query, deps=deps))
