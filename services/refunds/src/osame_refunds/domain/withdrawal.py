"""Money receipts takes back from an overpayment (OverpaymentWithdrawn: 不渡, 収納訂正).

The withdrawn yen can no longer be refunded or appropriated. They are taken, in this order:
1. from what is still held;
2. from a refund decided but not yet sent to the bank (reduced, or cancelled when nothing is
   left; an approved one goes back to approval, since its 還付加算金 was fixed on the old amount);
3. from a refund already in a payout file or paid: the money has left (or is leaving) the city,
   so the taxpayer owes it back — a recovery claim (返還請求), visible, alerted and audited. A
   claim on a refund whose transfer then comes back is offset against it.
A withdrawal larger than everything the overpayment still has is inconsistent with receipts'
ledger and is refused (the message goes to the DLQ for a person), never clipped.
"""

from __future__ import annotations

from dataclasses import dataclass

# Refund states in which the money has not left the city (the decision can still be changed).
CHANGEABLE = ("pending_approval", "approved")
# States in which the money has left, or is in a file sent to the bank.
GONE = ("in_payout", "paid")


class WithdrawalError(ValueError):
    """The withdrawal cannot be applied (message carries no amounts: it reaches the DLQ log)."""


@dataclass(frozen=True)
class WithdrawalPlan:
    from_held: int
    from_refund: int  # reduction of a changeable refund
    recovery: int  # claimed back from a refund whose money has left


def plan_withdrawal(amount: int, held: int, refund_status: str | None, refund_amount: int) -> WithdrawalPlan:
    """How `amount` withdrawn yen are covered by the overpayment's held money and its live refund."""
    if amount <= 0:
        raise WithdrawalError("withdrawal amount must be positive")
    from_held = min(amount, max(held, 0))
    rest = amount - from_held
    from_refund = recovery = 0
    if rest and refund_status in CHANGEABLE:
        from_refund = min(rest, refund_amount)
    elif rest and refund_status in GONE:
        recovery = min(rest, refund_amount)
    if from_held + from_refund + recovery != amount:
        # No amounts in the message: it reaches the DLQ log, and yen tied to a person are personal data.
        raise WithdrawalError(
            f"withdrawal exceeds what the overpayment still has (held money and its refund, {refund_status or 'none'})"
        )
    return WithdrawalPlan(from_held, from_refund, recovery)
