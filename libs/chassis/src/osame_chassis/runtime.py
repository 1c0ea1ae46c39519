"""Everything one service process holds: settings, database, brokers, relay, telemetry, metrics.

`ServiceSpec` is what a service's composition root provides; `ServiceRuntime` is built
from it by `osame_chassis.runner`. There are two broker connections: one consumes
(prefetch set on its channel), one publishes for the outbox relay (confirms on,
returns raised), so the relay can still drain after consumers have stopped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from faststream.rabbit import Channel, RabbitBroker
from faststream.rabbit.opentelemetry import RabbitTelemetryMiddleware
from faststream.rabbit.prometheus import RabbitPrometheusMiddleware
from faststream.security import BaseSecurity
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.routing import BaseRoute

from osame_chassis.db import create_engine, is_sqlite, session_factory
from osame_chassis.messaging.outbox import OutboxRelay
from osame_chassis.messaging.staff_proof import signer_from_settings
from osame_chassis.messaging.topology import Names
from osame_chassis.metrics import PlumbingMetrics
from osame_chassis.settings import ServiceSettings
from osame_chassis.tls import amqp_ssl_context
from osame_chassis.uow import UnitOfWork

# A service's own periodic work, run by the runner beside the consumers until the event is set.
BackgroundTask = Callable[["ServiceRuntime", asyncio.Event], Awaitable[None]]
# A command of the service's program besides serve/migrate/…: `(spec, argv)` where argv starts
# with the command's name; it prints its result and exits (SystemExit) with its status.
Command = Callable[["ServiceSpec", list[str]], None]


@dataclass
class ServiceSpec:
    """A service's composition root hands this to the runner."""

    settings: ServiceSettings
    migrations: Path
    register: Callable[[ServiceRuntime], None]
    stats: Callable[[AsyncSession], Awaitable[dict[str, int]]] | None = None
    title: str = ""
    routes: Callable[[ServiceRuntime], list[BaseRoute]] | None = None
    # A service's own periodic work (e.g. applying dated decisions when due), run by the runner
    # beside the consumers, each until the event is set: `async def loop(runtime, stop) -> None`.
    # One task or several; see `background_tasks()`.
    background: BackgroundTask | Sequence[BackgroundTask] | None = None
    # Slow first uses (a calendar to build, a table to load) done in a thread before consuming,
    # so the first messages do not block the event loop (and with it /healthz, /readyz, /stats).
    warm_up: Callable[[], None] | None = None
    # Operator commands of the service's program (`osame-<service> NAME …`), dispatched by
    # `osame_chassis.cli.service_main` before its own commands.
    commands: Mapping[str, Command] = field(default_factory=dict)

    def background_tasks(self) -> list[BackgroundTask]:
        if self.background is None:
            return []
        return [self.background] if callable(self.background) else list(self.background)


def make_broker(
    settings: ServiceSettings, provider: TracerProvider | None, registry: CollectorRegistry, *, role: str
) -> RabbitBroker:
    middlewares = []
    if provider is not None:
        middlewares.append(RabbitTelemetryMiddleware(tracer_provider=provider))
    middlewares.append(
        RabbitPrometheusMiddleware(registry=registry, app_name=f"osame-{settings.service_name}-{role}")
    )
    context = amqp_ssl_context(settings)  # amqps://: verified TLS, optional client certificate
    return RabbitBroker(
        settings.amqp_url,
        security=BaseSecurity(ssl_context=context) if context is not None else None,
        default_channel=Channel(
            prefetch_count=settings.prefetch, publisher_confirms=True, on_return_raises=True
        ),
        graceful_timeout=settings.graceful_timeout,
        middlewares=tuple(middlewares),
        logger=logging.getLogger(f"osame.broker.{role}"),
        log_level=logging.DEBUG,
        app_id=f"osame-{settings.service_name}",
    )


class ServiceRuntime:
    def __init__(self, spec: ServiceSpec, provider: TracerProvider | None):
        self.spec = spec
        self.settings = spec.settings
        self.names = Names(self.settings.amqp_prefix)
        self.provider = provider
        self.registry = CollectorRegistry()
        self.metrics = PlumbingMetrics(self.registry)
        self.engine = create_engine(self.settings.effective_database_url)
        self.sessions = session_factory(self.engine)
        # Reads that must answer while the service is busy (/stats, /readyz, /metrics): a pool of
        # their own, never waiting for the handlers' connections nor for SQLite's write lock.
        self.read_engine = create_engine(self.settings.effective_database_url, reads_only=True)
        self.read_sessions = session_factory(self.read_engine)
        self.broker = make_broker(self.settings, provider, self.registry, role="consumer")
        self.publisher = make_broker(self.settings, provider, self.registry, role="publisher")
        self.relay = OutboxRelay(
            self.sessions,
            self.publisher,
            self.names,
            user_id=self.settings.amqp_user,
            batch_size=self.settings.outbox_batch_size,
            concurrency=self.settings.outbox_concurrency,
            poll_interval=self.settings.outbox_poll_interval,
            use_row_locks=not is_sqlite(self.settings.effective_database_url),
        )
        self.handler_slots = asyncio.Semaphore(self.settings.handler_concurrency)
        self.queues: list[str] = []
        self.consumed: dict[str, type] = {}  # queue → contract model
        self.ready = False
        self.staff_signer = signer_from_settings(self.settings)  # signs staff actions when staged

    async def dispose_databases(self) -> None:
        await self.engine.dispose()
        await self.read_engine.dispose()

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(
            self.sessions,
            self.names,
            on_commit=self.relay.wake,
            today=self.settings.today,
            staff_signer=self.staff_signer,
        )
