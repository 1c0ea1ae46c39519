"""Receipts' 特別徴収 納入 events for collection (design note §6): STAGED, not on the bus yet.

Receipts owns the 特別徴収 ledger (per 指定番号 × 年度, one notice per employee, 期別 1..12 =
June..May) and knows each 納入's expected amount (Σ employees' 月割額 of its months) and what was
paid in. Collection needs that per 納入 for 延滞金 against the 義務者 (法326①, base = the 納入's
unpaid total) and 督促 (法329) — not per employee-month. Collection's consumer is phase 2 step 2,
so these models are in ``STAGED_MESSAGES`` with collection as the planned consumer
(``osame_contracts.staged.PLANNED_CONSUMERS``); receipts publishes them once it is wired.

Privacy: the 義務者 by 宛名番号 and the 指定番号 only; no employee is named.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from osame_contracts.base import AddresseeId, Event, Yen
from osame_contracts.messages.taxation_special_collection import (
    DesignationNumber,
    FiscalYear,
    YearMonth,
    fiscal_year_months,
)


class _Remittance(Event):
    obligor_addressee_id: AddresseeId = Field(description="宛名番号 of the 特別徴収義務者")
    designation_number: DesignationNumber
    fiscal_year: FiscalYear
    months: list[YearMonth] = Field(
        min_length=1, max_length=6, description="徴収月 this 納入 carries (6 under 納期の特例)"
    )
    statutory_due_date: dt.date = Field(description="納期限: the 10th of the next month (法321条の5①)")
    due_date: dt.date = Field(description="納期限 after 法20条の5② (closed days moved)")
    expected_amount: Yen = Field(description="Σ employees' 月割額 of these months (after 異動 and 変更)")
    version: int = Field(ge=1, description="Monotonic per 納入; stale ones are ignored")

    @model_validator(mode="after")
    def _months_of_the_year(self) -> _Remittance:
        year = fiscal_year_months(self.fiscal_year)
        if any(m not in year for m in self.months) or self.months != sorted(set(self.months)):
            raise ValueError("months must be distinct 徴収月 of the fiscal year, in order")
        if self.due_date < self.statutory_due_date:
            raise ValueError("due_date is before statutory_due_date")
        return self


class WithholdingRemittanceDue(_Remittance):
    """A 納入 is expected: its months, due date and amount (sent when it changes)."""

    routing_key = "receipts.withholding-remittance.due.v1"


class _Paid(_Remittance):
    paid_amount: Yen = Field(description="Σ of the 納入's 給与分 applied to its employee-months")
    remaining: Yen = Field(description="expected_amount − paid (never negative: excess is a 過納)")
    last_paid_on: dt.date = Field(description="領収日 of the payment that caused this state")
    last_booked_on: dt.date = Field(description="収入日 of that payment")


class WithholdingRemittanceSettled(_Paid):
    """The 納入 is paid in full (延滞金 stops on ``last_paid_on``)."""

    routing_key = "receipts.withholding-remittance.settled.v1"


class WithholdingRemittancePartlyPaid(_Paid):
    """Part of the 納入 is paid; 延滞金 runs on ``remaining`` from the day after ``due_date``."""

    routing_key = "receipts.withholding-remittance.partly-paid.v1"


STAGED_MESSAGES = (WithholdingRemittanceDue, WithholdingRemittanceSettled, WithholdingRemittancePartlyPaid)
