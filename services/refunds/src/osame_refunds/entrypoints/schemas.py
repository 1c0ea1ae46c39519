"""Query strings of the refunds HTTP routes, as pydantic models for the OpenAPI document
(`osame_chassis.openapi.api` in `entrypoints.http`; the bodies are the models there).

The handlers check the query themselves (`_param`, `_page`) with the same patterns; keep the two
in step when a parameter changes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

ADDRESSEE = r"^[0-9]{1,15}$"
STATUS = r"^[a-z_]{1,20}$"


class AddresseeQuery(BaseModel):
    addressee_id: str | None = Field(default=None, pattern=ADDRESSEE, description="宛名番号")


class StatusQuery(AddresseeQuery):
    status: str | None = Field(default=None, pattern=STATUS)


class PagedQuery(AddresseeQuery):
    limit: int | None = Field(default=None, ge=1, le=200, description="page size; none = the whole list")
    offset: int | None = Field(default=None, ge=0, description="needs limit")


class PagedStatusQuery(PagedQuery):
    status: str | None = Field(default=None, pattern=STATUS)


class RefundsQuery(PagedStatusQuery):
    stage: Literal["to_prepare", "to_approve", "to_pay"] | None = Field(
        default=None, description="the work queue a refund waits in"
    )
