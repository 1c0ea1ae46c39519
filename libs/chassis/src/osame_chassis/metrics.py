"""Prometheus metrics of the plumbing (FastStream's middleware adds per-handler metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class PlumbingMetrics:
    def __init__(self, registry: CollectorRegistry):
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
