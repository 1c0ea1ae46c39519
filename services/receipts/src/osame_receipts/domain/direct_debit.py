"""口座振替 (direct_debit) rules: when a request may be built, mandate lifecycle, result codes.

Incidents guarded against (practice.md §3): F9 三笠市 built the request from last year's data;
F10 松浦市 debited 978 accounts 18 days early while re-running old failures. So a request is
refused for a 引落日 in the past (or today: the bank needs the file before the day), for a
closed day (the bank would move it), and for a fiscal year other than the current cycle.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from osame_law.calendar import is_closed_day

# 振替結果コード → reason (interfaces.md §1.2); unknown codes are "other / manual review".
RESULT_REASONS = {
    "0": "debited",
    "1": "insufficient_funds",
    "2": "no_account",
    "3": "stopped_by_payer",
    "4": "no_mandate",
    "8": "stopped_by_creditor",
    "9": "other",
}
MANDATE_STOPPING_CODES = frozenset({"3", "4", "8"})


class DebitRequestRefused(ValueError):
    """Building this request would repeat F9/F10; the message names the rule, never a person."""


def fiscal_year_of(day: dt.date) -> int:
    """会計年度: April to March."""
    return day.year if day.month >= 4 else day.year - 1


def check_request(debit_date: dt.date, fiscal_year: int, today: dt.date) -> None:
    if debit_date <= today:
        raise DebitRequestRefused(f"引落日 {debit_date.isoformat()} is not after today (F10)")
    if is_closed_day(debit_date):
        raise DebitRequestRefused(f"引落日 {debit_date.isoformat()} is a closed day")
    current = fiscal_year_of(today)
    if fiscal_year != current:
        raise DebitRequestRefused(f"fiscal year {fiscal_year} is not the current cycle {current} (F9)")
    if fiscal_year_of(debit_date) not in (current, current + 1):
        raise DebitRequestRefused(f"引落日 {debit_date.isoformat()} is outside the current cycle (F9)")


@dataclass(frozen=True)
class MandateTerms:
    """口座振替依頼: 申込日, 開始日, 解約日 and 停止 (after result codes 3/4/8 or by an operator)."""

    applied_on: dt.date
    starts_on: dt.date
    cancelled_on: dt.date | None = None
    stopped_on: dt.date | None = None

    def active_on(self, day: dt.date) -> bool:
        if day < self.starts_on:
            return False
        if self.cancelled_on is not None and day >= self.cancelled_on:
            return False
        return self.stopped_on is None or day < self.stopped_on


def check_mandate(terms: MandateTerms) -> None:
    if terms.starts_on < terms.applied_on:
        raise ValueError("開始日 cannot be before 申込日")
    if terms.cancelled_on is not None and terms.cancelled_on < terms.applied_on:
        raise ValueError("解約日 cannot be before 申込日")


def new_code(first_debit_done: bool) -> str:
    """新規コード: 1 for the first debit on a mandate (第1回引落分), else 0."""
    return "0" if first_debit_done else "1"


def stops_mandate(result_code: str) -> bool:
    return result_code in MANDATE_STOPPING_CODES


def failure_reason(result_code: str) -> str:
    return RESULT_REASONS.get(result_code, "other")


# The account a 種別91 record names, field by field (全銀 names, as in the located errors).
ACCOUNT_FIELDS = (
    ("bank_code", "引落銀行番号", 4),
    ("branch_code", "引落支店番号", 3),
    ("account_type", "預金種目", 1),
    ("account_number", "口座番号", 7),
)


def account_mismatch(requested, answered) -> str | None:
    """The first account field (銀行コード, 支店コード, 預金種目, 口座番号) where a result record differs
    from the request record it answers, or None when they agree. A bank answers the record it was
    sent, so a difference means the record is not the answer to our request (another file, a
    bank-side error): its money is held, never applied (practice.md §3, defect 6's class)."""
    for attr, name, width in ACCOUNT_FIELDS:
        if str(getattr(requested, attr)).strip().zfill(width) != str(getattr(answered, attr)).strip().zfill(
            width
        ):
            return name
    return None
