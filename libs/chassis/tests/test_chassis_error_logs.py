"""A 500's log line says where it failed, never what the data was (issue 14).

Collection's 500 on `GET /batches/{id}` was logged as `http error … (IntegrityError)` and nothing
else: no way to tell which writer collided. The line now carries the stack as frames
(`file:line in function`, chained causes too) while the exception's text — which for an
IntegrityError repeats the refused row — stays out.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import httpx
from osame_chassis.http import build_app
from osame_chassis.logs import JsonFormatter, ScrubFilter
from osame_chassis.runtime import ServiceRuntime, ServiceSpec
from osame_chassis.settings import ServiceSettings
from starlette.routing import Route

SECRET = "山田 花子 123456789018"


def _append_entry() -> None:
    try:
        raise KeyError(SECRET)
    except KeyError as err:
        raise RuntimeError(f"duplicate key for {SECRET}") from err


async def _failing(_request):
    _append_entry()


def _runtime(tmp_path) -> ServiceRuntime:
    settings = ServiceSettings(
        service_name="chassis-test",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/errors.db",
        amqp_url="amqp://guest:guest@127.0.0.1:1/",
        amqp_prefix="t.",
        migrate_on_start=False,
        telemetry_enabled=False,
        http_port=0,
    )
    spec = ServiceSpec(
        settings=settings,
        migrations=Path("/nonexistent"),
        register=lambda _: None,
        routes=lambda _: [Route("/boom", _failing)],
    )
    return ServiceRuntime(spec, provider=None)


async def test_a_500_is_logged_with_its_frames_and_without_its_values(tmp_path):
    runtime = _runtime(tmp_path)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubFilter())
    handler.setFormatter(JsonFormatter("chassis-test"))
    logger = logging.getLogger("osame.http")
    logger.addHandler(handler)
    try:
        transport = httpx.ASGITransport(app=build_app(runtime), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            response = await client.get("/boom")
    finally:
        logger.removeHandler(handler)
        await runtime.dispose_databases()
    assert response.status_code == 500
    [line] = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["exc_type"] == "RuntimeError"
    stack = entry["exc_stack"]
    assert any(
        frame.endswith(" in _append_entry") and "test_chassis_error_logs.py:" in frame for frame in stack
    )
    assert stack.index("raised builtins.KeyError") < stack.index("raised builtins.RuntimeError")
    assert "山田" not in line and "123456789018" not in line
