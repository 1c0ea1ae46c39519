"""Operations endpoints: /healthz (alive), /readyz (database reachable and started), /metrics.

No session needed; nothing here carries personal data.
"""

from __future__ import annotations

import logging

from osame_chassis.openapi import api
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

log = logging.getLogger("osame.console.ops")

ERROR_PAGE = """<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>エラー | Osame</title>
<link rel="stylesheet" href="/static/console.css"></head><body><main id="main" class="page">
<h1>一時的に利用できません</h1><p>処理を完了できませんでした。しばらくしてから再度お試しください。</p>
<p><a href="/">ホームへ戻る</a></p></main></body></html>"""


class Readiness:
    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self.started = False

    async def check(self) -> tuple[bool, dict]:
        checks = {"started": self.started, "database": False}
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = True
        except Exception:
            checks["database"] = False
        return all(checks.values()), checks


def routes(state: Readiness, registry: CollectorRegistry) -> list[Route]:
    @api("Liveness: the process answers", public=True)
    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @api("Readiness: database and start-up", public=True, also={503: "Not ready"})
    async def readyz(_: Request) -> Response:
        ok, checks = await state.check()
        return JSONResponse(checks, status_code=200 if ok else 503)

    @api("Prometheus metrics", public=True, media="text/plain")
    async def metrics(_: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return [Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics)]


async def internal_error(request: Request, exc: Exception) -> Response:
    """Anything unexpected: logged by type and frames (no values), a plain Japanese page to the user."""
    log.error(
        "unexpected error on %s %s (%s)",
        request.method,
        request.url.path.split("/")[1],
        type(exc).__name__,
        exc_info=exc,
    )
    return HTMLResponse(ERROR_PAGE, status_code=500)
