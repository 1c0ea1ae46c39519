"""給与特別徴収 (法321条の3〜321条の7, 326条) — worked examples by hand, then properties."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from osame_law.errors import ImplausibleDateError, InvalidInputError
from osame_law.special_collection import (
    SeparationDisposition,
    YearMonth,
    collection_months,
    late_fee_start,
    monthly_amounts,
    remittance_for,
    remittance_late_fee,
    remittances,
    respread_after_change,
    separation_outcome,
    spread,
)

d = date.fromisoformat
HUNDRED_K = monthly_amounts(100_000)  # (8,700, 8,300 × 11) — see the first case below


@pytest.mark.parametrize(
    ("annual", "june", "later"),
    [
        pytest.param(100_000, 8_700, 8_300, id="ho321-5-1-100000/12=8333.3->8300; June 100000-8300x11=8700"),
        pytest.param(123_456, 11_256, 10_200, id="ho321-5-1-123456/12=10288->10200; June 123456-112200"),
        pytest.param(5_000, 600, 400, id="ho321-5-1-kintouwari-only-5000/12=416->400; June 5000-4400"),
        pytest.param(1_000, 1_000, 0, id="ho321-5-1-monthly-under-100-whole-amount-in-June"),
        pytest.param(0, 0, 0, id="zero-annual-zero-months"),
    ],
)
def test_monthly_amounts_put_the_part_under_100_yen_in_june(annual, june, later):
    """法321条の5①: 月割額 = annual ÷ 12 cut to 100 yen; the rest (or all, under 100) to June."""
    amounts = monthly_amounts(annual)
    assert amounts == (june, *([later] * 11))
    assert sum(amounts) == annual


def test_collection_months_run_june_to_may():
    months = collection_months(2025)
    assert (str(months[0]), str(months[6]), str(months[-1])) == ("2025-06", "2025-12", "2026-05")


def test_monthly_remittance_is_due_on_the_10th_of_the_next_month_shifted_for_closed_days():
    """法321条の5①, 法20条の5②, 令6条の18.

    2025-08-10 is a Sunday and 8/11 山の日 → 8/12; 2026-01-10 Saturday, 1/12 成人の日 → 1/13;
    2026-05-10 Sunday → 5/11.
    """
    schedule = remittances(2025)
    assert len(schedule) == 12
    by_month = {str(r.months[0]): (r.statutory_due, r.due) for r in schedule}
    assert by_month["2025-06"] == (d("2025-07-10"), d("2025-07-10"))
    assert by_month["2025-07"] == (d("2025-08-10"), d("2025-08-12"))
    assert by_month["2025-12"] == (d("2026-01-10"), d("2026-01-13"))
    assert by_month["2026-04"] == (d("2026-05-10"), d("2026-05-11"))


@pytest.mark.parametrize(
    ("approved", "expected"),
    [
        pytest.param(
            "2025-03-01",
            [(["2025-06", "2025-11"], "2025-12-10"), (["2025-12", "2026-05"], "2026-06-10")],
            id="ho321-5-2-approved-before-the-year-two-payments",
        ),
        pytest.param(
            "2025-08-20",
            [
                (["2025-06", "2025-06"], "2025-07-10"),
                (["2025-07", "2025-07"], "2025-08-10"),
                (["2025-08", "2025-11"], "2025-12-10"),
                (["2025-12", "2026-05"], "2026-06-10"),
            ],
            id="ho321-5-2-approved-in-August-from-that-month-to-November",
        ),
        pytest.param(
            "2026-02-03",
            [
                *[([f"2025-{m:02d}"] * 2, f"2025-{m + 1:02d}-10") for m in range(6, 12)],
                (["2025-12", "2025-12"], "2026-01-10"),
                (["2026-01", "2026-01"], "2026-02-10"),
                (["2026-02", "2026-05"], "2026-06-10"),
            ],
            id="ho321-5-2-approved-in-February-only-Feb-May-grouped",
        ),
    ],
)
def test_special_payment_schedule_groups_the_half_year_from_the_approval_month(approved, expected):
    """法321条の5の2①: June–Nov by 10 Dec, Dec–May by 10 June, from the approval month on."""
    schedule = remittances(2025, special_approved_on=d(approved))
    got = [([str(r.months[0]), str(r.months[-1])], r.statutory_due.isoformat()) for r in schedule]
    assert got == expected


@pytest.mark.parametrize(
    ("event", "kwargs", "disposition", "withheld", "remainder"),
    [
        pytest.param(
            "2025-08-31",
            {},
            SeparationDisposition.ORDINARY,
            25_300,
            74_700,
            id="ho321-5-2-Aug-retire-no-request-June8700+Jul8300+Aug8300=25300-rest-9x8300-ordinary",
        ),
        pytest.param(
            "2025-08-31",
            {"lump_sum_requested": True, "payable_by_may_31": 300_000},
            SeparationDisposition.LUMP_SUM,
            25_300,
            74_700,
            id="ho321-5-2-proviso-Aug-retire-requested-pay-300000>74700-lump-sum",
        ),
        pytest.param(
            "2025-08-31",
            {"lump_sum_requested": True, "payable_by_may_31": 74_700},
            SeparationDisposition.ORDINARY,
            25_300,
            74_700,
            id="ho321-5-2-proviso-pay-must-exceed-not-equal-the-remainder",
        ),
        pytest.param(
            "2026-01-15",
            {"payable_by_may_31": 200_000},
            SeparationDisposition.LUMP_SUM,
            66_800,
            33_200,
            id="ho321-5-2-proviso-Jan-retire-lump-sum-mandatory-8700+7x8300=66800-rest-4x8300",
        ),
        pytest.param(
            "2026-04-30",
            {"payable_by_may_31": 0},
            SeparationDisposition.ORDINARY,
            91_700,
            8_300,
            id="ho321-6-Apr-retire-nothing-left-to-pay-ordinary",
        ),
        pytest.param(
            "2025-10-31",
            {"new_employer_continues": True},
            SeparationDisposition.CONTINUED,
            41_900,
            58_100,
            id="ho321-7-transfer-new-employer-continues-Nov-May-7x8300",
        ),
        pytest.param(
            "2026-05-20",
            {},
            SeparationDisposition.NONE,
            100_000,
            0,
            id="ho321-5-2-May-event-nothing-after-May",
        ),
    ],
)
def test_separation_outcome(event, kwargs, disposition, withheld, remainder):
    outcome = separation_outcome(HUNDRED_K, 2025, d(event), **kwargs)
    assert (outcome.disposition, outcome.withheld, outcome.remainder) == (disposition, withheld, remainder)
    assert outcome.last_withheld == YearMonth.of(d(event))
    assert outcome.withheld + outcome.lump_sum + outcome.ordinary + outcome.continued == 100_000


def test_separation_outside_the_fiscal_year_is_refused_with_the_date():
    with pytest.raises(ImplausibleDateError, match="2025-05-31 is outside fiscal year 2025"):
        separation_outcome(HUNDRED_K, 2025, d("2025-05-31"))


def test_tax_change_respreads_the_rest_over_the_remaining_months():
    """税額変更 100,000 → 80,000 from September: June–Aug 25,300 kept; 54,700 over 9 months:
    54,700 ÷ 9 = 6,077 → 6,000; September 54,700 − 6,000 × 8 = 6,700."""
    changed = respread_after_change(HUNDRED_K, 80_000, 3)
    assert changed.monthly == (8_700, 8_300, 8_300, 6_700, *([6_000] * 8))
    assert changed.overcollected == 0 and sum(changed.monthly) == 80_000


def test_tax_change_below_what_was_already_due_leaves_an_amount_to_refund():
    """100,000 → 20,000 from September: 25,300 already due, so 5,300 was withheld too much."""
    changed = respread_after_change(HUNDRED_K, 20_000, 3)
    assert changed.monthly[3:] == (0,) * 9 and changed.overcollected == 5_300


def test_late_remittance_late_fee_worked_example():
    """法326①: June 2025 納入金 150,000 due 2025-07-10 (Thu), paid 2025-09-30.

    7/11–8/10 31 days at 2.4%: 150,000 × 2.4 × 31 / 36,500 = 305.75 → 305
    8/11–9/30 51 days at 8.7%: 150,000 × 8.7 × 51 / 36,500 = 1,823.42 → 1,823
    total 2,128 → 2,100 (法20条の4の2⑤).
    """
    june = remittance_for(YearMonth(2025, 6), remittances(2025))
    result = remittance_late_fee(june, amount=150_000, paid_on=d("2025-09-30"))
    assert [(s.start, s.days, str(s.rate), s.yen) for s in result.segments] == [
        (d("2025-07-11"), 31, "2.4", 305),
        (d("2025-08-11"), 51, "8.7", 1823),
    ]
    assert result.late_fee == 2_100


def test_late_fee_runs_from_the_day_after_the_shifted_due_date():
    assert late_fee_start(d("2025-08-10")) == d("2025-08-13")
    july = remittance_for(YearMonth(2025, 7), remittances(2025))
    assert remittance_late_fee(july, amount=500_000, paid_on=d("2025-08-12")).late_fee == 0


def test_bad_inputs_are_refused():
    with pytest.raises(InvalidInputError):
        separation_outcome(HUNDRED_K[:11], 2025, d("2025-08-01"))
    with pytest.raises(InvalidInputError):
        monthly_amounts(-1)
    with pytest.raises(InvalidInputError):
        respread_after_change(HUNDRED_K, 10, 12)
    with pytest.raises(InvalidInputError, match="not a 徴収月"):
        remittance_for(YearMonth(2025, 5), remittances(2025))


# --- properties -------------------------------------------------------------------------------

yen = st.integers(min_value=0, max_value=50_000_000)


@given(annual=yen)
def test_monthly_amounts_always_sum_to_the_annual_amount(annual):
    june, *later = monthly_amounts(annual)
    assert june + sum(later) == annual
    assert len(set(later)) == 1 and later[0] % 100 == 0
    assert 0 <= june - later[0] < 1_200


@given(total=yen, count=st.integers(1, 12), unit=st.sampled_from([1, 100, 1_000]))
def test_spread_conserves_the_total(total, count, unit):
    parts = spread(total, count, unit=unit)
    assert len(parts) == count and sum(parts) == total and min(parts) >= 0


@given(
    annual=yen,
    offset=st.integers(0, 364),
    requested=st.booleans(),
    payable=yen,
    continues=st.booleans(),
)
def test_withheld_plus_the_remainder_after_separation_equals_the_annual_amount(
    annual, offset, requested, payable, continues
):
    monthly = monthly_amounts(annual)
    event = d("2025-06-01") + timedelta(days=offset)
    outcome = separation_outcome(
        monthly,
        2025,
        event,
        lump_sum_requested=requested,
        payable_by_may_31=payable,
        new_employer_continues=continues,
    )
    shares = [outcome.lump_sum, outcome.ordinary, outcome.continued]
    assert outcome.withheld + sum(shares) == annual
    assert sum(1 for s in shares if s) <= 1
    if outcome.lump_sum:
        assert payable > outcome.lump_sum


@given(annual=yen, new=yen, index=st.integers(0, 11))
def test_a_tax_change_keeps_past_months_and_conserves_money(annual, new, index):
    old = monthly_amounts(annual)
    changed = respread_after_change(old, new, index)
    assert changed.monthly[:index] == old[:index]
    assert sum(changed.monthly) - changed.overcollected == new


@given(
    year=st.integers(2021, 2025),
    approval_offset=st.one_of(st.none(), st.integers(-60, 400)),
)
def test_every_month_is_paid_in_once_and_never_before_it_is_withheld(year, approval_offset):
    approved = None if approval_offset is None else date(year, 6, 1) + timedelta(days=approval_offset)
    schedule = remittances(year, special_approved_on=approved)
    covered = [m for r in schedule for m in r.months]
    assert sorted(covered) == list(collection_months(year))
    for remittance in schedule:
        assert remittance.statutory_due > remittance.months[-1].plus(1).day(1) - timedelta(days=1)
        assert remittance.due >= remittance.statutory_due
