"""不渡 (dishonour of a 証券): reverse everything the cheque's money did, never more.

The money never came, so each yen the cheque brought is taken back from where it is now:
first from the installment it was applied to (each component at most what is still booked
there — a 減額更正 after the cheque may already have moved part of it off the installment), then
from the overpayments it created: its own 誤納 overpayment, then the 過納 overpayments a later
減額更正 made of its money on the same installment (newest first). An overpayment that was
appropriated (充当) beyond what is left of it has those 充当 reversed first (whole, newest first),
so that nothing the cheque paid for stays paid. The stored paid amounts never go negative.
"""

from __future__ import annotations

from dataclasses import dataclass

from osame_receipts.domain.reconciliation import Component


@dataclass(frozen=True)
class HeldOverpayment:
    overpayment_id: str
    amount: int
    appropriated: int
    withdrawn: int
    appropriations: tuple[tuple[str, int], ...] = ()  # (appropriation_id, total), newest first

    @property
    def unappropriated(self) -> int:
        return max(self.amount - self.appropriated - self.withdrawn, 0)


@dataclass(frozen=True)
class Withdrawal:
    overpayment_id: str
    amount: int
    appropriations_reversed: tuple[str, ...]


@dataclass(frozen=True)
class DishonourPlan:
    taken: dict[Component, int]  # taken off the installment per component
    withdrawals: list[Withdrawal]
    unaccounted: int  # yen of the cheque found nowhere (0 unless the ledger was inconsistent)


def plan_dishonour(
    amount: int,
    applied: dict[Component, int],
    booked: dict[Component, int],
    overpayments: list[HeldOverpayment],
) -> DishonourPlan:
    """`applied`: what the receipt applied per component; `booked`: what the installment holds as
    paid per component now; `overpayments` in the order they are to be drawn on."""
    taken = {c: max(min(applied.get(c, 0), booked.get(c, 0)), 0) for c in Component}
    rest = amount - sum(taken.values())
    withdrawals = []
    for op in overpayments:
        if rest <= 0:
            break
        left = op.amount - op.withdrawn
        take = min(left, rest)
        if take <= 0:
            continue
        free, reversed_ids = op.unappropriated, []
        for appropriation_id, total in op.appropriations:
            if free >= take:
                break
            reversed_ids.append(appropriation_id)
            free += total
        withdrawals.append(Withdrawal(op.overpayment_id, take, tuple(reversed_ids)))
        rest -= take
    return DishonourPlan(taken, withdrawals, max(rest, 0))
