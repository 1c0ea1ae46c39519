"""消込 (reconciliation): applying a receipt to its installment, component by component.

An installment owes three components: 本税 (principal_tax), 督促手数料 (demand_fee) and
延滞金 (late_fee); the last two are fed by collection. A payment fills them in a fixed order:

- 延滞金 last is law: 法14条の5 (本税 before 延滞金/加算金) and, for 充当, 法17条の2③
  (domain-rules §1.5, §10.2; the national parallel is 通則法62②).
- Where 督促手数料 sits is not ordered by any statute (domain-rules §10.2); cities bundle the
  fee with the 本税 on the post-督促 slip (Nobeoka, Ibusuki, Ikeda town). It is a per-city
  setting (`OSAME_RECONCILIATION_ORDER`); the default is domain-rules §10.2's
  督促手数料 → 本税 → 延滞金 (`DEFAULT_ORDER`).

Whatever exceeds what is owed becomes 過誤納金 (an overpayment).

Several receipts of one installment are applied in one canonical order (`canonical_rank`), never
in the order they happen to arrive: 収入日, then 領収日, then the channel and the channel's own
identity of the payment. So which receipt is 消込 and which is 過誤納 is a function of the *set*
of receipts (`allocate_in_turn`); a receipt that ranks earlier but arrives later re-derives the
split of the receipts ranking after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Component(StrEnum):
    PRINCIPAL_TAX = "principal_tax"  # 本税
    DEMAND_FEE = "demand_fee"  # 督促手数料
    LATE_FEE = "late_fee"  # 延滞金


DEFAULT_ORDER: tuple[Component, ...] = (Component.DEMAND_FEE, Component.PRINCIPAL_TAX, Component.LATE_FEE)


def parse_order(text: str) -> tuple[Component, ...]:
    """A city's 消込 order from a setting like "demand_fee,principal_tax,late_fee".

    All three components exactly once, and 延滞金 never before 本税 (法14条の5).
    """
    try:
        order = tuple(Component(part.strip()) for part in text.split(",") if part.strip())
    except ValueError as err:
        raise ValueError(f"unknown component in reconciliation order: {err}") from None
    if sorted(order) != sorted(Component):
        raise ValueError("reconciliation order must name principal_tax, demand_fee and late_fee once each")
    if order.index(Component.LATE_FEE) < order.index(Component.PRINCIPAL_TAX):
        raise ValueError("延滞金 cannot be applied before 本税 (地方税法14条の5)")
    return order


class Outcome(StrEnum):
    EXACT = "exact"  # 完納
    PARTIAL = "partial"  # 一部納付
    OVER = "over"  # 過納 (excess becomes an overpayment)


@dataclass(frozen=True)
class Owed:
    """What is still owed on one installment, per component (never negative)."""

    principal_tax: int = 0
    demand_fee: int = 0
    late_fee: int = 0

    def __post_init__(self) -> None:
        if min(self.principal_tax, self.demand_fee, self.late_fee) < 0:
            raise ValueError("amounts owed cannot be negative")

    def of(self, component: Component) -> int:
        return getattr(self, component.value)

    @property
    def total(self) -> int:
        return self.principal_tax + self.demand_fee + self.late_fee


@dataclass(frozen=True)
class Reconciliation:
    """The split of one receipt: applied per component, overpaid, and what remains owed."""

    principal_tax: int
    demand_fee: int
    late_fee: int
    overpaid: int
    remaining: Owed

    @property
    def applied(self) -> int:
        return self.principal_tax + self.demand_fee + self.late_fee

    @property
    def outcome(self) -> Outcome:
        if self.overpaid > 0:
            return Outcome.OVER
        return Outcome.EXACT if self.remaining.total == 0 else Outcome.PARTIAL


def allocate(owed: Owed, amount: int, order: tuple[Component, ...] = DEFAULT_ORDER) -> Reconciliation:
    """Apply `amount` yen to what is `owed`, filling the components in `order`."""
    if amount <= 0:
        raise ValueError("a receipt amount must be positive")
    left = amount
    applied: dict[Component, int] = {}
    for component in order:
        take = min(left, owed.of(component))
        applied[component] = take
        left -= take
    remaining = Owed(**{c.value: owed.of(c) - applied[c] for c in Component})
    return Reconciliation(
        principal_tax=applied[Component.PRINCIPAL_TAX],
        demand_fee=applied[Component.DEMAND_FEE],
        late_fee=applied[Component.LATE_FEE],
        overpaid=left,
        remaining=remaining,
    )


def canonical_rank(booked_on: dt.date, paid_on: dt.date, channel: str, channel_key: str) -> tuple:
    """Where a receipt stands among the receipts of its installment: 収入日 (the day the money is
    the city's), then 領収日 (the day the taxpayer paid: the earlier payment settles, which also
    ends 延滞金 earlier), then the channel and its own payment identity (CVS agent/store/receipt
    number, bank record, counter receipt number…) — all fixed by the payment, none by arrival."""
    return (booked_on, paid_on, str(channel), channel_key)


def allocate_in_turn(
    owed: Owed, amounts: Sequence[int], order: tuple[Component, ...] = DEFAULT_ORDER
) -> list[Reconciliation]:
    """Apply receipts one after the other (already in canonical order) to what is `owed`."""
    results = []
    for amount in amounts:
        result = allocate(owed, amount, order)
        results.append(result)
        owed = result.remaining
    return results


def apply_to_component(owed: Owed, component: Component, amount: int) -> Reconciliation:
    """Apply `amount` to one named component only (充当 items name their component).

    Raises ValueError when the component owes less than `amount` (the caller refuses the 充当).
    """
    if amount <= 0:
        raise ValueError("an amount must be positive")
    if owed.of(component) < amount:
        raise ValueError("component owes less than the amount")
    parts = {c.value: (amount if c is component else 0) for c in Component}
    remaining = Owed(**{c.value: owed.of(c) - parts[c.value] for c in Component})
    return Reconciliation(**parts, overpaid=0, remaining=remaining)


def reconcile(principal_tax: int, already_paid: int, amount: int) -> Reconciliation:
    """Apply `amount` yen to an installment owing only 本税 (`principal_tax`, `already_paid` of it paid)."""
    if principal_tax < 0 or already_paid < 0:
        raise ValueError("ledger amounts cannot be negative")
    return allocate(Owed(principal_tax=max(principal_tax - already_paid, 0)), amount)


def excess_after_reduction(new_principal_tax: int, already_paid: int) -> int:
    """減額更正: money already paid above the reduced 本税 becomes 過納 (an overpayment)."""
    return max(already_paid - new_principal_tax, 0)


class OverpaymentReason(StrEnum):
    EXCESS_PAYMENT = "excess_payment"  # paid more than was owed
    DOUBLE_PAYMENT = "double_payment"  # nothing was owed: already paid (e.g. through another channel, F11)
    NO_LIABILITY = "no_liability"  # nothing can be owed: written off (法18②) or the assessment is 0 (取消)


def overpayment_reason(
    *, owed_before: Owed, assessed: int, already_paid: int, written_off: bool
) -> OverpaymentReason:
    """Why a receipt's excess arose (for the operator and the F11 report; the legal cause is 誤納)."""
    if written_off or assessed == 0:
        return OverpaymentReason.NO_LIABILITY
    if owed_before.total == 0 and already_paid > 0:
        return OverpaymentReason.DOUBLE_PAYMENT
    return OverpaymentReason.EXCESS_PAYMENT
