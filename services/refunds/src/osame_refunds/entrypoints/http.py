"""Staff HTTP API of refunds. Bodies are validated with pydantic (errors never echo input);
paths carry ids only (宛名番号, refund and batch ids), never personal data."""

from __future__ import annotations

import datetime as dt

from osame_chassis.audit import AuditLog
from osame_chassis.auth import Authenticator, AuthSettings
from osame_chassis.runtime import ServiceRuntime
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from osame_refunds.adapters import orm
from osame_refunds.adapters.repository import RefundsRepository
from osame_refunds.adapters.zengin_transfer import TransferFileError
from osame_refunds.domain.interest import CauseDates
from osame_refunds.service_layer import refund_actions


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


class ClaimBody(_Body):
    addressee_id: str = Field(pattern=r"^[0-9]{1,15}$")
    bank_code: str = Field(pattern=r"^[0-9]{4}$")
    branch_code: str = Field(pattern=r"^[0-9]{3}$")
    account_type: str = Field(pattern=r"^[1249]$")
    account_number: str = Field(pattern=r"^[0-9]{1,7}$")
    holder_kana: str = Field(min_length=1, max_length=30)
    claimed_on: dt.date


class CauseBody(_Body):
    cause: str = Field(pattern=r"^(reassessment|correction_request|national_tax_change|erroneous_payment)$")
    requested_on: dt.date | None = None
    corrected_on: dt.date | None = None
    notified_on: dt.date | None = None


class ApproveBody(_Body):
    decided_on: dt.date
    claim_notice_on: dt.date | None = None
    claimed_on: dt.date | None = None


class PayoutBody(_Body):
    transfer_date: dt.date
    approved_on: dt.date


class TransferBody(_Body):
    ok: bool
    on: dt.date
    reason: str = Field(default="", max_length=60, pattern=r"^[a-z_]*$")


class ExpireBody(_Body):
    today: dt.date


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _parse(request: Request, model: type[_Body]):
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as err:
        fields = [".".join(str(p) for p in e["loc"]) or "<body>" for e in err.errors()]
        raise _BadRequest("invalid fields: " + ", ".join(fields)) from None


class _BadRequest(Exception):
    pass


def routes(runtime: ServiceRuntime, auth: Authenticator | None = None) -> list[Route]:
    settings = runtime.settings
    auth = auth or Authenticator(AuthSettings(), audit=AuditLog(orm.audit_log).hook(runtime.sessions))

    async def run(action):
        try:
            async with runtime.unit_of_work() as uow:
                result = await action(uow)
                await uow.commit()
            return result
        except refund_actions.RefundActionError as exc:
            raise _Conflict(str(exc)) from None

    def endpoint(handler, permission: str):
        @auth.require(f"refunds:{permission}")
        async def wrapped(request: Request) -> Response:
            try:
                return await handler(request)
            except _BadRequest as exc:
                return _error(422, str(exc))
            except _Conflict as exc:
                return _error(409, str(exc))
            except TransferFileError as exc:
                return _error(422, str(exc))

        return wrapped

    async def claim(request: Request) -> Response:
        body = await _parse(request, ClaimBody)
        await run(
            lambda uow: refund_actions.record_claim(refund_actions.PayeeAccount(**body.model_dump()), uow)
        )
        return JSONResponse({"addressee_id": body.addressee_id, "status": "recorded"}, status_code=201)

    async def cause(request: Request) -> Response:
        body = await _parse(request, CauseBody)
        dates = CauseDates(body.requested_on, body.corrected_on, body.notified_on)
        refund_id = request.path_params["refund_id"]
        await run(lambda uow: refund_actions.correct_cause(refund_id, body.cause, dates, uow))
        return JSONResponse({"refund_id": refund_id, "cause": body.cause})

    async def approve(request: Request) -> Response:
        body = await _parse(request, ApproveBody)
        claim_dates = CauseDates(claim_notice_on=body.claim_notice_on, claimed_on=body.claimed_on)
        refund_id = request.path_params["refund_id"]
        result = await run(
            lambda uow: refund_actions.approve(refund_id, body.decided_on, uow, claim=claim_dates)
        )
        return JSONResponse(_json_safe(result), status_code=200)

    async def payout(request: Request) -> Response:
        body = await _parse(request, PayoutBody)
        remitter = settings.remitter()
        result = await run(
            lambda uow: refund_actions.build_payout(body.transfer_date, body.approved_on, remitter, uow)
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

    async def payout_file(request: Request) -> Response:
        async with runtime.sessions() as session:
            content = await RefundsRepository(session).batch_file(request.path_params["batch_id"])
        if content is None:
            return _error(404, "unknown batch")
        return Response(content, media_type="application/octet-stream")

    async def transfer(request: Request) -> Response:
        body = await _parse(request, TransferBody)
        refund_id = request.path_params["refund_id"]
        await run(lambda uow: refund_actions.record_transfer(refund_id, body.ok, body.on, body.reason, uow))
        return JSONResponse({"refund_id": refund_id, "paid": body.ok})

    async def expire(request: Request) -> Response:
        body = await _parse(request, ExpireBody)
        count = await run(lambda uow: refund_actions.expire_unclaimed(body.today, uow))
        return JSONResponse({"expired": count})

    async def refunds_of(request: Request) -> Response:
        addressee_id = request.query_params.get("addressee_id")
        async with runtime.sessions() as session:
            conditions = [orm.refunds.c.addressee_id == addressee_id] if addressee_id else []
            rows = await RefundsRepository(session).refunds_where(*conditions)
        return JSONResponse(_jsonable(rows))

    async def money(request: Request) -> Response:
        addressee_id = request.query_params.get("addressee_id")
        async with runtime.sessions() as session:
            return JSONResponse(await RefundsRepository(session).money(addressee_id))

    return [
        Route("/refund-claims", endpoint(claim, "claim.record"), methods=["POST"]),
        Route("/refunds", endpoint(refunds_of, "refund.read"), methods=["GET"]),
        Route("/refunds/{refund_id}/cause", endpoint(cause, "refund.correct"), methods=["POST"]),
        Route("/refunds/{refund_id}/approve", endpoint(approve, "refund.approve"), methods=["POST"]),
        Route("/refunds/{refund_id}/transfer-result", endpoint(transfer, "payout.result"), methods=["POST"]),
        Route("/payouts", endpoint(payout, "payout.build"), methods=["POST"]),
        Route("/payouts/{batch_id}/file", endpoint(payout_file, "payout.read"), methods=["GET"]),
        Route("/jobs/expire-unclaimed", endpoint(expire, "refund.expire"), methods=["POST"]),
        Route("/money", endpoint(money, "money.read"), methods=["GET"]),
    ]


class _Conflict(Exception):
    pass


def _json_safe(value):
    """Dates to ISO strings, recursively (responses are JSON)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _jsonable(rows: list[dict]) -> list[dict]:
    return _json_safe(rows)
