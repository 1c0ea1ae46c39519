"""Rules for collection's projection of the receipts ledger and what an installment still owes.

Per-aggregate ordering is never assumed: a change is applied only when its
`ledger_version` is newer than the one held (stale events are ignored).

What is owed (issue #12 defect 3): an installment is a debt while any of its three components is
unpaid — 本税, 督促手数料 (法330) or 延滞金 (法326/369). Paying the 本税 fixes the 延滞金
(確定延滞金) but does not end the debt: the 延滞金 and the fee stay owed in every view, campaign,
total and write-off until paid or extinguished.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class InstallmentStatus(StrEnum):
    OPEN = "open"  # 未納 (some 本税 outstanding): 延滞金 accrues, 督促 possible
    CHARGES = "charges"  # 本税 完納; 督促手数料 and/or 確定延滞金 still owed
    PAID = "paid"  # nothing owed


OWING = (InstallmentStatus.OPEN.value, InstallmentStatus.CHARGES.value)


def is_newer(incoming_version: int, held_version: int | None) -> bool:
    return held_version is None or incoming_version > held_version


@dataclass(frozen=True)
class Owed:
    """What one 期別 still owes, per component (integer yen; ``late_fee`` None = not computable)."""

    principal_tax: int
    demand_fee: int
    late_fee: int | None

    @property
    def total(self) -> int:
        return self.principal_tax + self.demand_fee + (self.late_fee or 0)


def charges_paid(applied_total: int, principal_paid: int) -> int:
    """Money applied to the installment beyond its 本税 (Σ confirmed receipts − 本税 paid)."""
    return max(0, applied_total - principal_paid)


def owed(
    principal_tax: int,
    paid: int,
    demand_fee: int,
    late_fee: int | None,
    paid_to_charges: int,
    fee_first: bool = True,
) -> Owed:
    """Split what was paid beyond the 本税 over 督促手数料 first, then 延滞金 (receipts' default 消込
    order 督促手数料 → 本税 → 延滞金; 本税 before 延滞金: 法17条の2③ / 法14条の5) — or 延滞金 first
    when the 充当 order in force says so (``fee_first=False``, ``domain.law_parameters``)."""
    if fee_first or late_fee is None:
        fee_paid = min(demand_fee, paid_to_charges)
        late = None if late_fee is None else max(0, late_fee - (paid_to_charges - fee_paid))
    else:
        late_paid = min(late_fee, paid_to_charges)
        late = late_fee - late_paid
        fee_paid = min(demand_fee, paid_to_charges - late_paid)
    return Owed(max(0, principal_tax - paid), demand_fee - fee_paid, late)


def status_for(
    principal_tax: int, paid: int, demand_fee: int = 0, late_fee: int = 0, paid_to_charges: int = 0
) -> InstallmentStatus:
    """OPEN while 本税 is owed; CHARGES while only 督促手数料 / 延滞金 are; PAID when nothing is."""
    if paid < principal_tax:
        return InstallmentStatus.OPEN
    if owed(principal_tax, paid, demand_fee, late_fee, paid_to_charges).total > 0:
        return InstallmentStatus.CHARGES
    return InstallmentStatus.PAID
