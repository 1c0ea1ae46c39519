"""A tiny OTLP/HTTP (protobuf) trace receiver for local runs and tests.

The demo and the end-to-end tests point every service's exporter at it
(`OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:<port>`, protocol `http/protobuf`) to
see one trace cross the services. It keeps spans in memory and, optionally, appends
them as JSON lines. Production uses the OpenTelemetry collector instead.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

import uvicorn
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


@dataclass
class SinkSpan:
    service: str
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: int
    attributes: dict = field(default_factory=dict)
    events: list = field(default_factory=list)


def _value(v):
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [_value(x) for x in v.array_value.values]
    return getattr(v, kind) if kind else None


def decode(body: bytes) -> list[SinkSpan]:
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        attrs = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
        service = attrs.get("service.name", "unknown")
        for scope_spans in resource_spans.scope_spans:
            for s in scope_spans.spans:
                spans.append(
                    SinkSpan(
                        service=service,
                        trace_id=s.trace_id.hex(),
                        span_id=s.span_id.hex(),
                        parent_span_id=s.parent_span_id.hex(),
                        name=s.name,
                        kind=s.kind,
                        attributes={a.key: _value(a.value) for a in s.attributes},
                        events=[
                            {"name": e.name, "attributes": {a.key: _value(a.value) for a in e.attributes}}
                            for e in s.events
                        ],
                    )
                )
    return spans


class OtlpSink:
    """Run with `start()` (a background thread) and `stop()`; read `spans`."""

    def __init__(self, port: int, jsonl: Path | None = None):
        self.port = port
        self.jsonl = jsonl
        self.spans: list[SinkSpan] = []
        self.log_records = 0  # OTLP log records received (their content is not kept)
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        status = 404
        payload = b""
        if scope["method"] == "POST" and scope["path"] == "/v1/traces":
            spans = decode(body)
            with self._lock:
                self.spans.extend(spans)
                if self.jsonl is not None:
                    with self.jsonl.open("a", encoding="utf-8") as fh:
                        for s in spans:
                            fh.write(json.dumps(asdict(s), ensure_ascii=False) + "\n")
            status, payload = 200, ExportTraceServiceResponse().SerializeToString()
        elif scope["method"] == "POST" and scope["path"] == "/v1/logs":
            request = ExportLogsServiceRequest()
            request.ParseFromString(body)
            with self._lock:
                self.log_records += sum(
                    len(scoped.log_records) for rl in request.resource_logs for scoped in rl.scope_logs
                )
            status, payload = 200, ExportLogsServiceResponse().SerializeToString()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/x-protobuf")],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    def start(self) -> None:
        config = uvicorn.Config(self, host="127.0.0.1", port=self.port, log_config=None, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=lambda: asyncio.run(self._server.serve()), daemon=True)
        self._thread.start()
        while not self._server.started:
            threading.Event().wait(0.02)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)

    def snapshot(self) -> list[SinkSpan]:
        with self._lock:
            return list(self.spans)

    def services_in_trace(self, trace_id: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.snapshot():
            if s.trace_id == trace_id:
                out[s.service] = out.get(s.service, 0) + 1
        return out
