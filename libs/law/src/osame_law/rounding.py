"""法20条の4の2 rounding of 延滞金 and 還付加算金 (端数計算).

- Base (法20条の4の2②): the tax (or refund) that is the basis of the calculation is rounded
  down to 1,000 yen; when it is under 2,000 yen, there is no charge (base 0).
- Total (法20条の4の2⑤): the amount is rounded down to 100 yen; under 1,000 yen it is 0.
- Segment yen: each segment's exact amount (base × rate × days ÷ 365) is truncated to whole yen
  before summing by default (``SegmentRounding.PER_SEGMENT``, the common municipal practice,
  domain-rules §1.4 step 6 [M]); ``SUM_THEN_TRUNCATE`` keeps the fractions until the total.

還付加算金: municipal pages uniformly apply the same 2,000 / 1,000 / 100 / 1,000 rules; the exact
paragraph naming 還付加算金 (via the 1963 transitional provision) is unconfirmed (domain-rules
§2.5, §9.2). We apply the same functions to both.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, localcontext
from enum import StrEnum

BASE_MINIMUM = 2_000
BASE_UNIT = 1_000
TOTAL_MINIMUM = 1_000
TOTAL_UNIT = 100
DAYS_PER_YEAR = 365  # 昭和45年法律第13号 §25: 365 even in leap years


class SegmentRounding(StrEnum):
    """Per-city setting for step 6 of the 延滞金 algorithm."""

    PER_SEGMENT = "per_segment"
    SUM_THEN_TRUNCATE = "sum_then_truncate"


def charge_base(amount: int) -> int:
    """法20条の4の2②: base rounded down to 1,000 yen; 0 when under 2,000 yen."""
    if amount < BASE_MINIMUM:
        return 0
    return amount - amount % BASE_UNIT


def round_total(amount: int) -> int:
    """法20条の4の2⑤: rounded down to 100 yen; 0 when under 1,000 yen."""
    if amount < TOTAL_MINIMUM:
        return 0
    return amount - amount % TOTAL_UNIT


def accrued(base: int, rate_percent: Decimal, days: int) -> Decimal:
    """Exact amount base × rate% × days ÷ 365 (no rounding)."""
    return Decimal(base) * rate_percent * days / (100 * DAYS_PER_YEAR)


def truncate_yen(amount: Decimal) -> int:
    """Drop fractions of a yen (円未満切捨て)."""
    return int(amount.to_integral_value(rounding=ROUND_DOWN))


def total_yen(exact_amounts: list[Decimal], convention: SegmentRounding) -> int:
    """Whole-yen total of segment amounts under the chosen convention (before ``round_total``)."""
    if convention is SegmentRounding.PER_SEGMENT:
        return sum((truncate_yen(a) for a in exact_amounts), 0)
    # Each segment is a Decimal of 28 significant digits, so a whole exact total can come out as
    # 782.99999…; an exact segment total is a multiple of 1 / (100 × 365 × 100) at worst, far
    # coarser than 1e-12, so rounding the sum to 12 places first recovers the exact value.
    with localcontext() as ctx:
        ctx.prec = 60
        total = sum(exact_amounts, Decimal(0)).quantize(Decimal("1e-12"), rounding=ROUND_HALF_EVEN)
    return truncate_yen(total)
