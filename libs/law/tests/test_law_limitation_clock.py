"""時効 clock with 更新 and 催告 suspension (法18, 18条の2, 民法148/150/152; domain-rules §4.4, §8.6, §10.4)."""

from datetime import date

import pytest
from osame_law.limitation_clock import LimitationEvent, LimitationEventKind, limitation_clock

d = date.fromisoformat
K = LimitationEventKind


def ev(kind, on):
    return LimitationEvent(kind, d(on))


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
            [ev(K.SEIZURE, "2023-02-10")],
            "2023-02-11",
            "2028-02-10",
            None,
            id="seizure-restarts-next-day",
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
            [ev(K.CLAIM_FILING, "2021-05-20")],
            "2021-05-21",
            "2026-05-20",
            None,
            id="claim-filing-restarts",
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
