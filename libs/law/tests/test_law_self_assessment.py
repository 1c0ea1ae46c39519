"""法人市民税 申告納付 (法321条の8, 321条の11/12, 326, 327; 法17条の4) — worked examples by hand.

Segment tuples are (from, to, days, rate %, base, yen); yen = floor(base × rate × days / 36,500).
The business year in most cases is 2024-04-01..2025-03-31: its 確定申告 deadline 2025-05-31 is a
Saturday, so the effective 法定納期限 is Monday 2025-06-02 (法20条の5②) and 延滞金 runs from 6/3.
"""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from osame_law.errors import ImplausibleDateError, InvalidInputError
from osame_law.late_fee import PartialPayment
from osame_law.rounding import SegmentRounding
from osame_law.self_assessment import (
    BusinessYear,
    FilingKind,
    apply_estimated_payment,
    compute_self_assessed_late_fee,
    deficiency_due,
    effective,
    extension_interest,
    filing_deadline,
    interim_refund_interest,
    plan_for_amendment,
    plan_for_reassessment,
    plan_for_return,
)

d = date.fromisoformat
FY = BusinessYear(d("2024-04-01"), d("2025-03-31"))


def segs(result):
    return [
        (s.start.isoformat(), s.end.isoformat(), s.days, str(s.rate), s.base, s.yen) for s in result.segments
    ]


@pytest.mark.parametrize(
    ("kind", "year", "extension", "deadline"),
    [
        pytest.param(FilingKind.FINAL, FY, 0, "2025-05-31", id="ho321-8-4-final-year-end+2-months"),
        pytest.param(FilingKind.FINAL, FY, 1, "2025-06-30", id="hojin75-2-extension-one-month"),
        pytest.param(
            FilingKind.INTERIM,
            FY,
            0,
            "2024-11-30",
            id="ho321-8-2-interim-6-months-4/1-9/30-then-10/1+2-months",
        ),
        pytest.param(
            FilingKind.PROVISIONAL,
            BusinessYear(d("2025-01-01"), d("2025-12-31")),
            0,
            "2025-08-31",
            id="ho321-8-1-provisional-calendar-year-company",
        ),
        pytest.param(
            FilingKind.FINAL,
            BusinessYear(d("2025-09-01"), d("2026-08-31")),
            0,
            "2026-10-31",
            id="ho321-8-4-august-year-end",
        ),
    ],
)
def test_filing_deadlines(kind, year, extension, deadline):
    assert filing_deadline(kind, year, extension_months=extension) == d(deadline)


def test_no_interim_return_for_a_short_year_and_no_deadline_for_an_amendment():
    short = BusinessYear(d("2025-04-01"), d("2025-09-30"))
    with pytest.raises(InvalidInputError, match="6 months or less"):
        filing_deadline(FilingKind.INTERIM, short)
    with pytest.raises(InvalidInputError, match="修正申告"):
        filing_deadline(FilingKind.AMENDED, FY)


def test_business_year_longer_than_a_year_is_refused():
    with pytest.raises(ImplausibleDateError, match="longer than one year"):
        BusinessYear(d("2024-04-01"), d("2025-04-01"))


def test_on_time_return_paid_late():
    """法326① (72条の45①一): filed 2025-05-30, tax 1,000,000 paid 2025-08-29.

    6/3–7/2 30 days at 2.4%: 1,000,000 × 2.4 × 30 / 36,500 = 1,972.60 → 1,972
    7/3–8/29 58 days at 8.7%: 1,000,000 × 8.7 × 58 / 36,500 = 13,824.65 → 13,824
    total 15,796 → 15,700.
    """
    plan = plan_for_return(FilingKind.FINAL, FY, d("2025-05-30"))
    result = compute_self_assessed_late_fee(plan, tax=1_000_000, paid_on=d("2025-08-29"))
    assert segs(result) == [
        ("2025-06-03", "2025-07-02", 30, "2.4", 1_000_000, 1972),
        ("2025-07-03", "2025-08-29", 58, "8.7", 1_000_000, 13824),
    ]
    assert result.late_fee == 15_700


