"""督促 (demand notice) eligibility and the 行き違い guard — pure rules of the nightly batch.

An installment gets a 督促 in the batch of ``batch_date`` when (issue #4, 法329; practice F6–F8):

- it is open (本税 not fully paid) and not written off;
- its (holiday-shifted) 納期限 is before ``batch_date`` — the 督促 is issued from the day after
  the 納期限, within 20 days (``osame_law.demand_notice_deadline``; a late 督促 is still valid
  and is issued, counted as ``late``);
- it has had no 督促 before (one 督促 per 期別; later letters are 催告);
- 行き違い guard: no receipt (速報 or 確報) dated on or before ``batch_date`` is known for it,
  no 速報 is pending (not yet confirmed by its 確報 nor cancelled) whatever its date, and no
  督促停止 hold (e.g. a pending 充当) is set.

The SQL of the batch implements exactly this predicate set-based; the property test checks the
two agree and that no 督促 is ever issued for an installment with a receipt dated ≤ batch date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from osame_law import demand_notice_deadline


class Withheld(StrEnum):
    """Why an overdue open installment got no 督促 in a batch."""

    RECEIPT = "receipt"  # a receipt dated ≤ batch date (行き違い)
    PRELIMINARY = "preliminary"  # a 速報 awaiting its 確報
    HOLD = "hold"  # 督促停止 (pending 充当, staff hold)


@dataclass(frozen=True)
class DunningView:
    """What the batch knows about one installment at its start."""

    due_date: date
    open: bool
    demanded: bool
    written_off: bool
    last_receipt_on: date | None
    pending_preliminary: bool
    held: bool


def withheld_reason(view: DunningView, batch_date: date) -> Withheld | None:
    if view.last_receipt_on is not None and view.last_receipt_on <= batch_date:
        return Withheld.RECEIPT
    if view.pending_preliminary:
        return Withheld.PRELIMINARY
    if view.held:
        return Withheld.HOLD
    return None


def is_candidate(view: DunningView, batch_date: date) -> bool:
    """Overdue, open, never dunned, not written off (before the 行き違い guard)."""
    return view.open and not view.demanded and not view.written_off and view.due_date < batch_date


def may_issue_demand(view: DunningView, batch_date: date) -> bool:
    return is_candidate(view, batch_date) and withheld_reason(view, batch_date) is None


def is_late(due_date: date, issued_on: date) -> bool:
    """Issued after the 20-day limit (still valid: the limit is directory, §3)."""
    return issued_on > demand_notice_deadline(due_date, shift_due_date_for_holidays=False)
