"""Model-based test: one employer's 給与特別徴収 year driven through realistic histories.

The machine walks June → May. Each step withholds the month for the employees still paid,
and may change an employee's tax (税額変更) or record an 異動 (退職・転勤) on a day of the current
month. A plain bookkeeping model (what was withheld, what was sent elsewhere, what is still
scheduled, what was over-withheld) must agree with the law functions at every step:

- money is conserved per employee: withheld + remainder sent elsewhere + still scheduled
  − over-withheld = the current annual amount (法321条の5, 321条の5②, 321条の6);
- nothing is withheld after the month of an 異動 (法321条の5② 本文);
- a lump sum only ever happens with pay due by 31 May larger than the remainder (ただし書);
- every withheld month is paid in exactly once, by a 納入 due on the 10th after it or, under
  納期の特例, after its half-year (法321条の5①, 321条の5の2①).

Default: 50 histories (CI). Longer: OSAME_MODEL_EXAMPLES=2000.
"""

import os
from datetime import date

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from osame_law.special_collection import (
    SeparationDisposition,
    YearMonth,
    collection_months,
    monthly_amounts,
    remittance_for,
    remittances,
    respread_after_change,
    separation_outcome,
)

FISCAL_YEAR = 2025
MONTHS = collection_months(FISCAL_YEAR)


class Employee:
    def __init__(self, annual: int) -> None:
        self.annual = annual
        self.schedule = monthly_amounts(annual)
        self.withheld: dict[YearMonth, int] = {}
        self.sent_elsewhere = 0
        self.overcollected = 0
        self.separated_in: YearMonth | None = None


class SpecialCollectionYear(RuleBasedStateMachine):
    @initialize(
        annuals=st.lists(st.integers(0, 3_000_000), min_size=1, max_size=5),
        special=st.booleans(),
        approval_day=st.integers(0, 364),
    )
    def start(self, annuals, special, approval_day):
        self.employees = [Employee(a) for a in annuals]
        approved = date.fromordinal(date(FISCAL_YEAR, 6, 1).toordinal() + approval_day) if special else None
        self.approved_month = YearMonth.of(approved) if approved else None
        self.schedule = remittances(FISCAL_YEAR, special_approved_on=approved)
        self.month_index = -1
        self.paid_in: dict[date, int] = {}

    @precondition(lambda self: self.month_index < 11)
    @rule()
    def withhold_next_month(self):
        self.month_index += 1
        month = MONTHS[self.month_index]
        remittance = remittance_for(month, self.schedule)
        for employee in self.employees:
            if employee.separated_in is not None and employee.separated_in < month:
                continue
            amount = employee.schedule[self.month_index]
            employee.withheld[month] = amount
            self.paid_in[remittance.statutory_due] = self.paid_in.get(remittance.statutory_due, 0) + amount

    @precondition(lambda self: self.month_index < 11)
    @rule(data=st.data(), new_annual=st.integers(0, 3_000_000))
    def change_tax(self, data, new_annual):
        employee = data.draw(st.sampled_from(self.employees))
        if employee.separated_in is not None:
            return
        changed = respread_after_change(employee.schedule, new_annual, self.month_index + 1)
        employee.annual = new_annual
        employee.schedule = changed.monthly
        employee.overcollected = changed.overcollected

    @precondition(lambda self: self.month_index >= 0)
    @rule(
        data=st.data(),
        day=st.integers(1, 28),
        requested=st.booleans(),
        payable=st.integers(0, 3_000_000),
        continues=st.booleans(),
    )
    def separate(self, data, day, requested, payable, continues):
        employee = data.draw(st.sampled_from(self.employees))
        if employee.separated_in is not None:
            return
        month = MONTHS[self.month_index]
        outcome = separation_outcome(
            employee.schedule,
            FISCAL_YEAR,
            month.day(day),
            lump_sum_requested=requested,
            payable_by_may_31=payable,
            new_employer_continues=continues,
        )
        model_remainder = sum(employee.schedule[self.month_index + 1 :])
        assert outcome.remainder == model_remainder
        assert outcome.withheld == sum(employee.schedule[: self.month_index + 1])
        if outcome.disposition is SeparationDisposition.LUMP_SUM:
            assert payable > outcome.lump_sum
            assert month.month <= 4 or requested
        employee.sent_elsewhere = outcome.lump_sum + outcome.ordinary + outcome.continued
        employee.separated_in = month

    @invariant()
    def money_is_conserved_per_employee(self):
        for employee in getattr(self, "employees", []):
            withheld = sum(employee.withheld.values())
            if employee.separated_in is None:
                scheduled = sum(employee.schedule[self.month_index + 1 :])
            else:
                scheduled = 0
            assert withheld + employee.sent_elsewhere + scheduled - employee.overcollected == employee.annual

    @invariant()
    def nothing_is_withheld_after_separation(self):
        for employee in getattr(self, "employees", []):
            if employee.separated_in is not None:
                assert all(m <= employee.separated_in for m in employee.withheld)

    @invariant()
    def every_withheld_month_is_paid_in_once_on_its_due_date(self):
        if not hasattr(self, "employees"):
            return
        expected: dict[date, int] = {}
        for employee in self.employees:
            for month, amount in employee.withheld.items():
                due = _model_due(month, self.approved_month)
                expected[due] = expected.get(due, 0) + amount
        assert expected == self.paid_in


def _model_due(month: YearMonth, approved: YearMonth | None) -> date:
    """The model's own reading of 法321条の5① / 321条の5の2①: monthly, or end of the half-year."""
    if approved is None or month < approved:
        return date(month.year + month.month // 12, month.month % 12 + 1, 10)
    return date(FISCAL_YEAR, 12, 10) if 6 <= month.month <= 11 else date(FISCAL_YEAR + 1, 6, 10)


SpecialCollectionYear.TestCase.settings = settings(
    max_examples=int(os.environ.get("OSAME_MODEL_EXAMPLES", "50")),
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_special_collection_year = SpecialCollectionYear.TestCase
