"""The gateway's staff HTTP API; every route needs a bearer token with the right permission and is audited.

| route | permission |
|---|---|
| GET /provision-records/{addressee_id} (情報提供等記録 for a disclosure request) | intermediate-server-gw:provision-records.read |
| GET /income-queries/{query_id} (status of one query, no figures) | intermediate-server-gw:income-query.read |
| GET /permitted-queries (照会許可用照合リスト) | intermediate-server-gw:permitted-queries.read |
| GET /audit (the audit trail, paged) and GET /audit/verify (its hash chain; osame_chassis.audit_http) | intermediate-server-gw:audit.read |
| POST /ops/retention, GET /disclosure/{addressee_id} | osame_chassis.data_rights (adapters/retention.py, adapters/disclosure.py) |
"""

from __future__ import annotations

import re

from osame_chassis.audit_http import audit_routes
from osame_chassis.auth import Authenticator
from osame_chassis.data_rights import data_rights_routes
from osame_chassis.openapi import api
from osame_chassis.runtime import ServiceRuntime
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from osame_gateway.adapters import disclosure, retention
from osame_gateway.adapters.repository import AUDIT, GatewayRepository

SERVICE = "intermediate-server-gw"
ADDRESSEE = re.compile(r"^[0-9]{1,15}$")
RECORD_COLUMNS = (
    "query_id",
    "step",
    "outcome",
    "reason",
    "requesting_service",
    "affair",
    "item",
    "fiscal_year",
    "staff_user",
    "linkage_code",
    "certificate_id",
    "provider",
)


def routes(runtime: ServiceRuntime, auth: Authenticator) -> list[Route]:
    @api("情報提供等記録 of an addressee (for a disclosure request)", errors=(400,))
    async def provision_records(request: Request) -> JSONResponse:
        addressee_id = request.path_params["addressee_id"]
        if not ADDRESSEE.match(addressee_id):
            return JSONResponse({"error": "invalid_addressee_id"}, status_code=400)
        request.state.audit_addressee_id = addressee_id
        async with runtime.sessions() as session:
            rows = await GatewayRepository(session).provision_records(addressee_id)
        return JSONResponse(
            {
                "addressee_id": addressee_id,
                "records": [
                    {**{k: r[k] for k in RECORD_COLUMNS}, "recorded_at": r["recorded_at"].isoformat()}
                    for r in rows
                ],
            }
        )

    @api("Status of one income query (no figures)", errors=(404,))
    async def income_query(request: Request) -> JSONResponse:
        async with runtime.sessions() as session:
            query = await GatewayRepository(session).query(request.path_params["query_id"])
        if query is None:
            return JSONResponse({"error": "unknown_query"}, status_code=404)
        request.state.audit_addressee_id = query["addressee_id"]
        return JSONResponse(
            {
                k: (v.isoformat() if hasattr(v, "isoformat") else v)
                for k, v in query.items()
                if k
                in (
                    "query_id",
                    "addressee_id",
                    "status",
                    "reason",
                    "attempts",
                    "last_error",
                    "fiscal_year",
                    "received_at",
                    "finished_at",
                )
            }
        )

    @api("照会許可用照合リスト")
    async def permitted_queries(_: Request) -> JSONResponse:
        async with runtime.sessions() as session:
            entries = await GatewayRepository(session).permitted_entries()
        return JSONResponse({"entries": [{k: v for k, v in e.items() if k != "id"} for e in entries]})

    return [
        Route(
            "/provision-records/{addressee_id}",
            auth.require(f"{SERVICE}:provision-records.read", "provision-records.read")(provision_records),
        ),
        Route(
            "/income-queries/{query_id}",
            auth.require(f"{SERVICE}:income-query.read", "income-query.read")(income_query),
        ),
        Route(
            "/permitted-queries",
            auth.require(f"{SERVICE}:permitted-queries.read", "permitted-queries.read")(permitted_queries),
        ),
        *audit_routes(SERVICE, auth, runtime.sessions, AUDIT),
        *data_rights_routes(
            runtime,
            auth,
            rules=lambda: retention.rules(runtime.settings.provision_record_retention_days),
            sources=disclosure.SOURCES,
        ),
    ]
