"""時効 clock with 更新 and 催告 suspension (法18, 18条の2, 民法148/150/152; domain-rules §4.4, §8.6, §10.4)."""

from datetime import date

import pytest
from osame_law.limitation_clock import LimitationEvent, LimitationEventKind, limitation_clock

d = date.fromisoformat
K = LimitationEventKind


def ev(kind, on, until=None):
    return LimitationEvent(kind, d(on), d(until) if until else None)


@pytest.mark.parametrize(
    ("due", "events", "starts", "ends", "suspended"),
    [
        pytest.param("2020-06-30", [], "2020-07-01", "2025-06-30", None, id="no-events-five-years"),
        pytest.param(
            "2020-06-30",
            [ev(K.DEMAND, "2020-07-15")],
            "2020-07-26",
            "2025-07-25",
            None,
            id="demand-restarts-after-day-10",
        ),
        pytest.param(
            "2020-06-30",
            [ev(K.SEIZURE, "2023-02-10", until="2023-02-10")],
            "2023-02-11",
            "2028-02-10",
            None,
            id="seizure-ended-the-same-day-restarts-next-day",
        ),
        pytest.param(
            "2020-06-30",
            [ev(K.ACKNOWLEDGEMENT, "2024-01-31")],
            "2024-02-01",
            "2029-01-31",
            None,
            id="partial-payment-acknowledgement-restarts",
        ),
        pytest.param(
            "2020-06-30",
            [ev(K.CLAIM_FILING, "2021-05-20", until="2021-05-20")],
            "2021-05-21",
            "2026-05-20",
            None,
            id="claim-filing-ended-the-same-day-restarts",
        ),
        pytest.param(
            "2020-06-30",
            [ev(K.REMINDER, "2025-03-10")],
            "2020-07-01",
            "2025-09-10",
            "2025-03-10",
            id="first-reminder-suspends-six-months",
        ),
        pytest.param(
            "2020-06-30",
            [ev(K.REMINDER, "2025-03-10"), ev(K.REMINDER, "2025-08-01")],
            "2020-07-01",
            "2025-09-10",
            "2025-03-10",
            id="second-reminder-during-suspension-no-effect",
        ),
        pytest.param(
            "2020-06-30",
            [ev(K.REMINDER, "2022-03-10")],
            "2020-07-01",
            "2025-06-30",
            None,
            id="early-reminder-ends-before-the-period-does-nothing",
        ),
        pytest.param(
            "2020-06-30",
            [ev(K.REMINDER, "2025-03-10"), ev(K.ACKNOWLEDGEMENT, "2025-08-01")],
            "2025-08-02",
            "2030-08-01",
            None,
            id="acknowledgement-during-suspension-restarts",
        ),
        pytest.param(
            "2020-06-30",
            [ev(K.ACKNOWLEDGEMENT, "2025-07-01")],
            "2020-07-01",
            "2025-06-30",
            None,
            id="payment-after-extinction-does-not-revive",
        ),
        pytest.param(
            "2020-06-30",
            [ev(K.ACKNOWLEDGEMENT, "2024-01-31"), ev(K.DEMAND, "2020-07-15")],
            "2024-02-01",
            "2029-01-31",
            None,
            id="events-in-any-order",
        ),
    ],
)
def test_limitation_clock(due, events, starts, ends, suspended):
    clock = limitation_clock(d(due), events)
    assert (clock.starts_on, clock.ends_on) == (d(starts), d(ends))
    assert clock.suspended_by_reminder_on == (d(suspended) if suspended else None)
    assert clock.is_extinguished(clock.extinguished_on) and not clock.is_extinguished(clock.ends_on)


@pytest.mark.parametrize(
    ("events", "starts", "ends", "in_force_since"),
    [
        # 民法148①: completion suspended while the 差押 is in force, however long (issue #12 defect 5)
        pytest.param([ev(K.SEIZURE, "2023-02-10")], "2020-07-01", None, "2023-02-10", id="seizure-in-force"),
        pytest.param(
            [ev(K.CLAIM_FILING, "2024-05-01")], "2020-07-01", None, "2024-05-01", id="claim-filing-in-force"
        ),
        # 民法148②: the period restarts from the day after the procedure ends (解除 / 配当)
        pytest.param(
            [ev(K.SEIZURE, "2023-02-10", until="2031-03-31")],
            "2031-04-01",
            "2036-03-31",
            None,
            id="seizure-ended-restarts-from-its-end",
        ),
        pytest.param(
            [ev(K.CLAIM_FILING, "2025-06-01", until="2025-09-30")],
            "2025-10-01",
            "2030-09-30",
            None,
            id="claim-filing-ended-restarts-from-its-end",
        ),
        # one ended, another still in force: still suspended
        pytest.param(
            [ev(K.SEIZURE, "2023-02-10", until="2023-08-31"), ev(K.SEIZURE, "2024-01-10")],
            "2023-09-01",
            None,
            "2024-01-10",
            id="second-seizure-in-force",
        ),
        # a seizure after the right was extinguished revives nothing (法18②)
        pytest.param([ev(K.SEIZURE, "2025-07-01")], "2020-07-01", "2025-06-30", None, id="seizure-too-late"),
    ],
)
def test_procedure_in_force_suspends_completion(events, starts, ends, in_force_since):
    clock = limitation_clock(d("2020-06-30"), events)
    assert clock.starts_on == d(starts)
    assert clock.ends_on == (d(ends) if ends else None)
    assert clock.suspended_by_procedure_since == (d(in_force_since) if in_force_since else None)
    if ends is None:
        assert clock.extinguished_on is None and not clock.is_extinguished(date(2099, 12, 31))


def test_only_a_procedure_ends_and_not_before_it_began():
    with pytest.raises(ValueError):
        LimitationEvent(K.DEMAND, d("2023-01-01"), d("2023-02-01"))
    with pytest.raises(ValueError):
        LimitationEvent(K.SEIZURE, d("2023-01-01"), d("2022-12-31"))
