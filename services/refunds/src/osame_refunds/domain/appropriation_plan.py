"""Planning 充当 (appropriation): which unpaid 徴収金 of the same taxpayer an overpayment pays.

Mandatory before any refund (法17条の2①). The order is the law library's policy: the tax
before its own 延滞金 (17条の2③); among installments the oldest 充当適状日 first — the statute
names no order among several debts (domain-rules §2.6, UNCONFIRMED), oldest-first is common
practice and keeps 延滞金 from running longest. Within an installment: 督促手数料 → 本税 → 延滞金
(the law library's default kind order, domain-rules §10.2).

Each 充当 command to receipts carries one 充当適状日, so a plan is split into one request per
distinct date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from osame_law.appropriation import AppropriationPolicy, ClaimKind, UnpaidItem, plan_appropriation


@dataclass(frozen=True)
class Debt:
    """One unpaid component of one installment (未納の徴収金)."""

    notice_number: str
    installment_no: int
    component: str  # principal_tax | demand_fee | late_fee
    amount: int
    basis_date: dt.date  # 令6条の14: 納期限 (本税/延滞金) or notice date (督促手数料)
    addressee_id: str = ""  # the debt's own 宛名番号 (another one of the same person after 名寄せ)

    @property
    def item_id(self) -> str:
        return f"{self.notice_number}/{self.installment_no}/{self.component}"


@dataclass(frozen=True)
class PlannedItem:
    notice_number: str
    installment_no: int
    component: str
    amount: int
    basis_date: dt.date
    addressee_id: str = ""


@dataclass(frozen=True)
class PlannedRequest:
    """One 充当 request: items sharing a 充当適状日."""

    appropriable_on: dt.date
    items: tuple[PlannedItem, ...]

    @property
    def total(self) -> int:
        return sum(i.amount for i in self.items)


@dataclass(frozen=True)
class Plan:
    requests: tuple[PlannedRequest, ...]
    remainder: int  # left for 還付
    rule: str


def plan(
    amount: int, arose_on: dt.date, debts: list[Debt], policy: AppropriationPolicy | None = None
) -> Plan:
    policy = policy or AppropriationPolicy()
    owed = [d for d in debts if d.amount > 0]
    by_id = {d.item_id: d for d in owed}
    items = [
        UnpaidItem(
            d.item_id, f"{d.notice_number}/{d.installment_no}", ClaimKind(d.component), d.amount, d.basis_date
        )
        for d in owed
    ]
    result = plan_appropriation(amount, items, overpayment_arose_on=arose_on, policy=policy)
    grouped: dict[dt.date, list[PlannedItem]] = defaultdict(list)
    for allocation in result.allocations:
        debt = by_id[allocation.item_id]
        grouped[allocation.appropriable_on].append(
            PlannedItem(
                debt.notice_number,
                debt.installment_no,
                debt.component,
                allocation.amount,
                debt.basis_date,
                debt.addressee_id,
            )
        )
    requests = tuple(PlannedRequest(day, tuple(grouped[day])) for day in sorted(grouped))
    return Plan(requests, result.remainder, policy.rule)


def payable(debts: list[Debt], on: dt.date) -> list[Debt]:
    """The debts 充当適状 on `on` (法17条の2①, 令6条の14): owed, and their date has come (納期限 for
    本税/延滞金, the 督促状 issue for 督促手数料). Installments not yet due are left to the taxpayer
    (予納/充当申出, not built)."""
    return [d for d in debts if d.amount > 0 and d.basis_date <= on]
