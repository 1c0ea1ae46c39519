"""消込 (reconciliation): applying a receipt to its installment.

At this stage only 本税 is owed on an installment in the ledger; the order 本税 →
督促手数料 → 延滞金 (domain-rules §10.2) is applied when collection's charges reach
the ledger (Receipts issue). Whatever exceeds what is owed becomes 過誤納金.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    EXACT = "exact"  # 完納
    PARTIAL = "partial"  # 一部納付
    OVER = "over"  # 過納 (excess becomes an overpayment)


@dataclass(frozen=True)
class Reconciliation:
    applied: int
    overpaid: int
    remaining: int
    outcome: Outcome


def reconcile(principal_tax: int, already_paid: int, amount: int) -> Reconciliation:
    """Apply `amount` yen to an installment of `principal_tax` of which `already_paid` is paid."""
    if amount <= 0:
        raise ValueError("a receipt amount must be positive")
    if principal_tax < 0 or already_paid < 0:
        raise ValueError("ledger amounts cannot be negative")
    owed = max(principal_tax - already_paid, 0)
    applied = min(amount, owed)
    overpaid = amount - applied
    remaining = owed - applied
    if overpaid > 0:
        outcome = Outcome.OVER
    elif remaining == 0:
        outcome = Outcome.EXACT
    else:
        outcome = Outcome.PARTIAL
    return Reconciliation(applied=applied, overpaid=overpaid, remaining=remaining, outcome=outcome)


def excess_after_reduction(new_principal_tax: int, already_paid: int) -> int:
    """減額更正: money already paid above the reduced 本税 becomes 過納 (an overpayment)."""
    return max(already_paid - new_principal_tax, 0)
