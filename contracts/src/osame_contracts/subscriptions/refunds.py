"""Messages the refunds service consumes (each gets its own quorum queue and DLQ)."""

from osame_contracts.messages import receipts

CONSUMES = (
    receipts.OverpaymentDetected,
    receipts.AssessmentRecorded,
    receipts.InstallmentsSettled,
    receipts.InstallmentsPartlyPaid,
)
