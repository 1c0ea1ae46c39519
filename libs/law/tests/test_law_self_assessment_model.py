"""Model-based test: a company's returns for one business year, priced day by day.

The machine files the 確定申告 (on time or late, sometimes after a 見込納付), then 修正申告 and
更正 at random later dates, each paid on a random day on or after the day it must be paid. For
every amount the exact value of the engine's segments (``compute_self_assessed_late_fee``) must
equal a day-by-day model that reads the law on its own (and the whole yen must be the
per-segment truncation of those exact values):

- 延滞金 runs from the day after the shifted 法定納期限 (法326①, 321条の12, 法20条の5②);
- the low rate lasts to one month after: the deadline (filed on time), the filing (late), the
  修正申告 (or the deadline if later), the deficiency's 納期限 (更正; due the day after a month
  from the notice);
- days after one year from the original filing (or its deadline) up to a 修正申告 / 更正 notice
  cost nothing (法326 / 321条の12 by parallel with 72条の45②, 72条の44), except for a 決定 and for fraud;
- base floored to 1,000 yen, none under 2,000; each day base × rate ÷ 36,500 exactly.

And money is conserved: 見込納付 = applied + excess, applied + shortfall = declared tax.

Default: 50 histories (CI). Longer: OSAME_MODEL_EXAMPLES=2000.
"""

import os
from datetime import date, timedelta
from fractions import Fraction

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule
from osame_law.calendar import add_months_civil, shift_due_date
from osame_law.rates import DEFAULT_RATES, Tier
from osame_law.rounding import charge_base
from osame_law.self_assessment import (
    BusinessYear,
    FilingKind,
    apply_estimated_payment,
    compute_self_assessed_late_fee,
    plan_for_amendment,
    plan_for_reassessment,
    plan_for_return,
)

LAST_RATED_DAY = date(DEFAULT_RATES.last_year, 12, 31)
ONE = timedelta(days=1)


def model_late_fee(tax, due, tier_end, paid_on, excluded):
    """Exact 延滞金 (before any truncation) by summing daily amounts base × rate% ÷ 365."""
    total = Fraction(0)
    day = due + ONE
    while day <= paid_on:
        if not (excluded and excluded[0] <= day <= excluded[1]):
            tier = Tier.FIRST if day <= tier_end else Tier.SECOND
            total += Fraction(DEFAULT_RATES.late_fee(day.year, tier))
        day += ONE
    return total * charge_base(tax) / 36_500


def model_exclusion(original_filed_on, due, event_on, fraud):
    if original_filed_on is None or fraud:
        return None
    one_year_day = add_months_civil(max(original_filed_on, due) + ONE, 12)
    return (one_year_day + ONE, event_on) if event_on > one_year_day else None


class CompanyYear(RuleBasedStateMachine):
    @initialize(start_month=st.integers(1, 12), year=st.sampled_from([2022, 2023]))
    def start(self, start_month, year):
        start = date(year, start_month, 1)
        self.year = BusinessYear(start, add_months_civil(start, 12))
        self.deadline = add_months_civil(self.year.end + ONE, 2)
        self.due = shift_due_date(self.deadline)
        self.filed_on = None
        self.estimates = []

    @precondition(lambda self: self.filed_on is None)
    @rule(amount=st.integers(1, 5_000_000), days_before=st.integers(1, 50))
    def pay_estimate(self, amount, days_before):
        self.estimates.append((amount, self.deadline - timedelta(days=days_before)))

    @precondition(lambda self: self.filed_on is None)
    @rule(offset=st.integers(-40, 120), tax=st.integers(0, 20_000_000), paid_after=st.integers(0, 120))
    def file_return(self, offset, tax, paid_after):
        self.filed_on = max(self.deadline + timedelta(days=offset), self.year.end + ONE)
        for amount, paid_on in self.estimates:
            if paid_on > self.filed_on:
                continue  # paid after an early return: an ordinary payment, not a 見込納付
            outcome = apply_estimated_payment(
                estimated=amount, paid_on=paid_on, tax_due=tax, return_filed_on=self.filed_on, year=self.year
            )
            assert outcome.applied + outcome.excess == amount
            assert outcome.applied + outcome.shortfall == tax
        plan = plan_for_return(FilingKind.FINAL, self.year, self.filed_on)
        tier_end = add_months_civil((self.filed_on if self.filed_on > self.due else self.due) + ONE, 1)
        self._check(plan, tax, max(plan.pay_by, self.filed_on) + timedelta(days=paid_after), tier_end, None)

    @precondition(lambda self: self.filed_on is not None)
    @rule(
        after=st.integers(0, 800),
        tax=st.integers(0, 20_000_000),
        paid_after=st.integers(0, 60),
        fraud=st.booleans(),
    )
    def amend(self, after, tax, paid_after, fraud):
        amended_on = self.filed_on + timedelta(days=after)
        plan = plan_for_amendment(
            FilingKind.FINAL, self.year, amended_on, original_filed_on=self.filed_on, fraud=fraud
        )
        tier_end = add_months_civil(max(amended_on, self.due) + ONE, 1)
        excluded = model_exclusion(self.filed_on, self.due, amended_on, fraud)
        self._check(plan, tax, amended_on + timedelta(days=paid_after), tier_end, excluded)

    @precondition(lambda self: self.filed_on is not None)
    @rule(
        after=st.integers(0, 800),
        tax=st.integers(0, 20_000_000),
        paid_after=st.integers(0, 90),
        determination=st.booleans(),
    )
    def reassess(self, after, tax, paid_after, determination):
        notified_on = max(self.filed_on, self.due) + timedelta(days=after)
        original = None if determination else self.filed_on
        plan = plan_for_reassessment(FilingKind.FINAL, self.year, notified_on, original_filed_on=original)
        pay_by = shift_due_date(add_months_civil(notified_on + ONE, 1) + ONE)
        assert plan.pay_by == pay_by
        tier_end = add_months_civil(pay_by + ONE, 1)
        excluded = model_exclusion(original, self.due, notified_on, False)
        self._check(plan, tax, pay_by + timedelta(days=paid_after), tier_end, excluded)

    def _check(self, plan, tax, paid_on, tier_end, excluded):
        if paid_on > LAST_RATED_DAY:
            return
        assert plan.effective_due == self.due and plan.first_tier_end == tier_end
        got = {(p.start, p.end) for p in plan.excluded}
        assert got == ({excluded} if excluded else set())
        result = compute_self_assessed_late_fee(plan, tax=tax, paid_on=paid_on)
        exact = [Fraction(s.base) * Fraction(s.rate) * s.days / 36_500 for s in result.segments]
        assert sum(exact, Fraction(0)) == model_late_fee(tax, self.due, tier_end, paid_on, excluded)
        assert result.unrounded_total == sum(int(e) for e in exact)  # per-segment truncation


CompanyYear.TestCase.settings = settings(
    max_examples=int(os.environ.get("OSAME_MODEL_EXAMPLES", "50")),
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_company_year = CompanyYear.TestCase
