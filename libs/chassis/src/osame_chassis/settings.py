"""Service settings from the environment (`OSAME_*`), one subclass per service.

Standard `OTEL_*` variables are read by the OpenTelemetry SDK itself.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Settings every service shares. Subclasses set `service_name` and `http_port` defaults."""

    model_config = SettingsConfigDict(env_prefix="OSAME_", extra="ignore")

    service_name: str = "service"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    amqp_prefix: str = Field(default="", description="Prefix for exchange and queue names (isolation)")
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
    telemetry_enabled: bool = True
    business_date: dt.date | None = Field(
        default=None, description="Fixed 'today' for simulations and demos; default: the date in Asia/Tokyo"
    )

    def today(self) -> dt.date:
        """The business date: the configured one, or today in Japan."""
        return self.business_date or dt.datetime.now(ZoneInfo("Asia/Tokyo")).date()

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        path = (self.data_dir / f"{self.service_name}.db").resolve()
        return f"sqlite+aiosqlite:///{path}"
