"""The console's settings (`OSAME_CONSOLE_*`, typed, pydantic-settings like every service's).

Two settings are shared with the rest of the system under their system-wide names as well:
the business date (`OSAME_BUSINESS_DATE`, the chassis' convention) and the environment
(`OSAME_ENVIRONMENT`: `development` allows a generated session secret). Staff tokens are
verified with the services' own `OSAME_AUTH_*` settings (issuer, audience, roles → permissions).
The dead-letter broker connection takes the services' `OSAME_AMQP_CA_FILE` / `_CERT_FILE` /
`_KEY_FILE` unless `OSAME_CONSOLE_DEAD_LETTER_AMQP_*_FILE` name others.
"""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from osame_chassis.tls import amqp_tls
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("receipts", "refunds", "collection", "address-sync", "intermediate-server-gw")


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OSAME_CONSOLE_", extra="ignore", populate_by_name=True)

    service_name: str = "console"
    environment: str = Field(
        default="production",
        validation_alias=AliasChoices("OSAME_CONSOLE_ENVIRONMENT", "OSAME_ENVIRONMENT"),
        description="'development' allows a generated session secret (sessions end on restart)",
    )
    business_date: dt.date | None = Field(
        default=None,
        validation_alias=AliasChoices("OSAME_CONSOLE_BUSINESS_DATE", "OSAME_BUSINESS_DATE"),
        description="Fixed 'today' for demos (the services' OSAME_BUSINESS_DATE); default: today in Asia/Tokyo",
    )
    http_host: str = "127.0.0.1"
    http_port: int = 8106
    public_url: str = Field(
        default="http://127.0.0.1:8106",
        description="How browsers reach the console: the OIDC redirect URI and the Secure cookie flag follow it",
    )
    data_dir: Path = Path("var/data")
    database_url: str | None = Field(default=None, description="web sessions and the sign-in audit log")
    log_level: str = "INFO"
    log_json: bool = True
    telemetry_enabled: bool = True

    # Sign-in (OpenID Connect, authorization code + PKCE).
    oidc_discovery_url: str = "http://127.0.0.1:8191/.well-known/openid-configuration"
    oidc_issuer: str | None = Field(default=None, description="expected issuer; default: the discovery's")
    oidc_client_id: str = "osame-console"
    oidc_client_secret: SecretStr | None = Field(default=None, description="for a confidential client")
    oidc_scope: str = "openid"
    session_secret: SecretStr | None = Field(default=None, description="HMAC key of the session cookie")
    idle_timeout_seconds: int = Field(default=900, ge=60, le=28_800)
    sign_in_timeout_seconds: int = Field(default=600, ge=60, le=3_600)

    # The services' HTTP APIs (called with the signed-in user's token).
    receipts_url: str = "http://127.0.0.1:8101"
    refunds_url: str = "http://127.0.0.1:8102"
    collection_url: str = "http://127.0.0.1:8103"
    address_sync_url: str = "http://127.0.0.1:8104"
    gateway_url: str = "http://127.0.0.1:8105"
    http_ca_file: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("OSAME_CONSOLE_HTTP_CA_FILE", "OSAME_HTTP_CA_FILE"),
        description="PEM CA bundle the services' and the issuer's https:// URLs are verified against "
        "(default: the system CAs)",
    )
    upstream_timeout_seconds: float = Field(default=15.0, gt=0, le=300)
    import_timeout_seconds: float = Field(
        default=600.0,
        gt=0,
        le=3_600,
        description="how long an upload waits for receipts to import the file (it imports within the request)",
    )

    # 管理: dead-letter depths read from the broker (passive declares; unset = not shown).
    dead_letter_amqp_url: SecretStr | None = None
    # amqps:// as the services (osame_chassis.tls.amqp_tls): the broker's CA, a client certificate.
    dead_letter_amqp_ca_file: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("OSAME_CONSOLE_DEAD_LETTER_AMQP_CA_FILE", "OSAME_AMQP_CA_FILE"),
        description="PEM CA the amqps:// dead-letter broker URL is verified against (default: the system CAs)",
    )
    dead_letter_amqp_cert_file: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("OSAME_CONSOLE_DEAD_LETTER_AMQP_CERT_FILE", "OSAME_AMQP_CERT_FILE"),
        description="client certificate (PEM) for that broker connection",
    )
    dead_letter_amqp_key_file: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("OSAME_CONSOLE_DEAD_LETTER_AMQP_KEY_FILE", "OSAME_AMQP_KEY_FILE"),
        description="its private key (PEM)",
    )
    amqp_prefix: str = ""

    def dead_letter_tls(self) -> ssl.SSLContext | None:
        """The TLS context of the dead-letter broker connection (None: not configured or amqp://);
        `ConfigurationError` naming the setting when a file is missing or not for this URL."""
        if self.dead_letter_amqp_url is None:
            return None
        url = self.dead_letter_amqp_url.get_secret_value()
        files = (
            self.dead_letter_amqp_ca_file,
            self.dead_letter_amqp_cert_file,
            self.dead_letter_amqp_key_file,
        )
        return amqp_tls(url, *files)

    @property
    def development(self) -> bool:
        return self.environment == "development"

    @property
    def secure_cookies(self) -> bool:
        return urlsplit(self.public_url).scheme == "https"

    @property
    def redirect_uri(self) -> str:
        return self.public_url.rstrip("/") + "/auth/callback"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'console.db').resolve()}"

    def service_urls(self) -> dict[str, str]:
        return {
            "receipts": self.receipts_url,
            "refunds": self.refunds_url,
            "collection": self.collection_url,
            "address-sync": self.address_sync_url,
            "intermediate-server-gw": self.gateway_url,
        }

    def today(self) -> dt.date:
        """The business date: the configured one, or today in Japan (never the host's zone)."""
        return self.business_date or dt.datetime.now(ZoneInfo("Asia/Tokyo")).date()
