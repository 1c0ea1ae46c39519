"""不納欠損 (write-off): which installments are extinguished, on which day, for which of three causes.

Causes (domain-rules §4.5): 時効完成 (法18①), 執行停止 3年継続 (法15条の7④), 即時消滅 (法15条の7⑤).
When several apply, the earliest extinction day wins (ties: immediate, stay, limitation).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class WriteOffCause(StrEnum):
    LIMITATION = "limitation"
    STAY_THREE_YEARS = "stay_three_years"
    IMMEDIATE_EXTINCTION = "immediate_extinction"


_TIE_ORDER = {
    WriteOffCause.IMMEDIATE_EXTINCTION: 0,
    WriteOffCause.STAY_THREE_YEARS: 1,
    WriteOffCause.LIMITATION: 2,
}


def extinction(
    limitation_extinguished_on: date | None,
    stay_extinctions: list[tuple[date, bool]],
    as_of: date,
) -> tuple[WriteOffCause, date] | None:
    """The cause and day the installment is extinguished on or before ``as_of`` (None: still owed).

    ``stay_extinctions``: (extinguished_on, immediate) of each stay covering the installment;
    ``limitation_extinguished_on`` is None while a 差押 / 交付要求 suspends the 時効 (法18③, 民法148).
    """
    options = []
    if limitation_extinguished_on is not None:
        options.append((limitation_extinguished_on, WriteOffCause.LIMITATION))
    for day, immediate in stay_extinctions:
        options.append(
            (day, WriteOffCause.IMMEDIATE_EXTINCTION if immediate else WriteOffCause.STAY_THREE_YEARS)
        )
    due = [(day, cause) for day, cause in options if day <= as_of]
    if not due:
        return None
    day, cause = min(due, key=lambda o: (o[0], _TIE_ORDER[o[1]]))
    return cause, day
