"""年金特別徴収 (法321条の7の2〜321条の7の8) — worked examples from city tables, then properties."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from osame_law.errors import InvalidInputError
from osame_law.pension_collection import (
    Stage,
    YearMonth,
    first_year_split,
    main_amounts,
    payment_months,
    pension_remittance_due,
    provisional_amounts,
    stop_outcome,
)


@pytest.mark.parametrize(
    ("previous", "annual", "provisional", "main"),
    [
        pytest.param(
            60_000, 60_000, 10_000, 10_000, id="tomika-year-N-steady-60000/2/3=10000; (60000-30000)/3=10000"
        ),
        pytest.param(
            60_000, 36_000, 10_000, 2_000, id="tomika-year-N+1-tax-falls-to-36000; (36000-30000)/3=2000"
        ),
        pytest.param(
            36_000, 60_000, 6_000, 14_000, id="tomika-year-N+2-36000/2/3=6000; (60000-18000)/3=14000"
        ),
    ],
)
def test_provisional_and_main_stages_follow_the_smoothing_rule(previous, annual, provisional, main):
    """法321条の7の8 (仮徴収 = last year's annual ÷ 2 ÷ 3) and 本徴収 = (annual − 仮徴収) ÷ 3.

    The three rows are 富加町's published table (years N, N+1, N+2).
    """
    prov = provisional_amounts(previous)
    assert prov == (provisional,) * 3
    assert main_amounts(annual, sum(prov)).amounts == (main,) * 3


def test_remainders_under_100_yen_go_to_the_first_payment_of_the_stage():
    """仮徴収 on 71,234: half 35,617; 35,617 ÷ 3 = 11,872 → 11,800; April 35,617 − 23,600 = 12,017.
    本徴収 on 80,000 − 35,617 = 44,383: 14,794 → 14,700; October 44,383 − 29,400 = 14,983."""
    prov = provisional_amounts(71_234)
    assert prov == (12_017, 11_800, 11_800)
    assert main_amounts(80_000, sum(prov)).amounts == (14_983, 14_700, 14_700)


def test_provisional_beyond_the_annual_tax_is_an_excess_to_refund():
    """Last year 60,000 → 仮徴収 30,000; this year 12,000: 本徴収 0 and 18,000 withheld too much."""
    stage = main_amounts(12_000, sum(provisional_amounts(60_000)))
    assert stage.amounts == (0, 0, 0) and stage.excess == 18_000


def test_first_year_half_ordinary_half_main():
    """The 倉敷市 rule on 年税額 45,300 (our numbers): 普通徴収 22,650 in 2 期 (1,000-yen unit:
    22,650 ÷ 2 = 11,325 → 11,000; 1st 期 22,650 − 11,000 = 11,650) and 本徴収 22,650 in 3
    (22,650 ÷ 3 = 7,550 → 7,500; October 22,650 − 15,000 = 7,650)."""
    split = first_year_split(45_300)
    assert split.ordinary == (11_650, 11_000)
    assert split.main == (7_650, 7_500, 7_500)


def test_payment_months_and_due_dates():
    assert [str(m) for m in payment_months(2025, Stage.PROVISIONAL)] == ["2025-04", "2025-06", "2025-08"]
    assert [str(m) for m in payment_months(2025, Stage.MAIN)] == ["2025-10", "2025-12", "2026-02"]
    assert pension_remittance_due(YearMonth(2026, 2)).isoformat() == "2026-03-10"


def test_stop_moves_the_payments_not_made_to_ordinary_collection():
    outcome = stop_outcome((14_983, 14_700, 14_700), 1)
    assert (outcome.withheld, outcome.ordinary) == (14_983, 29_400)
    with pytest.raises(InvalidInputError):
        stop_outcome((1, 2, 3), 4)


@given(previous=st.integers(0, 10_000_000), annual=st.integers(0, 10_000_000))
def test_the_year_always_collects_exactly_the_annual_tax_or_refunds_the_excess(previous, annual):
    prov = provisional_amounts(previous)
    main = main_amounts(annual, sum(prov))
    assert sum(prov) + sum(main.amounts) - main.excess == annual
    assert min(*prov, *main.amounts) >= 0
    assert main.excess == 0 or sum(main.amounts) == 0


@given(annual=st.integers(0, 10_000_000))
def test_first_year_split_conserves_the_annual_tax(annual):
    split = first_year_split(annual)
    assert sum(split.ordinary) + sum(split.main) == annual
