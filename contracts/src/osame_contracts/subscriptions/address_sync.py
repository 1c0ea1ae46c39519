"""Messages the address-sync service consumes (each gets its own quorum queue and DLQ)."""

from osame_contracts.messages import address_sync, collection

CONSUMES = (
    address_sync.UpsertAddressee,
    address_sync.RecordResidentChange,
    address_sync.RegisterNonResident,
    address_sync.RegisterCorporation,
    address_sync.SetMailingOverride,
    address_sync.SetProtection,
    address_sync.MergeAddressees,
    # 個人番号 release is tied to a real income query (issue 13 item 7): address-sync notes each one.
    collection.IncomeQueryRequested,
)
