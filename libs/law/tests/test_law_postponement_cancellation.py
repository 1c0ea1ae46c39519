"""猶予の取消し: the ground of a missed 分割 amount (法15条の3①) and the end of the 延滞金
exemption (法15条の9①ただし書; 国税通則法63①ただし書 parallel)."""

from datetime import date

import pytest
from osame_law.errors import InvalidInputError
from osame_law.postponement_cancellation import ground_arises_on, last_exempt_day

D = date


@pytest.mark.parametrize(
    ("missed", "arises"),
    [(D(2026, 5, 31), D(2026, 6, 1)), (D(2026, 12, 31), D(2027, 1, 1)), (D(2028, 2, 28), D(2028, 2, 29))],
)
def test_ground_arises_the_day_after_the_missed_deadline(missed, arises):
    assert ground_arises_on(missed) == arises


@pytest.mark.parametrize(
    ("case", "cancelled", "ground", "withhold", "expected"),
    [
        # 猶予 2026-04-01..2027-03-31, 分割 of 05-31 missed, 取消 decided 07-10
        (
            "withheld from the ground: exempt through the missed 期限",
            D(2026, 7, 10),
            D(2026, 6, 1),
            True,
            D(2026, 5, 31),
        ),
        (
            "not withheld: exempt to the day before the 取消",
            D(2026, 7, 10),
            D(2026, 6, 1),
            False,
            D(2026, 7, 9),
        ),
        ("no ground named (other 取消 grounds): the day before", D(2026, 7, 10), None, True, D(2026, 7, 9)),
        ("cancelled after the end: the end", D(2027, 5, 1), None, True, D(2027, 3, 31)),
        ("ground on the first day: nothing exempt", D(2026, 4, 20), D(2026, 4, 1), True, None),
        ("cancelled on the first day: nothing exempt", D(2026, 4, 1), None, True, None),
    ],
)
def test_last_exempt_day(case, cancelled, ground, withhold, expected):
    assert last_exempt_day(D(2026, 4, 1), D(2027, 3, 31), cancelled, ground, withhold) == expected, case


def test_cancellation_before_the_start_is_refused():
    with pytest.raises(InvalidInputError):
        last_exempt_day(D(2026, 4, 1), D(2027, 3, 31), D(2026, 3, 1))
