"""延滞金 exemptions for 執行停止 and 猶予 periods (法15条の9, 附則3条の2; domain-rules §5.1, §10.5).

Kinds and their effect on the days of the interval:

=========================================  ==============================================
``ENFORCEMENT_STAY`` 執行停止 (法15条の7)    full exemption (法15条の9①) — incident F2
``COLLECTION_DEFERRAL_DISASTER``            full exemption: 徴収猶予 for disaster, theft,
  徴収猶予 (法15①一・二 and similar)         illness
``COLLECTION_DEFERRAL_BUSINESS``            half exemption or the 猶予特例基準割合 cap,
  徴収猶予 (法15①三・四, 15②)               whichever exempts more
``CONVERSION_DEFERRAL``                     same as above: every 換価の猶予
  換価の猶予 (法15条の5, 15条の6)
=========================================  ==============================================

Mechanics for the half/cap kinds (§10.5 [M]): compute the normal rate for the day, then the
exemption as the larger of
  - half rule: half of the normal rate — by default only for days in the second tier
    (after the first month). domain-rules §5.1/§9.3 mark "whether the local rule excludes the
    first month" UNCONFIRMED; §10.5 says "probably only for days after the first month" by
    parallel with 通則法63①. We follow §10.5 and make it a policy flag;
  - cap rule: the part of the rate above the 猶予特例基準割合 of that calendar year, applied
    while that rate is below 7.3% (every year since 2014). Years with no recorded
    猶予特例基準割合 (2000–2013) get the half rule only.
and record which rule applied. Because base and days are common to both rules within a
segment, comparing rates is the same as comparing amounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise

from osame_law.errors import InvalidInputError
from osame_law.rates import STATUTORY_LATE_FEE_FIRST_TIER, Tier

ZERO = Decimal(0)


class ExemptionKind(StrEnum):
    ENFORCEMENT_STAY = "enforcement_stay"
    COLLECTION_DEFERRAL_DISASTER = "collection_deferral_disaster"
    COLLECTION_DEFERRAL_BUSINESS = "collection_deferral_business"
    CONVERSION_DEFERRAL = "conversion_deferral"

    @property
    def is_full(self) -> bool:
        return self in (ExemptionKind.ENFORCEMENT_STAY, ExemptionKind.COLLECTION_DEFERRAL_DISASTER)


class ExemptionRule(StrEnum):
    """Which rule produced the exemption on a segment."""

    FULL = "full"
    HALF = "half"
    CAP = "cap"


@dataclass(frozen=True)
class ExemptInterval:
    """An interval (both ends inclusive) of 執行停止 or 猶予 for one installment."""

    start: date
    end: date
    kind: ExemptionKind

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInputError("exempt interval ends before it starts")

    def covers(self, d: date) -> bool:
        return self.start <= d <= self.end


def check_no_overlap(intervals: tuple[ExemptInterval, ...]) -> None:
    ordered = sorted(intervals, key=lambda i: i.start)
    for before, after in pairwise(ordered):
        if after.start <= before.end:
            raise InvalidInputError(
                f"exempt intervals overlap ({before.start.isoformat()}..{before.end.isoformat()} and "
                f"{after.start.isoformat()}..{after.end.isoformat()})"
            )


def interval_covering(intervals: tuple[ExemptInterval, ...], d: date) -> ExemptInterval | None:
    for interval in intervals:
        if interval.covers(d):
            return interval
    return None


def relieved_rate(
    rate: Decimal,
    tier: Tier,
    kind: ExemptionKind,
    postponement_rate: Decimal | None,
    *,
    half_in_first_tier: bool = False,
) -> tuple[Decimal, ExemptionRule | None]:
    """The rate left to charge after the exemption, and the rule that applied (None: no relief)."""
    if kind.is_full:
        return ZERO, ExemptionRule.FULL
    half = rate / 2 if (tier is Tier.SECOND or half_in_first_tier) else ZERO
    cap = ZERO
    if postponement_rate is not None and postponement_rate < STATUTORY_LATE_FEE_FIRST_TIER:
        cap = max(rate - postponement_rate, ZERO)
    if cap == ZERO and half == ZERO:
        return rate, None
    if cap >= half:
        return rate - cap, ExemptionRule.CAP
    return rate - half, ExemptionRule.HALF
