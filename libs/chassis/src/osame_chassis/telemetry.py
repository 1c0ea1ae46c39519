"""OpenTelemetry setup: a tracer provider whose every exporter sits behind a redacting wrapper.

Exporters are chosen by the standard variables: OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT`
(or the traces-specific one) is set, with `OTEL_EXPORTER_OTLP_PROTOCOL` = `grpc`
(default) or `http/protobuf`. SQLAlchemy and httpx are instrumented; RabbitMQ spans come
from FastStream's `RabbitTelemetryMiddleware` (never also the aio-pika instrumentor).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Status

from osame_chassis.redaction import scrub_attributes, scrub_text


def _scrub_event(event: Event) -> Event:
    attrs = dict(event.attributes or {})
    if event.name == "exception":
        # exception.message and the stack trace may echo input values: keep only the type.
        attrs = {k: v for k, v in attrs.items() if k in ("exception.type", "exception.escaped")}
    return Event(event.name, scrub_attributes(attrs), event.timestamp)


def redact_span(span: ReadableSpan) -> ReadableSpan:
    status = span.status
    if status.description:
        status = Status(status.status_code, "error (details redacted)")
    return ReadableSpan(
        name=scrub_text(span.name),
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=scrub_attributes(span.attributes),
        events=[_scrub_event(e) for e in span.events],
        links=span.links,
        kind=span.kind,
        status=status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class RedactingSpanExporter(SpanExporter):
    """Wraps any exporter; spans pass through `redact_span` first."""

    def __init__(self, inner: SpanExporter):
        self._inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self._inner.export([redact_span(s) for s in spans])

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


def _otlp_exporter() -> SpanExporter | None:
    protocol = _otlp_configured("traces")
    if protocol is None:
        return None
    if protocol.startswith("http"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

        return HttpExporter(session=otlp_http_session())
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter

    return GrpcExporter()


def otlp_http_session():
    """A requests session for the http/protobuf OTLP exporters that keeps the CA they were given.

    The exporters put `OTEL_EXPORTER_OTLP_CERTIFICATE` on their session, but requests lets
    `REQUESTS_CA_BUNDLE`/`CURL_CA_BUNDLE` (set in many images) win over a session's `verify`
    (psf/requests#3829), so the collector's CA would be silently ignored. Proxies still come from
    the environment."""
    import requests

    class KeepVerify(requests.Session):
        def merge_environment_settings(self, url, proxies, stream, verify, cert):
            merged = super().merge_environment_settings(url, proxies, stream, verify, cert)
            if verify is None:
                merged["verify"] = self.verify
            return merged

    return KeepVerify()


def service_resource(
    service_name: str, version: str | None = None, environment: str | None = None
) -> Resource:
    """`service.name`, `service.version` and `deployment.environment.name`; OTEL_SERVICE_NAME and
    OTEL_RESOURCE_ATTRIBUTES (read by the SDK) win over the defaults given here."""
    detected = Resource.create({})
    attributes = {SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME", f"osame-{service_name}")}
    if version and SERVICE_VERSION not in detected.attributes:
        attributes[SERVICE_VERSION] = version
    legacy = detected.attributes.get("deployment.environment")  # the pre-1.27 name
    if "deployment.environment.name" not in detected.attributes and (legacy or environment):
        attributes["deployment.environment.name"] = legacy or environment
    return Resource.create(attributes)


def setup_tracing(
    service_name: str,
    extra_exporters: Sequence[SpanExporter] = (),
    *,
    version: str | None = None,
    environment: str | None = None,
) -> TracerProvider:
    """Create and install the global tracer provider for this process."""
    resource = service_resource(service_name, version, environment)
    provider = TracerProvider(resource=resource)
    exporters = list(extra_exporters)
    if (otlp := _otlp_exporter()) is not None:
        exporters.append(otlp)
    for exporter in exporters:
        provider.add_span_processor(
            BatchSpanProcessor(RedactingSpanExporter(exporter), schedule_delay_millis=500)
        )
    trace.set_tracer_provider(provider)
    export_logs(resource)
    return provider


def _otlp_configured(signal: str) -> str | None:
    """The OTLP protocol for `signal` (traces, logs) when an endpoint is configured, else None."""
    if os.environ.get(f"OTEL_{signal.upper()}_EXPORTER", "otlp") == "none":
        return None
    if not (
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT")
    ):
        return None
    return os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL") or os.environ.get(
        "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"
    )


def export_logs(resource: Resource) -> None:
    """With an OTLP endpoint, also send the log records (already scrubbed, as on stderr) to the
    collector, which forwards them to the log store. `OTEL_LOGS_EXPORTER=none` turns it off."""
    import logging

    protocol = _otlp_configured("logs")
    if protocol is None:
        return
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

    from osame_chassis.logs import ScrubFilter

    if protocol.startswith("http"):
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    else:
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
    provider = LoggerProvider(resource=resource)
    exporter = (
        OTLPLogExporter(session=otlp_http_session()) if protocol.startswith("http") else OTLPLogExporter()
    )
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter, schedule_delay_millis=1000))
    handler = LoggingHandler(level=logging.INFO, logger_provider=provider)
    handler.addFilter(ScrubFilter())
    logging.getLogger().addHandler(handler)


def instrument_sqlalchemy(engine, provider: TracerProvider) -> None:
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    # SQLAlchemy is pinned below 2.1, the range this instrumentor declares (its check stays on).
    SQLAlchemyInstrumentor().instrument(
        engine=engine.sync_engine, tracer_provider=provider, enable_commenter=False
    )


def route_template(routes, scope: dict) -> str:
    """The route a request matches, as declared (`/cases/{addressee_id}`), never the concrete path:
    paths carry ids. Requests no route matches are named `unmatched`."""
    from starlette.routing import Match, Mount

    for route in routes:
        match, child = route.matches(scope)
        if match is Match.FULL:
            if isinstance(route, Mount):
                return route.path + route_template(route.routes, {**scope, **child})
            return getattr(route, "path", "unmatched")
    return "unmatched"


def instrument_http(app, provider: TracerProvider | None, metrics=None):
    """Wrap the service's Starlette app: every HTTP request is counted and timed per route template
    (`osame_http_requests_total`, `osame_http_request_duration_seconds`) and, with tracing on, is a
    SERVER span (the root of the trace of a file import, a counter payment or a staff action, or
    the child of the caller's `traceparent`) named by method and route template. Paths carry ids,
    so neither names nor labels use them. Probes, /metrics and /stats are neither traced nor counted."""
    import time

    excluded = ("/healthz", "/readyz", "/metrics", "/stats")
    wrapped = app
    if provider is not None:
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

        def span_details(scope: dict) -> tuple[str, dict]:
            template = route_template(app.routes, scope)
            return f"{scope.get('method', 'HTTP')} {template}", {"http.route": template}

        wrapped = OpenTelemetryMiddleware(
            app,
            excluded_urls=",".join(excluded),
            default_span_details=span_details,
            tracer_provider=provider,
            exclude_spans=["receive", "send"],
        )
    if metrics is None:
        return wrapped
    traced = wrapped

    async def counted(scope, receive, send):
        if scope["type"] != "http" or scope.get("path") in excluded:
            return await traced(scope, receive, send)
        status = {"code": 500}

        async def send_status(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await traced(scope, receive, send_status)
        finally:
            route, method = route_template(app.routes, scope), scope.get("method", "HTTP")
            metrics.http_requests.labels(route=route, method=method, status=str(status["code"])).inc()
            metrics.http_duration.labels(route=route, method=method).observe(time.perf_counter() - started)

    return counted


def instrument_httpx(provider: TracerProvider) -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor().instrument(tracer_provider=provider)


def service_version(spec) -> str:
    """The installed version of the package whose composition root built `spec` (`service.version`)."""
    from importlib import metadata

    package = spec.register.__module__.split(".", 1)[0]
    try:
        return metadata.version(package.replace("_", "-"))
    except metadata.PackageNotFoundError:
        for distribution in metadata.packages_distributions().get(package, []):
            return metadata.version(distribution)
    return "0+unknown"
