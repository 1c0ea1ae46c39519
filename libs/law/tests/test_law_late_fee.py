"""延滞金 (法326/369 etc., 附則3条の2, 法20条の4の2, 法20条の5) — expected yen computed by hand.

Each segment tuple is (from, to, days, rate %, base, yen); yen = floor(base × rate × days / 36500).
"""

from datetime import date
from decimal import Decimal

import pytest
from osame_law.errors import ImplausibleDateError, InvalidInputError, LawError, RateNotAvailableError
from osame_law.late_fee import LateFeePolicy, PartialPayment, compute_late_fee, recompute_after_reduction
from osame_law.plausibility import DateWindow
from osame_law.rates import DEFAULT_RATES, RateRow
from osame_law.rounding import SegmentRounding

d = date.fromisoformat


def seg_tuples(result):
    return [
        (s.start.isoformat(), s.end.isoformat(), s.days, str(s.rate), s.base, s.yen) for s in result.segments
    ]


CASES = [
    pytest.param(
        100_000,
        "2025-06-30",
        "2026-02-10",
        [],
        [
            ("2025-07-01", "2025-07-31", 31, "2.4", 100_000, 203),
            ("2025-08-01", "2025-12-31", 153, "8.7", 100_000, 3646),
            ("2026-01-01", "2026-02-10", 41, "9.1", 100_000, 1022),
        ],
        4800,
        id="fusoku3-2-segment-spans-new-year-8.7-then-9.1",
    ),
    pytest.param(
        1_000_000,
        "2023-11-30",
        "2024-12-31",
        [],
        [
            ("2023-12-01", "2023-12-31", 31, "2.4", 1_000_000, 2038),
            ("2024-01-01", "2024-12-31", 366, "8.7", 1_000_000, 87238),
        ],
        89200,
        id="s45-law13-art25-leap-year-366-days-over-365",
    ),
    pytest.param(
        300_000,
        "2025-06-30",
        "2026-01-20",
        [("2025-09-10", 100_000)],
        [
            ("2025-07-01", "2025-07-31", 31, "2.4", 300_000, 611),
            ("2025-08-01", "2025-09-10", 41, "8.7", 300_000, 2931),
            ("2025-09-11", "2025-12-31", 112, "8.7", 200_000, 5339),
            ("2026-01-01", "2026-01-20", 20, "9.1", 200_000, 997),
        ],
        9800,
        id="rules-10.1-partial-payment-lowers-base-from-day-after",
    ),
    pytest.param(
        250_500,
        "2025-06-30",
        "2025-07-31",
        [("2025-06-20", 100_000)],
        [("2025-07-01", "2025-07-31", 31, "2.4", 150_000, 305)],
        0,
        id="rules-10.1-payment-before-due-lowers-whole-period-under-1000-zero",
    ),
    pytest.param(
        50_500,
        "2025-06-30",
        "2025-12-31",
        [("2025-07-15", 49_000)],
        [
            ("2025-07-01", "2025-07-15", 15, "2.4", 50_000, 49),
            ("2025-07-16", "2025-07-31", 16, "2.4", 0, 0),
            ("2025-08-01", "2025-12-31", 153, "8.7", 0, 0),
        ],
        0,
        id="ho20-4-2-2-remaining-under-2000-after-partial-payment-no-charge",
    ),
    pytest.param(
        1_999,
        "2025-06-30",
        "2026-06-30",
        [],
        [
            ("2025-07-01", "2025-07-31", 31, "2.4", 0, 0),
            ("2025-08-01", "2025-12-31", 153, "8.7", 0, 0),
            ("2026-01-01", "2026-06-30", 181, "9.1", 0, 0),
        ],
        0,
        id="rules-1.8-ho20-4-2-2-tax-1999-no-late-fee",
    ),
    pytest.param(
        10_500,
        "2025-06-30",
        "2025-07-20",
        [("2025-07-10", 300)],
        [("2025-07-01", "2025-07-20", 20, "2.4", 10_000, 13)],
        0,
        id="rules-10.1-payment-not-changing-floored-base-keeps-one-segment",
    ),
    pytest.param(
        200_000,
        "2023-06-30",
        "2025-03-31",
        [],
        [
            ("2023-07-01", "2023-07-31", 31, "2.4", 200_000, 407),
            ("2023-08-01", "2023-12-31", 153, "8.7", 200_000, 7293),
            ("2024-01-01", "2024-12-31", 366, "8.7", 200_000, 17447),
            ("2025-01-01", "2025-03-31", 90, "8.7", 200_000, 4290),
        ],
        29400,
        id="rules-1.8-period-crossing-two-year-boundaries",
    ),
    pytest.param(
        100_000,
        "2024-01-31",
        "2024-03-10",
        [],
        [
            ("2024-02-01", "2024-02-29", 29, "2.4", 100_000, 190),
            ("2024-03-01", "2024-03-10", 10, "8.7", 100_000, 238),
        ],
        0,
        id="rules-1.8-due-1/31-leap-year-first-month-2/1-2/29",
    ),
    pytest.param(
        1_000_000,
        "2025-05-31",
        "2025-07-03",
        [],
        [
            ("2025-06-03", "2025-07-02", 30, "2.4", 1_000_000, 1972),
            ("2025-07-03", "2025-07-03", 1, "8.7", 1_000_000, 238),
        ],
        2200,
        id="ho20-5-2-shifted-due-6/2-first-month-ends-7/2",
    ),
    pytest.param(
        1_000_000,
        "2026-01-30",
        "2026-03-02",
        [],
        [
            ("2026-01-31", "2026-02-28", 29, "2.8", 1_000_000, 2224),
            ("2026-03-01", "2026-03-02", 2, "9.1", 1_000_000, 498),
        ],
        2700,
        id="min143-2-start-1/31-no-2/31-first-month-ends-2/28",
    ),
]


