"""Staff HTTP API of refunds. Bodies are validated with pydantic (errors never echo input);
paths carry ids only (宛名番号, overpayment, refund, 充当 and batch ids), never personal data.

The staff member is the verified token's subject (`request.state.principal.user`), never a body
field; "today" is the server's business date. Every call is audited by the authenticator.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from osame_chassis.audit import AuditLog
from osame_chassis.audit_http import audit_routes
from osame_chassis.auth import Authenticator, AuthSettings
from osame_chassis.data_rights import data_rights_routes
from osame_chassis.openapi import api
from osame_chassis.runtime import ServiceRuntime
from osame_zengin.transfer import TransferFileError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from osame_refunds.adapters import disclosure, notices_pdf, orm, retention
from osame_refunds.adapters.queries import Page, RefundsQueries
from osame_refunds.adapters.repository import RefundsRepository
from osame_refunds.domain.interest import CauseDates
from osame_refunds.entrypoints import schemas
from osame_refunds.service_layer import payout, refund_actions

ID = r"^[0-9A-Za-z-]{1,36}$"
ADDRESSEE = r"^[0-9]{1,15}$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


class ClaimBody(_Body):
    addressee_id: str = Field(pattern=ADDRESSEE)
    bank_code: str = Field(pattern=r"^[0-9]{4}$")
    branch_code: str = Field(pattern=r"^[0-9]{3}$")
    account_type: str = Field(pattern=r"^[1249]$")
    account_number: str = Field(pattern=r"^[0-9]{1,7}$")
    holder_kana: str = Field(min_length=1, max_length=60)
    claimed_on: dt.date


class CauseBody(_Body):
    cause: str = Field(pattern=r"^(reassessment|correction_request|national_tax_change|erroneous_payment)$")
    requested_on: dt.date | None = None
    corrected_on: dt.date | None = None
    notified_on: dt.date | None = None


class ApproveBody(_Body):
    decided_on: dt.date | None = Field(default=None, description="支出決定日; default: the business date")
    claim_notice_on: dt.date | None = None
    claimed_on: dt.date | None = None


class PayoutBody(_Body):
    transfer_date: dt.date
    approved_on: dt.date


class TransferBody(_Body):
    ok: bool
    on: dt.date
    reason: str = Field(default="", max_length=60, pattern=r"^[a-z_]*$")


class EmptyBody(_Body):
    pass


class _BadRequest(Exception):
    pass


class _Conflict(Exception):
    pass


class _Forbidden(Exception):
    pass


class _NotFound(Exception):
    pass


async def _parse(request: Request, model: type[_Body]):
    raw = await request.body()
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as err:
        fields = [".".join(str(p) for p in e["loc"]) or "<body>" for e in err.errors()]
        raise _BadRequest("invalid fields: " + ", ".join(fields)) from None


def _param(request: Request, name: str, pattern: str = ID) -> str | None:
    value = request.query_params.get(name)
    if value is not None and not re.match(pattern, value):
        raise _BadRequest(f"invalid query parameter: {name}")
    return value


MAX_PAGE = 200


def _page(request: Request) -> Page | None:
    """`limit` (1..200) and `offset` of a list, both optional; none = the whole list."""
    limit = _param(request, "limit", r"^[0-9]{1,3}$")
    offset = _param(request, "offset", r"^[0-9]{1,9}$")
    if limit is None:
        if offset is not None:
            raise _BadRequest("invalid query parameter: offset needs limit")
        return None
    if not 1 <= int(limit) <= MAX_PAGE:
        raise _BadRequest(f"invalid query parameter: limit (1..{MAX_PAGE})")
    return Page(int(limit), int(offset or 0))


def routes(runtime: ServiceRuntime, auth: Authenticator | None = None) -> list[Route]:
    settings = runtime.settings
    auth = auth or Authenticator(AuthSettings(), audit=AuditLog(orm.audit_log).hook(runtime.sessions))

    async def run(action):
        try:
            async with runtime.unit_of_work() as uow:
                result = await action(uow)
                await uow.commit()
            return result
        except refund_actions.SeparationOfDutiesError as exc:
            raise _Forbidden(str(exc)) from None
        except refund_actions.DateRefused as exc:
            raise _BadRequest(str(exc)) from None
        except refund_actions.RefundActionError as exc:
            raise _Conflict(str(exc)) from None

    async def read(query):
        async with runtime.sessions() as session:
            return await query(RefundsQueries(session))

    def endpoint(handler, permission: str):
        @auth.require(f"refunds:{permission}")
        @functools.wraps(handler)  # keeps its `api` declaration
        async def wrapped(request: Request) -> Response:
            try:
                return await handler(request)
            except _BadRequest as exc:
                return _error(422, str(exc))
            except _Forbidden as exc:
                return _error(403, str(exc))
            except _Conflict as exc:
                return _error(409, str(exc))
            except _NotFound as exc:
                return _error(404, str(exc))
            except TransferFileError as exc:
                return _error(422, str(exc))
            except notices_pdf.NoticeFontMissing as exc:
                return _error(503, str(exc))

        return wrapped

    def user(request: Request) -> str:
        return request.state.principal.user

    def audit_addressee(request: Request, addressee_id: str | None) -> None:
        request.state.audit_addressee_id = addressee_id

    # --- staff actions ---------------------------------------------------------------------
    @api(
        "還付請求: record the payee account of a claim",
        body=ClaimBody,
        status=201,
        errors=(403, 404, 409, 422),
    )
    async def claim(request: Request) -> Response:
        body = await _parse(request, ClaimBody)
        audit_addressee(request, body.addressee_id)
        await run(
            lambda uow: refund_actions.record_claim(refund_actions.PayeeAccount(**body.model_dump()), uow)
        )
        return JSONResponse({"addressee_id": body.addressee_id, "status": "recorded"}, status_code=201)

    @api("Correct the cause (and its dates) of a refund", body=CauseBody, errors=(403, 404, 409, 422))
    async def cause(request: Request) -> Response:
        body = await _parse(request, CauseBody)
        dates = CauseDates(body.requested_on, body.corrected_on, body.notified_on)
        refund_id = request.path_params["refund_id"]
        await run(lambda uow: refund_actions.correct_cause(refund_id, body.cause, dates, uow))
        return JSONResponse({"refund_id": refund_id, "cause": body.cause})

    @api("Prepare a refund (起案)", body=EmptyBody, body_required=False, errors=(403, 404, 409, 422))
    async def prepare(request: Request) -> Response:
        await _parse(request, EmptyBody)
        refund_id = request.path_params["refund_id"]
        result = await run(lambda uow: refund_actions.prepare(refund_id, user(request), uow))
        return JSONResponse(_json_safe(result))

    @api(
        "Approve a refund (支出決定); the approver must not be the preparer",
        body=ApproveBody,
        body_required=False,
        errors=(403, 404, 409, 422),
    )
    async def approve(request: Request) -> Response:
        body = await _parse(request, ApproveBody)
        claim_dates = CauseDates(claim_notice_on=body.claim_notice_on, claimed_on=body.claimed_on)
        refund_id = request.path_params["refund_id"]
        result = await run(
            lambda uow: refund_actions.approve(
                refund_id, user(request), uow, decided_on=body.decided_on, claim=claim_dates
            )
        )
        return JSONResponse(_json_safe(result), status_code=200)

    @api("Release a held overpayment", body=EmptyBody, body_required=False, errors=(403, 404, 409, 422))
    async def release(request: Request) -> Response:
        await _parse(request, EmptyBody)
        overpayment_id = request.path_params["overpayment_id"]
        result = await run(lambda uow: refund_actions.release_hold(overpayment_id, uow))
        return JSONResponse(_json_safe(result))

    @api(
        "Build a payout batch (振込)",
        body=PayoutBody,
        status=201,
        also={200: "Nothing to pay: no batch"},
        errors=(403, 404, 409, 422),
    )
    async def build_payout(request: Request) -> Response:
        body = await _parse(request, PayoutBody)
        remitter = settings.remitter()
        result = await run(
            lambda uow: payout.build_payout(
                body.transfer_date, body.approved_on, remitter, uow, user=user(request)
            )
        )
        return JSONResponse(
            {
                "batch_id": result.batch_id,
                "count": result.count,
                "total": result.total,
                "skipped": result.skipped,
            },
            status_code=201 if result.batch_id else 200,
        )

    @api("A payout batch's 全銀 transfer file", media="application/octet-stream", errors=(404, 422))
    async def payout_file(request: Request) -> Response:
        async with runtime.sessions() as session:
            content = await RefundsRepository(session).batch_file(request.path_params["batch_id"])
        if content is None:
            return _error(404, "unknown batch")
        return Response(content, media_type="application/octet-stream")

    @api("Record a transfer result", body=TransferBody, errors=(403, 404, 409, 422))
    async def transfer(request: Request) -> Response:
        body = await _parse(request, TransferBody)
        refund_id = request.path_params["refund_id"]
        await run(
            lambda uow: payout.record_transfer(
                refund_id, body.ok, body.on, body.reason, uow, user=user(request)
            )
        )
        return JSONResponse({"refund_id": refund_id, "paid": body.ok})

    @api(
        "Expire unclaimed refunds (時効) as of the business date",
        body=EmptyBody,
        body_required=False,
        errors=(403, 404, 409, 422),
    )
    async def expire(request: Request) -> Response:
        await _parse(request, EmptyBody)  # the business date is the server's: no "today" in the body
        count = await run(refund_actions.expire_unclaimed)
        return JSONResponse({"expired": count})

    # --- reads -----------------------------------------------------------------------------
    @api("Overpayments (過誤納金)", query=schemas.PagedStatusQuery, errors=(404, 422))
    async def overpayments(request: Request) -> Response:
        addressee_id = _param(request, "addressee_id", ADDRESSEE)
        audit_addressee(request, addressee_id)
        status = _param(request, "status", r"^[a-z_]{1,20}$")
        page = _page(request)
        return JSONResponse(_json_safe(await read(lambda q: q.overpayments(addressee_id, status, page))))

    @api("One overpayment", errors=(404, 422))
    async def overpayment(request: Request) -> Response:
        found = await read(lambda q: q.overpayment(request.path_params["overpayment_id"]))
        if found is None:
            raise _NotFound("unknown overpayment")
        audit_addressee(request, found["addressee_id"])
        return JSONResponse(_json_safe(found))

    @api("充当 (appropriations)", query=schemas.PagedStatusQuery, errors=(404, 422))
    async def appropriations(request: Request) -> Response:
        addressee_id = _param(request, "addressee_id", ADDRESSEE)
        audit_addressee(request, addressee_id)
        status = _param(request, "status", r"^[a-z_]{1,20}$")
        page = _page(request)
        found = await read(lambda q: q.appropriations(addressee_id=addressee_id, status=status, page=page))
        return JSONResponse(_json_safe(found))

    @api("Refunds, by status or work queue", query=schemas.RefundsQuery, errors=(404, 422))
    async def refunds_of(request: Request) -> Response:
        addressee_id = _param(request, "addressee_id", ADDRESSEE)
        audit_addressee(request, addressee_id)
        status = _param(request, "status", r"^[a-z_]{1,20}$")
        stage = _param(request, "stage", r"^(to_prepare|to_approve|to_pay)$")
        page = _page(request)
        found = await read(
            lambda q: q.refunds(addressee_id=addressee_id, status=status, stage=stage, page=page)
        )
        return JSONResponse(_json_safe(found))

    @api("One refund", errors=(404, 422))
    async def refund(request: Request) -> Response:
        found = await read(lambda q: q.refund(request.path_params["refund_id"]))
        if found is None:
            raise _NotFound("unknown refund")
        audit_addressee(request, found["addressee_id"])
        return JSONResponse(_json_safe(found))

    @api("Payout batches", errors=(404, 422))
    async def batches(request: Request) -> Response:
        return JSONResponse(_json_safe(await read(lambda q: q.payout_batches())))

    @api("Returned transfers (組戻し)", query=schemas.PagedQuery, errors=(404, 422))
    async def returned(request: Request) -> Response:
        addressee_id = _param(request, "addressee_id", ADDRESSEE)
        audit_addressee(request, addressee_id)
        page = _page(request)
        return JSONResponse(_json_safe(await read(lambda q: q.returned_transfers(addressee_id, page))))

    @api("Recovery claims", query=schemas.StatusQuery, errors=(404, 422))
    async def claims(request: Request) -> Response:
        addressee_id = _param(request, "addressee_id", ADDRESSEE)
        audit_addressee(request, addressee_id)
        status = _param(request, "status", r"^[a-z_]{1,20}$")
        return JSONResponse(_json_safe(await read(lambda q: q.recovery_claims(addressee_id, status))))

    @api(
        "Money check: refunds' totals (optionally of one 宛名番号)",
        query=schemas.AddresseeQuery,
        errors=(404, 422),
    )
    async def money(request: Request) -> Response:
        addressee_id = _param(request, "addressee_id", ADDRESSEE)
        audit_addressee(request, addressee_id)
        async with runtime.sessions() as session:
            return JSONResponse(await RefundsRepository(session).money(addressee_id))

    # --- notices (PDF) ---------------------------------------------------------------------
    async def _notice(request: Request, find, printable, make, what: str) -> Response:
        async def load(q: RefundsQueries):
            found = await find(q)
            return found, found and await q.overpayment(found["overpayment_id"])

        found, overpayment_row = await read(load)
        if found is None or not printable(found):
            raise _NotFound(f"no {what} with this id")
        audit_addressee(request, found["addressee_id"])
        pdf = make(
            found,
            overpayment_row,
            city=settings.notice_city,
            issued_on=settings.today(),
            font=settings.notice_font,
        )
        return Response(pdf, media_type="application/pdf")

    @api("充当通知書 (PDF) of an applied appropriation", media="application/pdf", errors=(404, 503))
    async def appropriation_pdf(request: Request) -> Response:
        return await _notice(
            request,
            lambda q: q.appropriation(request.path_params["appropriation_id"]),
            lambda a: a["status"] == "applied",
            notices_pdf.appropriation_notice,
            "applied 充当",
        )

    @api("還付通知書 (PDF) of an approved refund", media="application/pdf", errors=(404, 503))
    async def refund_pdf(request: Request) -> Response:
        return await _notice(
            request,
            lambda q: q.refund(request.path_params["refund_id"]),
            lambda r: r["decided_on"] is not None and r["status"] != "cancelled",
            notices_pdf.refund_notice,
            "approved refund",
        )

    return [
        *audit_routes("refunds", auth, runtime.sessions, AuditLog(orm.audit_log)),
        Route("/refund-claims", endpoint(claim, "claim.record"), methods=["POST"]),
        Route("/overpayments", endpoint(overpayments, "overpayment.read"), methods=["GET"]),
        Route("/overpayments/{overpayment_id}", endpoint(overpayment, "overpayment.read"), methods=["GET"]),
        Route(
            "/overpayments/{overpayment_id}/release",
            endpoint(release, "overpayment.release"),
            methods=["POST"],
        ),
        Route("/appropriations", endpoint(appropriations, "appropriation.read"), methods=["GET"]),
        Route(
            "/appropriations/{appropriation_id}/notice.pdf",
            endpoint(appropriation_pdf, "notice.read"),
            methods=["GET"],
        ),
        Route("/refunds", endpoint(refunds_of, "refund.read"), methods=["GET"]),
        Route("/refunds/{refund_id}", endpoint(refund, "refund.read"), methods=["GET"]),
        Route("/refunds/{refund_id}/notice.pdf", endpoint(refund_pdf, "notice.read"), methods=["GET"]),
        Route("/refunds/{refund_id}/cause", endpoint(cause, "refund.correct"), methods=["POST"]),
        Route("/refunds/{refund_id}/prepare", endpoint(prepare, "refund.prepare"), methods=["POST"]),
        Route("/refunds/{refund_id}/approve", endpoint(approve, "refund.approve"), methods=["POST"]),
        Route("/refunds/{refund_id}/transfer-result", endpoint(transfer, "payout.result"), methods=["POST"]),
        Route("/payouts", endpoint(build_payout, "payout.build"), methods=["POST"]),
        Route("/payouts", endpoint(batches, "payout.read"), methods=["GET"]),
        Route("/payouts/{batch_id}/file", endpoint(payout_file, "payout.read"), methods=["GET"]),
        Route("/transfers/returned", endpoint(returned, "payout.read"), methods=["GET"]),
        Route("/recovery-claims", endpoint(claims, "recovery.read"), methods=["GET"]),
        Route("/jobs/expire-unclaimed", endpoint(expire, "refund.expire"), methods=["POST"]),
        Route("/money", endpoint(money, "money.read"), methods=["GET"]),
        # POST /ops/retention, GET /disclosure/{addressee_id} (issue 13)
        *data_rights_routes(runtime, auth, rules=retention.rules, sources=disclosure.SOURCES),
    ]


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _json_safe(value):
    """Dates to ISO strings, recursively (responses are JSON)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value
