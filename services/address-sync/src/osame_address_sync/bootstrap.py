"""Composition root of the address-sync service."""

from __future__ import annotations

from pathlib import Path

from osame_chassis.runtime import ServiceSpec
from osame_chassis.settings import ServiceSettings

from osame_address_sync.adapters.repository import stats
from osame_address_sync.entrypoints.consumers import register


class AddressSyncSettings(ServiceSettings):
    service_name: str = "address-sync"
    http_port: int = 8104


def build_spec() -> ServiceSpec:
    return ServiceSpec(
        settings=AddressSyncSettings(),
        migrations=Path(__file__).parent / "migrations",
        register=register,
        stats=stats,
        title="Osame address-sync (宛名管理・団体内統合宛名)",
    )
