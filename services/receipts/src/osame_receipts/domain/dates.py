"""Plausibility of the dates a person or a file gives receipts (領収日, 収入日, 振替日, …).

The business date (業務日) is the server's, in Asia/Tokyo (`UnitOfWork.today()`), never a request
field (F9/F10: a file built for last year's date). Every supplied date is checked against it and
against the record's own dates; an implausible one is refused with a message naming the field and
the date it contradicts (practice F3/F4: a mistyped year or era moves money to the wrong day).
The window primitives are `osame_law.plausibility` (one home for the rule).

- 領収日 (paid_on): not after the business date (money is not received in the future), not more
  than `PAST_YEARS` before it (older money is past 時効, 法18条, and a mistyped era lands there).
- 収入日 (booked_on): not before the 領収日 and at most `BOOKING_LAG_DAYS` after it (a コンビニ
  振込予定日 lies a few weeks ahead; a bank 収入日 the same or next business day).
- 振替日 (debit date of a result file): not after the business date (a bank cannot answer a debit
  that has not happened).
- A staff date on a record (証券 cleared / 不渡, 解約日): not after the business date and not before
  the record's own date (受領日, 申込日).
"""

from __future__ import annotations

import datetime as dt

from osame_law.errors import ImplausibleDateError
from osame_law.plausibility import DateWindow, check_not_before

PAST_YEARS = 5  # 地方税法18条: older money is past the limitation period
BOOKING_LAG_DAYS = 62  # 収入日 at most two months after the 領収日 (コンビニ 振込予定日 ≈ 2–4 weeks)
FUTURE_DAYS = 366  # a planned date (開始日 of a 口座振替) at most a year ahead


def earliest(business_date: dt.date) -> dt.date:
    try:
        return business_date.replace(year=business_date.year - PAST_YEARS)
    except ValueError:  # 29 February
        return business_date.replace(year=business_date.year - PAST_YEARS, day=28)


def check_past(field: str, value: dt.date, business_date: dt.date) -> None:
    """A date that already happened: not after the business date, not older than PAST_YEARS."""
    if value > business_date:
        raise ImplausibleDateError(
            f"{field} {value.isoformat()} is after the business date {business_date.isoformat()}"
        )
    DateWindow(earliest(business_date), business_date).check(field, value)


def check_receipt_dates(
    paid_on: dt.date,
    booked_on: dt.date,
    business_date: dt.date,
    *,
    paid_field: str = "paid_on",
    booked_field: str = "booked_on",
) -> None:
    """領収日 and 収入日 of one payment (see the module docstring). Raises ImplausibleDateError."""
    check_past(paid_field, paid_on, business_date)
    check_not_before(booked_field, booked_on, paid_field, paid_on)
    latest = paid_on + dt.timedelta(days=BOOKING_LAG_DAYS)
    if booked_on > latest:
        raise ImplausibleDateError(
            f"{booked_field} {booked_on.isoformat()} is more than {BOOKING_LAG_DAYS} days after "
            f"{paid_field} {paid_on.isoformat()}"
        )


def check_record_date(
    field: str, value: dt.date, business_date: dt.date, *, not_before: tuple[str, dt.date] | None = None
) -> None:
    """A staff date on an existing record: in the past window and not before the record's own date."""
    check_past(field, value, business_date)
    if not_before is not None:
        check_not_before(field, value, *not_before)


def check_planned(field: str, value: dt.date, business_date: dt.date) -> None:
    """A date that may lie ahead (開始日): within PAST_YEARS before to FUTURE_DAYS after the business date."""
    DateWindow(earliest(business_date), business_date + dt.timedelta(days=FUTURE_DAYS)).check(field, value)
