"""Rate table by calendar year (附則3条の2; domain-rules §1.3, §2.4)."""

from decimal import Decimal

import pytest
from osame_law.errors import InvalidInputError, RateNotAvailableError
from osame_law.rates import DEFAULT_RATES, RateRow, RateTable, Tier


@pytest.mark.parametrize(
    ("year", "low", "high", "refund", "postponement"),
    [
        pytest.param(2000, "4.5", "14.6", "4.5", None, id="fusoku3-2-2000"),
        pytest.param(2013, "4.3", "14.6", "4.3", None, id="fusoku3-2-2013"),
        pytest.param(2014, "2.9", "9.2", "1.9", "1.9", id="fusoku3-2-2014"),
        pytest.param(2016, "2.8", "9.1", "1.8", "1.8", id="fusoku3-2-2016"),
        pytest.param(2017, "2.7", "9.0", "1.7", "1.7", id="fusoku3-2-2017"),
        pytest.param(2019, "2.6", "8.9", "1.6", "1.6", id="fusoku3-2-2019-takaoka-page"),
        pytest.param(2021, "2.5", "8.8", "1.0", "1.0", id="fusoku3-2-2021"),
        pytest.param(2022, "2.4", "8.7", "0.9", "0.9", id="fusoku3-2-2022"),
        pytest.param(2024, "2.4", "8.7", "0.9", "0.9", id="fusoku3-2-2024"),
        pytest.param(2025, "2.4", "8.7", "0.9", "0.9", id="fusoku3-2-2025"),
        pytest.param(2026, "2.8", "9.1", "1.3", "1.3", id="fusoku3-2-2026"),
    ],
)
def test_rates_by_calendar_year(year, low, high, refund, postponement):
    rates = DEFAULT_RATES.for_year(year)
    assert rates.late_fee(Tier.FIRST) == Decimal(low)
    assert rates.late_fee(Tier.SECOND) == Decimal(high)
    assert rates.refund_interest == Decimal(refund)
    assert rates.postponement == (Decimal(postponement) if postponement else None)


def test_every_year_2000_to_2026_is_present():
    assert DEFAULT_RATES.first_year == 2000
    assert DEFAULT_RATES.last_year == 2026
    for year in range(2000, 2027):
        DEFAULT_RATES.for_year(year)


@pytest.mark.parametrize("year", [1999, 2027, 2091], ids=["before-table", "2027-not-announced", "typo-2091"])
def test_unknown_year_raises_clear_error(year):
    with pytest.raises(RateNotAvailableError, match=str(year)):
        DEFAULT_RATES.late_fee(year, Tier.FIRST)


def test_adding_a_year_is_a_data_change():
    row = RateRow(2027, 2027, Decimal("3.0"), Decimal("9.3"), Decimal("1.5"), Decimal("1.5"), "test")
    table = DEFAULT_RATES.with_rows(row)
    assert table.refund_interest(2027) == Decimal("1.5")
    assert table.late_fee(2026, Tier.SECOND) == Decimal("9.1")


@pytest.mark.parametrize(
    "row",
    [
        pytest.param(
            RateRow(2030, 2030, Decimal("7.4"), Decimal("9"), Decimal("1"), None, ""), id="low-above-7.3"
        ),
        pytest.param(
            RateRow(2030, 2030, Decimal("2"), Decimal("14.7"), Decimal("1"), None, ""), id="high-above-14.6"
        ),
        pytest.param(
            RateRow(2026, 2026, Decimal("2"), Decimal("9"), Decimal("1"), None, ""), id="duplicate-year"
        ),
    ],
)
def test_bad_rows_are_refused(row):
    with pytest.raises(InvalidInputError):
        DEFAULT_RATES.with_rows(row)


def test_empty_table_refused():
    with pytest.raises(InvalidInputError):
        RateTable([])
