"""Prometheus metrics of the plumbing (FastStream's middleware adds per-handler metrics).

Besides counters the chassis bumps as it works, `refresh(runtime)` is awaited on every scrape of
`/metrics` and sets what must be read rather than counted: outbox rows pending and the age of the
oldest one, the depth of this service's dead-letter queues (read from the broker), and whatever
services register with `add_refresher` (e.g. collection's batch runs). `osame_build_info` carries
the service's version and deployment environment as labels. Labels never carry personal data:
queue names, batch kinds and outcomes only.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from faststream.rabbit import Channel, RabbitQueue
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import func, select

from osame_chassis.messaging.tables import outbox

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from osame_chassis.runtime import ServiceRuntime

log = logging.getLogger("osame.metrics")
# DLQ depths are read on a channel of their own: a failed passive declare closes only this channel.
METRICS_CHANNEL = Channel()
Refresher = Callable[["AsyncSession", "PlumbingMetrics"], Awaitable[None]]


class PlumbingMetrics:
    def __init__(self, registry: CollectorRegistry):
        self.registry = registry
        self.rejected = Counter(
            "osame_messages_rejected_total", "Messages rejected to the DLQ", ["queue"], registry=registry
        )
        self.requeued = Counter(
            "osame_messages_requeued_total", "Messages returned for redelivery", ["queue"], registry=registry
        )
        self.duplicates = Counter(
            "osame_messages_duplicate_total",
            "Duplicate deliveries skipped by the inbox",
            ["queue"],
            registry=registry,
        )
        self.outbox_pending = Gauge(
            "osame_outbox_pending", "Outbox rows not yet confirmed by the broker", registry=registry
        )
        self.outbox_oldest_age = Gauge(
            "osame_outbox_oldest_age_seconds",
            "Age of the oldest outbox row not yet confirmed by the broker (0 when none is pending)",
            registry=registry,
        )
        self.dlq_messages = Gauge(
            "osame_dlq_messages",
            "Dead letters waiting in the dead-letter queue of each work queue of this service",
            ["queue"],
            registry=registry,
        )
        self.dlq_read_errors = Counter(
            "osame_dlq_read_errors_total",
            "Scrapes that could not read a dead-letter queue's depth (missing queue, broker down)",
            ["queue"],
            registry=registry,
        )
        self.build_info = Gauge(
            "osame_build_info",
            "Always 1; the labels say which service, version and deployment environment this is",
            ["service", "version", "environment"],
            registry=registry,
        )
        self.batch_runs = Gauge(
            "osame_batch_runs",
            "Batch runs recorded in the service's database, by batch and outcome (running, done, failed)",
            ["batch", "status"],
            registry=registry,
        )
        self.batch_last_success = Gauge(
            "osame_batch_last_success_timestamp_seconds",
            "When the last successful run of a batch finished (Unix time)",
            ["batch"],
            registry=registry,
        )
        self.batch_last_failure = Gauge(
            "osame_batch_last_failure_timestamp_seconds",
            "When the last failed run of a batch finished (Unix time)",
            ["batch"],
            registry=registry,
        )
        self.consumer_ready = Gauge(
            "osame_consumer_ready",
            "1 while the service is started and consuming (0 while starting or draining)",
            registry=registry,
        )
        self.http_requests = Counter(
            "osame_http_requests_total",
            "HTTP requests by route template (never the concrete path), method and status code",
            ["route", "method", "status"],
            registry=registry,
        )
        self.http_duration = Histogram(
            "osame_http_request_duration_seconds",
            "HTTP request duration by route template and method",
            ["route", "method"],
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
            registry=registry,
        )
        self._refreshers: list[Refresher] = []

    def describe(self, service: str, version: str, environment: str) -> None:
        self.build_info.labels(service=service, version=version, environment=environment).set(1)

    def add_refresher(self, refresher: Refresher) -> None:
        """Run `refresher(session, metrics)` on every scrape (a service's own gauges from its database)."""
        self._refreshers.append(refresher)

    def record_batch_runs(self, rows) -> None:
        """Set the batch gauges from rows `(batch, status, finished_at)` of every recorded run."""
        counts: dict[tuple[str, str], int] = {}
        for batch, status, finished_at in rows:
            counts[(batch, status)] = counts.get((batch, status), 0) + 1
            gauge = {"done": self.batch_last_success, "failed": self.batch_last_failure}.get(status)
            if gauge is not None and finished_at is not None:
                stamp = _as_utc(finished_at).timestamp()
                current = gauge.labels(batch=batch)
                if stamp > current._value.get():
                    current.set(stamp)
        for (batch, status), count in counts.items():
            self.batch_runs.labels(batch=batch, status=status).set(count)


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def _outbox(session: AsyncSession, metrics: PlumbingMetrics) -> None:
    pending = outbox.c.published_at.is_(None)
    count, oldest = (
        await session.execute(select(func.count(), func.min(outbox.c.created_at)).where(pending))
    ).one()
    metrics.outbox_pending.set(count)
    metrics.outbox_oldest_age.set(
        max(0.0, (datetime.now(UTC) - _as_utc(oldest)).total_seconds()) if oldest else 0.0
    )


async def _dead_letters(runtime: ServiceRuntime) -> None:
    """Depth of each of this service's DLQs, by a passive declare on a channel of its own (a missing
    queue closes only that channel)."""
    import aio_pika

    metrics = runtime.metrics
    declarer = runtime.publisher.config.declarer
    for queue in runtime.queues:
        name = runtime.names.dlq(queue)
        try:
            declared = await declarer.declare_queue(RabbitQueue(name, declare=False), channel=METRICS_CHANNEL)
            result = await declared.declare()  # the declarer caches the queue: ask the broker again
            metrics.dlq_messages.labels(queue=queue).set(result.message_count)
        except (aio_pika.exceptions.AMQPError, RuntimeError, OSError, TimeoutError) as exc:
            metrics.dlq_read_errors.labels(queue=queue).inc()
            if (queue,) in metrics.dlq_messages._metrics:
                metrics.dlq_messages.remove(queue)  # no number rather than a stale or false one
            log.warning("cannot read the depth of %s (%s)", name, type(exc).__name__)


async def refresh(runtime: ServiceRuntime) -> None:
    """Everything read at scrape time (never raises: a scrape must answer)."""
    runtime.metrics.consumer_ready.set(1 if runtime.ready else 0)
    sessions = runtime.read_sessions
    try:
        async with sessions() as session:
            await _outbox(session, runtime.metrics)
            for refresher in runtime.metrics._refreshers:
                await refresher(session, runtime.metrics)
    except Exception as exc:
        log.warning("metrics from the database unavailable (%s)", type(exc).__name__)
    if runtime.ready:
        await _dead_letters(runtime)
