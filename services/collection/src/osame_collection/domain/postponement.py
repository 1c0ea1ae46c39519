"""徴収猶予 (法15条) and 換価の猶予 (法15条の5 職権, 法15条の6 申請): period, 分割, effects.

Sources: ``../shared/reference/domain-rules.md`` §5, §5.1, §10.5.

- **Period** (法15条①, 15条の5①, 15条の6①: "1年以内") [H]: at most one year, counted from the
  start day (初日算入: a 猶予 starting 2026-04-01 ends 2027-03-31 at the latest,
  ``osame_law.add_months_civil``). An **extension** (法15条④ for 徴収猶予 [H]) may not make the whole
  period exceed two years from the first start day. For 換価の猶予 the two-year cap of extensions is
  UNCONFIRMED in the reference (§5: "≤1 year (extendable)"); we apply the same two-year cap (the
  national parallel, 国税徴収法152条 → 通則法46条⑦) and say so. Checked since (issue #12 item 4):
  for 職権 換価の猶予 法15条の5② applies 15条③〜⑤ (the e-Gov text), so the 2-year cap of 15条④
  holds [H]; for 換価の猶予 on application we keep the same cap [M].
- **Application for 換価の猶予 (法15条の6①)**: within the ordinance period after the 納期限 —
  6 months in the cities the reference saw [H for those cities]; a policy setting here
  (``CONVERSION_APPLICATION_MONTHS``), UNCONFIRMED for Takaoka.
- **分割** (法15条③, 15条の5②): the postponed amount may be paid in installments, each due inside
  the period; the amounts add up to the postponed amount exactly.
- **Effects while in force** (§5 "No new attachment or sale during the 猶予") [H]: no 督促, no 催告
  and no 差押 or 換価 (配当) for the covered installments. Collection applies this to both kinds
  (the brief for issue #12; for 換価の猶予 the reference names attachment and sale).
- **延滞金** for the days of the 猶予 (法15条の9, 附則3条の2): full exemption for 徴収猶予 on grounds
  of disaster/theft or illness; otherwise the larger of the half rule and the 猶予特例基準割合 cap —
  computed by ``osame_law.late_fee_exemptions`` (this module only maps ground → exemption kind).
- A 猶予 that is cancelled (取消, 法15条の3) stops on the day before its cancellation day.
- **履行監視 of the 分割** (法15条の3①一): a 分割 amount not paid by its 期限 (plus the data lag
  allowance, ``grace_days``) is a ground of 取消し — flagged for a staff decision (取消し or 継続),
  never cancelled automatically (the law says "取り消すことができる"). On 取消し the exemption may
  stop at the missed 期限 (法15条の9①ただし書; ``osame_law.postponement_cancellation``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from osame_law import ExemptInterval, ExemptionKind, add_months_civil

from osame_collection.domain.pledge import Breach, ScheduledPayment, first_breach

MAX_PERIOD_MONTHS = 12  # 法15条①, 15条の5①, 15条の6①
MAX_TOTAL_MONTHS = 24  # 法15条④; 職権 換価の猶予 by 15条の5② [H]; 申請 換価の猶予: same cap [M]
CONVERSION_APPLICATION_MONTHS = 6  # 法15条の6① ordinance period (UNCONFIRMED for Takaoka)


class PostponementKind(StrEnum):
    COLLECTION = "collection"  # 徴収猶予 法15条
    CONVERSION_EX_OFFICIO = "conversion_ex_officio"  # 換価の猶予 職権 法15条の5
    CONVERSION_ON_APPLICATION = "conversion_on_application"  # 換価の猶予 申請 法15条の6


class PostponementGround(StrEnum):
    DISASTER = "disaster"  # 法15条①一 震災・風水害・火災・盗難
    ILLNESS = "illness"  # 法15条①二 本人・生計を一にする親族の疾病・負傷
    BUSINESS_CLOSURE = "business_closure"  # 法15条①三 事業の廃止・休止
    BUSINESS_LOSS = "business_loss"  # 法15条①四 事業の著しい損失
    LATE_ASSESSMENT = "late_assessment"  # 法15条② 法定納期限から1年以上経って確定した税
    HARDSHIP = "hardship"  # 法15条の5①一 / 15条の6① 事業の継続・生活の維持を困難にするおそれ
    MORE_COLLECTED = "more_collected"  # 法15条の5①二 猶予する方が徴収上有利


GROUNDS: dict[PostponementKind, frozenset[PostponementGround]] = {
    PostponementKind.COLLECTION: frozenset(
        {
            PostponementGround.DISASTER,
            PostponementGround.ILLNESS,
            PostponementGround.BUSINESS_CLOSURE,
            PostponementGround.BUSINESS_LOSS,
            PostponementGround.LATE_ASSESSMENT,
        }
    ),
    PostponementKind.CONVERSION_EX_OFFICIO: frozenset(
        {PostponementGround.HARDSHIP, PostponementGround.MORE_COLLECTED}
    ),
    PostponementKind.CONVERSION_ON_APPLICATION: frozenset({PostponementGround.HARDSHIP}),
}


class PostponementRefused(ValueError):
    """A 猶予 the law does not allow; ``code`` is a reason code without personal data."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def exemption_kind(kind: PostponementKind, ground: PostponementGround) -> ExemptionKind:
    """法15条の9①: full for 徴収猶予 on disaster/illness; else half or the 猶予特例基準割合 cap."""
    if kind is PostponementKind.COLLECTION:
        if ground in (PostponementGround.DISASTER, PostponementGround.ILLNESS):
            return ExemptionKind.COLLECTION_DEFERRAL_DISASTER
        return ExemptionKind.COLLECTION_DEFERRAL_BUSINESS
    return ExemptionKind.CONVERSION_DEFERRAL


