"""JSON logs carrying trace_id/span_id, with a scrubbing filter as a second line of defence."""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime

from opentelemetry import trace

from osame_chassis.redaction import scrub_text


def _where(filename: str) -> str:
    for marker in ("/site-packages/", "/src/", "/lib/python3"):
        if marker in filename:
            return filename.rsplit(marker, 1)[1]
    return filename.rsplit("/", 1)[-1]


def redacted_stack(exc: BaseException, limit: int = 60) -> list[str]:
    """Where an exception came from, without what it said: `file:line in function` per frame and
    `raised <type>`, the first cause first as Python prints it. No message, no argument or local
    value (an IntegrityError's text carries the row it refused)."""
    blocks: list[list[str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = traceback.extract_tb(current.__traceback__)
        kind = type(current)
        blocks.append(
            [f"{_where(f.filename)}:{f.lineno} in {f.name}" for f in frames]
            + [f"raised {kind.__module__}.{kind.__qualname__}"]
        )
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    out: list[str] = []
    for block in reversed(blocks):
        out += (["then:"] if out else []) + block
    return out[-limit:]


class ScrubFilter(logging.Filter):
    """Renders the message, masks ID-shaped digits and drops exception text (it may echo input),
    keeping the exception's type and its stack of frames (`redacted_stack`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = scrub_text(message)
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            record.osame_exc_type = record.exc_info[0].__name__
            if record.exc_info[1] is not None:
                record.osame_exc_stack = redacted_stack(record.exc_info[1])
            record.exc_info = None
            record.exc_text = None
        return True


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        span = trace.get_current_span().get_span_context()
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if span.is_valid:
            entry["trace_id"] = format(span.trace_id, "032x")
            entry["span_id"] = format(span.span_id, "016x")
        exc_type = getattr(record, "osame_exc_type", None)
        if exc_type:
            entry["exc_type"] = exc_type
        exc_stack = getattr(record, "osame_exc_stack", None)
        if exc_stack:
            entry["exc_stack"] = exc_stack
        for key in ("message_id", "queue", "reason", "count"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO", json_format: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ScrubFilter())
    if json_format:
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter(f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("aiormq", "aio_pika", "sqlalchemy.engine", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
