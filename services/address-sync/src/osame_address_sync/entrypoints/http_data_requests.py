"""The 訂正・利用停止 register over HTTP (個人情報保護法 §90, §98; issue 13).

| route | permission |
|---|---|
| POST /data-requests  body {addressee_id, kind, target, detail, disclosed_on?} | address-sync:data-request.write |
| POST /data-requests/{request_id}/decision  body {accept, ground?, note} | address-sync:data-request.decide |
| POST /data-requests/{request_id}/applied  body {note} | address-sync:data-request.decide |
| GET /addressees/{addressee_id}/data-requests | address-sync:data-request.read |

Who acted is the token's subject and dates are the business date. A step the law does not allow
answers 409 with a stable code and the article (domain.data_requests). The request's text is
personal data: it is stored, answered to the officer, never logged.
"""

from __future__ import annotations

import datetime as dt
import re

from osame_chassis.auth import Authenticator
from osame_chassis.messaging.consumer import describe_validation_error
from osame_chassis.openapi import api
from osame_chassis.runtime import ServiceRuntime
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from osame_address_sync.domain.data_requests import Ground, Kind, RequestRefused, Target
from osame_address_sync.service_layer import data_requests

NO_STORE = {"Cache-Control": "no-store"}
ADDRESSEE = re.compile(r"^[0-9]{1,15}$")


class RegisterBody(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    addressee_id: str = Field(pattern=r"^[0-9]{1,15}$")
    kind: Kind
    target: Target
    detail: str = Field(min_length=1, max_length=1000, description="what the person asks")
    disclosed_on: dt.date | None = Field(default=None, description="when the 開示 was made (訂正: ≤ 90 days)")


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    accept: bool
    ground: Ground | None = Field(default=None, description="利用停止: the §98① ground found")
    note: str = Field(default="", max_length=500)


class AppliedBody(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    note: str = Field(min_length=1, max_length=500, description="what was done (e.g. 送付先 corrected)")


def _json(row: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}


def _parse(model, raw: bytes):
    try:
        return model.model_validate_json(raw), None
    except ValidationError as err:
        return None, JSONResponse(
            {"error": describe_validation_error(err)}, status_code=422, headers=NO_STORE
        )


def routes(runtime: ServiceRuntime, auth: Authenticator) -> list[BaseRoute]:
    def refused(err: RequestRefused) -> Response:
        status = 404 if err.code == "unknown_request" else 409
        return JSONResponse({"error": err.code, "basis": err.basis}, status_code=status, headers=NO_STORE)

    @api("Register a 訂正請求 or 利用停止請求", body=RegisterBody, status=201, errors=(409,))
    async def register(request: Request) -> Response:
        body, bad = _parse(RegisterBody, await request.body())
        if bad:
            return bad
        request.state.audit_addressee_id = body.addressee_id
        ask = data_requests.NewRequest(
            body.addressee_id, body.kind, body.target, body.detail, body.disclosed_on
        )
        try:
            async with runtime.unit_of_work() as uow:
                row = await data_requests.register(uow, ask, request.state.principal.user)
        except RequestRefused as err:
            return refused(err)
        return JSONResponse(_json(row), status_code=201, headers=NO_STORE)

    def step(model, use_case):
        """A decision or an application on one request: the body, the token's subject, the 409s."""

        async def endpoint(request: Request) -> Response:
            body, bad = _parse(model, await request.body())
            if bad:
                return bad
            try:
                async with runtime.unit_of_work() as uow:
                    row = await use_case(
                        uow, request.path_params["request_id"], body, request.state.principal.user
                    )
            except RequestRefused as err:
                return refused(err)
            request.state.audit_addressee_id = row["addressee_id"]
            return JSONResponse(_json(row), headers=NO_STORE)

        return endpoint

    decision = api(
        "Decide a request (refused where the law does not allow it)", body=DecisionBody, errors=(404, 409)
    )(
        step(
            DecisionBody,
            lambda uow, rid, b, staff: data_requests.record_decision(
                uow, rid, b.accept, b.ground, b.note, staff
            ),
        )
    )
    applied = api("Record that an accepted request was applied", body=AppliedBody, errors=(404, 409))(
        step(AppliedBody, lambda uow, rid, b, staff: data_requests.mark_applied(uow, rid, b.note, staff))
    )

    @api("The 訂正・利用停止 requests of one addressee", errors=(400,))
    async def listing(request: Request) -> Response:
        addressee_id = request.path_params["addressee_id"]
        if not ADDRESSEE.match(addressee_id):
            return JSONResponse({"error": "invalid_addressee_id"}, status_code=400)
        request.state.audit_addressee_id = addressee_id
        async with runtime.unit_of_work() as uow:
            rows = await data_requests.of_addressee(uow, addressee_id)
        return JSONResponse({"requests": [_json(r) for r in rows]}, headers=NO_STORE)

    perm = "address-sync:data-request"
    return [
        Route(
            "/data-requests",
            auth.require(f"{perm}.write", "data-request.register")(register),
            methods=["POST"],
        ),
        Route(
            "/data-requests/{request_id}/decision",
            auth.require(f"{perm}.decide", "data-request.decide")(decision),
            methods=["POST"],
        ),
        Route(
            "/data-requests/{request_id}/applied",
            auth.require(f"{perm}.decide", "data-request.apply")(applied),
            methods=["POST"],
        ),
        Route(
            "/addressees/{addressee_id}/data-requests",
            auth.require(f"{perm}.read", "data-request.read")(listing),
            methods=["GET"],
        ),
    ]
