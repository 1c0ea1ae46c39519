"""充当 (appropriation) of a 過誤納金 to the same person's unpaid 地方団体の徴収金 — 法17条の2, 令6条の14.

充当適状日 (``appropriable_on``, 令6条の14): the LATER of
  (a) the item's basis date, and
  (b) the date the 過誤納金 arose.
The basis date (a) depends on the kind of item; the caller passes it as ``UnpaidItem.basis_date``:

======================  =================================================================
``PRINCIPAL_TAX``        法定納期限; for installment taxes (納期を分けている地方税) each
  本税                    installment's 納期限; tax fixed after its 法定納期限 → the date the
                         notice was issued (or the return filed); 繰上徴収 → the accelerated
                         納期限; 第二次納税義務 → the notice date
``DEMAND_FEE`` 督促手数料   the date the 督促状 was issued
``ADDITIONAL_TAX`` 加算金   the date the notice was issued
``DISPOSITION_COST``     the date the 滞納処分費 was fixed
  滞納処分費
``LATE_FEE`` 延滞金        same as its underlying tax: when the group contains a
                         ``PRINCIPAL_TAX`` item, its basis date is used
======================  =================================================================

Effects (法17条の2④, 17条の4①): the 充当 takes effect at 充当適状; 延滞金 on the target stops
there and 還付加算金 on the source runs only to it. Compute the target's 延滞金 to the
充当適状日 before planning (``late_fee.compute_late_fee(paid_on=appropriable_on)``).

Order (``plan_appropriation``):
- within one installment (``group``): the tax before its own 延滞金 — mandatory (法17条の2③).
  The full default kind order is 滞納処分費 → 督促手数料 → 本税 → 加算金 → 延滞金, following the
  receipt-order default of domain-rules §10.2 (a per-city setting; only 本税 before 延滞金 is
  statutory, and ``AppropriationPolicy`` refuses an order that breaks it);
- across installments: no statutory order (§10.3). Default oldest first, by the group's
  充当適状日 then its basis date; ``GroupOrder.AS_GIVEN`` keeps the caller's order (e.g. a town
  rule such as 町民税 → 固定資産税 → 都市計画税). Each allocation records the rule used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from osame_law.errors import InvalidInputError
from osame_law.plausibility import check_amount


class ClaimKind(StrEnum):
    PRINCIPAL_TAX = "principal_tax"
    LATE_FEE = "late_fee"
    DEMAND_FEE = "demand_fee"
    ADDITIONAL_TAX = "additional_tax"
    DISPOSITION_COST = "disposition_cost"


class GroupOrder(StrEnum):
    OLDEST_FIRST = "oldest_first"
    AS_GIVEN = "as_given"


DEFAULT_KIND_ORDER: tuple[ClaimKind, ...] = (
    ClaimKind.DISPOSITION_COST,
    ClaimKind.DEMAND_FEE,
    ClaimKind.PRINCIPAL_TAX,
    ClaimKind.ADDITIONAL_TAX,
    ClaimKind.LATE_FEE,
)


@dataclass(frozen=True)
class AppropriationPolicy:
    kind_order: tuple[ClaimKind, ...] = DEFAULT_KIND_ORDER
    group_order: GroupOrder = GroupOrder.OLDEST_FIRST

    def __post_init__(self) -> None:
        if sorted(self.kind_order) != sorted(ClaimKind):
            raise InvalidInputError("kind_order must list every ClaimKind exactly once")
        if self.kind_order.index(ClaimKind.PRINCIPAL_TAX) > self.kind_order.index(ClaimKind.LATE_FEE):
            raise InvalidInputError("kind_order must put the tax before its 延滞金 (法17条の2③)")

    @property
    def rule(self) -> str:
        kinds = ">".join(k.value for k in self.kind_order)
        return f"{self.group_order.value};{kinds}"


@dataclass(frozen=True)
class UnpaidItem:
    item_id: str
    group: str
    """The installment (税目 × 年度 × 期別) the item belongs to."""
    kind: ClaimKind
    amount: int
    basis_date: date
    """The date 令6条の14 names for this kind (see the module table)."""


@dataclass(frozen=True)
class Allocation:
    item_id: str
    group: str
    kind: ClaimKind
    amount: int
    appropriable_on: date
    rule: str


@dataclass(frozen=True)
class AppropriationPlan:
    allocations: tuple[Allocation, ...]
    remainder: int
    """Left to refund (還付) after appropriation."""


def appropriable_on(basis_date: date, overpayment_arose_on: date) -> date:
    """充当適状日 = the later of the item's basis date and the date the overpayment arose (令6条の14)."""
    return max(basis_date, overpayment_arose_on)


