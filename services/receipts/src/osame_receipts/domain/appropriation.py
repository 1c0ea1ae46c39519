"""充当 (appropriation) as receipts applies it: all items or none.

Refunds decides what to appropriate (法17条の2, 令6条の14, `osame_law.appropriation`); receipts
only checks that, at the time the command arrives, every item is still owed and the overpayment
can pay for all of them, then books each item as a receipt effective on the 充当適状日
(法17条の2④). If any check fails the whole 充当 is refused with the first reason found, so
nothing is half-applied and refunds can re-plan from the current ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from osame_receipts.domain.reconciliation import Component, Owed


class Refusal(StrEnum):
    UNKNOWN_OVERPAYMENT = "unknown_overpayment"
    ADDRESSEE_MISMATCH = "addressee_mismatch"
    INSUFFICIENT_OVERPAYMENT = "insufficient_overpayment"
    UNKNOWN_INSTALLMENT = "unknown_installment"
    NOT_OWED = "not_owed"
    OTHER_ADDRESSEE_DEBT = "other_addressee_debt"
    OUT_OF_ORDER = "out_of_order"


@dataclass(frozen=True)
class Line:
    """One item of a 充当: `amount` yen to `component` of installment `key` (通知書番号, 期別)."""

    key: tuple[str, int]
    component: Component
    amount: int


@dataclass(frozen=True)
class Debt:
    """What the ledger says about one installment named by a 充当 item."""

    addressee_id: str
    owed: Owed


@dataclass(frozen=True)
class Verdict:
    refusal: Refusal | None
    item_index: int | None = None
    owed: int | None = None
    available: int | None = None

    @property
    def accepted(self) -> bool:
        return self.refusal is None


def check_appropriation(
    lines: list[Line],
    *,
    addressee_id: str,
    overpayment_addressee_id: str | None,
    available: int,
    debts: dict[tuple[str, int], Debt],
) -> Verdict:
    """Accept, or refuse with the first reason: the overpayment (existence, owner, enough money),
    then each item in order (installment known, same addressee, component still owed — several
    items on one component are added up)."""
    if overpayment_addressee_id is None:
        return Verdict(Refusal.UNKNOWN_OVERPAYMENT)
    if overpayment_addressee_id != addressee_id:
        return Verdict(Refusal.ADDRESSEE_MISMATCH)
    total = sum(line.amount for line in lines)
    if total > available:
        return Verdict(Refusal.INSUFFICIENT_OVERPAYMENT, available=available)
    taken: dict[tuple[tuple[str, int], Component], int] = {}
    for index, line in enumerate(lines):
        debt = debts.get(line.key)
        if debt is None:
            return Verdict(Refusal.UNKNOWN_INSTALLMENT, item_index=index)
        if debt.addressee_id != addressee_id:
            return Verdict(Refusal.OTHER_ADDRESSEE_DEBT, item_index=index)
        slot = (line.key, line.component)
        owed_now = debt.owed.of(line.component) - taken.get(slot, 0)
        if line.amount > owed_now:
            return Verdict(Refusal.NOT_OWED, item_index=index, owed=max(owed_now, 0))
        taken[slot] = taken.get(slot, 0) + line.amount
    return Verdict(None)
