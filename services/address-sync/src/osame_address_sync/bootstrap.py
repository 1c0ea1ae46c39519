"""Composition root of the address-sync service."""

from __future__ import annotations

from pathlib import Path

from osame_chassis.runtime import ServiceSpec
from osame_chassis.sealed_number import TransportKeyError, TransportKeyring
from osame_chassis.settings import ServiceSettings
from pydantic import Field, SecretStr

from osame_address_sync.adapters.repository import stats
from osame_address_sync.adapters.sealing import Keyring
from osame_address_sync.entrypoints import background
from osame_address_sync.entrypoints.consumers import register
from osame_address_sync.entrypoints.http import routes
from osame_address_sync.service_layer.deps import Deps


class AddressSyncSettings(ServiceSettings):
    service_name: str = "address-sync"
    http_port: int = 8104
    mynumber_key: SecretStr | None = Field(
        default=None, description="OSAME_MYNUMBER_KEY: base64 of a 32-byte AES-256 key for 個人番号 at rest"
    )
    mynumber_key_id: str = Field(default="k1", description="OSAME_MYNUMBER_KEY_ID: id of the active key")
    mynumber_keys: SecretStr | None = Field(
        default=None, description="OSAME_MYNUMBER_KEYS: more keys for rotation, 'id:base64,id:base64'"
    )
    mynumber_transport_keys: SecretStr | None = Field(
        default=None,
        description="OSAME_MYNUMBER_TRANSPORT_KEYS: X25519 private keys that open the 個人番号 publishers seal "
        "to address-sync on the bus, 'id:base64,id:base64' (publishers get the public key: "
        "`osame address transport-key`)",
    )
    mynumber_release_callers: list[str] = Field(
        default_factory=lambda: ["intermediate-server-gw"],
        description="OSAME_MYNUMBER_RELEASE_CALLERS: token subjects (sub) allowed to obtain a 個人番号; besides "
        "the permission address-sync:individual-number.read",
    )
    mynumber_release_window_seconds: float = Field(
        default=7200.0,
        gt=0,
        description="OSAME_MYNUMBER_RELEASE_WINDOW_SECONDS: a 個人番号 is released only for an income query "
        "collection asked for at most this long ago",
    )
    mynumber_releases_per_minute: int = Field(
        default=60,
        ge=1,
        description="OSAME_MYNUMBER_RELEASES_PER_MINUTE: releases one caller may obtain in a minute",
    )
    protection_check_interval_seconds: float = Field(
        default=300.0,
        gt=0,
        description="OSAME_PROTECTION_CHECK_INTERVAL_SECONDS: how often dated 支援措置 decisions are applied "
        "when their effective date (business date, Asia/Tokyo) comes",
    )
    publish_addressee_changed_v2: bool = Field(
        default=True,
        description="Publish address-sync.addressee.changed.v2 (consumed by collection)",
    )

    def keyring(self) -> Keyring | None:
        return Keyring.from_settings(
            self.mynumber_key.get_secret_value() if self.mynumber_key else None,
            self.mynumber_key_id,
            self.mynumber_keys.get_secret_value() if self.mynumber_keys else None,
        )

    def transport(self) -> TransportKeyring | None:
        keys = self.mynumber_transport_keys
        if not keys:
            return None
        keyring = TransportKeyring.parse(keys.get_secret_value())
        if self.environment != "development" and keyring.holds_demo_key():
            raise TransportKeyError(
                "OSAME_MYNUMBER_TRANSPORT_KEYS holds the demo city's key, which is public: "
                "only OSAME_ENVIRONMENT=development may use it"
            )
        return keyring

    def deps(self) -> Deps:
        return Deps(
            keyring=self.keyring(),
            transport=self.transport(),
            publish_changed_v2=self.publish_addressee_changed_v2,
            release_window_seconds=self.mynumber_release_window_seconds,
            releases_per_minute=self.mynumber_releases_per_minute,
        )


def build_spec() -> ServiceSpec:
    return ServiceSpec(
        settings=AddressSyncSettings(),
        migrations=Path(__file__).parent / "migrations",
        register=register,
        stats=stats,
        title="Osame address-sync (宛名管理・団体内統合宛名)",
        routes=routes,
        background=background.run,
    )
