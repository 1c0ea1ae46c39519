"""督促 (demand notice) eligibility and the 行き違い guard — pure rules of the nightly batch.

An installment gets a 督促 in the batch of ``batch_date`` when (issue #4, 法329; practice F6–F8):

- it is open (本税 not fully paid) and not written off;
- the data cut-off of its 納期限 is before ``batch_date``: N business days after the
  (holiday-shifted) 納期限 (``osame_law.demand_cutoff``; issue #12 defect 2: a 督促 the night after
  the 納期限 crossed payments still on their way from banks and 口座振替), within 20 days
  (``osame_law.demand_notice_deadline``; a late 督促 is still valid and is issued, counted as
  ``late``);
- it has had no 督促 before (one 督促 per 期別; later letters are 催告);
- 行き違い guard: no 速報 is pending (not yet confirmed by its 確報 nor cancelled), no confirmed
  receipt is waiting for the ledger (money applied to it that its 本税 paid does not show yet),
  no 督促停止 hold (e.g. a pending 充当, a staff hold) is set, and no 口座振替 is in flight: a
  request (種別91) covered it for a 振替日 whose 振替結果 receipts has not yet reported imported.
  The debit wait ends at the 20-day limit of 法329条: a batch dated on or after the last day
  issues the 督促 anyway (a 督促 must be issued within 20 days; the bank's result can still
  reverse it through the receipt, a missing one must not push every debited 督促 out of time);
  the batch counts and lists those 督促 (``issued_with_debit_in_flight``).

A partial payment only delays the 督促 of the remainder until the payment is confirmed and the
ledger shows it (issue #12 defect 1: ¥1,000 paid on ¥100,000 used to block the 督促 for good, so no
差押 and no 時効 renewal ever followed); the 督促 then names the remainder.

The SQL of the batch implements exactly this predicate set-based; the property test checks the
two agree and that no 督促 is issued while a payment is unconfirmed or unreflected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from osame_law import demand_cutoff, demand_notice_deadline


class Withheld(StrEnum):
    """Why an overdue open installment got no 督促 in a batch."""

    RECEIPT = "receipt"  # a confirmed receipt the ledger projection does not show yet (行き違い)
    PRELIMINARY = "preliminary"  # a 速報 awaiting its 確報
    HOLD = "hold"  # 督促停止 (pending 充当, staff hold)
    DEBIT_IN_FLIGHT = "debit_in_flight"  # 口座振替 requested, its 振替結果 not yet imported


@dataclass(frozen=True)
class DunningView:
    """What the batch knows about one installment at its start."""

    due_date: date
    open: bool
    demanded: bool
    written_off: bool
    unreflected_receipt: bool
    """Σ confirmed receipts applied to it > its 本税 paid as the ledger last reported."""
    pending_preliminary: bool
    held: bool
    debit_in_flight: bool = False
    """A 口座振替 request covers it for a 振替日 whose 振替結果 has not been imported yet."""


def withheld_reason(view: DunningView, batch_date: date) -> Withheld | None:
    if view.unreflected_receipt:
        return Withheld.RECEIPT
    if view.pending_preliminary:
        return Withheld.PRELIMINARY
    if view.held:
        return Withheld.HOLD
    if view.debit_in_flight and not at_issue_limit(view.due_date, batch_date):
        return Withheld.DEBIT_IN_FLIGHT
    return None


def at_issue_limit(due_date: date, batch_date: date) -> bool:
    """The batch is on or after the last day a 督促 may be issued in time (法329: 納期限 + 20 days):
    the 口座振替 wait ends; the 督促 is issued anyway."""
    return batch_date >= demand_notice_deadline(due_date, shift_due_date_for_holidays=False)


def last_due_date_at_limit(batch_date: date) -> date:
    """The latest 納期限 for which ``batch_date`` is at the issue limit (every earlier one is too)."""
    due = batch_date
    while not at_issue_limit(due, batch_date):
        due -= timedelta(days=1)
    return due


def is_candidate(view: DunningView, batch_date: date, cutoff_days: int) -> bool:
    """Past its cut-off, open, never dunned, not written off (before the 行き違い guard)."""
    past_cutoff = demand_cutoff(view.due_date, cutoff_days) < batch_date
    return view.open and not view.demanded and not view.written_off and past_cutoff


def may_issue_demand(view: DunningView, batch_date: date, cutoff_days: int) -> bool:
    return is_candidate(view, batch_date, cutoff_days) and withheld_reason(view, batch_date) is None


def is_late(due_date: date, issued_on: date) -> bool:
    """Issued after the 20-day limit (still valid: the limit is directory, §3)."""
    return issued_on > demand_notice_deadline(due_date, shift_due_date_for_holidays=False)
