"""The one read API of a service's audit chain (操作ログの閲覧), the same on all five services:

    GET /audit          <service>:audit.read   entries in chain order, paged, filtered by action / 宛名番号 / date
    GET /audit/verify   <service>:audit.read   {ok, entries, first_broken_id}; 409 when the chain is broken

    # a service's routes():
    routes += audit_routes("receipts", auth, runtime.sessions, AuditLog(orm.audit_log))

`GET /audit` answers `{entries, page, per_page, total, chain_intact, first_broken}`; each entry is
`{seq, at, staff_user, action, addressee_id, outcome, client, detail, prev_hash, hash}` (collection's
earlier shape plus outcome and client). Dates filter on the business day in Asia/Tokyo, both ends
included. Entries hold what the chain holds — ids, codes, amounts, never names or addresses — and
the answer is `no-store`. Reading the trail is itself audited (operation `audit.read`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from osame_chassis.audit import AuditLog, AuditVerification
from osame_chassis.messaging.consumer import describe_validation_error
from osame_chassis.openapi import api

TOKYO = ZoneInfo("Asia/Tokyo")
NO_STORE = {"Cache-Control": "no-store"}
MAX_PER_PAGE = 500


class AuditQuery(BaseModel):
    """Filters and page of `GET /audit`."""

    model_config = ConfigDict(extra="forbid")

    action: str | None = Field(
        default=None, max_length=120, description="one operation, e.g. http.cases.read"
    )
    addressee_id: str | None = Field(
        default=None, pattern=r"^\d{1,15}$", description="宛名番号; none = the whole trail"
    )
    from_date: date | None = Field(default=None, description="first business day (Asia/Tokyo), included")
    to_date: date | None = Field(default=None, description="last business day (Asia/Tokyo), included")
    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=100, ge=1, le=MAX_PER_PAGE)

    @model_validator(mode="after")
    def _ordered(self):
        if self.from_date and self.to_date and self.from_date > self.to_date:
            raise ValueError("from_date after to_date")
        return self


class AuditEntry(BaseModel):
    seq: int
    at: datetime = Field(description="UTC")
    staff_user: str = Field(description="職員 (token subject) or operator; '-' when unknown")
    action: str
    addressee_id: str | None
    outcome: str = Field(description="ok / refused:<code> / status:<n> / error / a use case's outcome")
    client: str | None = Field(description="client network address (端末) or cli:<service>")
    detail: dict | None = Field(description="ids, codes and amounts of the action (never names)")
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    entries: list[AuditEntry]
    page: int
    per_page: int
    total: int = Field(description="entries matching the filters")
    chain_intact: bool = Field(description="the whole chain verifies (GET /audit/verify for details)")
    first_broken: int | None = Field(description="seq of the first broken entry, if any")


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), TOKYO).astimezone(UTC)


def filters(query: AuditQuery) -> dict:
    """`AuditLog.entries` / `count` keyword filters of a query (dates → UTC instants)."""
    return {
        "addressee_id": query.addressee_id,
        "operation": query.action,
        "since": _start_of(query.from_date) if query.from_date else None,
        "until": _start_of(query.to_date + timedelta(days=1)) if query.to_date else None,
    }


def entry_view(row: dict) -> dict:
    return {
        "seq": row["id"],
        "at": row["at"].isoformat(),
        "staff_user": row["user_id"],
        "action": row["operation"],
        "addressee_id": row["addressee_id"],
        "outcome": row["outcome"],
        "client": row["client"],
        "detail": row.get("detail"),
        "prev_hash": row["prev_hash"],
        "hash": row["entry_hash"],
    }


def audit_routes(service: str, auth, sessions: async_sessionmaker, audit: AuditLog) -> list[Route]:
    """`GET /audit` and `GET /audit/verify` guarded by `<service>:audit.read` (see the module doc)."""

    @api(
        "The audit trail (操作ログ): entries in chain order, filtered and paged, with the chain's state",
        query=AuditQuery,
        response=AuditPage,
    )
    async def trail(request: Request) -> Response:
        try:
            query = AuditQuery.model_validate(dict(request.query_params))
        except ValidationError as err:
            return JSONResponse({"error": describe_validation_error(err)}, status_code=422, headers=NO_STORE)
        if query.addressee_id:
            request.state.audit_addressee_id = query.addressee_id
        chosen = filters(query)
        async with sessions() as session:
            total = await audit.count(session, **chosen)
            rows = await audit.entries(
                session, **chosen, offset=(query.page - 1) * query.per_page, limit=query.per_page
            )
            checked = await audit.verify(session)
        body = {
            "entries": [entry_view(r) for r in rows],
            "page": query.page,
            "per_page": query.per_page,
            "total": total,
            "chain_intact": checked.ok,
            "first_broken": checked.first_broken_id,
        }
        return JSONResponse(body, headers=NO_STORE)

    @api("Check the audit log's hash chain", response=AuditVerification, also={409: "The chain is broken"})
    async def verify(_: Request) -> Response:
        async with sessions() as session:
            checked = await audit.verify(session)
        body = {"ok": checked.ok, "entries": checked.entries, "first_broken_id": checked.first_broken_id}
        return JSONResponse(body, status_code=200 if checked.ok else 409, headers=NO_STORE)

    permission = f"{service}:audit.read"
    return [
        Route("/audit", auth.require(permission, "audit.read")(trail), methods=["GET"]),
        Route("/audit/verify", auth.require(permission, "audit.verify")(verify), methods=["GET"]),
    ]
