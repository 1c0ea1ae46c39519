"""申告納付 messages from the 税務システム: 法人市民税 returns (申告) and the city's 更正・決定.

STAGED (issue 15, phase 1): listed in ``STAGED_MESSAGES``, not ``MESSAGES`` — see
``taxation_special_collection`` and docs/design/special-collection.md.

A return carries the facts the consumers need to apply ``osame_law.self_assessment``: the
申告区分, the 事業年度, the filing date, the 法人税割 / 均等割 split, what the return makes
payable, its 法定納期限 (and an extended deadline), and for a 修正申告 the original filing
date (the 1-year exclusion counts from it).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field, model_validator

from osame_contracts.base import AddresseeId, Event, NoticeNumber, SignedYen, Yen


class FilingKind(StrEnum):
    PROVISIONAL = "provisional"  # 予定申告 (法321条の8①)
    INTERIM = "interim"  # 中間申告, 仮決算 (法321条の8②)
    FINAL = "final"  # 確定申告 (法321条の8④)
    AMENDED = "amended"  # 修正申告 (法321条の8㉒)


def _anniversary(start: dt.date) -> dt.date:
    """The same day a year later (1 March for 29 February): the first day after a one-year business year."""
    try:
        return start.replace(year=start.year + 1)
    except ValueError:
        return dt.date(start.year + 1, 3, 1)


class _CorporateBody(Event):
    addressee_id: AddresseeId = Field(description="宛名番号 of the corporation")
    notice_number: NoticeNumber = Field(description="通知書番号 of the business year's 法人市民税 account")
    business_year_start: dt.date = Field(description="事業年度 first day")
    business_year_end: dt.date = Field(description="事業年度 last day")
    revision: int = Field(
        ge=1, description="申告履歴番号: monotonic per notice_number; stale ones are ignored"
    )

    @model_validator(mode="after")
    def _business_year(self) -> _CorporateBody:
        start, end = self.business_year_start, self.business_year_end
        if end < start:
            raise ValueError("business_year_end is before business_year_start")
        if end >= _anniversary(start):
            raise ValueError("a business year is at most one year (法人税法13条)")
        return self


class CorporateReturnFiled(_CorporateBody):
    """申告 of 法人市民税 (法321条の8): one return for one business year."""

    routing_key = "taxation.corporate-return.filed.v1"

    filing_kind: FilingKind
    amends_kind: FilingKind | None = Field(
        default=None, description="For a 修正申告: the kind of return it amends (final, interim, provisional)"
    )
    filed_on: dt.date = Field(description="申告年月日")
    corporate_tax_levy: Yen = Field(
        description="法人税割額 declared by this return (whole, not the increase)"
    )
    per_capita_levy: Yen = Field(description="均等割額 declared by this return")
    already_fixed: Yen = Field(
        default=0,
        description="Tax fixed before this return for the year (中間納付額, or the amended return's tax)",
    )
    tax_payable: SignedYen = Field(
        description="納付すべき税額 = 法人税割 + 均等割 − already_fixed; negative: 中間納付額 to refund"
    )
    statutory_due_date: dt.date = Field(
        description="法定納期限 as the law states it (not moved for closed days)"
    )
    extended_due_date: dt.date | None = Field(
        default=None, description="申告期限の延長 (法人税法75条の2), if granted"
    )
    original_filed_on: dt.date | None = Field(
        default=None, description="For a 修正申告: the filing date of the return it amends"
    )
    one_year_exclusion_barred: bool = Field(
        default=False,
        description="偽りその他不正: the 1-year exclusion of 延滞金 (法326, 321条の12) does not apply",
    )

    @model_validator(mode="after")
    def _coherent(self) -> CorporateReturnFiled:
        if self.filed_on <= self.business_year_start:
            raise ValueError("filed_on is not after the business year began")
        if self.tax_payable != self.corporate_tax_levy + self.per_capita_levy - self.already_fixed:
            raise ValueError("tax_payable must be 法人税割 + 均等割 − already_fixed")
        amended = self.filing_kind is FilingKind.AMENDED
        if amended != (self.amends_kind is not None and self.original_filed_on is not None):
            raise ValueError("a 修正申告 names amends_kind and original_filed_on, and only a 修正申告")
        if self.amends_kind is FilingKind.AMENDED:
            raise ValueError("amends_kind is the original return's kind, not amended")
        if amended and self.tax_payable < 0:
            raise ValueError("a 修正申告 only increases the tax (a decrease is a 更正の請求)")
        if self.original_filed_on is not None and self.original_filed_on > self.filed_on:
            raise ValueError("original_filed_on is after filed_on")
        if self.extended_due_date is not None and self.extended_due_date <= self.statutory_due_date:
            raise ValueError("extended_due_date must be after statutory_due_date")
        if self.statutory_due_date <= self.business_year_start:
            raise ValueError("statutory_due_date is not after the business year began")
        return self


class ReassessmentKind(StrEnum):
    CORRECTION = "correction"  # 更正 (法321条の11①)
    DETERMINATION = "determination"  # 決定 (法321条の11②: no return was filed)


class CorporateTaxReassessed(_CorporateBody):
    """更正・決定 of 法人市民税 by the city; a positive deficiency is due one month after the notice."""

    routing_key = "taxation.corporate-return.reassessed.v1"

    reassessment_kind: ReassessmentKind
    amends_kind: FilingKind = Field(
        description="The kind of return (or, for 決定, of the return due) it fixes"
    )
    notified_on: dt.date = Field(description="Date the 更正/決定通知書 was sent")
    corporate_tax_levy: Yen = Field(description="法人税割額 after the 更正・決定")
    per_capita_levy: Yen = Field(description="均等割額 after the 更正・決定")
    deficiency: SignedYen = Field(
        description="不足税額 (positive) or the decrease to refund (negative, 減額更正)"
    )
    deficiency_due_date: dt.date | None = Field(default=None, description="納期限 of a positive deficiency")
    statutory_due_date: dt.date = Field(description="法定納期限 of the return it fixes")
    original_filed_on: dt.date | None = Field(
        default=None, description="Filing date of the return (None for 決定)"
    )
    one_year_exclusion_barred: bool = False

    @model_validator(mode="after")
    def _coherent(self) -> CorporateTaxReassessed:
        if self.amends_kind is FilingKind.AMENDED:
            raise ValueError("amends_kind is the original return's kind, not amended")
        determination = self.reassessment_kind is ReassessmentKind.DETERMINATION
        if determination == (self.original_filed_on is not None):
            raise ValueError("a 更正 names the original filing date; a 決定 has none")
        if (self.deficiency > 0) != (self.deficiency_due_date is not None):
            raise ValueError("deficiency_due_date is required with, and only with, a positive deficiency")
        if self.deficiency_due_date is not None and self.deficiency_due_date <= self.notified_on:
            raise ValueError("deficiency_due_date must be after notified_on")
        if self.original_filed_on is not None and self.original_filed_on > self.notified_on:
            raise ValueError("original_filed_on is after notified_on")
        return self


STAGED_MESSAGES = (CorporateReturnFiled, CorporateTaxReassessed)
