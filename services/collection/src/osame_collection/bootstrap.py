"""Composition root of the collection service."""

from __future__ import annotations

from pathlib import Path

from osame_chassis.runtime import ServiceSpec
from osame_chassis.settings import ServiceSettings

from osame_collection.adapters.repository import stats
from osame_collection.entrypoints.consumers import register


class CollectionSettings(ServiceSettings):
    service_name: str = "collection"
    http_port: int = 8103


def build_spec() -> ServiceSpec:
    return ServiceSpec(
        settings=CollectionSettings(),
        migrations=Path(__file__).parent / "migrations",
        register=register,
        stats=stats,
        title="Osame collection (滞納管理)",
    )
