"""還付加算金 (法17条の4, 附則3条の2, 法20条の4の2; domain-rules §2; incident F1)."""

from datetime import date

import pytest
from osame_law.errors import ImplausibleDateError, InvalidInputError
from osame_law.refund_interest import RefundCause, compute_refund_interest, refund_interest_start
from osame_law.rounding import SegmentRounding

d = date.fromisoformat

DATES = {
    "paid_on": d("2025-04-30"),
    "requested_on": d("2025-05-20"),
    "corrected_on": d("2025-08-05"),
    "notified_on": d("2025-09-10"),
}


@pytest.mark.parametrize(
    ("cause", "overrides", "first_day"),
    [
        pytest.param(
            RefundCause.REASSESSMENT, {}, "2025-05-01", id="ho17-4-1-i-reassessment-day-after-payment"
        ),
        pytest.param(
            RefundCause.CORRECTION_REQUEST,
            {},
            "2025-08-21",
            id="ho17-4-1-ii-request-plus-3-months-earlier-than-correction-plus-1-month",
        ),
        pytest.param(
            RefundCause.CORRECTION_REQUEST,
            {"requested_on": d("2025-03-10"), "corrected_on": d("2025-04-01")},
            "2025-05-02",
            id="ho17-4-1-ii-correction-plus-1-month-earlier",
        ),
        pytest.param(
            RefundCause.NATIONAL_TAX_CHANGE,
            {},
            "2025-10-11",
            id="ho17-4-1-iii-notice-plus-1-month-then-next-day",
        ),
        pytest.param(
            RefundCause.ERRONEOUS_PAYMENT, {}, "2025-06-01", id="ho17-4-1-iv-erroneous-payment-plus-1-month"
        ),
        pytest.param(
            RefundCause.ERRONEOUS_PAYMENT,
            {"paid_on": d("2025-01-31")},
            "2025-03-01",
            id="ho17-4-1-iv-payment-1/31-month-ends-2/28",
        ),
    ],
)
def test_start_day_per_cause(cause, overrides, first_day):
    assert refund_interest_start(cause, **(DATES | overrides)) == d(first_day)


def test_F1_residence_tax_reduction_counts_from_day_after_payment():
    """A 減額更正 of 住民税 after a late income-tax return is 一号 (payment date), not 三号."""
    common = {"amount": 500_000, "paid_on": d("2025-06-30"), "decided_on": d("2026-03-31")}
    right = compute_refund_interest(**common, cause=RefundCause.REASSESSMENT)
    assert right.start == d("2025-07-01")
    assert [(s.start.isoformat(), s.end.isoformat(), s.days, str(s.rate), s.yen) for s in right.segments] == [
        ("2025-07-01", "2025-12-31", 184, "0.9", 2268),
        ("2026-01-01", "2026-03-31", 90, "1.3", 1602),
    ]
    assert right.refund_interest == 3800
    wrong = compute_refund_interest(
        **common, cause=RefundCause.NATIONAL_TAX_CHANGE, notified_on=d("2025-11-14")
    )
    assert wrong.start == d("2025-12-15")
    assert wrong.refund_interest < right.refund_interest


@pytest.mark.parametrize(
    ("paid", "decided", "refund_interest"),
    [
        pytest.param(
            "2025-12-31", "2026-10-08", 1000, id="rules-2.5-100000-yen-281-days-at-1.3-reaches-1000"
        ),
        pytest.param("2025-12-31", "2026-10-07", 0, id="rules-2.5-100000-yen-280-days-at-1.3-is-zero"),
        pytest.param(
            "2022-12-31", "2024-02-10", 1000, id="rules-2.5-100000-yen-406-days-at-0.9-reaches-1000"
        ),
        pytest.param("2022-12-31", "2024-02-09", 0, id="rules-2.5-100000-yen-405-days-at-0.9-is-zero"),
    ],
)
def test_small_refunds_rarely_earn_interest(paid, decided, refund_interest):
    result = compute_refund_interest(
        amount=100_000, cause=RefundCause.REASSESSMENT, paid_on=d(paid), decided_on=d(decided)
    )
    assert result.refund_interest == refund_interest


@pytest.mark.parametrize(
    ("amount", "base"),
    [
        pytest.param(1_999, 0, id="ho20-4-2-refund-under-2000-no-interest"),
        pytest.param(2_000, 2_000, id="ho20-4-2-refund-2000"),
        pytest.param(2_999_999, 2_999_000, id="ho20-4-2-refund-floor-1000"),
    ],
)
def test_refund_base_rounding(amount, base):
    result = compute_refund_interest(
        amount=amount, cause=RefundCause.REASSESSMENT, paid_on=d("2025-01-31"), decided_on=d("2025-12-31")
    )
    assert {s.base for s in result.segments} == {base}


