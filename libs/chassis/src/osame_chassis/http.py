"""The HTTP side of a service (Starlette): operations endpoints plus the service's own routes.

/healthz (liveness), /readyz (broker + database + started), /metrics (Prometheus),
/stats (row and message counts, no personal data), /docs/asyncapi, /openapi.json (the OpenAPI 3.1
document of every route here, `osame_chassis.openapi`). Services add routes through
`ServiceSpec.routes(runtime)`, each declared with `osame_chassis.openapi.api`. Paths and query
strings never carry personal data.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from osame_chassis.messaging.outbox import pending_count
from osame_chassis.messaging.tables import inbox, outbox
from osame_chassis.metrics import refresh as refresh_metrics
from osame_chassis.openapi import api, openapi_route

if TYPE_CHECKING:
    from osame_chassis.runtime import ServiceRuntime

log = logging.getLogger("osame.http")


async def readiness(runtime: ServiceRuntime) -> tuple[bool, dict]:
    checks = {"broker": False, "database": False, "started": runtime.ready}
    try:
        checks["broker"] = bool(await runtime.broker.ping(timeout=2.0))
    except Exception:
        checks["broker"] = False
    try:
        async with runtime.read_engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = True
    except Exception:
        checks["database"] = False
    return all(checks.values()), checks


async def stats(runtime: ServiceRuntime) -> dict:
    async with runtime.read_sessions() as session:
        published = select(func.count()).select_from(outbox).where(outbox.c.published_at.is_not(None))
        out = {
            "outbox_pending": await pending_count(session),
            "messages_published": (await session.execute(published)).scalar_one(),
            "messages_consumed": (
                await session.execute(select(func.count()).select_from(inbox))
            ).scalar_one(),
        }
        if runtime.spec.stats is not None:
            out.update(await runtime.spec.stats(session))
    out["outbox_published_by_this_process"] = runtime.relay.published_total
    return out


def build_app(runtime: ServiceRuntime, asyncapi: dict | None = None) -> Starlette:
    @api("Liveness: the process answers", public=True)
    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @api("Readiness: broker, database and start-up checks", public=True, also={503: "Not ready"})
    async def readyz(_: Request) -> Response:
        ok, checks = await readiness(runtime)
        return JSONResponse(checks, status_code=200 if ok else 503)

    @api("Prometheus metrics", public=True, media=CONTENT_TYPE_LATEST.split(";")[0])
    async def metrics(_: Request) -> Response:
        await refresh_metrics(runtime)  # outbox age, DLQ depths, services' own gauges
        return Response(generate_latest(runtime.registry), media_type=CONTENT_TYPE_LATEST)

    @api("Row and message counts (no personal data)", public=True)
    async def stats_route(_: Request) -> Response:
        return JSONResponse(await stats(runtime))

    @api("The AsyncAPI 3.0 document of the service's messages", public=True)
    async def asyncapi_route(_: Request) -> Response:
        return JSONResponse(asyncapi or {})

    async def on_error(request: Request, exc: Exception) -> Response:
        # The stack goes to the log as frames only (osame_chassis.logs.redacted_stack), no values.
        log.error(
            "http error on %s %s (%s)", request.method, request.url.path, type(exc).__name__, exc_info=exc
        )
        return JSONResponse({"error": "internal error"}, status_code=500)

    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        Route("/stats", stats_route),
        Route("/docs/asyncapi", asyncapi_route),
    ]
    openapi, openapi_of_app = openapi_route(lambda: app.routes, service=runtime.settings.service_name)
    routes.append(openapi)
    if runtime.spec.routes is not None:
        routes.extend(runtime.spec.routes(runtime))
    app = Starlette(routes=routes, exception_handlers={Exception: on_error})
    app.state.openapi = openapi_of_app
    return app