def plan_appropriation(
    overpayment_amount: int,
    unpaid_items: Sequence[UnpaidItem],
    *,
    overpayment_arose_on: date,
    policy: AppropriationPolicy | None = None,
) -> AppropriationPlan:
    """Allocate an overpayment to unpaid items (mandatory 充当, 法17条の2①); the rest is refunded."""
    policy = policy or AppropriationPolicy()
    check_amount("overpayment_amount", overpayment_amount)
    ids = [item.item_id for item in unpaid_items]
    if len(set(ids)) != len(ids):
        raise InvalidInputError("unpaid item ids must be unique")
    for item in unpaid_items:
        check_amount("unpaid item amount", item.amount)

    tax_basis = {i.group: i.basis_date for i in unpaid_items if i.kind is ClaimKind.PRINCIPAL_TAX}

    def basis(item: UnpaidItem) -> date:
        if item.kind is ClaimKind.LATE_FEE:
            return tax_basis.get(item.group, item.basis_date)
        return item.basis_date

    first_seen = {}
    for position, item in enumerate(unpaid_items):
        first_seen.setdefault(item.group, position)
    group_basis: dict[str, date] = {}
    for item in unpaid_items:
        b = tax_basis.get(item.group, basis(item))
        group_basis[item.group] = min(group_basis.get(item.group, b), b)

    def sort_key(item: UnpaidItem) -> tuple[object, ...]:
        kind_rank = policy.kind_order.index(item.kind)
        if policy.group_order is GroupOrder.AS_GIVEN:
            return (first_seen[item.group], kind_rank)
        # max(basis, arose) is monotonic in basis, so oldest 充当適状日 first = oldest basis date first.
        return (group_basis[item.group], first_seen[item.group], kind_rank)

    left = overpayment_amount
    allocations = []
    for item in sorted(unpaid_items, key=sort_key):
        if left == 0:
            break
        take = min(left, item.amount)
        if take == 0:
            continue
        allocations.append(
            Allocation(
                item.item_id,
                item.group,
                item.kind,
                take,
                appropriable_on(basis(item), overpayment_arose_on),
                policy.rule,
            )
        )
        left -= take
    return AppropriationPlan(tuple(allocations), left)


def first_out_of_order(
    lines: Sequence[tuple[str, ClaimKind, int]],
    owed_after: dict[tuple[str, ClaimKind], int],
    policy: AppropriationPolicy | None = None,
) -> int | None:
    """Index of the first 充当 line that breaks the order inside its installment, or None.

    ``lines`` are (group, kind, amount) as a 充当 books them; ``owed_after`` is what each (group,
    kind) still owes once the whole 充当 is booked. Inside one installment a kind may receive money
    only when every kind ranked before it in ``policy.kind_order`` is paid in full by then — the tax
    before its own 延滞金 is statutory (法17条の2③), the rest the city's order (domain-rules §10.2).
    The order across installments is not checked here (no statutory order, §10.3)."""
    policy = policy or AppropriationPolicy()
    for index, (group, kind, amount) in enumerate(lines):
        if amount <= 0:
            continue
        earlier = policy.kind_order[: policy.kind_order.index(kind)]
        if any(owed_after.get((group, k), 0) > 0 for k in earlier):
            return index
    return None
