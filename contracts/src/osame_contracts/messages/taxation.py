"""Messages from the 税務システム (the taxation system that assesses taxes).

The taxation system is outside Osame; it publishes these on `osame.events`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field, model_validator

from osame_contracts.base import AddresseeId, Event, NoticeNumber, Part, Yen


class TaxItem(StrEnum):
    """税目."""

    RESIDENT_TAX = "resident_tax"  # 個人住民税 (市県民税 + 森林環境税)
    FIXED_ASSET_TAX = "fixed_asset_tax"  # 固定資産税 (+ 都市計画税)
    LIGHT_VEHICLE_TAX = "light_vehicle_tax"  # 軽自動車税 種別割
    HEALTH_INSURANCE_TAX = "health_insurance_tax"  # 国民健康保険税
    CORPORATE_RESIDENT_TAX = "corporate_resident_tax"  # 法人市民税


class AssessedInstallment(Part):
    """One 期別 of an assessment: its 本税 and statutory 納期限 (before holiday shifting)."""

    installment_no: int = Field(ge=0, le=99, description="期別 (0 = 随時/全期)")
    principal_tax: Yen = Field(description="本税 調定額 for this installment")
    due_date: dt.date = Field(description="納期限 as set by the assessment (shifted by receipts if closed)")
    forest_environment_tax: Yen = Field(
        default=0, description="森林環境税 included in principal_tax (個人住民税 only; 森林環境税法7条)"
    )
    city_planning_tax: Yen = Field(
        default=0, description="都市計画税 included in principal_tax (固定資産税 only)"
    )

    @model_validator(mode="after")
    def _parts_within_principal(self) -> AssessedInstallment:
        if self.forest_environment_tax + self.city_planning_tax > self.principal_tax:
            raise ValueError("森林環境税/都市計画税 parts cannot exceed the installment's 本税")
        return self


class _AssessmentBody(Event):
    addressee_id: AddresseeId
    notice_number: NoticeNumber
    fiscal_year: int = Field(ge=2000, le=2100, description="賦課年度")
    tax_year: int = Field(ge=2000, le=2100, description="相当年度")
    tax_item: TaxItem
    revision: int = Field(ge=1, description="Monotonic revision of this notice; stale revisions are ignored")
    assessed_on: dt.date = Field(description="調定日 / 更正日")
    installments: list[AssessedInstallment] = Field(min_length=1, max_length=24)
    vehicle_plate: str | None = Field(
        default=None,
        max_length=20,
        min_length=1,
        description="標識番号 (軽自動車税 種別割 only), as printed (e.g. 高岡 あ 12-34); keys the 軽JNKS export",
    )

    @model_validator(mode="after")
    def _unique_installments(self) -> _AssessmentBody:
        numbers = [i.installment_no for i in self.installments]
        if len(numbers) != len(set(numbers)):
            raise ValueError("installment numbers must be unique within a notice")
        if self.vehicle_plate is not None and self.tax_item != TaxItem.LIGHT_VEHICLE_TAX:
            raise ValueError("vehicle_plate (標識番号) belongs to 軽自動車税 種別割 only")
        if self.tax_item != TaxItem.RESIDENT_TAX and any(i.forest_environment_tax for i in self.installments):
            raise ValueError("森林環境税 is collected with 個人住民税 only")
        if self.tax_item != TaxItem.FIXED_ASSET_TAX and any(i.city_planning_tax for i in self.installments):
            raise ValueError("都市計画税 is collected with 固定資産税 only")
        return self


class AssessmentRegistered(_AssessmentBody):
    """賦課: a new assessment (調定) for a notice."""

    routing_key = "taxation.assessment.registered.v1"


class AssessmentChanged(_AssessmentBody):
    """更正 (increase), 減額更正 or 取消 (all installments 0) of an existing notice."""

    routing_key = "taxation.assessment.changed.v1"


# Every message this module defines; the registry collects them.
MESSAGES = (AssessmentRegistered, AssessmentChanged)
