"""Composition root of the receipts service."""

from __future__ import annotations

from pathlib import Path

from osame_chassis.runtime import ServiceSpec
from osame_chassis.settings import ServiceSettings
from osame_law import calendar
from pydantic import Field, field_validator

from osame_receipts.adapters.repository import stats
from osame_receipts.domain.reconciliation import parse_order
from osame_receipts.entrypoints.consumers import register
from osame_receipts.entrypoints.http import routes


class ReceiptsSettings(ServiceSettings):
    service_name: str = "receipts"
    http_port: int = 8101
    reconciliation_order: str = Field(
        default="demand_fee,principal_tax,late_fee",
        description="消込 order of the components (per-city policy; default domain-rules §10.2)",
    )
    cvs_company_code: str = Field(
        default="912345", description="収納企業コード (6 digits) on コンビニ barcodes"
    )
    creditor_code: str = Field(default="0000000000", description="口座振替 委託者コード (10 digits)")
    creditor_name: str = Field(default="ｼﾔｸｼﾖ", description="委託者名 (half-width kana)")
    creditor_bank_code: str = "0001"
    creditor_branch_code: str = "001"
    creditor_account_type: str = "1"
    creditor_account_number: str = "0000000"
    check_bank_codes: bool = Field(default=True, description="Refuse bank codes missing from zengin-code")

    @field_validator("reconciliation_order")
    @classmethod
    def _valid_order(cls, value: str) -> str:
        parse_order(value)
        return value


def build_spec() -> ServiceSpec:
    return ServiceSpec(
        settings=ReceiptsSettings(),
        migrations=Path(__file__).parent / "migrations",
        register=register,
        stats=stats,
        routes=routes,
        title="Osame receipts (収納管理)",
        warm_up=calendar.warm_up,  # the holiday calendar: seconds of CPU at first use
    )
