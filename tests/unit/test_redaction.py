"""The second line of defence: scrubbing of ID-shaped digits, allow-listed span attributes,
exception messages dropped from exported spans."""

from __future__ import annotations

import logging

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from osame_chassis.logs import JsonFormatter, ScrubFilter
from osame_chassis.redaction import scrub_attributes, scrub_text
from osame_chassis.telemetry import RedactingSpanExporter


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("number 123456789018 here", "number [redacted] here"),
        ("1234-5678-9018", "[redacted]"),
        ("corp 1234567890123", "corp [redacted]"),
        ("notice R2026000001 amount 120000", "notice R2026000001 amount 120000"),
        ("longer 12345678901234", "longer 12345678901234"),
    ],
    ids=["12-digit", "hyphenated", "13-digit-corporate", "ordinary-ids-kept", "longer-run-kept"],
)
def test_scrub_text(text, expected):
    assert scrub_text(text) == expected


def test_only_allow_listed_attributes_survive():
    out = scrub_attributes(
        {
            "messaging.message.id": "abc",
            "osame.channel": "counter",
            "user.name": "山田",
            "addressee.address": "高岡市",
            "db.statement": "SELECT 1 -- 123456789018",
        }
    )
    assert out == {
        "messaging.message.id": "abc",
        "osame.channel": "counter",
        "db.statement": "SELECT 1 -- [redacted]",
    }


def test_exported_spans_lose_exception_messages_and_personal_attributes():
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(RedactingSpanExporter(memory)))
    tracer = provider.get_tracer("t")
    with pytest.raises(ValueError), tracer.start_as_current_span("handler") as span:
        span.set_attribute("taxpayer.name", "山田 花子")
        raise ValueError("input_value='123456789018 山田 花子'")
    [exported] = memory.get_finished_spans()
    assert "taxpayer.name" not in exported.attributes
    [event] = exported.events
    assert event.attributes["exception.type"] == "ValueError"
    assert "exception.message" not in event.attributes and "exception.stacktrace" not in event.attributes
    assert "山田" not in str(exported.to_json())


def test_log_filter_masks_numbers_and_drops_exception_text():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed for %s", ("123456789018",), None)
    try:
        raise ValueError("山田 花子")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    ScrubFilter().filter(record)
    line = JsonFormatter("test").format(record)
    assert "123456789018" not in line and "山田" not in line
    assert '"exc_type": "ValueError"' in line
