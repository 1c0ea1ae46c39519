"""ASGI middleware: every page view is the root span of the calls it makes; security headers.

The root span starts from an empty context on purpose: a browser's `traceparent` is not trusted
(and browsers send none); the services' spans join this trace through the `traceparent` the
httpx instrumentation sends with each call. Span names and attributes carry the route template
(`GET /cases/{addressee_id}`), never ids or query strings.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind, Status, StatusCode

from osame_console.entrypoints.metrics import ConsoleMetrics

UNTRACED_PREFIXES = ("/static/", "/healthz", "/readyz", "/metrics")


class PageViewSpans:
    def __init__(self, app, metrics: ConsoleMetrics, tracer_provider=None):
        self.app = app
        self.metrics = metrics
        self.tracer = trace.get_tracer("osame.console", tracer_provider=tracer_provider)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith(UNTRACED_PREFIXES):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        status = {"code": 500}

        async def send_status(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        with self.tracer.start_as_current_span(
            f"{method} page",
            context=Context(),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method},
        ) as span:
            try:
                await self.app(scope, receive, send_status)
            finally:
                route = getattr(scope.get("route"), "path", None) or "unmatched"
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status["code"])
                if status["code"] >= 500:
                    span.set_status(Status(StatusCode.ERROR))
                self.metrics.requests.labels(route=route, method=method, status=str(status["code"])).inc()


class SecurityHeaders:
    """CSP (scripts and styles from the console only), no framing, no sniffing, no referrer, and
    `no-store` on everything but static files (pages show personal data)."""

    def __init__(self, app, form_action_origins: tuple[str, ...] = ()):
        self.app = app
        form_action = " ".join(("'self'", *form_action_origins))
        self.csp = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action {form_action}"
        ).encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [
                    (b"content-security-policy", self.csp),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                if not static and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_headers)
