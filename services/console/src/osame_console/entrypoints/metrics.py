"""Prometheus metrics of the console (labels are route templates, services and codes: no ids)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class ConsoleMetrics:
    def __init__(self, registry: CollectorRegistry):
        self.registry = registry
        self.requests = Counter(
            "osame_console_requests_total",
            "Requests served, by route template and status",
            ["route", "method", "status"],
            registry=registry,
        )
        self.upstream_errors = Counter(
            "osame_console_upstream_errors_total",
            "Service calls that failed, by service and status (or 'unavailable')",
            ["service", "kind"],
            registry=registry,
        )
        self.sign_ins = Counter(
            "osame_console_sign_ins_total", "Sign-ins, by outcome", ["outcome"], registry=registry
        )

    def upstream_error(self, service: str, kind: str) -> None:
        self.upstream_errors.labels(service=service, kind=kind).inc()
