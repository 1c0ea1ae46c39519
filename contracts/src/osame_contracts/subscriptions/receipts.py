"""Messages the receipts service consumes (each gets its own quorum queue and DLQ)."""

from osame_contracts.messages import address_sync, receipts, taxation

CONSUMES = (
    taxation.AssessmentRegistered,
    taxation.AssessmentChanged,
    receipts.RecordReceipt,
    address_sync.AddresseeChanged,
)
