"""What the console normalises in typed input (shape only; values are the services' to judge)."""

from __future__ import annotations

import pytest
from osame_console.domain import forms


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("１，２３４円", 1234),
        ("¥12,000", 12000),
        (" 500 ", 500),
        ("", None),
        (None, None),
        ("12a", "12a"),
        ("-5", "-5"),
    ],
)
def test_amount(typed, expected):
    assert forms.amount(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("１０００１", "10001"), (" 42 ", "42"), ("1" * 16, None), ("12-3", None), ("", None)],
)
def test_addressee_id(typed, expected):
    assert forms.addressee_id(typed) == expected


def test_schedule_keeps_row_numbers_and_drops_trailing_blank_rows():
    form = {
        "schedule.0.due_on": "2026-08-10",
        "schedule.0.amount": "20,000",
        "schedule.2.due_on": "2026-10-10",
        "schedule.2.amount": "２００００",
    }
    assert forms.schedule(form, 6) == [
        {"due_on": "2026-08-10", "amount": 20000},
        {"due_on": None, "amount": None},  # kept: the service names row 2 as the person sees it
        {"due_on": "2026-10-10", "amount": 20000},
    ]
    assert forms.schedule({}, 6) == []
