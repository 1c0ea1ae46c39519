"""Refund watch (還付の監視): what collection does with refunds' 還付 events. Pure rules.

1. **充当 cross-check.** 過誤納金 must be appropriated to the same taxpayer's payable 徴収金 before
   anything is refunded (充当, 地方税法17条の2①). Refunds plans that from its own projection; when
   a 還付 is decided (支出決定, `refunds.refund.decided.v1`) collection checks it independently
   against *its* projection of the ledger. An installment whose 納期限 had come by the decision
   day and that still owes 本税 — and is not covered by a 充当 in flight (督促停止
   `appropriation_pending`) nor written off (不納欠損) — means a 充当 was probably missed: the
   refund is flagged for staff (an alert in the delinquency view and the audit trail), never
   stopped from here.
2. **Returned transfer (振込不能).** `refunds.refund.failed.v1` opens a 折衝 task "refund transfer
   returned: contact the taxpayer for a new 還付請求 account"; `refunds.refund.paid.v1` closes every
   open task of that refund. The events come through three queues in any order: a failure seen
   after the payment is recorded as already resolved (a paid refund is final in refunds).

Only 本税 is compared: the receipts ledger does not owe 督促手数料 or 延滞金 until collection's
charge events are wired, so refunds could not have appropriated them (see docs/services/collection.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

APPROPRIATION_PENDING = "appropriation_pending"  # the hold reason refunds' 充当 places (linkage.py)


@dataclass(frozen=True)
class WatchedInstallment:
    """One installment (期別) of the taxpayer as collection's projection holds it."""

    notice_number: str
    installment_no: int
    due_date: dt.date  # 納期限 (moved off closed days by receipts)
    principal_tax: int
    paid: int
    written_off: bool = False  # 不納欠損: extinguished, nothing to appropriate to
    appropriation_pending: bool = False  # a 充当 is on its way to receipts for it

    @property
    def unpaid(self) -> int:
        return max(self.principal_tax - self.paid, 0)


@dataclass(frozen=True)
class MissedAppropriation:
    """未充当の未納: an installment a refund decided on `decided_on` should have been appropriated to."""

    notice_number: str
    installment_no: int
    due_date: dt.date
    unpaid: int


def missed_appropriations(
    decided_on: dt.date, installments: Iterable[WatchedInstallment]
) -> list[MissedAppropriation]:
    """Installments payable on the refund's decision day (納期限 ≤ 支出決定日) that still owe 本税
    and have no 充当 in flight: each should have received the money before any refund
    (法17条の2①; the 充当適状日 is the later of its 納期限 and the day the overpayment arose, and
    both are on or before the decision day). Oldest 納期限 first."""
    found = [
        MissedAppropriation(i.notice_number, i.installment_no, i.due_date, i.unpaid)
        for i in installments
        if i.unpaid > 0 and i.due_date <= decided_on and not i.written_off and not i.appropriation_pending
    ]
    return sorted(found, key=lambda m: (m.due_date, m.notice_number, m.installment_no))


class TaskStatus(StrEnum):
    OPEN = "open"  # the taxpayer must be contacted for a new 還付請求 account
    RESOLVED = "resolved"  # the refund was paid afterwards


def task_status_on_failure(paid_on: dt.date | None) -> TaskStatus:
    """A returned transfer opens a 折衝 task unless the refund is already known paid (the paid event
    overtook the failure: a paid refund is final, so the failure is history)."""
    return TaskStatus.RESOLVED if paid_on is not None else TaskStatus.OPEN


def refund_status(paid_on: dt.date | None, last_failed_on: dt.date | None) -> str:
    """What the view shows: paid (final), returned (waiting for a new account), or decided."""
    if paid_on is not None:
        return "paid"
    if last_failed_on is not None:
        return "returned"
    return "decided"
