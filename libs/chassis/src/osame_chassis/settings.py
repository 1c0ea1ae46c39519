"""Service settings from the environment (`OSAME_*`), one subclass per service.

Standard `OTEL_*` variables are read by the OpenTelemetry SDK itself.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Settings every service shares. Subclasses set `service_name` and `http_port` defaults."""

    model_config = SettingsConfigDict(env_prefix="OSAME_", extra="ignore")

    service_name: str = "service"
    amqp_url: str = Field(
        default="amqp://guest:guest@127.0.0.1:5672/",
        description=(
            "This service's own broker user: <prefix>osame-<service> (see deploy/rabbitmq). Consumers "
            "accept a message only from the publishers the contracts allow, checked by its AMQP user_id"
        ),
    )
    amqp_prefix: str = Field(
        default="", description="Prefix for exchange, queue and broker user names (isolation)"
    )
    database_url: str | None = Field(default=None, description="SQLAlchemy async URL; default SQLite file")
    data_dir: Path = Path("var/data")
    http_host: str = "127.0.0.1"
    http_port: int = 8100
    log_level: str = "INFO"
    log_json: bool = True
    prefetch: int = Field(default=20, ge=1, le=2000)
    delivery_limit: int = Field(default=5, ge=1, le=100)
    graceful_timeout: float = 15.0
    migrate_on_start: bool = True
    outbox_poll_interval: float = 0.2
    outbox_batch_size: int = Field(default=200, ge=1, le=5000)
    outbox_concurrency: int = Field(default=64, ge=1, le=1024)
    handler_retry_attempts: int = Field(default=3, ge=1, le=20)
    dlq_message_ttl_seconds: int = Field(
        default=30 * 86_400,
        ge=60,
        le=366 * 86_400,
        description="Retention of a dead letter (DLQ x-message-ttl); replay or purge before it expires",
    )
    dlq_max_length: int = Field(
        default=100_000,
        ge=1,
        le=10_000_000,
        description="Most dead letters a DLQ holds (x-max-length); beyond it they wait in their work queue",
    )
    staff_proof_signing_key: SecretStr | None = Field(
        default=None, description="PEM (EC P-256) private key this service signs staff actions with"
    )
    staff_proof_signing_key_file: Path | None = Field(default=None, description="File holding that key")
    staff_proof_public_keys: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Principal → PEM public keys whose staff proofs this service accepts (JSON)",
    )
    staff_proof_public_keys_file: Path | None = Field(
        default=None, description="JSON file with the same mapping (merged with the inline one)"
    )
    staff_proof_ttl_seconds: int = Field(
        default=86_400,
        ge=60,
        le=7 * 86_400,
        description="Lifetime of a staff proof a publisher signs; receivers refuse longer-lived ones",
    )
    telemetry_enabled: bool = True
    business_date: dt.date | None = Field(
        default=None, description="Fixed 'today' for simulations and demos; default: the date in Asia/Tokyo"
    )

    @property
    def amqp_user(self) -> str:
        """The broker user of `amqp_url` (what RabbitMQ checks `user_id` against)."""
        return unquote(urlsplit(self.amqp_url).username or "guest")

    def today(self) -> dt.date:
        """The business date: the configured one, or today in Japan."""
        return self.business_date or dt.datetime.now(ZoneInfo("Asia/Tokyo")).date()

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        path = (self.data_dir / f"{self.service_name}.db").resolve()
        return f"sqlite+aiosqlite:///{path}"
