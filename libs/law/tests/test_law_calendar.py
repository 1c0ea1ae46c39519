"""閉庁日, 法20条の5② due-date shift and 民法143 month arithmetic."""

from datetime import date

import pytest
from osame_law.calendar import ONE_DAY, add_months_civil, days_inclusive, is_closed_day, shift_due_date

d = date.fromisoformat


@pytest.mark.parametrize(
    ("due", "first_month"),
    [
        pytest.param("2023-08-31", ("2023-09-01", "2023-09-30"), id="min143-due-8/31-first-month-9/1..9/30"),
        pytest.param("2025-09-01", ("2025-09-02", "2025-10-01"), id="min143-due-9/1-first-month-9/2..10/1"),
        pytest.param("2025-01-31", ("2025-02-01", "2025-02-28"), id="min143-due-1/31-first-month-2/1..2/28"),
        pytest.param(
            "2024-01-31", ("2024-02-01", "2024-02-29"), id="min143-due-1/31-leap-first-month-2/1..2/29"
        ),
        pytest.param("2025-05-01", ("2025-05-02", "2025-06-01"), id="min143-due-5/1-first-month-5/2..6/1"),
        pytest.param(
            "2025-06-02", ("2025-06-03", "2025-07-02"), id="min143-shifted-due-6/2-ends-7/2-not-6/30"
        ),
    ],
)
def test_first_month_follows_civil_code_143(due, first_month):
    start = d(due) + ONE_DAY
    assert (start.isoformat(), add_months_civil(start, 1).isoformat()) == first_month


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        pytest.param("2026-01-31", 1, "2026-02-28", id="min143-2-no-corresponding-day-month-end"),
        pytest.param("2025-03-31", 1, "2025-04-30", id="min143-2-no-4/31-month-end"),
        pytest.param("2025-03-30", 1, "2025-04-29", id="min143-2-day-before-corresponding-day"),
        pytest.param("2025-07-01", 3, "2025-09-30", id="min143-three-months-premium-tier"),
        pytest.param("2020-07-01", 60, "2025-06-30", id="min143-five-years"),
        pytest.param("2024-02-29", 60, "2029-02-28", id="min143-five-years-from-leap-day"),
        pytest.param("2025-12-15", 1, "2026-01-14", id="min143-across-new-year"),
    ],
)
def test_add_months_civil(start, months, end):
    assert add_months_civil(d(start), months) == d(end)


def test_add_months_civil_refuses_zero_months():
    with pytest.raises(ValueError):
        add_months_civil(d("2025-01-01"), 0)


@pytest.mark.parametrize(
    ("day", "closed"),
    [
        pytest.param("2026-01-03", True, id="rei6-18-new-year-1/3"),
        pytest.param("2025-12-29", True, id="rei6-18-year-end-12/29"),
        pytest.param("2025-12-26", False, id="friday-business-day"),
        pytest.param("2025-12-27", True, id="saturday"),
        pytest.param("2025-12-28", True, id="sunday"),
        pytest.param("2026-05-06", True, id="substitute-holiday-furikae"),
        pytest.param("2026-09-22", True, id="kokumin-no-kyujitsu-sandwiched-day"),
        pytest.param("2026-02-23", True, id="emperors-birthday"),
        pytest.param("2026-01-05", False, id="first-business-day-2026"),
    ],
)
def test_closed_days(day, closed):
    assert is_closed_day(d(day)) is closed


@pytest.mark.parametrize(
    ("due", "effective"),
    [
        pytest.param("2020-12-31", "2021-01-04", id="ho20-5-2-december-due-moves-to-4-january-yonezawa"),
        pytest.param("2025-12-31", "2026-01-05", id="ho20-5-2-12/31-to-monday-1/5-2026"),
        pytest.param("2025-05-31", "2025-06-02", id="ho20-5-2-saturday-to-monday"),
        pytest.param("2026-05-03", "2026-05-07", id="ho20-5-2-golden-week"),
        pytest.param("2025-12-25", "2025-12-25", id="ho20-5-2-business-day-unchanged"),
    ],
)
def test_shift_due_date(due, effective):
    assert shift_due_date(d(due)) == d(effective)
    assert shift_due_date(shift_due_date(d(due))) == d(effective)


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        pytest.param("2025-07-01", "2025-07-31", 31, id="july"),
        pytest.param("2024-01-01", "2024-12-31", 366, id="leap-year-has-366-days"),
        pytest.param("2025-07-02", "2025-07-01", 0, id="empty"),
    ],
)
def test_days_inclusive(start, end, days):
    assert days_inclusive(d(start), d(end)) == days


def test_warm_up_builds_the_holiday_calendar_around_today():
    """Services run it in a thread before consuming: the first build takes seconds of CPU, which
    on the event loop stalled every handler and probe (issue 14)."""
    from datetime import date

    from osame_law import calendar

    calendar._national_holidays.cache_clear()
    calendar.warm_up(date(2026, 7, 1))
    assert calendar._national_holidays.cache_info().currsize == 3
    hits = calendar._national_holidays.cache_info().hits
    assert calendar.is_national_holiday(date(2026, 7, 20))  # 海の日: served from the warm calendar
    assert calendar._national_holidays.cache_info().hits == hits + 1
