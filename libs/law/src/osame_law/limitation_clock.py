"""時効 clock of one installment with its renewals (更新) and the 催告 suspension (完成猶予).

Builds on ``limitation`` (法18①: 5 years from the day after the 納期限). Events
(domain-rules §4.4, §8.6, §10.4):

- ``DEMAND`` 督促 (法18条の2): the period restarts from the day after the day-10 date
  (``restarted_by_demand``: issued 10/1 → new period counted from 10/12).
- ``SEIZURE`` 差押 (民法148 via 法18③): completion is suspended while the procedure runs and the
  period restarts when it ends. We restart the count from the day after the seizure date [L]:
  the end of the procedure is not tracked here, so a seizure still in force should be recorded
  again (or released) when it ends; this never makes the period end earlier than the law does
  for a seizure that ends on its own day, and is conservative otherwise (it may end earlier
  than the law allows, never later).
- ``CLAIM_FILING`` 交付要求 (法18条の2): treated like a seizure (restart from the next day) [L].
- ``ACKNOWLEDGEMENT`` 承認 (民法152: partial payment, signed 分納誓約): restart from the day after.
- ``REMINDER`` 催告 (民法150): completion is suspended until 6 months after the 催告 when the
  period would otherwise end within them; a further 催告 during that suspension has no effect
  (民法150②). A 催告 after the period ended does nothing.

Events dated after the period has ended cannot revive it (法18②: extinguished absolutely).
The period keeps running during 執行停止 (§4.3). 初日不算入 for every restart (民法140).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from osame_law.calendar import ONE_DAY, add_months_civil
from osame_law.demand_notice import earliest_seizure_date
from osame_law.limitation import LIMITATION_YEARS, limitation_period

REMINDER_SUSPENSION_MONTHS = 6


class LimitationEventKind(StrEnum):
    DEMAND = "demand"  # 督促
    SEIZURE = "seizure"  # 差押
    CLAIM_FILING = "claim_filing"  # 交付要求 / 参加差押
    ACKNOWLEDGEMENT = "acknowledgement"  # 承認 (一部納付, 分納誓約)
    REMINDER = "reminder"  # 催告


@dataclass(frozen=True)
class LimitationEvent:
    kind: LimitationEventKind
    on: date


@dataclass(frozen=True)
class LimitationClock:
    starts_on: date
    """First day counted in the current period (起算日)."""
    ends_on: date
    """Last day of the period, after any 催告 suspension (満了日)."""
    suspended_by_reminder_on: date | None
    """The 催告 that suspends completion, if any."""
    applied: tuple[LimitationEvent, ...]
    """Events that changed the clock, in date order."""

    @property
    def extinguished_on(self) -> date:
        return self.ends_on + ONE_DAY

    def is_extinguished(self, on: date) -> bool:
        return on > self.ends_on


def _restart_day(event: LimitationEvent) -> date:
    if event.kind is LimitationEventKind.DEMAND:
        return earliest_seizure_date(event.on)
    return event.on + ONE_DAY


def limitation_clock(
    due_date: date,
    events: Iterable[LimitationEvent] = (),
    *,
    years: int = LIMITATION_YEARS,
    shift_due_date_for_holidays: bool = True,
) -> LimitationClock:
    """The limitation period of one installment due on ``due_date`` after ``events`` (any order)."""
    base = limitation_period(due_date, years=years, shift_due_date_for_holidays=shift_due_date_for_holidays)
    starts_on, ends_on = base.starts_on, base.ends_on
    suspended: date | None = None
    suspended_until: date | None = None
    applied: list[LimitationEvent] = []
    for event in sorted(events, key=lambda e: (e.on, e.kind.value)):
        effective_end = suspended_until if suspended_until and suspended_until > ends_on else ends_on
        if event.on > effective_end:
            break  # extinguished: nothing revives the right (法18②)
        if event.kind is LimitationEventKind.REMINDER:
            if suspended is not None and event.on <= (suspended_until or event.on):
                continue  # a second 催告 during the suspension has no effect (民法150②)
            suspended = event.on
            suspended_until = add_months_civil(event.on + ONE_DAY, REMINDER_SUSPENSION_MONTHS)
            applied.append(event)
            continue
        restart = _restart_day(event)
        new_end = add_months_civil(restart, 12 * years)
        if new_end >= ends_on:
            starts_on, ends_on = restart, new_end
            suspended, suspended_until = None, None
            applied.append(event)
    if suspended_until is not None and suspended_until > ends_on:
        return LimitationClock(starts_on, suspended_until, suspended, tuple(applied))
    return LimitationClock(starts_on, ends_on, None, tuple(applied))
