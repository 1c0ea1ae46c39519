"""Messages the receipts service consumes (each gets its own quorum queue and DLQ)."""

from osame_contracts.messages import address_sync, receipts, taxation

CONSUMES = (
    taxation.AssessmentRegistered,
    taxation.AssessmentChanged,
    receipts.RecordReceipt,
    receipts.AppropriateOverpayment,
    address_sync.AddresseeChanged,
    # To be added when collection lists them in its MESSAGES (receipts' handlers are ready and
    # subscribe automatically once they are here): collection.DemandNoticesIssued,
    # collection.LateFeesAssessed, collection.InstallmentsWrittenOff.
)
