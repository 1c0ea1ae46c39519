"""時効 (法18①, 18条の2; domain-rules §4.4, §10.4)."""

from datetime import date, timedelta

import pytest
from osame_law.limitation import limitation_period, restarted_by_demand

d = date.fromisoformat


@pytest.mark.parametrize(
    ("due", "starts", "ends"),
    [
        pytest.param("2020-06-30", "2020-07-01", "2025-06-30", id="ho18-1-five-years-from-day-after-due"),
        pytest.param("2024-03-31", "2024-04-02", "2029-04-01", id="ho18-1-due-on-sunday-shifted"),
        pytest.param("2024-02-28", "2024-02-29", "2029-02-28", id="ho18-1-min143-2-from-leap-day"),
    ],
)
def test_limitation_period(due, starts, ends):
    period = limitation_period(d(due))
    assert (period.starts_on, period.ends_on) == (d(starts), d(ends))
    assert period.extinguished_on == d(ends) + timedelta(days=1)
    assert not period.is_extinguished(d(ends))
    assert period.is_extinguished(period.extinguished_on)


def test_unshifted_statutory_due_date():
    period = limitation_period(d("2024-03-31"), shift_due_date_for_holidays=False)
    assert period.starts_on == d("2024-04-01")


def test_ho18_2_rules_10_4_demand_restarts_period_issued_10_1_from_10_12():
    period = restarted_by_demand(d("2025-10-01"))
    assert period.starts_on == d("2025-10-12")
    assert period.ends_on == d("2030-10-11")
