"""給与特別徴収 ledger rules: an employee's 12 月割額 as 期別 1..12, and one 納入 split per employee.

A 特別徴収 account is (指定番号, 年度). Each employee (通知書番号) has 12 installments, 期別 1 =
June … 12 = May (法321条の5①); the payer of them is the 特別徴収義務者. The rules here are pure:

- ``installment_no`` / ``month_of``: 徴収月 ↔ 期別 (June = 1).
- ``rewrite_from``: 税額変更 (``changed.v1``) rewrites the months from ``changed_from`` on; earlier
  months keep their amounts (docs/design/special-collection.md §3).
- ``after_separation``: 異動 (法321条の5②): the 義務者 withholds the month of the event, then
  nothing; a 一括徴収 (法321条の5② ただし書) is added to the month it is withheld.
- ``fill``: a 納入 without a per-employee listing fills each employee's expected 月割額 of the
  納入's months in 通知書番号 order (then month order); what is left after every month is filled
  is the 義務者's 過納 on the last line; what is missing leaves the last lines partly paid (§3).
- ``apply_listed``: a listing row goes to its employee's month(s) of the 納入 as listed; above
  what is owed the excess is that employee's 過納 (§3 "over/under per employee").

Money is conserved by construction: Σ line amounts = the money given (tests check it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from osame_law.special_collection import YearMonth, collection_months

MONTHS = 12


def installment_no(fiscal_year: int, month: YearMonth) -> int:
    """期別 of a 徴収月: June of ``fiscal_year`` = 1 … May of the next = 12."""
    return collection_months(fiscal_year).index(month) + 1


def month_of(fiscal_year: int, installment: int) -> YearMonth:
    return collection_months(fiscal_year)[installment - 1]


def parse_month(text: str) -> YearMonth:
    """``YYYY-MM`` (the contracts' YearMonth) as a law ``YearMonth``."""
    year, month = text.split("-")
    return YearMonth(int(year), int(month))


def rewrite_from(current: Sequence[int] | None, incoming: Sequence[int], first: int) -> list[int]:
    """The 12 月割額 after a change from index ``first`` (0 = June): earlier months keep the ledger's
    amounts (or the message's, when the ledger has none yet: a change that overtook its 決定)."""
    if len(incoming) != MONTHS or (current is not None and len(current) != MONTHS):
        raise ValueError("a 特別徴収 schedule has 12 monthly amounts")
    kept = list(current) if current is not None else list(incoming)
    return kept[:first] + list(incoming[first:])


def after_separation(
    current: Sequence[int], last_withheld: int, lump_sum: int = 0, lump_sum_at: int | None = None
) -> list[int]:
    """月割額 after 異動: months after index ``last_withheld`` become 0 (法321条の5②), and a 一括徴収
    ``lump_sum`` is added to index ``lump_sum_at`` (法321条の5② ただし書)."""
    amounts = [a if i <= last_withheld else 0 for i, a in enumerate(current)]
    if lump_sum:
        if lump_sum_at is None:
            raise ValueError("a lump sum needs the month it is withheld")
        amounts[lump_sum_at] += lump_sum
    return amounts


@dataclass(frozen=True)
class OpenMonth:
    """One employee-month of the 納入 with what is still owed on it."""

    notice_number: str
    installment_no: int
    owed: int


@dataclass(frozen=True)
class Line:
    """One part of a 納入 booked on an employee-month: ``amount`` = ``applied`` + ``overpaid``.

    ``seq`` is the line's place in the fill order (recorded: the split is reproducible)."""

    seq: int
    notice_number: str
    installment_no: int
    amount: int
    applied: int
    overpaid: int
    listed: bool = False


def fill(amount: int, months: Sequence[OpenMonth]) -> list[Line]:
    """§3 rules 2–4: ``amount`` over ``months`` in 通知書番号, then 期別 order; the rest after every
    month is filled is a 過納 of the 義務者 on the last line. No months: no lines (the caller holds
    the money)."""
    if amount < 0:
        raise ValueError("a 納入 amount is not negative")
    ordered = sorted(months, key=lambda m: (m.notice_number, m.installment_no))
    if not ordered or amount == 0:
        return []
    lines: list[Line] = []
    left = amount
    for seq, month in enumerate(ordered, 1):
        take = min(left, max(month.owed, 0))
        left -= take
        last = seq == len(ordered)
        if take or (last and left):
            lines.append(Line(seq, month.notice_number, month.installment_no, take, take, 0))
    if left:
        end = lines[-1]
        lines[-1] = Line(end.seq, end.notice_number, end.installment_no, end.amount + left, end.applied, left)
    return lines


def apply_listed(rows: Sequence[tuple[Sequence[OpenMonth], int]]) -> list[Line]:
    """§3 rule 1: each listing row (one employee's months of the 納入, amount) goes to that
    employee as listed: its months filled in order, the excess that employee's 過納 on its last
    month, a shortfall left unpaid on it ("over/under per employee"). ``seq`` runs over the rows."""
    lines: list[Line] = []
    for months, amount in rows:
        for line in fill(amount, months):
            lines.append(replace(line, seq=len(lines) + 1, listed=True))
    return lines
