"""Address-sync use cases over the unit of work (one module per area; this one re-exports them)."""

from __future__ import annotations

from osame_address_sync.service_layer.identity import merge_addressees
from osame_address_sync.service_layer.registration import (
    register_corporation,
    register_non_resident,
    set_mailing_override,
    set_protection,
    upsert_addressee,
)
from osame_address_sync.service_layer.resident_register import record_resident_change

__all__ = [
    "merge_addressees",
    "record_resident_change",
    "register_corporation",
    "register_non_resident",
    "set_mailing_override",
    "set_protection",
    "upsert_addressee",
]
