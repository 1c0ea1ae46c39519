"""特別徴収 messages from the 税務システム: 給与 (employers), 年金 (pension payers), 分離課税 (退職所得).

The 給与特別徴収 messages (determined / changed / separated) are on the bus: receipts consumes
them (phase 2 step 1). The pension and 分離課税 ones are still STAGED (``STAGED_MESSAGES``, not
``MESSAGES``): the registry, the topology and the broker definitions do not carry them until
their consumers named in ``osame_contracts.staged.PLANNED_CONSUMERS`` exist
(docs/design/special-collection.md).

Law and arithmetic: ``osame_law.special_collection``, ``pension_collection``, ``separate_taxation``;
sources in docs/law/special-collection.md. The contracts check only what a message must hold
to be coherent (sums, one month per payment, dates inside the fiscal year); the law rules are
applied by the consumers.

Privacy: employees and pensioners are named by 宛名番号 and 通知書番号 only; no 基礎年金番号,
no names. The 指定番号 (特別徴収義務者指定番号) identifies an employer's payroll office.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from osame_contracts.base import AddresseeId, Event, NoticeNumber, Part, Yen

MAX_LINES_PER_MESSAGE = 1000
MONTHS_PER_YEAR = 12

DesignationNumber = Annotated[
    str,
    Field(
        pattern=r"^[0-9A-Za-z-]{1,20}$", description="特別徴収義務者指定番号 (the employer's payroll office)"
    ),
]
YearMonth = Annotated[
    str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="Year and month, YYYY-MM")
]
FiscalYear = Annotated[
    int, Field(ge=2000, le=2100, description="年度 (June of this year to May of the next)")
]


def fiscal_year_months(fiscal_year: int) -> list[str]:
    """The 12 徴収月 June..May of ``fiscal_year`` as YYYY-MM (法321条の5①)."""
    return [f"{fiscal_year + (m < 6):04d}-{m:02d}" for m in (6, 7, 8, 9, 10, 11, 12, 1, 2, 3, 4, 5)]


def _in_fiscal_year(fiscal_year: int, day: dt.date) -> bool:
    return dt.date(fiscal_year, 6, 1) <= day <= dt.date(fiscal_year + 1, 5, 31)


# --- 給与所得に係る特別徴収 ---------------------------------------------------------------------


class RemittanceSchedule(StrEnum):
    MONTHLY = "monthly"  # 毎月納入 (法321条の5①)
    SEMIANNUAL = "semiannual"  # 納期の特例 (法321条の5の2①): June–Nov by 10 Dec, Dec–May by 10 June


class EmployeeWithholding(Part):
    """One employee's 特別徴収税額 for the year: the annual amount and its 12 月割額."""

    addressee_id: AddresseeId = Field(description="宛名番号 of the employee (納税義務者)")
    notice_number: NoticeNumber = Field(description="通知書番号 of the employee's 特別徴収 for the year")
    annual_amount: Yen = Field(description="特別徴収税額 (市町村民税 + 道府県民税 + 森林環境税)")
    monthly_amounts: list[Yen] = Field(
        min_length=MONTHS_PER_YEAR,
        max_length=MONTHS_PER_YEAR,
        description="月割額 June..May (法321条の5①: the part under 100 yen normally in June)",
    )
    forest_environment_tax: Yen = Field(default=0, description="森林環境税 included in annual_amount")

    @model_validator(mode="after")
    def _coherent(self) -> EmployeeWithholding:
        if sum(self.monthly_amounts) != self.annual_amount:
            raise ValueError("the 12 月割額 must add up to the annual 特別徴収税額")
        if self.forest_environment_tax > self.annual_amount:
            raise ValueError("森林環境税 cannot exceed the annual amount")
        return self


class _WithholdingBody(Event):
    obligor_addressee_id: AddresseeId = Field(
        description="宛名番号 of the 特別徴収義務者 (the payer of the 納入)"
    )
    designation_number: DesignationNumber
    fiscal_year: FiscalYear
    revision: int = Field(
        ge=1, description="Monotonic per (指定番号, employee 通知書番号); stale ones are ignored"
    )
    notified_on: dt.date = Field(description="Date of the 税額決定/変更通知 to the 義務者")
    remittance_schedule: RemittanceSchedule
    special_approved_on: dt.date | None = Field(
        default=None, description="Approval date of 納期の特例 (法321条の5の2①); required when semiannual"
    )
    part_no: int = Field(ge=1, description="This message's number among the parts of one notice run")
    part_count: int = Field(ge=1, description="How many parts the 義務者's notice run has")
    employees: list[EmployeeWithholding] = Field(min_length=1, max_length=MAX_LINES_PER_MESSAGE)

    @model_validator(mode="after")
    def _coherent(self) -> _WithholdingBody:
        numbers = [e.notice_number for e in self.employees]
        if len(numbers) != len(set(numbers)):
            raise ValueError("an employee's 通知書番号 appears twice in one message")
        if self.part_no > self.part_count:
            raise ValueError("part_no is larger than part_count")
        semiannual = self.remittance_schedule is RemittanceSchedule.SEMIANNUAL
        if semiannual != (self.special_approved_on is not None):
            raise ValueError("special_approved_on is required with, and only with, the semiannual schedule")
        if self.notified_on > dt.date(self.fiscal_year + 1, 5, 31):
            raise ValueError("notified_on is after the end of the fiscal year's collection (31 May)")
        return self