@pytest.mark.parametrize(("tax", "due", "paid", "payments", "segments", "late_fee"), CASES)
def test_late_fee_worked_cases(tax, due, paid, payments, segments, late_fee):
    result = compute_late_fee(
        principal_tax=tax,
        due_date=d(due),
        paid_on=d(paid),
        partial_payments=[PartialPayment(d(p), amount) for p, amount in payments],
    )
    assert seg_tuples(result) == segments
    assert result.late_fee == late_fee


@pytest.mark.parametrize(
    ("paid", "late_fee", "days"),
    [
        pytest.param("2025-05-31", 0, 0, id="ho20-5-2-paid-on-statutory-due"),
        pytest.param("2025-06-02", 0, 0, id="rules-1.4-step8-paid-on-shifted-due-no-late-fee"),
        pytest.param("2025-06-03", 0, 1, id="ho20-5-2-one-day-after-shifted-due"),
    ],
)
def test_holiday_shifted_due_date(paid, late_fee, days):
    result = compute_late_fee(principal_tax=1_000_000, due_date=d("2025-05-31"), paid_on=d(paid))
    assert result.due_date == d("2025-06-02")
    assert result.late_fee == late_fee
    assert sum(s.days for s in result.segments) == days


def test_rei6_18_1_3_unshifted_due_date_policy():
    policy = LateFeePolicy(shift_due_date_for_holidays=False)
    result = compute_late_fee(
        principal_tax=1_000_000, due_date=d("2025-05-31"), paid_on=d("2025-06-02"), policy=policy
    )
    assert [(s.start, s.days) for s in result.segments] == [(d("2025-06-01"), 2)]


def test_first_tier_months_configurable_for_premiums():
    policy = LateFeePolicy(first_tier_months=3)
    result = compute_late_fee(
        principal_tax=100_000, due_date=d("2025-06-30"), paid_on=d("2025-10-31"), policy=policy
    )
    assert seg_tuples(result) == [
        ("2025-07-01", "2025-09-30", 92, "2.4", 100_000, 604),
        ("2025-10-01", "2025-10-31", 31, "8.7", 100_000, 738),
    ]
    assert result.first_tier_end == d("2025-09-30")
    assert result.late_fee == 1300


def two_thousand_yen_one_year_late(convention):
    rates = DEFAULT_RATES.with_rows(
        RateRow(2027, 2027, Decimal("2.8"), Decimal("9.1"), Decimal("1.3"), None, "test")
    )
    return compute_late_fee(
        principal_tax=2_000,
        due_date=d("2026-01-05"),
        paid_on=d("2027-01-05"),
        rates=rates,
        policy=LateFeePolicy(segment_rounding=convention),
    )


@pytest.mark.parametrize(
    ("convention", "unrounded"),
    [
        pytest.param(SegmentRounding.PER_SEGMENT, 170, id="rules-1.8-2000-yen-a-year-late-per-segment"),
        pytest.param(SegmentRounding.SUM_THEN_TRUNCATE, 171, id="rules-1.8-2000-yen-a-year-late-about-171"),
    ],
)
def test_rules_1_8_two_thousand_yen_a_year_late_is_zero(convention, unrounded):
    result = two_thousand_yen_one_year_late(convention)
    assert sum(s.days for s in result.segments) == 365
    assert result.unrounded_total == unrounded
    assert result.late_fee == 0


