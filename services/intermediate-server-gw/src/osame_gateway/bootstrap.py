"""Composition root of the intermediate-server-gw service."""

from __future__ import annotations

from pathlib import Path

from osame_chassis.runtime import ServiceSpec
from osame_chassis.settings import ServiceSettings

from osame_gateway.adapters.repository import stats
from osame_gateway.entrypoints.consumers import register


class GatewaySettings(ServiceSettings):
    service_name: str = "intermediate-server-gw"
    http_port: int = 8105


def build_spec() -> ServiceSpec:
    return ServiceSpec(
        settings=GatewaySettings(),
        migrations=Path(__file__).parent / "migrations",
        register=register,
        stats=stats,
        title="Osame intermediate-server gateway (中間サーバ)",
    )
