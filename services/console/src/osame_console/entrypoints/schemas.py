"""Query strings and form posts of the console's screens, as pydantic models for its OpenAPI
document (`osame_chassis.openapi.api` on the screen handlers). The handlers read these fields
themselves; keep the two in step. Every POST also carries the session's CSRF token.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FORM = "application/x-www-form-urlencoded"
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


class BatchLookupQuery(BaseModel):
    batch_id: str | None = None


class RefundQueueQuery(BaseModel):
    view: str | None = Field(default=None, description="which queue")
    page: str | None = None


class RefundQuery(BaseModel):
    done: Literal["prepare", "approve"] | None = Field(default=None, description="the step just done")


class RefundStepPath(BaseModel):
    refund_id: str
    step: Literal["prepare", "approve"]
