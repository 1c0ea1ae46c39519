"""HTTP read routes of receipts for the staff screens (console): the unmatched list searched and
paged by the server, single-item reads, the receipts of a 通知書番号 and 収納訂正 by status.

Thin: each checks its query (a refusal names the field), reads through `adapters.staff_reads` in
one session, answers JSON. Permissions are receipts' own (`unmatched.read`, `suspense.read`,
`correction.read`); the Authenticator writes every call to the audit log. URLs carry ids and codes
only (通知書番号, channel codes, dates), never names.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from osame_chassis.auth import Authenticator
from osame_chassis.openapi import api
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from osame_receipts.adapters import staff_reads
from osame_receipts.entrypoints import schemas

MAX_PAGE = 500
NOTICE = re.compile(r"^[0-9A-Za-z-]{1,20}$")
CODE = re.compile(r"^[a-z_]{1,30}$")
ID = re.compile(r"^[0-9A-Za-z-]{1,36}$")


class Refused(ValueError):
    """A query term receipts cannot take; the message names the field (no value)."""


def _date(q, name: str) -> dt.date | None:
    if not q.get(name):
        return None
    try:
        return dt.date.fromisoformat(q[name])
    except ValueError:
        raise Refused(f"{name} must be an ISO date") from None


def _count(q, name: str, default: int, top: int) -> int:
    value = q.get(name, str(default))
    if not value.isdigit():
        raise Refused(f"{name} must be a non-negative integer")
    return min(int(value), top)


def _term(q, name: str, pattern: re.Pattern[str]) -> str | None:
    value = q.get(name) or None
    if value is not None and not pattern.match(value):
        raise Refused(f"{name} is not in its format")
    return value


def _json(value):
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value.isoformat() if isinstance(value, dt.date) else value


def _answer(body, status: int = 200) -> Response:
    return JSONResponse(_json(body), status_code=status, headers={"Cache-Control": "no-store"})


def routes(runtime, auth: Authenticator) -> list[Route]:
    def reading(permission: str, fn):
        @auth.require(f"receipts:{permission}")
        @functools.wraps(fn)  # keeps its `api` declaration
        async def endpoint(request: Request) -> Response:
            try:
                async with runtime.sessions() as session:
                    return await fn(request, session)
            except Refused as err:
                return _answer({"error": str(err)}, 422)

        return endpoint

    @api(
        "Unmatched receipts: searched and paged, oldest first, with the total",
        query=schemas.UnmatchedQuery,
        errors=(422,),
    )
    async def unmatched(request: Request, session) -> Response:
        q = request.query_params
        search = staff_reads.UnmatchedSearch(
            notice_number=_term(q, "notice_number", NOTICE),
            channel=_term(q, "channel", CODE),
            batch_id=_term(q, "batch_id", ID),
            paid_from=_date(q, "paid_from"),
            paid_to=_date(q, "paid_to"),
        )
        limit, offset = _count(q, "limit", MAX_PAGE, MAX_PAGE), _count(q, "offset", 0, 10**9)
        total, items = await staff_reads.unmatched(session, search, limit=limit, offset=offset)
        return _answer({"total": total, "limit": limit, "offset": offset, "items": items})

    def one(read, key: str, missing: str):
        async def endpoint(request: Request, session) -> Response:
            found = await read(session, request.path_params[key])
            return _answer({"error": missing}, 404) if found is None else _answer(found)

        return endpoint

    unmatched_one = api("One unmatched receipt", errors=(404,))(
        one(staff_reads.unmatched_one, "receipt_id", "no unmatched receipt with this id")
    )
    suspense_one = api("One held-money item (保留), any status", errors=(404,))(
        one(staff_reads.suspense_one, "suspense_id", "no suspense item with this id")
    )
    receipt = api("One receipt (収納): ids, channel, amounts, dates and state", errors=(404,))(
        one(staff_reads.receipt, "receipt_id", "no receipt with this id")
    )

    @api(
        "The receipts of one 通知書番号 (any state), by 期別 and 領収日",
        query=schemas.NoticeReceiptsQuery,
        errors=(422,),
    )
    async def receipts_of_notice(request: Request, session) -> Response:
        notice = _term(request.query_params, "notice_number", NOTICE)
        if notice is None:
            raise Refused("notice_number is required")
        return _answer({"items": await staff_reads.receipts_of_notice(session, notice, limit=MAX_PAGE)})

    @api(
        "収納訂正 by status (default pending), paged, with the receipt each concerns",
        query=schemas.CorrectionsQuery,
        errors=(422,),
    )
    async def corrections(request: Request, session) -> Response:
        q = request.query_params
        status = q.get("status") or "pending"
        if status not in (*staff_reads.CORRECTION_STATUSES, "all"):
            raise Refused("status must be pending, approved, rejected or all")
        limit, offset = _count(q, "limit", MAX_PAGE, MAX_PAGE), _count(q, "offset", 0, 10**9)
        total, items = await staff_reads.corrections(
            session, None if status == "all" else status, limit=limit, offset=offset
        )
        return _answer({"total": total, "limit": limit, "offset": offset, "items": items})

    return [
        Route("/api/unmatched", reading("unmatched.read", unmatched), methods=["GET"]),
        Route("/api/unmatched/{receipt_id}", reading("unmatched.read", unmatched_one), methods=["GET"]),
        Route("/api/suspense/{suspense_id}", reading("suspense.read", suspense_one), methods=["GET"]),
        Route("/api/receipts", reading("correction.read", receipts_of_notice), methods=["GET"]),
        Route("/api/receipts/{receipt_id}", reading("correction.read", receipt), methods=["GET"]),
        Route("/api/corrections", reading("correction.read", corrections), methods=["GET"]),
    ]