class SpecialCollectionDetermined(_WithholdingBody):
    """特別徴収税額の決定 (法321条の4②): the annual amounts and 月割額 notified to an employer by 31 May."""

    routing_key = "taxation.special-collection.determined.v1"


class SpecialCollectionChanged(_WithholdingBody):
    """税額変更: new annual amounts for the listed employees from ``changed_from`` on."""

    routing_key = "taxation.special-collection.changed.v1"

    changed_from: YearMonth = Field(
        description="First 徴収月 whose 月割額 changed; earlier months are unchanged"
    )

    @model_validator(mode="after")
    def _month_in_year(self) -> SpecialCollectionChanged:
        if self.changed_from not in fiscal_year_months(self.fiscal_year):
            raise ValueError("changed_from is not a 徴収月 of the fiscal year")
        return self


class SeparationReason(StrEnum):
    RETIREMENT = "retirement"  # 退職
    LEAVE = "leave"  # 休職 (no salary)
    TRANSFER = "transfer"  # 転勤・転職
    DEATH = "death"  # 死亡
    OTHER = "other"


class SpecialCollectionSeparated(Event):
    """異動 (給与所得者異動届出書, 法321条の7): an employee stops being paid by this 義務者.

    The 義務者 still withholds the month of the event (法321条の5②); the remainder goes to a
    lump sum (一括徴収), 普通徴収 (法321条の6) or the new employer, in any mix the 税務システム
    decided (a lump sum that the last pay could not cover leaves the rest to 普通徴収).
    """

    routing_key = "taxation.special-collection.separated.v1"

    obligor_addressee_id: AddresseeId
    designation_number: DesignationNumber
    fiscal_year: FiscalYear
    addressee_id: AddresseeId = Field(description="宛名番号 of the employee")
    notice_number: NoticeNumber = Field(description="通知書番号 of the employee's 特別徴収 for the year")
    revision: int = Field(ge=1)
    reason: SeparationReason
    event_on: dt.date = Field(description="Day of the 異動 (退職日 …)")
    reported_on: dt.date = Field(description="Day the 異動届 was received")
    annual_amount: Yen
    last_withheld_month: YearMonth = Field(
        description="Last 徴収月 withheld by this 義務者 (the month of the event)"
    )
    withheld_total: Yen = Field(description="月割額 June..last_withheld_month")
    lump_sum: Yen = Field(default=0, description="一括徴収 from the last salary / retirement allowance")
    lump_sum_month: YearMonth | None = Field(default=None, description="Month the lump sum is withheld")
    ordinary: Yen = Field(default=0, description="Left to 普通徴収 (the notice follows as an assessment)")
    continued: Yen = Field(default=0, description="Withheld by the new employer")
    new_designation_number: DesignationNumber | None = None
    new_obligor_addressee_id: AddresseeId | None = None

    @model_validator(mode="after")
    def _coherent(self) -> SpecialCollectionSeparated:
        if self.withheld_total + self.lump_sum + self.ordinary + self.continued != self.annual_amount:
            raise ValueError("withheld + lump sum + 普通徴収 + continued must equal the annual amount")
        if not _in_fiscal_year(self.fiscal_year, self.event_on):
            raise ValueError("event_on is outside the fiscal year's June..May")
        if self.reported_on < self.event_on:
            raise ValueError("reported_on is before event_on")
        months = fiscal_year_months(self.fiscal_year)
        if self.last_withheld_month not in months:
            raise ValueError("last_withheld_month is not a 徴収月 of the fiscal year")
        if (self.lump_sum > 0) != (self.lump_sum_month is not None):
            raise ValueError("lump_sum_month is required with, and only with, a lump sum")
        if self.lump_sum_month is not None and self.lump_sum_month not in months:
            raise ValueError("lump_sum_month is not a 徴収月 of the fiscal year")
        if (self.continued > 0) != (
            self.new_designation_number is not None and self.new_obligor_addressee_id is not None
        ):
            raise ValueError("a continued amount needs the new 指定番号 and 義務者, and only then")
        return self


# --- 公的年金等に係る特別徴収 ---------------------------------------------------------------------


class PensionStage(StrEnum):
    PROVISIONAL = "provisional"  # 仮徴収 April/June/August (法321条の7の8)
    MAIN = "main"  # 本徴収 October/December/February


