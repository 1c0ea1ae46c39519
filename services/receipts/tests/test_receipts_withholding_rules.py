"""給与特別徴収 ledger rules (domain/withholding.py), table-driven; design note §3, 法321条の5.

Worked examples: three employees A (8,700/month), B (7,900), C (5,000) of one 義務者; the 納入 of
June is 21,600 when everybody is paid in full.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from osame_law.special_collection import YearMonth
from osame_receipts.domain.withholding import (
    Line,
    OpenMonth,
    after_separation,
    apply_listed,
    fill,
    installment_no,
    month_of,
    rewrite_from,
)

A, B, C = "T2026-0001", "T2026-0002", "T2026-0003"


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        (YearMonth(2026, 6), 1),  # 法321条の5①: June is the first 徴収月
        (YearMonth(2026, 12), 7),
        (YearMonth(2027, 1), 8),
        (YearMonth(2027, 5), 12),  # May of the next year is the last
    ],
)
def test_installment_number_of_a_collection_month(month, expected):
    assert installment_no(2026, month) == expected
    assert month_of(2026, expected) == month


MONTHLY = [1_300, *[1_200] * 11]  # 14,500: the part under 100 yen goes to June (法321条の5①)


@pytest.mark.parametrize(
    ("current", "incoming", "first", "expected"),
    [
        # 税額変更 from September (index 3): June..August keep the ledger's amounts
        (MONTHLY, [9_999] * 3 + [800] * 9, 3, MONTHLY[:3] + [800] * 9),
        # a change that overtook its 決定 (no ledger yet): the message's own earlier months
        (None, [500] * 12, 5, [500] * 12),
        # from June: everything rewritten (a 決定 with a higher revision)
        (MONTHLY, [1_000] * 12, 0, [1_000] * 12),
    ],
)
def test_change_rewrites_months_from_changed_from(current, incoming, first, expected):
    assert rewrite_from(current, incoming, first) == expected


@pytest.mark.parametrize(
    ("last", "lump", "at", "expected"),
    [
        # 退職 in October (index 4): October is still withheld, nothing after (法321条の5②)
        (4, 0, None, MONTHLY[:5] + [0] * 7),
        # 退職 in January with a 一括徴収 of the remaining 4 × 1,200 in January (ただし書)
        (7, 4 * 1_200, 7, MONTHLY[:7] + [1_200 + 4_800] + [0] * 4),
        # event in May: nothing left
        (11, 0, None, MONTHLY),
    ],
)
def test_separation_zeroes_later_months_and_adds_the_lump_sum(last, lump, at, expected):
    assert after_separation(MONTHLY, last, lump, at) == expected


def months(*owed):
    return [OpenMonth(n, 1, o) for n, o in owed]


@pytest.mark.parametrize(
    ("amount", "open_months", "expected"),
    [
        # exact: each employee's 月割額 in 通知書番号 order (the input order does not matter)
        (
            21_600,
            months((C, 5_000), (A, 8_700), (B, 7_900)),
            [Line(1, A, 1, 8_700, 8_700, 0), Line(2, B, 1, 7_900, 7_900, 0), Line(3, C, 1, 5_000, 5_000, 0)],
        ),
        # short by 6,000: the last-filled employee (C) is unpaid, B partly paid (§3 rule 4)
        (
            15_600,
            months((A, 8_700), (B, 7_900), (C, 5_000)),
            [Line(1, A, 1, 8_700, 8_700, 0), Line(2, B, 1, 6_900, 6_900, 0)],
        ),
        # over by 400: the 義務者's 過納 on the last line (§3 rule 3)
        (
            22_000,
            months((A, 8_700), (B, 7_900), (C, 5_000)),
            [
                Line(1, A, 1, 8_700, 8_700, 0),
                Line(2, B, 1, 7_900, 7_900, 0),
                Line(3, C, 1, 5_400, 5_000, 400),
            ],
        ),
        # a second payment continues the fill: A and B already paid
        (5_000, months((A, 0), (B, 0), (C, 5_000)), [Line(3, C, 1, 5_000, 5_000, 0)]),
        # everything already paid: all of it is 過納, on the last line
        (3_000, months((A, 0), (B, 0)), [Line(2, B, 1, 3_000, 0, 3_000)]),
        # nobody to pay: no lines (the import holds the money)
        (3_000, [], []),
    ],
)
def test_fill_without_a_listing(amount, open_months, expected):
    assert fill(amount, open_months) == expected


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # as listed: A pays 8,700, B pays 7,000 of 7,900 (short by 900 for B only)
        (
            [(months((A, 8_700)), 8_700), (months((B, 7_900)), 7_000)],
            [Line(1, A, 1, 8_700, 8_700, 0, True), Line(2, B, 1, 7_000, 7_000, 0, True)],
        ),
        # A's line above its 月割額: 300 is A's 過納, B untouched by it (per employee)
        (
            [(months((A, 8_700)), 9_000), (months((B, 7_900)), 7_900)],
            [Line(1, A, 1, 9_000, 8_700, 300, True), Line(2, B, 1, 7_900, 7_900, 0, True)],
        ),
        # 納期の特例: one row over the employee's six months, filled in order
        (
            [([OpenMonth(A, n, 1_000) for n in range(1, 7)], 6_500)],
            [Line(n, A, n, 1_000, 1_000, 0, True) for n in range(1, 6)]
            + [Line(6, A, 6, 1_500, 1_000, 500, True)],
        ),
    ],
)
def test_listing_rows_go_to_their_employee(rows, expected):
    assert apply_listed(rows) == expected


owed_lists = st.lists(st.integers(0, 20_000), min_size=0, max_size=8)


@given(st.integers(0, 200_000), owed_lists)
def test_fill_conserves_money_and_never_overfills(amount, owed):
    open_months = [OpenMonth(f"N{i:03d}", 1, o) for i, o in enumerate(owed)]
    lines = fill(amount, open_months)
    if not open_months or amount == 0:
        assert lines == []
        return
    assert sum(line.amount for line in lines) == amount
    assert all(line.applied + line.overpaid == line.amount for line in lines)
    by_notice = {m.notice_number: m.owed for m in open_months}
    assert all(0 <= line.applied <= by_notice[line.notice_number] for line in lines)
    # 過納 only once every month is full
    if any(line.overpaid for line in lines):
        assert sum(line.applied for line in lines) == sum(owed)
