"""Messages the collection service consumes (each gets its own quorum queue and DLQ)."""

from osame_contracts.messages import address_sync, collection, gateway, receipts, refunds

CONSUMES = (
    receipts.AssessmentRecorded,
    receipts.ReceiptRecorded,
    receipts.InstallmentsSettled,
    receipts.InstallmentsPartlyPaid,
    address_sync.AddresseeChanged,
    gateway.IncomeQueryRefused,
    collection.PledgeBreached,
    address_sync.AddresseeChangedV2,
    gateway.IncomeQueryAnswered,
    refunds.AppropriationDecided,
    refunds.AppropriationSettled,
    receipts.ReceiptReversed,
    address_sync.AddresseesMerged,
    receipts.ReceiptsUnmatched,
    refunds.RefundDecided,
    refunds.RefundPaid,
    refunds.RefundFailed,
    receipts.DirectDebitRequested,
    receipts.DirectDebitResultsImported,
)
