"""Composition root of the console: settings, database, the issuer, the services' client, the app.

`build_app(settings, ...)` binds everything once; the doors (pages, sign-in, ops) take what
they need from `Web`. Tests pass their own `http` client (e.g. routed to an in-process issuer).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
from pathlib import Path

import httpx
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from osame_chassis import migrations, telemetry
from osame_chassis.auth import AuthSettings
from osame_chassis.db import create_engine, session_factory
from osame_chassis.logs import configure_logging
from osame_chassis.openapi import openapi_route
from osame_chassis.settings import ConfigurationError
from osame_chassis.tls import check_development_identity, http_verify
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from osame_console.adapters.oidc_client import OidcClient
from osame_console.adapters.services import ServicesClient
from osame_console.adapters.store import Store
from osame_console.entrypoints import (
    auth_routes,
    correction_routes,
    ops,
    receipt_routes,
    refund_routes,
    screen_routes,
)
from osame_console.entrypoints.metrics import ConsoleMetrics
from osame_console.entrypoints.middleware import PageViewSpans, SecurityHeaders
from osame_console.entrypoints.web import SESSION, Web, templates
from osame_console.service_layer.signin import SignIn
from osame_console.settings import ConsoleSettings

log = logging.getLogger("osame.console")
MIGRATIONS = Path(__file__).parent / "migrations"
STATIC = Path(__file__).parent / "entrypoints" / "static"
SWEEP_EVERY_SECONDS = 60


def session_secret(settings: ConsoleSettings) -> bytes:
    if settings.session_secret is not None:
        secret = settings.session_secret.get_secret_value().encode()
        if len(secret) < 32:
            raise SystemExit("OSAME_CONSOLE_SESSION_SECRET must be at least 32 characters")
        return secret
    if not settings.development:
        raise SystemExit("OSAME_CONSOLE_SESSION_SECRET is required outside development (OSAME_ENVIRONMENT)")
    log.warning("no session secret configured: a random one is used (development; sessions end on restart)")
    return os.urandom(32)


def _origin(url: str) -> str:
    parts = httpx.URL(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.host}{port}"


def build_app(
    settings: ConsoleSettings | None = None,
    *,
    auth_settings: AuthSettings | None = None,
    http: httpx.AsyncClient | None = None,
    tracer_provider: TracerProvider | None = None,
) -> Starlette:
    """The console app. Tracing: the process-wide provider (`OTEL_*`) when telemetry is enabled, or
    `tracer_provider` (tests) for the page-view spans and the calls of `http` only."""
    settings = settings or ConsoleSettings()
    auth_settings = auth_settings or AuthSettings()
    try:  # outside development, never the development token issuer; TLS files there (osame_chassis.tls)
        check_development_identity(settings, auth_settings)
        settings.dead_letter_tls()  # an amqps:// CA or certificate that is missing stops start-up
    except ConfigurationError as exc:
        raise SystemExit(str(exc)) from None
    http = http or httpx.AsyncClient(
        timeout=settings.upstream_timeout_seconds, verify=http_verify(settings.http_ca_file)
    )
    engine = create_engine(settings.effective_database_url)
    provider = owned = None
    if tracer_provider is not None:
        provider = tracer_provider
        HTTPXClientInstrumentor.instrument_client(http, tracer_provider=provider)
    elif settings.telemetry_enabled:
        provider = owned = telemetry.setup_tracing(settings.service_name)
        telemetry.instrument_httpx(provider)
        telemetry.instrument_sqlalchemy(engine, provider)
    registry = CollectorRegistry()
    metrics = ConsoleMetrics(registry)
    store = Store(session_factory(engine))
    oidc = OidcClient(settings, auth_settings, http)
    web = Web(
        settings=settings,
        store=store,
        signin=SignIn(settings, store, oidc, auth_settings.role_permissions),
        api=ServicesClient(settings.service_urls(), http, on_error=metrics.upstream_error),
        metrics=metrics,
        secret=session_secret(settings),
        templates=templates(),
    )
    state = ops.Readiness(engine)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        await migrations.upgrade(engine, MIGRATIONS)
        sweeper = asyncio.create_task(_sweep(web.signin), name="console-session-sweep")
        state.started = True
        log.info("started: http on %s:%d", settings.http_host, settings.http_port)
        try:
            yield
        finally:
            state.started = False
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await http.aclose()
            await engine.dispose()
            if owned is not None:
                owned.force_flush()
                owned.shutdown()

    openapi, openapi_of_app = openapi_route(
        lambda: app.routes, service="console", sessions=(SESSION,), error_media="text/html"
    )
    app = Starlette(
        routes=[
            openapi,
            *ops.routes(state, registry),
            *auth_routes.routes(web),
            *screen_routes.routes(web),
            *refund_routes.routes(web),
            *receipt_routes.routes(web),
            *correction_routes.routes(web),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        lifespan=lifespan,
        exception_handlers={Exception: ops.internal_error},
    )
    app.add_middleware(SecurityHeaders, form_action_origins=(_origin(settings.oidc_discovery_url),))
    app.add_middleware(PageViewSpans, metrics=metrics, tracer_provider=provider)
    app.state.web = web
    app.state.openapi = openapi_of_app
    return app


async def _sweep(signin: SignIn) -> None:
    while True:
        await asyncio.sleep(SWEEP_EVERY_SECONDS)
        try:
            ended = await signin.sweep(dt.datetime.now(dt.UTC))
            if ended:
                log.info("ended %d idle or expired sessions", ended, extra={"count": ended})
        except Exception:
            log.exception("session sweep failed")


def configure(settings: ConsoleSettings) -> None:
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
