"""Composition root of the receipts service."""

from __future__ import annotations

from pathlib import Path

from osame_chassis.runtime import ServiceSpec
from osame_chassis.settings import ServiceSettings

from osame_receipts.adapters.repository import stats
from osame_receipts.entrypoints.consumers import register


class ReceiptsSettings(ServiceSettings):
    service_name: str = "receipts"
    http_port: int = 8101


def build_spec() -> ServiceSpec:
    return ServiceSpec(
        settings=ReceiptsSettings(),
        migrations=Path(__file__).parent / "migrations",
        register=register,
        stats=stats,
        title="Osame receipts (収納管理)",
    )