def test_late_return_keeps_the_low_rate_until_a_month_after_filing():
    """法326① (72条の45①二): filed and paid 2025-07-15, six weeks late.

    Low rate to 8/15, so 6/3–7/15 is 43 days at 2.4%: 1,000,000 × 2.4 × 43 / 36,500 = 2,827.39
    → 2,827 → 2,800 (on-time reading would give 1,972 + 3,098 = 5,070 → 5,000).
    """
    plan = plan_for_return(FilingKind.FINAL, FY, d("2025-07-15"))
    assert (plan.first_tier_end, plan.pay_by) == (d("2025-08-15"), d("2025-07-15"))
    result = compute_self_assessed_late_fee(plan, tax=1_000_000, paid_on=d("2025-07-15"))
    assert segs(result) == [("2025-06-03", "2025-07-15", 43, "2.4", 1_000_000, 2827)]
    assert result.late_fee == 2_800


def test_amendment_more_than_a_year_later_excludes_the_days_after_the_year():
    """法326 (72条の45②): original filed 2025-05-30 (before the 6/2 deadline, so the year counts from
    6/2): one year ends 2026-06-02. 修正申告 2026-09-30 adds 500,000, paid the same day.

    2025-06-03–12-31 212 days at 2.4%: 500,000 × 2.4 × 212 / 36,500 = 6,969.86 → 6,969
    2026-01-01–06-02 153 days at 2.8%: 500,000 × 2.8 × 153 / 36,500 = 5,868.49 → 5,868
    2026-06-03–09-30 120 days excluded → 0
    total 12,837 → 12,800 (without the exclusion +4,602 → 17,400).
    """
    plan = plan_for_amendment(FilingKind.FINAL, FY, d("2026-09-30"), original_filed_on=d("2025-05-30"))
    result = compute_self_assessed_late_fee(plan, tax=500_000, paid_on=d("2026-09-30"))
    assert segs(result) == [
        ("2025-06-03", "2025-12-31", 212, "2.4", 500_000, 6969),
        ("2026-01-01", "2026-06-02", 153, "2.8", 500_000, 5868),
        ("2026-06-03", "2026-09-30", 120, "0", 500_000, 0),
    ]
    assert result.late_fee == 12_800
    fraud = plan_for_amendment(
        FilingKind.FINAL, FY, d("2026-09-30"), original_filed_on=d("2025-05-30"), fraud=True
    )
    assert compute_self_assessed_late_fee(fraud, tax=500_000, paid_on=d("2026-09-30")).late_fee == 17_400


def test_amendment_within_the_year_has_no_exclusion():
    plan = plan_for_amendment(FilingKind.FINAL, FY, d("2026-06-02"), original_filed_on=d("2025-05-30"))
    assert plan.excluded == () and plan.first_tier_end == d("2026-07-02")


def test_reassessment_deficiency_due_and_late_fee():
    """更正 notified 2025-11-14 (within the year): deficiency 300,000 due 2025-12-15 (11/15–12/14 is
    the month, 経過した日 12/15); low rate to 2026-01-15; paid 2026-02-27.

    2025-06-03–12-31 212 days at 2.4%: 300,000 × 2.4 × 212 / 36,500 = 4,181.91 → 4,181
    2026-01-01–01-15 15 days at 2.8%: 300,000 × 2.8 × 15 / 36,500 = 345.20 → 345
    2026-01-16–02-27 43 days at 9.1%: 300,000 × 9.1 × 43 / 36,500 = 3,216.16 → 3,216
    total 7,742 → 7,700.
    """
    plan = plan_for_reassessment(FilingKind.FINAL, FY, d("2025-11-14"), original_filed_on=d("2025-05-30"))
    assert (plan.pay_by, plan.first_tier_end, plan.excluded) == (d("2025-12-15"), d("2026-01-15"), ())
    result = compute_self_assessed_late_fee(plan, tax=300_000, paid_on=d("2026-02-27"))
    assert [s.yen for s in result.segments] == [4181, 345, 3216]
    assert result.late_fee == 7_700


