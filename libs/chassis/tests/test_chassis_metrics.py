"""Metrics that reach someone: outbox age, DLQ depths and batch runs read at scrape time, and the
build info labels; every metric name the dashboard and the alert rules use is exported here too
(tests/deploy/test_deploy_observability.py)."""

from __future__ import annotations

import datetime as dt

import aio_pika
import pytest
from osame_chassis.ids import new_id
from osame_chassis.messaging.tables import outbox
from osame_chassis.metrics import PlumbingMetrics, refresh
from prometheus_client import CollectorRegistry, generate_latest

UTC = dt.UTC


def sample(registry: CollectorRegistry, name: str, **labels) -> float | None:
    return registry.get_sample_value(name, labels or None)


def test_batch_runs_count_outcomes_and_keep_the_latest_times():
    registry = CollectorRegistry()
    metrics = PlumbingMetrics(registry)
    t1 = dt.datetime(2026, 6, 1, 21, 0, tzinfo=UTC)
    t2 = dt.datetime(2026, 6, 2, 21, 0, tzinfo=UTC)
    metrics.record_batch_runs(
        [
            ("nightly", "done", t1),
            ("nightly", "done", t2),
            ("nightly", "failed", t1),
            ("campaign", "running", None),
        ]
    )
    assert sample(registry, "osame_batch_runs", batch="nightly", status="done") == 2
    assert sample(registry, "osame_batch_runs", batch="nightly", status="failed") == 1
    assert sample(registry, "osame_batch_runs", batch="campaign", status="running") == 1
    assert sample(registry, "osame_batch_last_success_timestamp_seconds", batch="nightly") == t2.timestamp()
    assert sample(registry, "osame_batch_last_failure_timestamp_seconds", batch="nightly") == t1.timestamp()


def test_build_info_names_service_version_and_environment():
    registry = CollectorRegistry()
    PlumbingMetrics(registry).describe("receipts", "0.1.0", "production")
    labels = {"service": "receipts", "version": "0.1.0", "environment": "production"}
    assert sample(registry, "osame_build_info", **labels) == 1


@pytest.mark.integration
async def test_outbox_age_and_dlq_depth_are_read_at_scrape_time(make_harness, amqp_url, broker_prefix):
    harness = await make_harness("metrics-test", consume=True)
    runtime = harness.runtime
    (queue,) = runtime.queues
    await refresh(runtime)
    registry = runtime.registry
    assert sample(registry, "osame_outbox_pending") == 0
    assert sample(registry, "osame_outbox_oldest_age_seconds") == 0
    assert sample(registry, "osame_dlq_messages", queue=queue) == 0

    # An outbox row that could not be published for two minutes (an unroutable exchange).
    async with runtime.sessions() as session, session.begin():
        await session.execute(
            outbox.insert().values(
                message_id=new_id(),
                exchange=broker_prefix + "no-such-exchange",
                routing_key="x.y.z.v1",
                message_type="x.y.z.v1",
                payload=b"{}",
                headers={},
                created_at=dt.datetime.now(UTC) - dt.timedelta(minutes=2),
                attempts=3,
            )
        )
    # Two dead letters.
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for _ in range(2):
            await channel.default_exchange.publish(
                aio_pika.Message(b"{}"), routing_key=runtime.names.dlq(queue)
            )
    await refresh(runtime)
    assert sample(registry, "osame_outbox_pending") >= 1
    assert sample(registry, "osame_outbox_oldest_age_seconds") >= 120
    assert sample(registry, "osame_dlq_messages", queue=queue) == 2

    # A DLQ that disappears is not reported as 0: no sample, and a read error is counted.
    async with await aio_pika.connect(amqp_url) as connection:
        channel = await connection.channel()
        await channel.queue_delete(runtime.names.dlq(queue))
    await refresh(runtime)
    assert sample(registry, "osame_dlq_messages", queue=queue) is None
    assert sample(registry, "osame_dlq_read_errors_total", queue=queue) == 1
    text = generate_latest(registry).decode()
    assert "osame_outbox_oldest_age_seconds" in text
    # The outbox row goes nowhere; remove it so the harness stops cleanly.
    async with runtime.sessions() as session, session.begin():
        await session.execute(outbox.delete())
