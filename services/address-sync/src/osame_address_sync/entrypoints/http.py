"""HTTP routes of address-sync (Starlette). Thin: authenticate, parse, call a use case, answer.

Authentication is the chassis' staff/service JWT (`osame_chassis.auth`, settings `OSAME_AUTH_*`);
every call, allowed or refused, goes to the hash-chained `audit_log` (who, when, what, 宛名番号).

Staff (permissions `address-sync:<action>`):
  POST /addressees/non-residents      addressee.write   body = RegisterNonResident
  POST /addressees/corporations       addressee.write   body = RegisterCorporation
  PUT  /addressees/mailing-overrides  addressee.write   body = SetMailingOverride
  PUT  /addressees/protection         protection.write  body = SetProtection
  POST /addressees/merges             merge.write       body = MergeAddressees
  GET  /addressees/{addressee_id}     addressee.read    what may be disclosed (blank under 支援措置)

Gateway only (permission `address-sync:individual-number.read` granted by name, not by a wildcard,
AND token subject listed in `OSAME_MYNUMBER_RELEASE_CALLERS`; every request also in `audit_log` as `my-number.release`):
  POST /internal/individual-number    body = {addressee_id, purpose, query_id}
     → 200 {addressee_id, individual_number} | 404 {error: unknown_addressee | no_individual_number}
     | 403 {error: purpose_refused | caller_not_allowed} | 401/403 auth errors
     | 409 {error: no_pending_query} (no income query of that id for that 宛名番号 noted from the bus
       within OSAME_MYNUMBER_RELEASE_WINDOW_SECONDS: the gateway tries again later)
     | 429 {error: rate_limited} (more than OSAME_MYNUMBER_RELEASES_PER_MINUTE in the last minute)

Paths carry no personal data (宛名番号 is an internal id); bodies are never logged.
"""

from __future__ import annotations

import dataclasses
import logging

from osame_chassis.auth import Authenticator, AuthSettings
from osame_chassis.data_rights import data_rights_routes
from osame_chassis.errors import PermanentError
from osame_chassis.messaging.consumer import describe_validation_error
from osame_chassis.openapi import api, summary_of
from osame_chassis.runtime import ServiceRuntime
from osame_contracts.base import AddresseeId
from osame_contracts.messages import address_sync
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from osame_address_sync.adapters import disclosure, retention
from osame_address_sync.adapters.orm import AUDIT
from osame_address_sync.adapters.repository import AddresseeRepository
from osame_address_sync.domain.disclosure import changed_v2
from osame_address_sync.domain.my_number_release import ReleaseOutcome
from osame_address_sync.domain.revisions import OWNER_ASSIGNED
from osame_address_sync.entrypoints import http_data_requests, http_staff
from osame_address_sync.service_layer import handlers
from osame_address_sync.service_layer.checks import RevisionRefused
from osame_address_sync.service_layer.fanout import view_of
from osame_address_sync.service_layer.my_number_release import release_my_number

log = logging.getLogger("osame.address_sync.http")
NO_STORE = {"Cache-Control": "no-store"}
RELEASE_PERMISSION = "address-sync:individual-number.read"
ACCEPTED = {
    "type": "object",
    "required": ["accepted"],
    "properties": {"accepted": {"type": "string", "description": "the routing key of the recorded command"}},
}


class ReleaseRequest(BaseModel):
    """The gateway asks for one 個人番号 to obtain its 符号."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    addressee_id: AddresseeId
    purpose: str = Field(pattern=r"^[a-z_]{1,40}$")
    query_id: str = Field(pattern=r"^[0-9A-Za-z._:-]{1,40}$", description="the gateway's request id")


def _error(status: int, error: str) -> JSONResponse:
    return JSONResponse({"error": error}, status_code=status, headers=NO_STORE)


def _jsonable(body: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in body.items()}


def _decided_by_the_caller(principal, uow) -> dict:
    """名寄せ over HTTP: who decided is the token's subject and when is the business date, never the body."""
    return {"decided_by": principal.user[:40], "decided_on": uow.today()}