def test_reassessment_after_a_year_excludes_but_a_determination_does_not():
    """更正 notified 2026-08-20: excluded 2026-06-03..2026-08-20. A 決定 (no return) has none."""
    plan = plan_for_reassessment(FilingKind.FINAL, FY, d("2026-08-20"), original_filed_on=d("2025-05-30"))
    assert [(p.start, p.end) for p in plan.excluded] == [(d("2026-06-03"), d("2026-08-20"))]
    determination = plan_for_reassessment(FilingKind.FINAL, FY, d("2026-08-20"), original_filed_on=None)
    assert determination.excluded == ()


def test_deficiency_due_counts_from_the_day_after_the_notice_and_skips_closed_days():
    assert deficiency_due(d("2025-10-01")) == d("2025-11-04")  # 11/2 Sun, 11/3 文化の日 → 11/4
    assert deficiency_due(d("2025-11-14")) == d("2025-12-15")


def test_extension_interest_worked_example():
    """法327: tax 2,000,000, extension of one month, paid on the extended deadline 2025-06-30.

    6/3–6/30 28 days at the 2025 猶予特例基準割合 0.9%: 2,000,000 × 0.9 × 28 / 36,500 = 1,380.82
    → 1,380 → 1,300. A 見込納付 of 1,500,000 on 5/30 leaves 500,000: 500,000 × 0.9 × 28 / 36,500
    = 345.2 → 0 (under 1,000).
    """
    assert (
        extension_interest(tax=2_000_000, year=FY, extension_months=1, paid_on=d("2025-06-30")).amount
        == 1_300
    )
    paid_early = extension_interest(
        tax=2_000_000,
        year=FY,
        extension_months=1,
        paid_on=d("2025-06-30"),
        partial_payments=[PartialPayment(d("2025-05-30"), 1_500_000)],
    )
    assert paid_early.unrounded_total == 345 and paid_early.amount == 0


def test_estimated_payment_applied_and_excess_refunded_with_interest_from_a_month_after_the_return():
    """見込納付 500,000 on 2025-05-30; return filed 2025-06-30 (extended) declares 420,000.

    80,000 is 過誤納 from 6/30: 法17条の4①四 — the month 7/1–7/31, interest from 8/1 (the
    municipal Q&A's own example)."""
    outcome = apply_estimated_payment(
        estimated=500_000, paid_on=d("2025-05-30"), tax_due=420_000, return_filed_on=d("2025-06-30"), year=FY
    )
    assert (outcome.applied, outcome.excess, outcome.shortfall) == (420_000, 80_000, 0)
    assert outcome.excess_interest_start == d("2025-08-01")


def test_estimated_payment_after_the_return_is_refused():
    with pytest.raises(ImplausibleDateError, match="not a 見込納付"):
        apply_estimated_payment(
            estimated=1, paid_on=d("2025-07-01"), tax_due=1, return_filed_on=d("2025-06-30"), year=FY
        )


def test_interim_refund_interest_worked_example():
    """中間納付 300,000 paid 2024-11-29, before the 中間 deadline 11/30 (Sat → 12/2), so interest from
    12/3; refund decided 2025-06-20 at 0.9% (2024 and 2025):
    12/3–12/31 29 days: 300,000 × 0.9 × 29 / 36,500 = 214.52 → 214
    2025-01-01–06-20 171 days: 300,000 × 0.9 × 171 / 36,500 = 1,264.93 → 1,264
    total 1,478 → 1,400."""
    result = interim_refund_interest(
        amount=300_000,
        interim_paid_on=d("2024-11-29"),
        year=FY,
        final_filed_on=d("2025-05-30"),
        decided_on=d("2025-06-20"),
    )
    assert result.start == d("2024-12-03") and [s.yen for s in result.segments] == [214, 1264]
    assert result.amount == 1_400


def test_interim_refund_after_a_late_final_return_is_not_guessed():
    with pytest.raises(InvalidInputError, match="not modelled"):
        interim_refund_interest(
            amount=300_000,
            interim_paid_on=d("2024-11-29"),
            year=FY,
            final_filed_on=d("2025-07-01"),
            decided_on=d("2025-08-20"),
        )


