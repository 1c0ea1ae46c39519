"""法20条の4の2 rounding thresholds."""

from decimal import Decimal

import pytest
from osame_law.rounding import SegmentRounding, accrued, charge_base, round_total, total_yen


@pytest.mark.parametrize(
    ("amount", "base"),
    [
        pytest.param(1_999, 0, id="ho20-4-2-2-under-2000-no-charge"),
        pytest.param(2_000, 2_000, id="ho20-4-2-2-exactly-2000"),
        pytest.param(2_999, 2_000, id="ho20-4-2-2-floor-to-1000"),
        pytest.param(3_000, 3_000, id="ho20-4-2-2-exact-thousand"),
        pytest.param(123_456, 123_000, id="ho20-4-2-2-floor-large"),
        pytest.param(0, 0, id="zero"),
    ],
)
def test_charge_base(amount, base):
    assert charge_base(amount) == base


@pytest.mark.parametrize(
    ("amount", "total"),
    [
        pytest.param(999, 0, id="ho20-4-2-5-under-1000-is-zero"),
        pytest.param(1_000, 1_000, id="ho20-4-2-5-exactly-1000"),
        pytest.param(1_099, 1_000, id="ho20-4-2-5-floor-to-100"),
        pytest.param(1_100, 1_100, id="ho20-4-2-5-exact-hundred"),
        pytest.param(4_871, 4_800, id="ho20-4-2-5-floor"),
    ],
)
def test_round_total(amount, total):
    assert round_total(amount) == total


@pytest.mark.parametrize(
    ("convention", "expected"),
    [
        pytest.param(SegmentRounding.PER_SEGMENT, 1, id="truncate-each-segment"),
        pytest.param(SegmentRounding.SUM_THEN_TRUNCATE, 3, id="sum-then-truncate"),
    ],
)
def test_total_yen_conventions(convention, expected):
    parts = [Decimal("0.6"), Decimal("1.6"), Decimal("0.9")]
    assert total_yen(parts, convention) == expected


def test_sum_then_truncate_recovers_a_whole_exact_total_from_28_digit_segments():
    """45,000 × (2.4 × 203 + 8.7 × 17) / 36,500 is exactly 783 yen; the three Decimal segments
    (28 significant digits each) add up to 782.999…: the total is still 783 (法20条の4の2)."""
    parts = [accrued(45_000, Decimal("2.4"), 153), accrued(45_000, Decimal("2.4"), 50)]
    parts.append(accrued(45_000, Decimal("8.7"), 17))
    assert sum(parts, Decimal(0)) < 783
    assert total_yen(parts, SegmentRounding.SUM_THEN_TRUNCATE) == 783
    assert total_yen([Decimal("782.9999")], SegmentRounding.SUM_THEN_TRUNCATE) == 782
