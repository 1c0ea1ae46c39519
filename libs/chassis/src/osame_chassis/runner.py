"""Runs one service process: migrate, declare, consume, relay, serve HTTP, shut down gracefully.

Shutdown order (SIGTERM/SIGINT): report not-ready → stop consuming and let in-flight
handlers finish (FastStream's graceful timeout) → drain the outbox → close the
publisher → dispose the database → flush spans → stop HTTP (last, so probes see
not-ready throughout the drain).
"""

from __future__ import annotations

import asyncio
import logging
import signal

import uvicorn

from osame_chassis import migrations, telemetry
from osame_chassis.asyncapi import runtime_document
from osame_chassis.audit import audit_checkpoints
from osame_chassis.http import build_app
from osame_chassis.logs import configure_logging
from osame_chassis.messaging.topology import (
    DeadLetterRetention,
    declare_dead_letter_queues,
    declare_exchanges,
)
from osame_chassis.runtime import ServiceRuntime, ServiceSpec
from osame_chassis.startup import preflight

log = logging.getLogger("osame.runner")


async def watch_event_loop(interval: float = 0.5, report_above: float = 1.0) -> None:
    """Warn when the event loop was blocked: health, readiness and stats answer only while it runs,
    so blocking work (CPU-heavy parsing, a synchronous call) belongs in a thread. A measurement
    for the log, never an assertion."""
    loop = asyncio.get_running_loop()
    while True:
        expected = loop.time() + interval
        await asyncio.sleep(interval)
        lag = loop.time() - expected
        if lag > report_above:
            log.warning("event loop blocked for %.1f s", lag, extra={"count": round(lag, 1)})


def build_runtime(spec: ServiceSpec) -> ServiceRuntime:
    settings = spec.settings
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    version = telemetry.service_version(spec)
    provider = (
        telemetry.setup_tracing(settings.service_name, version=version, environment=settings.environment)
        if settings.telemetry_enabled
        else None
    )
    runtime = ServiceRuntime(spec, provider)
    runtime.metrics.describe(settings.service_name, version, settings.environment)
    if provider is not None:
        telemetry.instrument_sqlalchemy(runtime.engine, provider)
        telemetry.instrument_httpx(provider)
    spec.register(runtime)
    return runtime


async def start(runtime: ServiceRuntime) -> None:
    if runtime.settings.migrate_on_start:
        await migrations.upgrade(runtime.engine, runtime.spec.migrations)
    await runtime.publisher.connect()
    await declare_exchanges(runtime.publisher, runtime.names)
    await declare_dead_letter_queues(
        runtime.publisher, runtime.names, runtime.queues, DeadLetterRetention.from_settings(runtime.settings)
    )
    if runtime.spec.warm_up is not None:
        await asyncio.to_thread(runtime.spec.warm_up)
    runtime.relay.start()
    await runtime.broker.start()
    runtime.ready = True


async def stop(runtime: ServiceRuntime) -> None:
    runtime.ready = False
    await runtime.broker.stop()
    await runtime.relay.stop(drain_timeout=runtime.settings.graceful_timeout)
    await runtime.publisher.stop()
    await runtime.dispose_databases()
    if runtime.provider is not None:
        runtime.provider.force_flush()
        runtime.provider.shutdown()


async def serve(spec: ServiceSpec) -> None:
    await preflight(spec.settings)  # a misconfiguration stops here with one line (startup.run_checked)
    runtime = build_runtime(spec)
    settings = runtime.settings
    app = build_app(runtime, asyncapi=runtime_document(runtime))
    app = telemetry.instrument_http(app, runtime.provider, runtime.metrics)
    server = uvicorn.Server(
        uvicorn.Config(app, host=settings.http_host, port=settings.http_port, log_config=None, lifespan="off")
    )
    server.install_signal_handlers = lambda: None  # we own the signals

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)

    http_task = asyncio.create_task(server.serve(), name="http")
    background: list[asyncio.Task] = []
    checkpoints: asyncio.Task | None = None
    watchdog = asyncio.create_task(watch_event_loop(), name="event-loop-watch")
    try:
        await start(runtime)
        log.info(
            "started: %d queues, http on %s:%d", len(runtime.queues), settings.http_host, settings.http_port
        )
        background = [
            asyncio.create_task(task(runtime, stopping), name=f"background-{getattr(task, '__name__', i)}")
            for i, task in enumerate(spec.background_tasks())
        ]
        checkpoints = (
            asyncio.create_task(audit_checkpoints(runtime, stopping), name="audit-checkpoints")
            if settings.audit_checkpoint_file is not None
            else None
        )
        await stopping.wait()
        log.info("stopping")
    finally:
        for task in (*background, checkpoints):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        watchdog.cancel()
        await stop(runtime)
        server.should_exit = True
        await http_task
        log.info("stopped")


def main(spec_factory) -> None:
    """Console-script entry point: `spec_factory()` builds the ServiceSpec (composition root)."""
    asyncio.run(serve(spec_factory()))