def test_a_low_rate_tier_ending_after_the_last_rated_year_does_not_block_the_computation():
    """Found by the model test: 修正申告 2026-12-10 puts the low-rate end in January 2027, a year
    with no rates yet; only days up to the payment need rates, so 2026-12-20 must be priced."""
    plan = plan_for_amendment(FilingKind.FINAL, FY, d("2026-12-10"), original_filed_on=d("2025-05-30"))
    assert plan.first_tier_end == d("2027-01-10")
    result = compute_self_assessed_late_fee(plan, tax=500_000, paid_on=d("2026-12-20"))
    assert result.segments[-1].end == d("2026-12-20")


def test_sum_then_truncate_keeps_a_whole_exact_total():
    """Found by the model test: 45,000 yen, segments 153 + 50 days at 2.4% and 17 days at 8.7%.

    Exactly 45,000 × (2.4 × 203 + 8.7 × 17) / 36,500 = 45,000 × 635.1 / 36,500 = 783 yen; the
    Decimal segments 452.71232876…, 147.94520547…, 182.34246575… add up to 782.99999… → 782.
    """
    year = BusinessYear(d("2022-06-01"), d("2023-05-31"))
    plan = plan_for_amendment(FilingKind.FINAL, year, d("2024-01-19"), original_filed_on=d("2023-07-31"))
    result = compute_self_assessed_late_fee(
        plan, tax=45_000, paid_on=d("2024-03-07"), segment_rounding=SegmentRounding.SUM_THEN_TRUNCATE
    )
    assert result.unrounded_total == 783


# --- properties -------------------------------------------------------------------------------

days_after = st.integers(0, 500)  # paid by 2026-12-31, the last year with rates


@given(amend_after=days_after, paid_after=st.integers(0, 60), tax=st.integers(0, 50_000_000))
def test_the_exclusion_never_raises_the_late_fee_and_covers_exactly_the_days_past_the_year(
    amend_after, paid_after, tax
):
    amended_on = d("2025-06-02") + timedelta(days=amend_after)
    paid_on = amended_on + timedelta(days=paid_after)
    honest = plan_for_amendment(FilingKind.FINAL, FY, amended_on, original_filed_on=d("2025-05-30"))
    fraud = plan_for_amendment(
        FilingKind.FINAL, FY, amended_on, original_filed_on=d("2025-05-30"), fraud=True
    )
    with_exclusion = compute_self_assessed_late_fee(honest, tax=tax, paid_on=paid_on)
    without = compute_self_assessed_late_fee(fraud, tax=tax, paid_on=paid_on)
    assert with_exclusion.late_fee <= without.late_fee
    excluded_days = sum(s.days for s in with_exclusion.segments if s.relief)
    assert excluded_days == max(0, (amended_on - d("2026-06-02")).days)
    assert sum(s.days for s in with_exclusion.segments) == (paid_on - d("2025-06-02")).days


@given(estimated=st.integers(1, 10_000_000), tax=st.integers(0, 10_000_000))
def test_estimated_payment_conserves_money(estimated, tax):
    outcome = apply_estimated_payment(
        estimated=estimated, paid_on=d("2025-05-30"), tax_due=tax, return_filed_on=d("2025-06-30"), year=FY
    )
    assert outcome.applied + outcome.excess == estimated
    assert outcome.applied + outcome.shortfall == tax
    assert (outcome.excess_interest_start is None) == (outcome.excess == 0)


@given(start=st.dates(date(2015, 1, 1), date(2025, 12, 31)), months=st.integers(1, 12))
def test_deadlines_follow_the_business_year(start, months):
    year_end = BusinessYear(start, max(start, _months_later(start, months) - timedelta(days=1)))
    final = filing_deadline(FilingKind.FINAL, year_end)
    assert final > year_end.end and (final - year_end.end).days <= 62
    assert effective(final) >= final
    if year_end.longer_than_six_months:
        assert year_end.start < filing_deadline(FilingKind.INTERIM, year_end) < final


def _months_later(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, 28))
