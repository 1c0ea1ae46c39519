"""分納誓約 (installment pledge) and 履行監視 (fulfilment monitoring).

A pledge is an administrative arrangement (domain-rules §5.2), not a 猶予: 延滞金 keeps accruing
and the signed pledge is an acknowledgement (承認) that restarts the limitation period.
履行監視: a pledge is breached when, ``grace_days`` after a scheduled payment's due day, the money
received since signing is less than the cumulative pledged amount due by that day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class ScheduledPayment:
    due_on: date
    amount: int


@dataclass(frozen=True)
class Breach:
    missed_due_on: date
    shortfall: int


def validate_schedule(schedule: list[ScheduledPayment], signed_on: date) -> None:
    if not schedule:
        raise ValueError("a pledge needs at least one scheduled payment")
    days = [p.due_on for p in schedule]
    if days != sorted(days) or len(set(days)) != len(days):
        raise ValueError("scheduled payments must have distinct due days in order")
    if days[0] < signed_on:
        raise ValueError("the first scheduled payment is before the signing day")
    if any(p.amount <= 0 for p in schedule):
        raise ValueError("every scheduled payment must be a positive amount")


def first_breach(
    schedule: list[ScheduledPayment],
    paid_total_on: Callable[[date], int],
    as_of: date,
    grace_days: int,
    after: date | None = None,
) -> Breach | None:
    """The first scheduled payment missed as of ``as_of`` (due after ``after`` when given).

    ``paid_total_on(day)`` returns the money received from the signing day through ``day``.
    """
    cumulative = 0
    for payment in schedule:
        cumulative += payment.amount
        checked_on = payment.due_on + timedelta(days=grace_days)
        if checked_on >= as_of:
            break
        if after is not None and payment.due_on <= after:
            continue
        paid = paid_total_on(checked_on)
        if paid < cumulative:
            return Breach(payment.due_on, cumulative - paid)
    return None


def is_completed(schedule: list[ScheduledPayment], paid_total: int) -> bool:
    return paid_total >= sum(p.amount for p in schedule)
