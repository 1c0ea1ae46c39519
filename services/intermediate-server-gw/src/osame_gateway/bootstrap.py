"""Composition root of the intermediate-server-gw service."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from osame_chassis.auth import Authenticator, AuthSettings
from osame_chassis.runtime import ServiceRuntime, ServiceSpec
from osame_chassis.settings import ServiceSettings
from osame_chassis.tls import http_verify
from pydantic import Field

from osame_gateway.adapters import retention  # noqa: F401  (its OSAME_RETENTION_* settings are known to the start-up check)
from osame_gateway.adapters.address_sync import IndividualNumberSource
from osame_gateway.adapters.network import InformationNetwork
from osame_gateway.adapters.remote import RemoteCaller
from osame_gateway.adapters.repository import AUDIT, stats
from osame_gateway.adapters.resilience import CircuitBreaker
from osame_gateway.adapters.service_token import ServiceToken
from osame_gateway.domain.retention import DEFAULT_RETENTION_DAYS
from osame_gateway.entrypoints import commands, worker
from osame_gateway.entrypoints.consumers import register
from osame_gateway.service_layer.processing import ProcessorSettings, QueryProcessor


class GatewaySettings(ServiceSettings):
    service_name: str = "intermediate-server-gw"
    http_port: int = 8105
    network_url: str | None = Field(
        default=None,
        description="情報提供ネットワークシステム (simulator) base URL; unset = linkage not configured",
    )
    address_sync_url: str | None = Field(default=None, description="address-sync base URL (個人番号 lookup)")
    address_sync_token: str | None = Field(default=None, description="bearer token the gateway presents")
    address_sync_token_file: Path | None = None
    agency_code: str = Field(default="162027", description="全国地方公共団体コード of this body")
    network_connect_timeout: float = 2.0
    network_timeout: float = 5.0
    network_retry_attempts: int = Field(default=3, ge=1, le=10)
    network_backoff_initial: float = 0.2
    network_backoff_max: float = 2.0
    breaker_failure_threshold: int = Field(default=5, ge=1)
    breaker_reset_seconds: float = 10.0
    query_deadline_seconds: float = Field(
        default=3600.0, description="refuse as linkage_unavailable after this"
    )
    query_retry_base_seconds: float = 1.0
    query_retry_cap_seconds: float = 300.0
    worker_poll_interval: float = 0.5
    provision_record_retention_days: int = Field(default=DEFAULT_RETENTION_DAYS, ge=1)
    retention_interval_seconds: float = Field(
        default=86400.0, description="how often the running service purges"
    )


def build_spec() -> ServiceSpec:
    return ServiceSpec(
        settings=GatewaySettings(),
        migrations=Path(__file__).parent / "migrations",
        register=register,
        stats=stats,
        title="Osame intermediate-server gateway (中間サーバ)",
        routes=build_routes,
        background=run_worker,
        commands=commands.COMMANDS,
    )


async def run_worker(runtime: ServiceRuntime, stop: asyncio.Event) -> None:
    """The gateway's background worker: pending queries through the network, daily retention."""
    processor = build_processor(runtime, runtime.settings)
    try:
        await worker.run(runtime, processor, runtime.settings, stop)
    finally:
        if processor is not None:
            await processor.network.caller.aclose()
            await processor.numbers.caller.aclose()


def build_routes(runtime: ServiceRuntime):
    from osame_gateway.entrypoints.http import routes

    auth = Authenticator(AuthSettings(), audit=AUDIT.hook(runtime.sessions))
    return routes(runtime, auth)


def _timeout(s: GatewaySettings) -> httpx.Timeout:
    return httpx.Timeout(s.network_timeout, connect=s.network_connect_timeout)


def build_processor(runtime: ServiceRuntime, settings: GatewaySettings) -> QueryProcessor | None:
    """The network side, or None when no network URL is configured."""
    if not settings.network_url:
        return None
    common = {
        "timeout": _timeout(settings),
        "attempts": settings.network_retry_attempts,
        "backoff_initial": settings.network_backoff_initial,
        "backoff_max": settings.network_backoff_max,
        "verify": http_verify(settings.http_ca_file),  # https:// network and address-sync
    }

    def breaker(name: str) -> CircuitBreaker:
        return CircuitBreaker(
            name,
            failure_threshold=settings.breaker_failure_threshold,
            reset_seconds=settings.breaker_reset_seconds,
        )

    network = InformationNetwork(
        RemoteCaller("network", settings.network_url, breaker=breaker("network"), **common),
        settings.agency_code,
    )
    numbers = IndividualNumberSource(
        RemoteCaller(
            "address-sync",
            settings.address_sync_url or "http://address-sync.invalid",
            breaker=breaker("address-sync"),
            auth=ServiceToken(settings.address_sync_token, settings.address_sync_token_file),
            **common,
        )
    )
    return QueryProcessor(
        runtime.unit_of_work,
        network,
        numbers,
        ProcessorSettings(
            query_deadline_seconds=settings.query_deadline_seconds,
            retry_base_seconds=settings.query_retry_base_seconds,
            retry_cap_seconds=settings.query_retry_cap_seconds,
        ),
    )
