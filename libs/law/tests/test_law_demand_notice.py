"""督促 deadline, day-10 rule and 督促手数料 (法329, 330, 331①一; domain-rules §3, §10.4)."""

from datetime import date, timedelta

import pytest
from osame_law.demand_notice import (
    TAKAOKA_DEMAND_FEE,
    DemandFeeRule,
    DemandFeeSchedule,
    day10_date,
    demand_cutoff,
    demand_notice_deadline,
    earliest_seizure_date,
    is_issued_in_time,
    last_due_date_dunnable,
)
from osame_law.errors import InvalidInputError, RateNotAvailableError

d = date.fromisoformat


@pytest.mark.parametrize(
    ("due", "deadline"),
    [
        pytest.param("2025-06-30", "2025-07-20", id="ho329-within-20-days-after-due"),
        pytest.param("2025-05-31", "2025-06-22", id="ho329-counted-from-shifted-due-6/2"),
        pytest.param("2025-12-25", "2026-01-14", id="ho329-across-new-year"),
    ],
)
def test_demand_notice_deadline(due, deadline):
    assert demand_notice_deadline(d(due)) == d(deadline)


def test_late_notice_reported_not_refused():
    assert is_issued_in_time(d("2025-06-30"), d("2025-07-20"))
    assert not is_issued_in_time(d("2025-06-30"), d("2025-07-21"))


@pytest.mark.parametrize(
    ("issued", "day10", "seizure"),
    [
        pytest.param("2025-10-01", "2025-10-11", "2025-10-12", id="ho331-1-i-rules-10.4-issued-10/1"),
        pytest.param("2025-12-25", "2026-01-04", "2026-01-05", id="ho331-1-i-across-new-year"),
    ],
)
def test_day10_rule(issued, day10, seizure):
    assert day10_date(d(issued)) == d(day10)
    assert earliest_seizure_date(d(issued)) == d(seizure)


@pytest.mark.parametrize(
    ("schedule", "issued", "fee"),
    [
        pytest.param(TAKAOKA_DEMAND_FEE, "2025-07-10", 100, id="ho330-takaoka-100-yen"),
        pytest.param(
            DemandFeeSchedule(
                "高萩市", (DemandFeeRule(d("2021-04-01"), 100), DemandFeeRule(d("2015-04-01"), 80))
            ),
            "2021-03-31",
            80,
            id="ho330-takahagi-80-before-2021-04",
        ),
        pytest.param(
            DemandFeeSchedule(
                "高萩市", (DemandFeeRule(d("2015-04-01"), 80), DemandFeeRule(d("2021-04-01"), 100))
            ),
            "2021-04-01",
            100,
            id="ho330-takahagi-100-from-2021-04",
        ),
        pytest.param(
            DemandFeeSchedule(
                "東根市", (DemandFeeRule(d("2015-04-01"), 70), DemandFeeRule(d("2025-04-01"), 0))
            ),
            "2025-04-01",
            0,
            id="ho330-higashine-abolished-zero-fee",
        ),
    ],
)
def test_demand_fee_by_issue_date(schedule, issued, fee):
    assert schedule.fee_on(d(issued)) == fee


def test_demand_fee_before_first_rule_raises():
    with pytest.raises(RateNotAvailableError, match="高岡市"):
        TAKAOKA_DEMAND_FEE.fee_on(d("2020-01-10"))


@pytest.mark.parametrize(
    "rules",
    [
        pytest.param((), id="empty"),
        pytest.param((DemandFeeRule(d("2020-01-01"), -100),), id="negative-fee"),
        pytest.param(
            (DemandFeeRule(d("2020-01-01"), 100), DemandFeeRule(d("2020-01-01"), 80)), id="same-date"
        ),
    ],
)
def test_bad_schedules(rules):
    with pytest.raises(InvalidInputError):
        DemandFeeSchedule("x", rules)


# 督促 data cut-off (issue #12 defect 2): N business days after the (shifted) 納期限, closed days skipped
@pytest.mark.parametrize(
    ("due", "days", "cutoff"),
    [
        ("2026-06-30", 0, "2026-06-30"),  # Tue: no allowance
        ("2026-06-30", 3, "2026-07-03"),  # Wed, Thu, Fri
        ("2026-07-03", 1, "2026-07-06"),  # Fri → Mon
        ("2026-12-28", 3, "2027-01-06"),  # 年末年始 12/29–1/3 closed: Mon 1/4, Tue 1/5, Wed 1/6
        ("2026-05-02", 1, "2026-05-08"),  # Sat 納期限 → shifted past Golden Week to Thu 5/7, then Fri 5/8
    ],
)
def test_demand_cutoff(due, days, cutoff):
    assert demand_cutoff(date.fromisoformat(due), days) == date.fromisoformat(cutoff)


def test_cutoffs_up_to_eight_business_days_keep_the_20_day_limit_of_law_329():
    for offset in range(731):
        due = date(2026, 1, 1) + timedelta(days=offset)
        assert demand_cutoff(due, 8) < demand_notice_deadline(due)


def test_last_due_date_dunnable_is_the_latest_due_past_its_cutoff():
    batch = date(2026, 7, 6)  # Mon
    last = last_due_date_dunnable(batch, 3)
    assert demand_cutoff(last, 3) < batch <= demand_cutoff(last + timedelta(days=1), 3)
    assert last == date(2026, 6, 30)
