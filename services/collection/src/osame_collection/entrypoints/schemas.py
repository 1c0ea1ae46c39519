"""Query strings and small bodies of the collection HTTP routes, as pydantic models for the OpenAPI
document (`osame_chassis.openapi.api` in `entrypoints.http`; command bodies are the use cases' models).

The handlers parse these fields themselves (`_Day`, query parameters); keep the two in step.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field


class CaseQuery(BaseModel):
    as_of: date | None = Field(default=None, description="延滞金 to this date; default: the business date")


class NightlyBody(BaseModel):
    batch_date: date
    wait: bool = Field(default=True, description="false: start in the background and answer 202 with its id")


class RunOnBody(BaseModel):
    run_on: date | None = None


class AsOfBody(BaseModel):
    as_of: date


class CancelStayBody(BaseModel):
    cancelled_on: date


class SampleQuery(BaseModel):
    limit: int = Field(default=3, ge=0, le=50, description="letters rendered")


class BatchListQuery(BaseModel):
    kind: Literal["nightly", "campaign"] | None = Field(default=None, description="nightly or campaign")
    status: Literal["running", "done", "failed"] | None = None
    limit: int = Field(default=20, ge=1, le=200)
    offset: int = Field(default=0, ge=0)


class WorklistQuery(BaseModel):
    assignee: str | None = Field(
        default=None,
        description='a 担当, or "*" for every case; default: the signed-in user (others need worklists.team)',
    )
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int | None = Field(default=None, ge=1, description="rows per page (the service caps it)")
    horizon_days: int | None = Field(default=None, ge=0, description="時効 approaching within (limitation)")
    ahead_days: int | None = Field(
        default=None, ge=0, le=31, description="promised payments due within (promises)"
    )
