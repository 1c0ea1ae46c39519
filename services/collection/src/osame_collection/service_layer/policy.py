"""City settings the use cases apply: 督促手数料 table and the 延滞金 conventions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from osame_chassis.errors import PermanentError
from osame_law import TAKAOKA_DEMAND_FEE, DemandFeeRule, DemandFeeSchedule, LateFeePolicy, SegmentRounding

from osame_collection.domain.dates import DateRefused, not_after_business_date, tokyo_today


@dataclass(frozen=True)
class CollectionPolicy:
    demand_fees: DemandFeeSchedule = TAKAOKA_DEMAND_FEE
    late_fee: LateFeePolicy = field(default_factory=LateFeePolicy)
    pledge_grace_days: int = 7
    demand_cutoff_business_days: int = 3  # 督促 only after N business days past the 納期限 (≤ 8: 法329)
    business_date: Callable[[], date] = tokyo_today  # the server's day in Asia/Tokyo (tests pin it)

    def check_typed(self, field_name: str, value: date) -> None:
        """A date a person typed: not after the business date (PermanentError with a located code)."""
        try:
            not_after_business_date(field_name, value, self.business_date())
        except DateRefused as exc:
            raise PermanentError(exc.code) from exc

    @property
    def per_segment(self) -> bool:
        return self.late_fee.segment_rounding is SegmentRounding.PER_SEGMENT

    @classmethod
    def from_settings(
        cls,
        city: str,
        fee_rules: list[tuple[date, int]] | None,
        rounding: str,
        grace: int,
        cutoff_days: int = 3,
        business_date: date | None = None,
    ):
        schedule = (
            DemandFeeSchedule(city, tuple(DemandFeeRule(d, fee) for d, fee in fee_rules))
            if fee_rules
            else TAKAOKA_DEMAND_FEE
        )
        return cls(
            schedule,
            LateFeePolicy(segment_rounding=SegmentRounding(rounding)),
            grace,
            cutoff_days,
            (lambda: business_date) if business_date else tokyo_today,
        )


DEFAULT_POLICY = CollectionPolicy()
