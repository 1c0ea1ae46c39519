"""Composition root of the refunds service."""

from __future__ import annotations

from pathlib import Path

from osame_chassis.runtime import ServiceSpec
from osame_chassis.settings import ServiceSettings

from osame_refunds.adapters.repository import stats
from osame_refunds.entrypoints.consumers import register


class RefundsSettings(ServiceSettings):
    service_name: str = "refunds"
    http_port: int = 8102


def build_spec() -> ServiceSpec:
    return ServiceSpec(
        settings=RefundsSettings(),
        migrations=Path(__file__).parent / "migrations",
        register=register,
        stats=stats,
        title="Osame refunds (還付・充当)",
    )