class PensionPayment(Part):
    month: YearMonth = Field(description="Pension payment month")
    amount: Yen


class PensionWithholdingLine(Part):
    addressee_id: AddresseeId = Field(description="宛名番号 of the pensioner")
    notice_number: NoticeNumber = Field(description="通知書番号 of the pension 特別徴収 for the year")
    pension_payer_code: str = Field(pattern=r"^[0-9]{3}$", description="年金保険者コード (3 digits)")
    stage: PensionStage
    payments: list[PensionPayment] = Field(min_length=3, max_length=3)
    annual_amount: Yen | None = Field(
        default=None, description="This year's pension-part annual tax (main only)"
    )
    provisional_withheld: Yen = Field(default=0, description="仮徴収 withheld this year (main only)")

    @model_validator(mode="after")
    def _coherent(self) -> PensionWithholdingLine:
        months = [p.month for p in self.payments]
        if len(set(months)) != 3 or months != sorted(months):
            raise ValueError("three distinct payment months in order")
        if self.stage is PensionStage.MAIN:
            if self.annual_amount is None:
                raise ValueError("a 本徴収 line carries the annual amount")
            total = sum(p.amount for p in self.payments)
            if total > self.annual_amount:
                raise ValueError("本徴収 cannot exceed the annual amount")
        elif self.annual_amount is not None or self.provisional_withheld:
            raise ValueError("a 仮徴収 line carries neither annual_amount nor provisional_withheld")
        return self


class PensionWithholdingDetermined(Event):
    """年金特別徴収 amounts requested of the pension payers through the 経由機関, per person."""

    routing_key = "taxation.pension-withholding.determined.v1"

    fiscal_year: FiscalYear
    revision: int = Field(ge=1)
    determined_on: dt.date
    lines: list[PensionWithholdingLine] = Field(min_length=1, max_length=MAX_LINES_PER_MESSAGE)

    @model_validator(mode="after")
    def _unique(self) -> PensionWithholdingDetermined:
        keys = [(line.notice_number, line.stage) for line in self.lines]
        if len(keys) != len(set(keys)):
            raise ValueError("a 通知書番号 and stage appear twice in one message")
        return self


class PensionStopReason(StrEnum):
    DEATH = "death"
    PENSION_ENDED = "pension_ended"
    MOVED_OUT = "moved_out"
    TAX_CHANGED = "tax_changed"
    OTHER = "other"


class PensionWithholdingStopped(Event):
    """特別徴収停止: the pension payer stops withholding; the rest goes to 普通徴収."""

    routing_key = "taxation.pension-withholding.stopped.v1"

    fiscal_year: FiscalYear
    addressee_id: AddresseeId
    notice_number: NoticeNumber
    pension_payer_code: str = Field(pattern=r"^[0-9]{3}$")
    revision: int = Field(ge=1)
    reason: PensionStopReason
    stopped_on: dt.date
    payments_made: int = Field(ge=0, le=6, description="Pension payments withheld this year before the stop")
    withheld_total: Yen
    ordinary: Yen = Field(description="Left to 普通徴収")


# --- 分離課税 (退職所得) 納入申告 ---------------------------------------------------------------


class RetirementIncomeTaxFiled(Event):
    """納入申告 (法328条の5②): tax withheld from retirement allowances paid in one month."""

    routing_key = "taxation.retirement-income-tax.filed.v1"

    obligor_addressee_id: AddresseeId
    designation_number: DesignationNumber | None = None
    notice_number: NoticeNumber = Field(description="通知書番号 the 納入 is reconciled against")
    revision: int = Field(ge=1)
    paid_month: YearMonth = Field(description="Month the allowances were paid and the tax withheld")
    filed_on: dt.date
    recipients: int = Field(ge=1, description="支払人員")
    allowance_total: Yen = Field(description="支払金額")
    municipal_tax: Yen = Field(description="市町村民税 withheld")
    prefectural_tax: Yen = Field(description="道府県民税 withheld (collected with it)")
    statutory_due_date: dt.date = Field(description="納期限: the 10th of the next month, or 納期の特例")

    @model_validator(mode="after")
    def _coherent(self) -> RetirementIncomeTaxFiled:
        year, month = (int(x) for x in self.paid_month.split("-"))
        if self.statutory_due_date <= dt.date(year, month, 1):
            raise ValueError("statutory_due_date is not after the paid month")
        return self


# On the bus (issue 15 phase 2 step 1): receipts keeps the 特別徴収 ledger from these.
MESSAGES = (SpecialCollectionDetermined, SpecialCollectionChanged, SpecialCollectionSeparated)

STAGED_MESSAGES = (
    PensionWithholdingDetermined,
    PensionWithholdingStopped,
    RetirementIncomeTaxFiled,
)
