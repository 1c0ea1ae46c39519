"""法人の市町村民税 申告納付 (self-assessed corporate municipal tax) — 法321条の8, 321条の11/12, 326, 327.

A company files a return for each business year (事業年度) and pays the tax it declares by the
return's deadline, which is the 法定納期限. Confidence tags and sources: docs/law/special-collection.md.

Deadlines (``filing_deadline``; 法20条の5② shifts a deadline on a closed day — ``effective``):

=================  ==========================================================================
予定申告 / 中間申告  within 2 months from the day 6 months have passed since the business year
 (法321条の8①②)     began (start 4/1 → 6 months 4/1–9/30 → 10/1 → 11/30); only for a business
                    year longer than 6 months (法人税法71条, 72条) [H: domain-rules §6.2]
確定申告 (321条の8④) within 2 months from the day after the business year ends (3/31 → 5/31),
                    extended by the months granted under 法人税法75条の2 [H]
修正申告 (321条の8㉒) no deadline of its own; the tax belongs to the 法定納期限 of the return it
                    amends [M; paragraph number UNCONFIRMED]
=================  ==========================================================================

Which article: 令48条の12 reads 令9条の3's "第56条第2項又は第64条" (道府県民税) as "第321条の12第2項又
は第326条", and the 事業税 version of the same 令 rule (令26) names 72条の44 (不足税額 after 更正・決定)
and 72条の45 (延滞金 on returns). So for 法人市町村民税 the 延滞金 on a return is 法326 and on a
deficiency fixed by 更正・決定 法321条の12 [M: inferred from those tables]. Their 各号 and paragraphs
are read by parallel with 72条の45 and 72条の44, whose text we read [M; municipal wording not read].

延滞金 runs from the day after the (shifted) 法定納期限, with the low-rate tier (7.3% line) ending

- return filed by its deadline: one month after the 法定納期限 (法326①; 72条の45①一);
- return filed late: one month after the day of filing (72条の45①二);
- 修正申告: one month after the 修正申告, or after the deadline if it was earlier (72条の45①三);
- 更正・決定 by the city (法321条の12): one month after the deficiency's own 納期限, which is the
  day after one month passes from the notice (wording of 328条の10①② for 分離課税 [H], applied
  to 法人 by parallel [M]).

1-year exclusion (除算期間; 修正申告: 法326 by parallel with 72条の45②, 更正: 法321条の12 by
parallel with 72条の44 [M, paragraphs UNCONFIRMED]): when a 修正申告 is filed,
or a 更正 notified, after the day one year passes from the day after the original return was
filed (its deadline if it was filed early), the days from the next day through the 修正申告 /
notice are not counted — unless the company evaded the tax by fraud (偽りその他不正). A 決定
(no original return) has no exclusion.

Also here:
- ``extension_interest`` (法327): 延滞金 for the extension period granted under 法人税法75条の2,
  from the day after the original deadline to the extended deadline, at 7.3% lowered to the
  猶予特例基準割合 (附則3条の2; domain-rules §1.7) [H].
- ``apply_estimated_payment``: 見込納付 — money paid before the return is filed is applied to
  the declared tax as paid on its own date; the excess is a 過誤納 that arose when the return
  fixed the tax, so its 還付加算金 starts the day after one month passes from the day after the
  filing (法17条の4①四; a municipal Q&A works 6/30 → 8/1) [M].
- ``interim_refund_interest_start``: a 中間納付額 refunded after the 確定申告 (法321条の8第32項,
  令48条の12 → 令9条の2〜9条の6 [H that these apply]) earns 還付加算金 from the day after its
  payment, or after the 中間申告 deadline when paid earlier (national parallel 法人税法79条 [M];
  local wording UNCONFIRMED). A 確定申告 filed after its deadline is refused: 令9条の5 has a rule
  for it that we have not read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from osame_law.calendar import ONE_DAY, add_months_civil, shift_due_date, year_ends_between
from osame_law.errors import ImplausibleDateError, InvalidInputError, RateNotAvailableError
from osame_law.late_fee import LateFeeResult, PartialPayment
from osame_law.plausibility import check_amount, check_not_before
from osame_law.rates import DEFAULT_RATES, STATUTORY_LATE_FEE_FIRST_TIER, RateTable
from osame_law.refund_interest import RefundCause, refund_interest_start
from osame_law.rounding import SegmentRounding, charge_base, round_total, total_yen
from osame_law.segments import Piece, Segment, cut_points, price
from osame_law.tiered_late_fee import ExcludedPeriod, compute_tiered_late_fee

MAX_EXTENSION_MONTHS = 4
"""法人税法75条の2: one month, up to four for the special cases."""
AMENDMENT_EXCLUSION = "326: 1-year exclusion (修正申告)"
REASSESSMENT_EXCLUSION = "321-12: 1-year exclusion (更正)"


class FilingKind(StrEnum):
    PROVISIONAL = "provisional"
    """予定申告 (法321条の8①: on the previous year's figures)."""
    INTERIM = "interim"
    """中間申告 (法321条の8②: on interim accounts, 仮決算)."""
    FINAL = "final"
    """確定申告 (法321条の8④)."""
    AMENDED = "amended"
    """修正申告 (法321条の8㉒)."""


@dataclass(frozen=True)
class BusinessYear:
    """事業年度: at most one year (法人税法13①)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ImplausibleDateError(
                f"business year ends {self.end.isoformat()} before it starts {self.start.isoformat()}"
            )
        if self.end > add_months_civil(self.start, 12):
            raise ImplausibleDateError(
                f"business year {self.start.isoformat()}..{self.end.isoformat()} is longer than one year"
            )

    @property
    def longer_than_six_months(self) -> bool:
        return self.end > add_months_civil(self.start, 6)


def filing_deadline(kind: FilingKind, year: BusinessYear, *, extension_months: int = 0) -> date:
    """The statutory (unshifted) deadline of a return, which is also its 法定納期限 without extension."""
    if isinstance(extension_months, bool) or not 0 <= extension_months <= MAX_EXTENSION_MONTHS:
        raise InvalidInputError(f"extension_months must be 0..{MAX_EXTENSION_MONTHS}")
    if kind in (FilingKind.PROVISIONAL, FilingKind.INTERIM):
        if extension_months:
            raise InvalidInputError("only the 確定申告 deadline can be extended (法人税法75条の2)")
        if not year.longer_than_six_months:
            raise InvalidInputError("no 予定/中間申告 for a business year of 6 months or less (法人税法71条)")
        return add_months_civil(add_months_civil(year.start, 6) + ONE_DAY, 2)
    if kind is FilingKind.FINAL:
        return add_months_civil(year.end + ONE_DAY, 2 + extension_months)
    raise InvalidInputError("a 修正申告 has no deadline of its own; use the kind of the return it amends")


def effective(deadline: date) -> date:
    """法20条の5②: a deadline on a closed day moves to the next business day."""
    return shift_due_date(deadline)


@dataclass(frozen=True)
class LateFeePlan:
    """When 延滞金 on one amount of self-assessed tax starts, when its low rate ends, what is excluded."""

    effective_due: date
    """The (shifted, extended) 納期限 the 延滞金 runs from (the day after)."""
    first_tier_end: date
    pay_by: date
    """When the amount itself must be paid (filing day for late or amended returns)."""
    excluded: tuple[ExcludedPeriod, ...]
    rule: str


def _checked_kind(kind: FilingKind) -> FilingKind:
    if kind is FilingKind.AMENDED:
        raise InvalidInputError("name the kind of the return being amended (final, interim or provisional)")
    return kind


def plan_for_return(
    kind: FilingKind, year: BusinessYear, filed_on: date, *, extension_months: int = 0
) -> LateFeePlan:
    """A 予定/中間/確定申告 filed on ``filed_on`` (法326①; 72条の45①一・二)."""
    due = effective(filing_deadline(_checked_kind(kind), year, extension_months=extension_months))
    if kind is FilingKind.FINAL:
        check_not_before("filed_on", filed_on, "the day after the business year", year.end + ONE_DAY)
    else:
        check_not_before(
            "filed_on", filed_on, "the end of the first 6 months", add_months_civil(year.start, 6)
        )
    if filed_on <= due:
        return LateFeePlan(due, add_months_civil(due + ONE_DAY, 1), due, (), "326-1: filed by the deadline")
    return LateFeePlan(due, add_months_civil(filed_on + ONE_DAY, 1), filed_on, (), "326-1: filed late")


def plan_for_amendment(
    amends: FilingKind,
    year: BusinessYear,
    amended_on: date,
    *,
    original_filed_on: date,
    fraud: bool = False,
    extension_months: int = 0,
) -> LateFeePlan:
    """The tax added by a 修正申告 filed on ``amended_on`` (法326; 72条の45①三, ②)."""
    due = effective(filing_deadline(_checked_kind(amends), year, extension_months=extension_months))
    check_not_before("amended_on", amended_on, "original_filed_on", original_filed_on)
    first_tier_end = add_months_civil(max(amended_on, due) + ONE_DAY, 1)
    excluded = _one_year_exclusion(max(original_filed_on, due), amended_on, fraud, AMENDMENT_EXCLUSION)
    return LateFeePlan(due, first_tier_end, amended_on, excluded, "326-1: 修正申告")


def deficiency_due(notified_on: date) -> date:
    """納期限 of a deficiency fixed by 更正・決定: the day after one month passes from the notice.

    "通知をした日から1月を経過した日" (328条の10①; 民法140 — the notice day is not counted): notice
    10/1 → the month 10/2–11/1 → 11/2; moved to the next business day when closed (法20条の5②).
    """
    return effective(add_months_civil(notified_on + ONE_DAY, 1) + ONE_DAY)


def plan_for_reassessment(
    amends: FilingKind,
    year: BusinessYear,
    notified_on: date,
    *,
    original_filed_on: date | None,
    fraud: bool = False,
    extension_months: int = 0,
) -> LateFeePlan:
    """The deficiency from a 更正 (``original_filed_on`` given) or 決定 (None) notified on ``notified_on``."""
    due = effective(filing_deadline(_checked_kind(amends), year, extension_months=extension_months))
    check_not_before("notified_on", notified_on, "法定納期限", due)
    pay_by = deficiency_due(notified_on)
    excluded: tuple[ExcludedPeriod, ...] = ()
    if original_filed_on is not None:
        check_not_before("notified_on", notified_on, "original_filed_on", original_filed_on)
        excluded = _one_year_exclusion(
            max(original_filed_on, due), notified_on, fraud, REASSESSMENT_EXCLUSION
        )
    return LateFeePlan(due, add_months_civil(pay_by + ONE_DAY, 1), pay_by, excluded, "321-12: 更正・決定")


def _one_year_exclusion(base: date, event: date, fraud: bool, rule: str) -> tuple[ExcludedPeriod, ...]:
    one_year_day = add_months_civil(base + ONE_DAY, 12)
    if fraud or event <= one_year_day:
        return ()
    return (ExcludedPeriod(one_year_day + ONE_DAY, event, rule),)


def compute_self_assessed_late_fee(
    plan: LateFeePlan,
    *,
    tax: int,
    paid_on: date,
    partial_payments: Iterable[PartialPayment] = (),
    segment_rounding: SegmentRounding = SegmentRounding.PER_SEGMENT,
    rates: RateTable = DEFAULT_RATES,
) -> LateFeeResult:
    """延滞金 (法326 / 321条の12) on ``tax`` under ``plan``, paid in full on ``paid_on``."""
    return compute_tiered_late_fee(
        principal_tax=tax,
        effective_due=plan.effective_due,
        first_tier_end=plan.first_tier_end,
        paid_on=paid_on,
        partial_payments=partial_payments,
        excluded=plan.excluded,
        segment_rounding=segment_rounding,
        rates=rates,
    )


@dataclass(frozen=True)
class InterestResult:
    amount: int
    """After 法20条の4の2 rounding (100-yen floor, 0 under 1,000)."""
    unrounded_total: int
    start: date
    end: date
    segments: tuple[Segment, ...]


def extension_interest(
    *,
    tax: int,
    year: BusinessYear,
    extension_months: int,
    paid_on: date,
    partial_payments: Iterable[PartialPayment] = (),
    rates: RateTable = DEFAULT_RATES,
) -> InterestResult:
    """法327: 延滞金 for the days of a granted extension of the 確定申告 deadline."""
    if extension_months < 1:
        raise InvalidInputError("extension_interest needs a granted extension (extension_months ≥ 1)")
    start = effective(filing_deadline(FilingKind.FINAL, year)) + ONE_DAY
    end = min(paid_on, effective(filing_deadline(FilingKind.FINAL, year, extension_months=extension_months)))
    return _interest(tax, start, end, partial_payments, _postponement_rate(rates))


def _postponement_rate(rates: RateTable) -> Callable[[int], Decimal]:
    def rate(year: int) -> Decimal:
        special = rates.postponement(year)
        if special is None:
            raise RateNotAvailableError(f"no 猶予特例基準割合 recorded for {year}; 法327 needs it")
        return min(special, STATUTORY_LATE_FEE_FIRST_TIER)

    return rate


def _interest(
    amount: int,
    start: date,
    end: date,
    partial_payments: Iterable[PartialPayment],
    rate_for_year: Callable[[int], Decimal],
) -> InterestResult:
    check_amount("amount", amount)
    payments = sorted(partial_payments, key=lambda p: p.paid_on)
    if sum(p.amount for p in payments) > amount:
        raise InvalidInputError("partial payments exceed the amount")
    if end < start:
        return InterestResult(0, 0, start, end, ())
    candidates = [*year_ends_between(start, end), *(p.paid_on for p in payments)]
    pieces = []
    for run_start, run_end in cut_points(start, end, candidates):
        remaining = amount - sum(p.amount for p in payments if p.paid_on < run_start)
        rate = rate_for_year(run_start.year)
        pieces.append(Piece(run_start, run_end, charge_base(remaining), rate, rate))
    segments = price(pieces)
    unrounded = total_yen([s.exact for s in segments], SegmentRounding.PER_SEGMENT)
    return InterestResult(round_total(unrounded), unrounded, start, end, segments)


@dataclass(frozen=True)
class EstimatedPaymentOutcome:
    applied: int
    """Applied to the declared tax, as paid on the 見込納付 date."""
    excess: int
    """過誤納 to refund (or appropriate) once the return is filed."""
    shortfall: int
    """Declared tax still to pay."""
    excess_interest_start: date | None
    """First day of 還付加算金 on the excess (法17条の4①四)."""


def apply_estimated_payment(
    *, estimated: int, paid_on: date, tax_due: int, return_filed_on: date, year: BusinessYear
) -> EstimatedPaymentOutcome:
    """見込納付: money paid before the return, applied when the return fixes the tax."""
    check_amount("estimated", estimated, positive=True)
    check_amount("tax_due", tax_due)
    check_not_before("paid_on", paid_on, "business year start", year.start)
    if paid_on > return_filed_on:
        raise ImplausibleDateError(
            f"paid_on {paid_on.isoformat()} is after the return ({return_filed_on.isoformat()}): "
            "that is an ordinary payment, not a 見込納付"
        )
    applied = min(estimated, tax_due)
    excess = estimated - applied
    start = refund_interest_start(RefundCause.ERRONEOUS_PAYMENT, paid_on=return_filed_on) if excess else None
    return EstimatedPaymentOutcome(applied, excess, tax_due - applied, start)


def interim_refund_interest_start(
    *, interim_paid_on: date, year: BusinessYear, final_filed_on: date, extension_months: int = 0
) -> date:
    """First day of 還付加算金 on a refunded 中間納付額 (法321条の8第32項; see the module note)."""
    final_due = effective(filing_deadline(FilingKind.FINAL, year, extension_months=extension_months))
    if final_filed_on > final_due:
        raise InvalidInputError(
            "確定申告 filed after its deadline: 令9条の5 (via 令48条の12) governs this case and is not modelled"
        )
    interim_due = effective(filing_deadline(FilingKind.INTERIM, year))
    return max(interim_paid_on, interim_due) + ONE_DAY


def interim_refund_interest(
    *,
    amount: int,
    interim_paid_on: date,
    year: BusinessYear,
    final_filed_on: date,
    decided_on: date,
    extension_months: int = 0,
    rates: RateTable = DEFAULT_RATES,
) -> InterestResult:
    """還付加算金 on a refunded 中間納付額 to the refund decision (or 充当) date."""
    start = interim_refund_interest_start(
        interim_paid_on=interim_paid_on,
        year=year,
        final_filed_on=final_filed_on,
        extension_months=extension_months,
    )
    return _interest(amount, start, decided_on, (), rates.refund_interest)
