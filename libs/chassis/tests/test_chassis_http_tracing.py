"""HTTP requests are SERVER spans named by route template, joining the caller's trace; the
exported attributes carry no concrete path (paths hold ids)."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from osame_chassis.telemetry import RedactingSpanExporter, instrument_http, route_template
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

ADDRESSEE = "990000123"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


async def case(request):
    return JSONResponse({"id": request.path_params["addressee_id"]})


async def ok(_request):
    return JSONResponse({"status": "ok"})


def make_app():
    return Starlette(
        routes=[
            Route("/healthz", ok),
            Route("/cases/{addressee_id}", case),
            Mount("/api", routes=[Route("/imports/{channel}", ok, methods=["POST"])]),
        ]
    )


def traced():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(RedactingSpanExporter(exporter)))
    app = make_app()
    return TestClient(instrument_http(app, provider)), exporter


def test_route_template_of_plain_and_mounted_routes():
    app = make_app()
    scope = {"type": "http", "method": "GET", "path": f"/cases/{ADDRESSEE}", "root_path": ""}
    assert route_template(app.routes, scope) == "/cases/{addressee_id}"
    scope = {"type": "http", "method": "POST", "path": "/api/imports/cvs", "root_path": ""}
    assert route_template(app.routes, scope) == "/api/imports/{channel}"
    assert route_template(app.routes, {**scope, "path": f"/nope/{ADDRESSEE}"}) == "unmatched"


def test_a_request_is_a_server_span_named_by_its_template_in_the_callers_trace():
    client, exporter = traced()
    parent = "00f067aa0ba902b7"
    response = client.get(
        f"/cases/{ADDRESSEE}?q={ADDRESSEE}", headers={"traceparent": f"00-{TRACE_ID}-{parent}-01"}
    )
    assert response.status_code == 200
    (span,) = exporter.get_finished_spans()
    assert span.kind is SpanKind.SERVER
    assert span.name == "GET /cases/{addressee_id}"
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert format(span.parent.span_id, "016x") == parent
    assert span.attributes["http.route"] == "/cases/{addressee_id}"
    assert span.attributes.get("http.response.status_code", span.attributes.get("http.status_code")) == 200
    assert not [k for k, v in span.attributes.items() if ADDRESSEE in str(v)], dict(span.attributes)


def test_a_request_without_traceparent_starts_a_trace():
    client, exporter = traced()
    assert client.post("/api/imports/cvs?file=x.csv", content=b"data").status_code == 200
    (span,) = exporter.get_finished_spans()
    assert span.parent is None and span.name == "POST /api/imports/{channel}"


def test_probes_are_not_traced():
    client, exporter = traced()
    assert client.get("/healthz").status_code == 200
    assert exporter.get_finished_spans() == ()
