"""猶予の取消し (法15条の3) and how far the 延滞金 exemption of the 猶予 days reaches (法15条の9①).

- **Ground** (法15条の3①; for 換価の猶予 on application 法15条の6の3② applies 15条の3① [H: the
  e-Gov text]; for 職権 換価の猶予 the parallel provision as we read it [L]): a 分割 amount not paid
  by its own 期限 (``分割納付の期限までに納付しない``) lets the mayor cancel the 猶予 — a
  discretionary decision ("取り消すことができる"), never automatic. The ground arises on the day
  after the missed 期限.
- **Exemption** (法15条の9①ただし書, parallel to 国税通則法63①ただし書 [H national / M local]):
  when the ground of a 取消し arises, the exemption for the days **from the day the ground arose**
  may be withheld ("免除しないことができる"). Without withholding, the 猶予 days up to the day
  before the cancellation stay exempt (the 猶予 ends the day before it is cancelled).

``last_exempt_day`` gives the last day the exemption still covers; the caller passes the result to
``osame_law.late_fee_exemptions`` as the end of the interval.
"""

from __future__ import annotations

from datetime import date, timedelta

from osame_law.errors import InvalidInputError


def ground_arises_on(missed_due_on: date) -> date:
    """The day a missed 分割 amount becomes a ground of 取消し: the day after its 期限."""
    return missed_due_on + timedelta(days=1)


def last_exempt_day(
    starts_on: date,
    ends_on: date,
    cancelled_on: date,
    ground_arose_on: date | None = None,
    withhold_from_ground: bool = True,
) -> date | None:
    """The last 猶予 day whose 延滞金 stays exempt after a 取消し on ``cancelled_on``.

    None when no day stays exempt (the ground arose on or before the first 猶予 day)."""
    if cancelled_on < starts_on or ends_on < starts_on:
        raise InvalidInputError("cancellation before the 猶予 started, or a period ending before it starts")
    last = min(ends_on, cancelled_on - timedelta(days=1))
    if withhold_from_ground and ground_arose_on is not None:
        last = min(last, ground_arose_on - timedelta(days=1))
    return last if last >= starts_on else None


__all__ = ["ground_arises_on", "last_exempt_day"]
