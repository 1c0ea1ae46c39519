"""Messages the refunds service consumes (each gets its own quorum queue and DLQ)."""

from osame_contracts.messages import address_sync, collection, receipts

CONSUMES = (
    receipts.OverpaymentDetected,
    receipts.AssessmentRecorded,
    receipts.InstallmentsSettled,
    receipts.InstallmentsPartlyPaid,
    receipts.AppropriationApplied,
    receipts.AppropriationRefused,
    collection.DemandNoticesIssued,
    receipts.InstallmentsCharged,
    receipts.OverpaymentWithdrawn,
    address_sync.AddresseesMerged,
)
