"""Messages the receipts service consumes (each gets its own quorum queue and DLQ)."""

from osame_contracts.messages import address_sync, collection, receipts, taxation, taxation_special_collection

CONSUMES = (
    taxation.AssessmentRegistered,
    taxation.AssessmentChanged,
    receipts.RecordReceipt,
    receipts.AppropriateOverpayment,
    address_sync.AddresseeChanged,
    collection.DemandNoticesIssued,
    collection.LateFeesAssessed,
    collection.InstallmentsWrittenOff,
    address_sync.AddresseesMerged,
    taxation_special_collection.SpecialCollectionDetermined,
    taxation_special_collection.SpecialCollectionChanged,
    taxation_special_collection.SpecialCollectionSeparated,
)
