"""調定 ledger rules: what kind of change an assessment revision is (調定履歴).

The 税務システム sends 賦課 (registered) and changes; receipts names each change by comparing
the notice's total 本税 before and after: 更正 (increase), 減額更正 (reduction), 取消 (all
installments 0), or a change of due dates/split only.
"""

from __future__ import annotations

from enum import StrEnum


class ChangeKind(StrEnum):
    REGISTERED = "registered"  # 賦課
    INCREASED = "increased"  # 更正 (増額)
    REDUCED = "reduced"  # 減額更正
    CANCELLED = "cancelled"  # 取消
    RESCHEDULED = "rescheduled"  # same total, other split or due dates


def classify_change(*, registered: bool, total_before: int, total_after: int) -> ChangeKind:
    if registered:
        return ChangeKind.REGISTERED
    if total_after == 0:
        return ChangeKind.CANCELLED
    if total_after > total_before:
        return ChangeKind.INCREASED
    if total_after < total_before:
        return ChangeKind.REDUCED
    return ChangeKind.RESCHEDULED
