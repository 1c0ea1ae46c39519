"""Who may decide a refund, and which dates a person may give for it.

Separation of duties (職務分掌): a refund is prepared (起案) by one staff member and approved
(決裁, 支出決定) by a different one; both come from the verified token, never from a body.

Dates a person types (支出決定日, 還付請求日, transfer result day, …) are checked against the
server's business date and the record's own dates, and refused with a message naming the field
and the date it contradicts (practice F3/F4: a mistyped year changes interest and deadlines).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from osame_law.errors import ImplausibleDateError
from osame_law.plausibility import DateWindow, check_not_before

EARLIEST = dt.date(2000, 1, 1)  # older than any record this city migrates (a mistyped era lands before)
FUTURE_DAYS = 366  # the furthest a planned date (振込指定日) may lie ahead of the business date


class DutyError(ValueError):
    """The staff member may not do this step (message names the rule, never personal data)."""


def check_preparer(preparer: str | None) -> None:
    if not preparer:
        raise DutyError("the refund has not been prepared (起案) yet; a preparer must prepare it first")


def check_approver(preparer: str | None, approver: str) -> None:
    """The approver (決裁者) must be someone other than the preparer (起案者)."""
    check_preparer(preparer)
    if approver == preparer:
        raise DutyError(
            "the approver must be a different staff member from the preparer (separation of duties)"
        )


def check_staff_date(
    field: str,
    value: dt.date,
    business_date: dt.date,
    not_before: Iterable[tuple[str, dt.date | None]] = (),
) -> None:
    """`value` is not after the business date, not before 2000 and not before any of the record's
    own dates named in `not_before`. Raises ImplausibleDateError."""
    if value > business_date:
        raise ImplausibleDateError(
            f"{field} {value.isoformat()} is after the business date {business_date.isoformat()}"
        )
    DateWindow(EARLIEST, business_date).check(field, value)
    for other_field, other in not_before:
        if other is not None:
            check_not_before(field, value, other_field, other)


def check_future_date(field: str, value: dt.date, business_date: dt.date) -> None:
    """A date that must not be in the past (e.g. a 振込指定日): from the business date to a year ahead."""
    check_not_before(field, value, "the business date", business_date)
    DateWindow(business_date, business_date + dt.timedelta(days=FUTURE_DAYS)).check(field, value)
