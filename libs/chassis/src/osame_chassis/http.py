"""A minimal ASGI app for operations: /healthz, /readyz, /metrics, /stats, /docs/asyncapi, plus service routes.

Routes never carry personal data in their paths or query strings.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select, text

from osame_chassis.messaging.outbox import pending_count
from osame_chassis.messaging.tables import inbox, outbox

if TYPE_CHECKING:
    from osame_chassis.runtime import ServiceRuntime

log = logging.getLogger("osame.http")
MAX_BODY = 10 * 1024 * 1024


async def _read_body(receive) -> bytes:
    chunks, size = [], 0
    while True:
        event = await receive()
        chunk = event.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise ValueError("body too large")
        chunks.append(chunk)
        if not event.get("more_body"):
            return b"".join(chunks)


async def _send(send, status: int, body: bytes, content_type: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _json(payload) -> bytes:
    return json.dumps(payload, ensure_ascii=False, default=str).encode()


class OpsApp:
    def __init__(self, runtime: ServiceRuntime, asyncapi: dict | None = None):
        self.runtime = runtime
        self.asyncapi = asyncapi or {}
        self.routes = {key: factory(runtime) for key, factory in runtime.spec.routes.items()}

    async def _ready(self) -> tuple[int, dict]:
        checks = {"broker": False, "database": False, "started": self.runtime.ready}
        try:
            checks["broker"] = bool(await self.runtime.broker.ping(timeout=2.0))
        except Exception:
            checks["broker"] = False
        try:
            async with self.runtime.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = True
        except Exception:
            checks["database"] = False
        return (200 if all(checks.values()) else 503), checks

    async def _stats(self) -> dict:
        async with self.runtime.sessions() as session:
            out = {
                "outbox_pending": await pending_count(session),
                "messages_published": (
                    await session.execute(
                        select(func.count()).select_from(outbox).where(outbox.c.published_at.is_not(None))
                    )
                ).scalar_one(),
                "messages_consumed": (
                    await session.execute(select(func.count()).select_from(inbox))
                ).scalar_one(),
            }
            if self.runtime.spec.stats is not None:
                out.update(await self.runtime.spec.stats(session))
        out["outbox_published_by_this_process"] = self.runtime.relay.published_total
        return out

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                event = await receive()
                if event["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif event["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"]
        try:
            if path == "/healthz":
                return await _send(send, 200, _json({"status": "ok"}), "application/json")
            if path == "/readyz":
                status, checks = await self._ready()
                return await _send(send, status, _json(checks), "application/json")
            if path == "/metrics":
                async with self.runtime.sessions() as session:
                    self.runtime.metrics.outbox_pending.set(await pending_count(session))
                return await _send(send, 200, generate_latest(self.runtime.registry), CONTENT_TYPE_LATEST)
            if path == "/stats":
                return await _send(send, 200, _json(await self._stats()), "application/json")
            if path == "/docs/asyncapi":
                return await _send(send, 200, _json(self.asyncapi), "application/json")
            route = self.routes.get((method, path))
            if route is None:
                return await _send(send, 404, _json({"error": "not found"}), "application/json")
            body = await _read_body(receive)
            request = {
                "body": body,
                "headers": dict(scope.get("headers") or []),
                "query": scope.get("query_string"),
            }
            status, payload = await route(request)
            return await _send(send, status, _json(payload), "application/json")
        except Exception as exc:
            log.error("http error on %s %s (%s)", method, path, type(exc).__name__)
            return await _send(send, 500, _json({"error": "internal error"}), "application/json")
