"""Query strings and small bodies of the collection HTTP routes, as pydantic models for the OpenAPI
document (`osame_chassis.openapi.api` in `entrypoints.http`; command bodies are the use cases' models).

The handlers parse these fields themselves (`_Day`, query parameters); keep the two in step.
"""

from __future__ import annotations

from datetime import date

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


class AuditQuery(BaseModel):
    addressee_id: str | None = Field(default=None, description="宛名番号; none = the whole trail")
