"""Dates a person types, checked against the business date and the record's own dates (issue #12
defect 6: a write-off run dated 2036 wrote off a 2026 tax; a 執行停止 typed as 2020 on a 2026 tax
gave an instant write-off; a future batch date was accepted).

The business date is the server's calendar day in Asia/Tokyo (never a request field). A refusal
is a located reason code ``<field>:<rule>`` with no personal data.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")


def tokyo_today() -> date:
    """The business date: today in Asia/Tokyo, whatever the server's local zone."""
    return datetime.now(UTC).astimezone(TOKYO).date()


class DateRefused(ValueError):
    """A typed date that cannot be right; ``code`` is ``<field>:<rule>``."""

    def __init__(self, field: str, rule: str):
        super().__init__(f"{field}:{rule}")
        self.code = f"{field}:{rule}"


def not_after_business_date(field: str, value: date, business_date: date) -> None:
    """Nothing done by staff happens in the future."""
    if value > business_date:
        raise DateRefused(field, "after_business_date")


def not_before(field: str, value: date, other_field: str, other: date) -> None:
    """``value`` may not precede the record's own ``other`` date."""
    if value < other:
        raise DateRefused(field, f"before_{other_field}")


def planned_within(field: str, value: date, business_date: date, max_days: int) -> None:
    """A planned day (次回対応日, end of a 猶予) at most ``max_days`` after the business date."""
    if value > business_date + timedelta(days=max_days):
        raise DateRefused(field, "too_far_ahead")
