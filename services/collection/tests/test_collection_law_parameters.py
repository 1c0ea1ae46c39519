"""Law as versioned data (issue #12 B7, ``domain.law_parameters``): the row in force on a day, a
loaded row replacing the built-in one of the same date, and the checks made on load — 法329①'s
20 days for the 督促 cut-off, 法17条の2③ for the 充当 order."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_collection.domain import law_parameters as lp

D = dt.date
ORDER_LATE_FIRST = {
    "kind_order": ["disposition_cost", "principal_tax", "additional_tax", "late_fee", "demand_fee"],
    "group_order": "oldest_first",
}


def test_the_row_in_force_is_the_latest_effective_one():
    loaded = [
        lp.ParameterRow(lp.DEMAND_CUTOFF, D(2027, 4, 1), 5, "要領 R9"),
        lp.ParameterRow(lp.APPROPRIATION_ORDER, D(2027, 4, 1), ORDER_LATE_FIRST, "規則 R9"),
        lp.ParameterRow(lp.REMINDER_DEADLINE, lp.EPOCH, 10, "要領 (replaces the built-in row)"),
    ]
    params = lp.LawParameters.of(lp.built_in(3), loaded)
    assert [params.cutoff_days(d) for d in (D(2027, 3, 31), D(2027, 4, 1))] == [3, 5]
    assert [params.fee_first(d) for d in (D(2027, 3, 31), D(2027, 4, 1))] == [True, False]
    assert params.reminder_deadline_days(D(2026, 1, 1)) == 10
    with pytest.raises(lp.ParameterRefused):
        params.on(lp.DEMAND_CUTOFF, D(1999, 12, 31))


@pytest.mark.parametrize(
    ("name", "value", "ok"),
    [
        (lp.DEMAND_CUTOFF, 0, True),
        (lp.DEMAND_CUTOFF, 8, True),  # the 20 days of 法329① still hold for every 納期限 of 2026–2027
        (lp.DEMAND_CUTOFF, 14, False),  # 14 business days pass 20 calendar days
        (lp.DEMAND_CUTOFF, -1, False),
        (lp.DEMAND_CUTOFF, "3", False),
        (lp.REMINDER_DEADLINE, 14, True),
        (lp.REMINDER_DEADLINE, 61, False),
        (lp.APPROPRIATION_ORDER, ORDER_LATE_FIRST, True),
        (
            lp.APPROPRIATION_ORDER,
            {**ORDER_LATE_FIRST, "kind_order": ORDER_LATE_FIRST["kind_order"][:4]},
            False,
        ),
        (
            lp.APPROPRIATION_ORDER,
            {"kind_order": list(reversed(ORDER_LATE_FIRST["kind_order"]))},
            False,
        ),  # 17条の2③
        ("unknown", 1, False),
    ],
)
def test_rows_are_checked_against_the_law(name, value, ok):
    row = lp.ParameterRow(name, D(2026, 1, 1), value, "test")
    if ok:
        lp.check(row)
    else:
        with pytest.raises(lp.ParameterRefused):
            lp.check(row)
