"""Read routes for the staff console (職員コンソール): 宛名検索 and the audit trail (chassis `audit_routes`).

  POST /addressees/search   address-sync:addressee.read   body {addressee_id?, name_kana?}
       → {results: [...], truncated}; 支援措置 records masked unless address-sync:protection.read
  GET  /audit               address-sync:audit.read       the trail, paged and filtered (osame_chassis.audit_http)
  GET  /audit/verify        address-sync:audit.read       → {ok, entries, first_broken_id} (409 if broken)

The search terms are personal data: they travel in the body, never in the URL, and are not logged.
"""

from __future__ import annotations

from osame_chassis.audit_http import audit_routes
from osame_chassis.auth import Authenticator
from osame_chassis.messaging.consumer import describe_validation_error
from osame_chassis.openapi import api
from osame_chassis.runtime import ServiceRuntime
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from osame_address_sync.adapters.orm import AUDIT
from osame_address_sync.adapters.staff_search import find_addressees
from osame_address_sync.domain.staff_search import PROTECTED_VIEW_PERMISSION, kana_key, staff_view

NO_STORE = {"Cache-Control": "no-store"}
SEARCH_LIMIT = 50


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    addressee_id: str | None = Field(default=None, pattern=r"^[0-9]{1,15}$")
    name_kana: str | None = Field(default=None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _one_criterion(self) -> SearchRequest:
        if not self.addressee_id and not (self.name_kana and kana_key(self.name_kana)):
            raise ValueError("give addressee_id or name_kana")
        return self


def routes(runtime: ServiceRuntime, auth: Authenticator) -> list[BaseRoute]:
    @api("宛名検索 (terms in the body, never the URL)", body=SearchRequest)
    async def search(request: Request) -> Response:
        try:
            ask = SearchRequest.model_validate_json(await request.body())
        except ValidationError as err:
            return JSONResponse({"error": describe_validation_error(err)}, status_code=422, headers=NO_STORE)
        may_see = request.state.principal.can(PROTECTED_VIEW_PERMISSION)
        async with runtime.sessions() as session:
            rows, truncated = await find_addressees(
                session,
                addressee_id=ask.addressee_id,
                kana=kana_key(ask.name_kana) if ask.name_kana else None,
                limit=SEARCH_LIMIT,
            )
        results = [staff_view(r, may_see_protected=may_see) for r in rows]
        return JSONResponse({"results": results, "truncated": truncated}, headers=NO_STORE)

    return [
        Route(
            "/addressees/search",
            auth.require("address-sync:addressee.read", "addressee.search")(search),
            methods=["POST"],
        ),
        *audit_routes("address-sync", auth, runtime.sessions, AUDIT),
    ]
