"""Query strings and form posts of the console's screens, as pydantic models for its OpenAPI
document (`osame_chassis.openapi.api` on the screen handlers). The handlers read these fields
themselves; keep the two in step. Every POST also carries the session's CSRF token.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from osame_console.service_layer import corrections, receipts, worklists

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
PAGE = "text/html"


class SignInQuery(BaseModel):
    next: str | None = Field(default=None, description="a path of this console to return to")
    reason: Literal["required", "idle", "expired", "service"] | None = None


class LoginQuery(BaseModel):
    next: str | None = Field(default=None, description="a path of this console to return to")


class CallbackQuery(BaseModel):
    """What the OpenID Connect issuer sends back."""

    state: str | None = None
    code: str | None = None
    error: str | None = None


class CsrfForm(BaseModel):
    csrf_token: str = Field(description="the session's CSRF token (or the X-CSRF-Token header)")


class SearchForm(CsrfForm):
    """宛名検索: the terms are personal data, so they are posted, never put in the URL."""

    addressee_id: str | None = Field(default=None, description="宛名番号")
    name_kana: str | None = None


class RecordForm(CsrfForm):
    """The fields of the record form of that kind (collection's command of the same name)."""

    model_config = ConfigDict(extra="allow")


class RecordPath(BaseModel):
    addressee_id: str
    kind: Literal["contacts", "pledges", "inquiries", "dispositions", "stays"]


class AddresseeQuery(BaseModel):
    addressee_id: str | None = Field(default=None, description="宛名番号 typed into the lookup")


class CaseQuery(BaseModel):
    saved: str | None = Field(default=None, description="the kind of record just saved (a message)")


class WorklistQuery(BaseModel):
    """担当一覧: collection's worklist query, checked by the console first."""

    assignee: str | None = Field(
        default=None, description='another 担当\'s staff id, or "*" for every case (worklists.team)'
    )
    page: str | None = Field(default=None, description="page from 1")
    horizon_days: str | None = Field(default=None, description="時効完成間近: days ahead (0-1098)")
    ahead_days: str | None = Field(default=None, description="納付約束日: days ahead (0-31)")


class WorklistPath(BaseModel):
    kind: Literal[*worklists.KINDS]


class BatchLookupQuery(BaseModel):
    batch_id: str | None = None
    page: int = Field(default=1, ge=1, description="the run list's page (20 a page, newest first)")


class RefundQueueQuery(BaseModel):
    view: str | None = Field(default=None, description="which queue")
    page: str | None = None


class RefundQuery(BaseModel):
    done: Literal["prepare", "approve"] | None = Field(default=None, description="the step just done")


class RefundStepPath(BaseModel):
    refund_id: str
    step: Literal["prepare", "approve"]


# -- 収納 (receipt_routes): ids, codes and dates only in URLs; the typed 割当 is posted -------------
# The choices are the use cases' own tables (one home): Literal[*table].


class ImportForm(CsrfForm):
    """ファイル取込: multipart, or the CSRF token in the X-CSRF-Token header (htmx)."""

    kind: Literal[*receipts.IMPORT_KINDS] = Field(description="the file's format (収納経路)")
    file: bytes = Field(description=f"the file, at most {receipts.MAX_UPLOAD_BYTES} bytes")


class ImportBatchesQuery(BaseModel):
    channel: str | None = Field(default=None, description="収納経路 (receipts' channel code)")
    status: Literal[*receipts.BATCH_STATUSES] | None = Field(default=None, description="the import's result")


class ImportBatchQuery(BaseModel):
    again: Literal["1"] | None = Field(default=None, description="the same bytes were imported before")


class UnmatchedQuery(BaseModel):
    """未消込's search (the list has held receipts only)."""

    channel: str | None = Field(default=None, description="収納経路 (receipts' channel code)")
    notice_number: str | None = Field(default=None, description="通知書番号")
    batch_id: str | None = Field(default=None, description="取込番号")
    paid_from: dt.date | None = Field(default=None, description="領収日 from")
    paid_to: dt.date | None = Field(default=None, description="領収日 to")
    done: Literal["assigned", "resolved", "returned"] | None = Field(
        default=None, description="the step just done (a message)"
    )


class SuspenseQuery(UnmatchedQuery):
    status: Literal[*receipts.SUSPENSE_STATUSES] = Field(default="held", description="the items' state")


class AssignForm(CsrfForm):
    """消込 to a 通知書/期別 (全角 digits allowed; receipts names a wrong one)."""

    notice_number: str = Field(description="通知書番号")
    installment_no: str = Field(description="期別 (digits)")


class ResolveForm(AssignForm):
    """保留 解消: what the record could not give may be typed (receipts refuses a different amount)."""

    amount: str | None = Field(default=None, description="金額 in yen (digits)")
    paid_on: dt.date | None = Field(default=None, description="領収日")
    booked_on: dt.date | None = Field(default=None, description="収入日")


class ReturnForm(CsrfForm):
    note: str = Field(max_length=200, description="処理内容 (返還先・理由); nothing is booked")


class DailyQuery(BaseModel):
    booked_on: dt.date | None = Field(default=None, description="収入日 (blank: receipts' business date)")


class CorrectionsQuery(BaseModel):
    status: Literal[*corrections.STATUSES] = Field(default="pending", description="the corrections' state")
    page: int = Field(default=1, ge=1)
    done: Literal["proposed", "approved", "rejected"] | None = Field(
        default=None, description="the step just done"
    )


class CorrectionNewQuery(BaseModel):
    """Either the 通知書番号 whose receipts to list, or the receipt to correct."""

    notice_number: str | None = Field(default=None, description="通知書番号")
    receipt_id: str | None = Field(default=None, description="the receipt to correct")


class CorrectionForm(CsrfForm):
    """収納訂正 起案: a reversal, or a move to another 通知書/期別, with a reason."""

    receipt_id: str
    kind: Literal[*corrections.KINDS]
    reason: str = Field(max_length=corrections.REASON_MAX, description="訂正の理由 (no personal data)")
    notice_number: str | None = Field(default=None, description="move: the target 通知書番号")
    installment_no: str | None = Field(default=None, description="move: the target 期別 (digits)")


class CorrectionDecisionForm(CsrfForm):
    note: str | None = Field(default=None, max_length=corrections.REASON_MAX, description="却下: why")


class AuditTrailQuery(BaseModel):
    page: int = Field(default=1, ge=1, description="50 entries a page, newest first")
    addressee_id: str | None = Field(default=None, description="宛名番号 (the services that filter by it)")
