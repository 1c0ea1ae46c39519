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
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
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
    if not (
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        return None
    protocol = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or os.environ.get(
        "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"
    )
    if protocol.startswith("http"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

        return HttpExporter()
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter

    return GrpcExporter()


def setup_tracing(service_name: str, extra_exporters: Sequence[SpanExporter] = ()) -> TracerProvider:
    """Create and install the global tracer provider for this process."""
    resource = Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME", f"osame-{service_name}")})
    provider = TracerProvider(resource=resource)
    exporters = list(extra_exporters)
    if (otlp := _otlp_exporter()) is not None:
        exporters.append(otlp)
    for exporter in exporters:
        provider.add_span_processor(
            BatchSpanProcessor(RedactingSpanExporter(exporter), schedule_delay_millis=500)
        )
    trace.set_tracer_provider(provider)
    return provider


def instrument_sqlalchemy(engine, provider: TracerProvider) -> None:
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    # The 0.66b2 instrumentor declares sqlalchemy < 2.1 but works with 2.1's unchanged event API;
    # the dependency check is skipped deliberately (tests assert the spans exist).
    SQLAlchemyInstrumentor().instrument(
        engine=engine.sync_engine, tracer_provider=provider, enable_commenter=False, skip_dep_check=True
    )


def instrument_httpx(provider: TracerProvider) -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