def routes(runtime: ServiceRuntime, auth: Authenticator | None = None) -> list[BaseRoute]:
    settings = runtime.settings
    deps = settings.deps()
    # Over HTTP address-sync owns the revisions: the caller sends exactly current + 1 (issue 13 item 2).
    owner_deps = dataclasses.replace(deps, revisions=OWNER_ASSIGNED)
    auth = auth or Authenticator(AuthSettings(), audit=AUDIT.hook(runtime.sessions))

    def command_route(model, handler, addressee_field: str = "addressee_id", from_token=None):
        async def endpoint(request: Request) -> Response:
            try:
                command = model.model_validate_json(await request.body())
            except ValidationError as err:
                return _error(422, describe_validation_error(err))
            request.state.audit_addressee_id = getattr(command, addressee_field)
            try:
                async with runtime.unit_of_work() as uow:
                    if from_token is not None:
                        command = command.model_copy(update=from_token(request.state.principal, uow))
                    await handler(command, uow, deps=owner_deps)
                    await uow.commit()
            except RevisionRefused as err:
                return _error(409, str(err))
            except PermanentError as err:
                return _error(422, str(err))
            return JSONResponse({"accepted": model.routing_key}, status_code=202)

        server_set = ("decided_by", "decided_on") if from_token is not None else ()
        return api(
            summary_of(model),
            body=model,
            body_from_server=server_set,
            status=202,
            response=ACCEPTED,
            errors=(409, 422),
        )(endpoint)

    @api("What may be disclosed of an addressee (blank under 支援措置)", errors=(404,))
    async def show(request: Request) -> Response:
        addressee_id = request.path_params["addressee_id"]
        request.state.audit_addressee_id = addressee_id[:15]
        async with runtime.sessions() as session:
            repo = AddresseeRepository(session)
            row = await repo.get(addressee_id)
            if row is None:
                return _error(404, "unknown_addressee")
            body = changed_v2(view_of(row, await repo.overrides(addressee_id)), max(row["version"], 1))
        return JSONResponse(_jsonable(body), headers=NO_STORE)

    @api(
        "Gateway only: release one 個人番号 to obtain its 符号",
        description="The permission must be granted by name (a wildcard role such as admin or "
        "addressee_staff is refused) and the token's subject listed in OSAME_MYNUMBER_RELEASE_CALLERS; "
        "an income query of that id for that 宛名番号 must be pending.",
        body=ReleaseRequest,
        errors=(403, 404, 409, 429, 503),
    )
    async def release(request: Request) -> Response:
        try:
            ask = ReleaseRequest.model_validate_json(await request.body())
        except ValidationError as err:
            return _error(422, describe_validation_error(err))
        request.state.audit_addressee_id = ask.addressee_id
        caller = request.state.principal.user[:60]
        if deps.keyring is None:
            return _error(503, "release_disabled: no 個人番号 key configured")
        async with runtime.unit_of_work() as uow:
            outcome, number = await release_my_number(
                uow,
                deps,
                caller=caller,
                requested_by=caller,
                addressee_id=ask.addressee_id,
                purpose=ask.purpose,
                request_ref=ask.query_id,
                # the gateway's service identity: listed subject AND the permission granted by name
                # (a wildcard such as addressee_staff's address-sync:* is not enough)
                allowed=caller in settings.mynumber_release_callers
                and RELEASE_PERMISSION in request.state.principal.permissions,
            )
            await uow.commit()
        log.info("individual-number release: %s", outcome.value, extra={"reason": outcome.value})
        status = {
            ReleaseOutcome.RELEASED: 200,
            ReleaseOutcome.CALLER_NOT_ALLOWED: 403,
            ReleaseOutcome.PURPOSE_REFUSED: 403,
            ReleaseOutcome.UNKNOWN_ADDRESSEE: 404,
            ReleaseOutcome.NO_MY_NUMBER: 404,
            ReleaseOutcome.NO_PENDING_QUERY: 409,
            ReleaseOutcome.RATE_LIMITED: 429,
        }[outcome]
        if status != 200:
            return _error(status, outcome.value)
        return JSONResponse({"addressee_id": ask.addressee_id, "individual_number": number}, headers=NO_STORE)

    write = auth.require("address-sync:addressee.write")
    return [
        Route(
            "/addressees/non-residents",
            write(command_route(address_sync.RegisterNonResident, handlers.register_non_resident)),
            methods=["POST"],
        ),
        Route(
            "/addressees/corporations",
            write(command_route(address_sync.RegisterCorporation, handlers.register_corporation)),
            methods=["POST"],
        ),
        Route(
            "/addressees/mailing-overrides",
            write(command_route(address_sync.SetMailingOverride, handlers.set_mailing_override)),
            methods=["PUT"],
        ),
        Route(
            "/addressees/protection",
            auth.require("address-sync:protection.write")(
                command_route(address_sync.SetProtection, handlers.set_protection)
            ),
            methods=["PUT"],
        ),
        Route(
            "/addressees/merges",
            auth.require("address-sync:merge.write")(
                command_route(
                    address_sync.MergeAddressees,
                    handlers.merge_addressees,
                    "merged_addressee_id",
                    from_token=_decided_by_the_caller,
                )
            ),
            methods=["POST"],
        ),
        Route(
            "/addressees/{addressee_id:str}",
            auth.require("address-sync:addressee.read")(show),
            methods=["GET"],
        ),
        Route("/internal/individual-number", auth.require(RELEASE_PERMISSION)(release), methods=["POST"]),
        *http_staff.routes(runtime, auth),  # 職員コンソール: 宛名検索, audit chain check
        # POST /ops/retention, GET /disclosure/{addressee_id}, the 訂正・利用停止 register (issue 13)
        *data_rights_routes(runtime, auth, rules=retention.rules, sources=disclosure.SOURCES),
        *http_data_requests.routes(runtime, auth),
    ]
