"""執行停止 (滞納処分の停止, 法15条の7) and its effects.

Grounds (法15条の7①): (1) no property that can be disposed of; (2) disposition would seriously
endanger the taxpayer's livelihood; (3) both whereabouts and property unknown.
Effects: 延滞金 for the stay period is exempt in full (法15条の9①; practice F2); the debt is
extinguished when the stay has lasted 3 years (法15条の7④) — counted from the day after the
decision (初日不算入, 民法140/143): decided 2026-01-10 → period 2026-01-11..2029-01-10 →
extinguished 2029-01-11; under ground (1) where collection is clearly impossible (限定承認,
dissolved company …) the debt may be extinguished at once (即時消滅, 法15条の7⑤). A cancelled stay
(法15条の8) neither extinguishes nor exempts after its cancellation day. The 5-year limitation keeps
running during a stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from osame_law import ExemptInterval, ExemptionKind, add_months_civil

STAY_EXTINCTION_YEARS = 3


class StayGround(StrEnum):
    NO_PROPERTY = "no_property"  # 法15条の7①一
    LIVELIHOOD = "livelihood"  # 法15条の7①二
    WHEREABOUTS_UNKNOWN = "whereabouts_unknown"  # 法15条の7①三


@dataclass(frozen=True)
class Stay:
    ground: StayGround
    decided_on: date
    cancelled_on: date | None = None
    immediate_extinction: bool = False

    def __post_init__(self) -> None:
        if self.immediate_extinction and self.ground is not StayGround.NO_PROPERTY:
            raise ValueError("immediate extinction (法15条の7⑤) needs ground no_property")
        if self.cancelled_on is not None and self.cancelled_on < self.decided_on:
            raise ValueError("a stay cannot be cancelled before it was decided")

    def extinguished_on(self) -> date | None:
        """The day the debt no longer exists because of this stay (None: not by this stay)."""
        if self.immediate_extinction:
            return self.decided_on
        three_years_end = add_months_civil(self.decided_on + timedelta(days=1), 12 * STAY_EXTINCTION_YEARS)
        extinction = three_years_end + timedelta(days=1)
        if self.cancelled_on is not None and self.cancelled_on < extinction:
            return None
        return extinction

    def exempt_interval(self, until: date) -> ExemptInterval | None:
        """The 延滞金 exemption of the stay up to ``until`` (the calculation day)."""
        end = until if self.cancelled_on is None else min(until, self.cancelled_on - timedelta(days=1))
        if self.immediate_extinction:
            end = min(end, self.decided_on)
        if end < self.decided_on:
            return None
        return ExemptInterval(self.decided_on, end, ExemptionKind.ENFORCEMENT_STAY)