@pytest.mark.parametrize(
    ("convention", "unrounded", "late_fee"),
    [
        pytest.param(SegmentRounding.PER_SEGMENT, 1199, 1100, id="rules-1.4-step6-truncate-each-segment"),
        pytest.param(SegmentRounding.SUM_THEN_TRUNCATE, 1201, 1200, id="rules-1.4-step6-sum-then-truncate"),
    ],
)
def test_segment_rounding_convention_near_100_yen_boundary(convention, unrounded, late_fee):
    result = compute_late_fee(
        principal_tax=23_000,
        due_date=d("2025-06-30"),
        paid_on=d("2026-02-24"),
        policy=LateFeePolicy(segment_rounding=convention),
    )
    assert [s.yen for s in result.segments] == [46, 838, 315]
    assert (result.unrounded_total, result.late_fee) == (unrounded, late_fee)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        pytest.param({"paid_on": d("2091-01-01")}, ImplausibleDateError, id="F3-year-2091"),
        pytest.param({"paid_on": d("2028-03-10")}, ImplausibleDateError, id="F3-reiwa-01-typed-as-reiwa-10"),
        pytest.param(
            {"paid_on": d("2024-07-10")}, ImplausibleDateError, id="F4-calculation-date-previous-year"
        ),
        pytest.param({"due_date": d("1999-06-30")}, ImplausibleDateError, id="due-before-window"),
        pytest.param(
            {"partial_payments": [PartialPayment(d("2025-12-01"), 1_000)]},
            ImplausibleDateError,
            id="partial-payment-after-paid-date",
        ),
        pytest.param(
            {"partial_payments": [PartialPayment(d("2025-08-01"), 100_000)]},
            InvalidInputError,
            id="partial-payments-cover-whole-tax",
        ),
        pytest.param(
            {"partial_payments": [PartialPayment(d("2025-08-01"), 0)]}, InvalidInputError, id="zero-payment"
        ),
        pytest.param({"principal_tax": -1}, InvalidInputError, id="negative-tax"),
        pytest.param({"principal_tax": 1.5}, InvalidInputError, id="non-integer-yen"),
        pytest.param({"policy": LateFeePolicy(first_tier_months=0)}, InvalidInputError, id="first-tier-zero"),
    ],
)
def test_refuses_bad_input(kwargs, error):
    arguments = {"principal_tax": 100_000, "due_date": d("2025-06-30"), "paid_on": d("2025-11-30")} | kwargs
    with pytest.raises(error) as excinfo:
        compute_late_fee(**arguments)
    assert isinstance(excinfo.value, LawError)
    assert "100000" not in str(excinfo.value) and "100,000" not in str(excinfo.value)


def test_configurable_window():
    window = DateWindow(d("2025-01-01"), d("2025-12-31"))
    with pytest.raises(ImplausibleDateError, match="2026-01-05"):
        compute_late_fee(
            principal_tax=100_000, due_date=d("2025-06-30"), paid_on=d("2026-01-05"), window=window
        )


def test_year_missing_from_rates_inside_a_wider_window():
    window = DateWindow(d("2025-01-01"), d("2027-12-31"))
    with pytest.raises(RateNotAvailableError, match="2027"):
        compute_late_fee(
            principal_tax=100_000, due_date=d("2026-06-30"), paid_on=d("2027-02-01"), window=window
        )


@pytest.mark.parametrize(
    ("reduced", "payments", "expected_paid_on", "late_fee"),
    [
        pytest.param(
            60_000,
            [("2025-12-10", 100_000)],
            "2025-12-10",
            2000,
            id="rules-1.6-reduction-recompute-on-new-tax",
        ),
        pytest.param(
            40_000,
            [("2025-08-10", 50_000), ("2025-12-10", 50_000)],
            "2025-08-10",
            0,
            id="rules-1.6-reduction-paid-in-full-by-first-payment",
        ),
        pytest.param(
            80_000,
            [("2025-08-10", 50_000), ("2025-12-10", 50_000)],
            "2025-12-10",
            1200,
            id="rules-1.6-reduction-with-partial-payment",
        ),
        pytest.param(30_000, [("2025-06-20", 100_000)], None, 0, id="rules-1.6-reduction-paid-before-due"),
    ],
)
def test_reduction_recomputes_from_the_start(reduced, payments, expected_paid_on, late_fee):
    result = recompute_after_reduction(
        reduced_tax=reduced,
        due_date=d("2025-06-30"),
        payments=[PartialPayment(d(p), a) for p, a in payments],
        calculation_date=d("2026-01-31"),
    )
    assert result.late_fee == late_fee
    if expected_paid_on is not None:
        assert result.segments[-1].end == d(expected_paid_on)
        applied = [PartialPayment(d(p), a) for p, a in payments if d(p) < d(expected_paid_on)]
        direct = compute_late_fee(
            principal_tax=reduced,
            due_date=d("2025-06-30"),
            paid_on=d(expected_paid_on),
            partial_payments=applied,
        )
        assert result == direct
