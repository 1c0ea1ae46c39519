"""時効 clock of one installment with its renewals (更新) and the 催告 suspension (完成猶予).

Builds on ``limitation`` (法18①: 5 years from the day after the 納期限). Events
(domain-rules §4.4, §8.6, §10.4):

- ``DEMAND`` 督促 (法18条の2): the period restarts from the day after the day-10 date
  (``restarted_by_demand``: issued 10/1 → new period counted from 10/12).
- ``SEIZURE`` 差押 / 参加差押 (民法148① via 法18③): completion is suspended (完成猶予) while the
  procedure is in force — the limitation cannot complete however long it lasts — and the period
  restarts (更新, 民法148②) from the day after the procedure ends (``until``: 解除, 配当 done).
  An event with no ``until`` is still in force: the clock has no end (``ends_on`` is None).
- ``CLAIM_FILING`` 交付要求 (法18条の2①二): the same, suspended while in force and renewed when it
  ends (issue #12 defect 5: a 差押 still in force was written off by 時効 five years later).
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


PROCEDURES = (LimitationEventKind.SEIZURE, LimitationEventKind.CLAIM_FILING)


@dataclass(frozen=True)
class LimitationEvent:
    kind: LimitationEventKind
    on: date
    until: date | None = None
    """SEIZURE / CLAIM_FILING: the day the procedure ended (None: still in force)."""

    def __post_init__(self) -> None:
        if self.until is not None and (self.kind not in PROCEDURES or self.until < self.on):
            raise ValueError("only a 差押 / 交付要求 ends, and not before it began")


@dataclass(frozen=True)
class LimitationClock:
    starts_on: date
    """First day counted in the current period (起算日)."""
    ends_on: date | None
    """Last day of the period, after any 催告 suspension (満了日); None while a 差押 / 交付要求 is in
    force (completion suspended until it ends)."""
    suspended_by_reminder_on: date | None
    """The 催告 that suspends completion, if any."""
    applied: tuple[LimitationEvent, ...]
    """Events that changed the clock, in date order."""
    suspended_by_procedure_since: date | None = None
    """The 差押 / 交付要求 in force that suspends completion, if any."""

    @property
    def extinguished_on(self) -> date | None:
        """The day the right is extinguished (None: not while a procedure is in force)."""
        return None if self.ends_on is None else self.ends_on + ONE_DAY

    def is_extinguished(self, on: date) -> bool:
        return self.ends_on is not None and on > self.ends_on


def _restart_day(event: LimitationEvent) -> date:
    if event.kind is LimitationEventKind.DEMAND:
        return earliest_seizure_date(event.on)
    if event.until is not None:
        return event.until + ONE_DAY  # 民法148②: anew from the end of the procedure
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
    in_force: date | None = None
    for event in sorted(events, key=lambda e: (e.on, e.kind.value)):
        effective_end = suspended_until if suspended_until and suspended_until > ends_on else ends_on
        if event.on > effective_end:
            break  # extinguished: nothing revives the right (法18②)
        if event.kind in PROCEDURES and event.until is None:
            in_force = in_force or event.on  # 完成猶予 for as long as it lasts
            applied.append(event)
            continue
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
    if in_force is not None:
        return LimitationClock(starts_on, None, None, tuple(applied), in_force)
    if suspended_until is not None and suspended_until > ends_on:
        return LimitationClock(starts_on, suspended_until, suspended, tuple(applied))
    return LimitationClock(starts_on, ends_on, None, tuple(applied))