@pytest.mark.parametrize(
    ("claimed", "excluded_days"),
    [
        pytest.param("2026-03-04", 0, id="ho17-4-2-i-claim-on-30th-day-nothing-excluded"),
        pytest.param("2026-03-05", 1, id="ho17-4-2-i-claim-on-31st-day-that-day-excluded"),
        pytest.param("2026-03-20", 16, id="ho17-4-2-i-31st-day-to-claim-date-excluded"),
        pytest.param(None, 27, id="ho17-4-2-i-no-claim-excluded-to-end"),
    ],
)
def test_thirty_day_claim_exclusion(claimed, excluded_days):
    result = compute_refund_interest(
        amount=10_000_000,
        cause=RefundCause.REASSESSMENT,
        paid_on=d("2025-12-31"),
        decided_on=d("2026-03-31"),
        claim_notice_on=d("2026-02-02"),
        claimed_on=d(claimed) if claimed else None,
        segment_rounding=SegmentRounding.SUM_THEN_TRUNCATE,
    )
    assert result.excluded_days == excluded_days
    counted = sum(s.days for s in result.segments if s.relief is None)
    assert counted == 90 - excluded_days
    assert result.unrounded_total == 10_000_000 * 13 * counted // 365_000


def test_appropriated_part_stops_at_appropriable_date():
    result = compute_refund_interest(
        amount=1_000_000,
        cause=RefundCause.REASSESSMENT,
        paid_on=d("2025-06-30"),
        decided_on=d("2025-12-15"),
        appropriable_on=d("2025-09-30"),
    )
    assert result.end == d("2025-09-30")
    assert sum(s.days for s in result.segments) == 92
    assert result.refund_interest == 2200  # 1,000,000 × 0.9% × 92 / 365 = 2,268


def test_refund_decided_before_start_gives_zero():
    result = compute_refund_interest(
        amount=1_000_000,
        cause=RefundCause.ERRONEOUS_PAYMENT,
        paid_on=d("2025-06-30"),
        decided_on=d("2025-07-20"),
    )
    # named day: 1 month counted from 7/1 ends 7/31; the first day counted would be 8/1
    assert (result.refund_interest, result.segments, result.start) == (0, (), d("2025-08-01"))


def test_sum_then_truncate_convention():
    kwargs = {
        "amount": 500_000,
        "cause": RefundCause.REASSESSMENT,
        "paid_on": d("2025-06-30"),
        "decided_on": d("2026-03-31"),
    }
    assert compute_refund_interest(**kwargs).unrounded_total == 3870
    summed = compute_refund_interest(**kwargs, segment_rounding=SegmentRounding.SUM_THEN_TRUNCATE)
    assert summed.unrounded_total == 3871


def test_cause_is_required():
    with pytest.raises(TypeError):
        compute_refund_interest(amount=100_000, paid_on=d("2025-06-30"), decided_on=d("2026-03-31"))  # type: ignore[call-arg]
    with pytest.raises(InvalidInputError):
        refund_interest_start("reassessment", paid_on=d("2025-06-30"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        pytest.param(
            {"cause": RefundCause.CORRECTION_REQUEST}, InvalidInputError, id="correction-needs-dates"
        ),
        pytest.param(
            {"cause": RefundCause.NATIONAL_TAX_CHANGE}, InvalidInputError, id="national-needs-notice"
        ),
        pytest.param({"decided_on": d("2025-06-01")}, ImplausibleDateError, id="decided-before-payment"),
        pytest.param({"decided_on": d("2091-06-01")}, ImplausibleDateError, id="F3-year-2091"),
        pytest.param({"claimed_on": d("2025-12-01")}, InvalidInputError, id="claim-without-notice"),
        pytest.param(
            {
                "cause": RefundCause.CORRECTION_REQUEST,
                "requested_on": d("2025-09-01"),
                "corrected_on": d("2025-08-01"),
            },
            ImplausibleDateError,
            id="correction-before-request",
        ),
        pytest.param({"amount": -5}, InvalidInputError, id="negative-amount"),
    ],
)
def test_refuses_bad_input(kwargs, error):
    arguments = {
        "amount": 100_000,
        "cause": RefundCause.REASSESSMENT,
        "paid_on": d("2025-06-30"),
        "decided_on": d("2026-03-31"),
    } | kwargs
    with pytest.raises(error):
        compute_refund_interest(**arguments)
