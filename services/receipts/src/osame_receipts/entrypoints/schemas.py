"""What the HTTP routes of receipts accept, as pydantic models for the OpenAPI document
(`osame_chassis.openapi.api` in `entrypoints.http`).

The handlers parse their input themselves (`_text`, `_int`, `_date`: errors never echo input);
these models describe the same fields and rules so integrators get a typed contract. Keep the
two in step when a field changes.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

NOTICE = Field(min_length=1, description="通知書番号")
INSTALLMENT = Field(ge=0, description="期別")
AMOUNT = Field(ge=0, description="yen")
ADDRESSEE = Field(pattern=r"^[0-9]{1,15}$", description="宛名番号")


class MoneyQuery(BaseModel):
    addressee_id: str | None = Field(default=None, pattern=r"^[0-9]{1,15}$", description="宛名番号")


class LedgerPath(BaseModel):
    addressee_id: str = ADDRESSEE


class DailyTotalsQuery(BaseModel):
    booked_on: dt.date | None = Field(default=None, description="default: the business date")


class _Payment(BaseModel):
    notice_number: str = NOTICE
    installment_no: int = INSTALLMENT
    amount: int = AMOUNT


class CounterPayment(_Payment):
    """窓口収納: one payment taken at the counter."""

    receipt_no: str = Field(min_length=1)
    paid_on: dt.date


class SecurityReceived(_Payment):
    """証券 (a cheque or bill) received for an installment."""

    instrument_number: str = Field(min_length=1)
    drawee_bank_code: str = Field(min_length=1)
    received_on: dt.date


class OnDate(BaseModel):
    on: dt.date


class Assign(BaseModel):
    """Apply an unmatched receipt to an installment."""

    notice_number: str = NOTICE
    installment_no: int = INSTALLMENT


class CorrectionProposal(BaseModel):
    """収納訂正: reverse a receipt, or move it to another 通知書/期別 (proposer ≠ approver)."""

    receipt_id: str
    kind: Literal["reverse", "move"]
    reason: str = Field(max_length=200, description="why (no personal data)")
    notice_number: str | None = Field(default=None, description="move: the target 通知書番号")
    installment_no: int | None = Field(default=None, ge=1, description="move: the target 期別")


class CorrectionsQuery(BaseModel):
    status: Literal["pending", "approved", "rejected", "all"] = "pending"
    limit: int = Field(default=500, ge=0, le=500)
    offset: int = Field(default=0, ge=0)


class NoticeReceiptsQuery(BaseModel):
    notice_number: str = Field(description="通知書番号: every receipt booked on it, any state")


class UnmatchedQuery(BaseModel):
    notice_number: str | None = None
    channel: str | None = None
    batch_id: str | None = None
    paid_from: dt.date | None = Field(default=None, description="領収日 from")
    paid_to: dt.date | None = Field(default=None, description="領収日 to")
    limit: int = Field(default=500, ge=0, le=500)
    offset: int = Field(default=0, ge=0)


class CorrectionRejection(BaseModel):
    note: str | None = Field(default=None, max_length=200)


class ImportPath(BaseModel):
    kind: Literal["zengin-result", "cvs", "ocr", "mpn", "eltax", "withholding-ocr", "withholding-eltax"]


class ImportQuery(BaseModel):
    file: str | None = Field(default=None, description="the file's name, for the batch record")
    year: int | None = Field(default=None, ge=0, description="zengin-result: the year of the debit date")


class BatchesQuery(BaseModel):
    channel: str | None = None
    status: str | None = None
    limit: int = Field(default=100, ge=0, le=1_000)


class SuspenseQuery(BaseModel):
    status: Literal["held", "resolved", "returned", "all"] = "held"
    channel: str | None = None
    batch_id: str | None = None
    notice_number: str | None = None
    paid_from: dt.date | None = None
    paid_to: dt.date | None = None
    limit: int = Field(default=500, ge=0, le=5_000)


class SuspenseResolve(BaseModel):
    """Apply held money (保留) to an installment; the staff member is the token's subject."""

    notice_number: str = NOTICE
    installment_no: int = INSTALLMENT
    amount: int | None = Field(default=None, ge=0, description="default: all of the held amount")
    paid_on: dt.date | None = None
    booked_on: dt.date | None = None


class SuspenseReturn(BaseModel):
    """Return held money to the payer (還付 outside the refund flow)."""

    note: str = Field(min_length=1)


class DebitRequest(BaseModel):
    """Build the 口座振替 request file (全銀 91) for a debit date."""

    debit_date: dt.date
    fiscal_year: int = Field(ge=0)


class Mandate(BaseModel):
    """口座振替依頼: register a debit mandate."""

    addressee_id: str = ADDRESSEE
    tax_item: str = Field(min_length=1)
    bank_code: str = Field(min_length=1)
    branch_code: str = Field(min_length=1)
    account_type: str = Field(default="1")
    account_number: str = Field(min_length=1)
    holder_kana: str = Field(min_length=1)
    applied_on: dt.date
    starts_on: dt.date


class BarcodePath(BaseModel):
    notice_number: str = NOTICE
    installment_no: int = INSTALLMENT


class BarcodeQuery(BaseModel):
    pay_by: dt.date | None = Field(default=None, description="default: the installment's due date")


class KeiQuery(BaseModel):
    fiscal_year: int | None = Field(default=None, ge=0, description="default: the current year")


class AppropriationOrderRow(BaseModel):
    """充当 order from an effective date (法17条の2③: the tax before its own 延滞金; the rest the city's)."""

    effective_from: dt.date
    kind_order: list[
        Literal["disposition_cost", "demand_fee", "principal_tax", "additional_tax", "late_fee"]
    ] = Field(min_length=5, max_length=5, description="every kind once, first paid first")
    group_order: Literal["oldest_first", "as_given"] = "oldest_first"
    source: str = Field(min_length=3, max_length=300, description="条例 / 規則 / 要綱 the order comes from")
