"""A page view is the root span of the calls it makes, and the services get its trace context."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from osame_chassis.telemetry import RedactingSpanExporter


def test_page_view_is_the_root_span_and_the_service_call_its_child(make_harness):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(RedactingSpanExporter(exporter)))
    h = make_harness(tracer_provider=provider)
    assert h.sign_in("tainou01").status_code == 200
    exporter.clear()
    h.upstream.calls.clear()

    assert (
        h.client.get(
            "/cases/100001", headers={"traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01"}
        ).status_code
        == 200
    )
    spans = exporter.get_finished_spans()
    [page] = [s for s in spans if s.kind is SpanKind.SERVER]
    assert page.name == "GET /cases/{addressee_id}"
    assert page.parent is None  # root: a browser's traceparent is not trusted
    assert page.context.trace_id != int("a" * 32, 16)
    assert page.attributes["http.route"] == "/cases/{addressee_id}"
    assert page.attributes["http.response.status_code"] == 200
    calls = [s for s in spans if s.kind is SpanKind.CLIENT]
    assert calls and all(s.parent.span_id == page.context.span_id for s in calls)
    [received] = h.upstream.calls
    _version, trace_id, parent_id, _flags = received["traceparent"].split("-")
    assert int(trace_id, 16) == page.context.trace_id  # the service continues the page's trace
    assert int(parent_id, 16) in {s.context.span_id for s in calls}


def test_no_search_term_or_token_reaches_a_span(make_harness):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(RedactingSpanExporter(exporter)))
    h = make_harness(tracer_provider=provider)
    h.sign_in("atena01")
    token = h.csrf(h.client.get("/addressees").text)
    h.client.post("/addressees/search", data={"csrf_token": token, "name_kana": "ヤマダタロウ"})
    dump = repr(
        [
            (s.name, dict(s.attributes or {}), [e.attributes for e in s.events])
            for s in exporter.get_finished_spans()
        ]
    )
    assert "ヤマダ" not in dump and "eyJ" not in dump and "Bearer" not in dump
