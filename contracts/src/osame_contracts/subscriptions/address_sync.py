"""Messages the address-sync service consumes (each gets its own quorum queue and DLQ)."""

from osame_contracts.messages import address_sync

CONSUMES = (
    address_sync.UpsertAddressee,
    address_sync.RecordResidentChange,
    address_sync.RegisterNonResident,
    address_sync.RegisterCorporation,
    address_sync.SetMailingOverride,
    address_sync.SetProtection,
    address_sync.MergeAddressees,
)