def check_ground(kind: PostponementKind, ground: PostponementGround) -> None:
    if ground not in GROUNDS[kind]:
        raise PostponementRefused("ground_not_for_kind")


def latest_end(first_start: date, extension: bool) -> date:
    """The last day a 猶予 starting ``first_start`` may reach: 1 year, or 2 years with extensions."""
    return add_months_civil(first_start, MAX_TOTAL_MONTHS if extension else MAX_PERIOD_MONTHS)


def check_period(starts_on: date, ends_on: date, first_start: date | None = None) -> None:
    """One grant is at most a year; with ``first_start`` (an extension) the whole at most 2 years."""
    if ends_on < starts_on:
        raise PostponementRefused("ends_before_start")
    if ends_on > add_months_civil(starts_on, MAX_PERIOD_MONTHS):
        raise PostponementRefused("period_exceeds_one_year")
    if first_start is not None and ends_on > latest_end(first_start, extension=True):
        raise PostponementRefused("period_exceeds_two_years")


def check_application_day(kind: PostponementKind, applied_on: date, due_dates: list[date]) -> None:
    """換価の猶予 on application (法15条の6①): within the ordinance period after each 納期限."""
    if kind is not PostponementKind.CONVERSION_ON_APPLICATION:
        return
    for due in due_dates:
        if applied_on > add_months_civil(due + timedelta(days=1), CONVERSION_APPLICATION_MONTHS):
            raise PostponementRefused("application_period_passed")


def check_schedule(schedule: list[tuple[date, int]], starts_on: date, ends_on: date, amount: int) -> None:
    """分割 (法15条③): inside the period, in order, positive, adding up to the postponed amount."""
    if amount <= 0:
        raise PostponementRefused("nothing_to_postpone")
    if not schedule:
        return  # paid in one sum at the end of the period
    days = [d for d, _ in schedule]
    if days != sorted(days) or len(set(days)) != len(days):
        raise PostponementRefused("schedule_not_in_order")
    if days[0] < starts_on or days[-1] > ends_on:
        raise PostponementRefused("schedule_outside_period")
    if any(a <= 0 for _, a in schedule):
        raise PostponementRefused("schedule_amount_not_positive")
    if sum(a for _, a in schedule) != amount:
        raise PostponementRefused("schedule_does_not_add_up")


@dataclass(frozen=True)
class Postponement:
    """An approved 猶予 (the only state with effects)."""

    kind: PostponementKind
    ground: PostponementGround
    starts_on: date
    ends_on: date
    cancelled_on: date | None = None
    exemption_ends_on: date | None = None
    """After a 取消 for a missed 分割: the last day still exempt (``osame_law.postponement_cancellation``)."""

    def last_day(self) -> date:
        if self.cancelled_on is None:
            return self.ends_on
        return min(self.ends_on, self.cancelled_on - timedelta(days=1))

    def in_force(self, on: date) -> bool:
        return self.starts_on <= on <= self.last_day()

    def exempt_interval(self, until: date) -> ExemptInterval | None:
        """The 延滞金 exemption of the 猶予 up to ``until`` (the calculation day)."""
        end = min(until, self.last_day())
        if self.exemption_ends_on is not None:
            end = min(end, self.exemption_ends_on)
        if end < self.starts_on:
            return None
        return ExemptInterval(self.starts_on, end, exemption_kind(self.kind, self.ground))


def missed_payment(
    schedule: list[tuple[date, int]],
    paid_total_on,
    as_of: date,
    grace_days: int,
    after: date | None = None,
) -> Breach | None:
    """The first 分割 amount missed as of ``as_of`` whose 期限 is after ``after`` (the last missed
    payment staff already decided to continue past); ``paid_total_on(day)`` = money received for
    the 猶予's 期別 from its start through ``day``. Cumulative, like a pledge (domain.pledge)."""
    payments = [ScheduledPayment(d, a) for d, a in schedule]
    return first_breach(payments, paid_total_on, as_of, grace_days, after)
