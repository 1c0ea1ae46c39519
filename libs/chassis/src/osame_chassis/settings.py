"""Service settings from the environment (`OSAME_*`), one subclass per service.

Standard `OTEL_*` variables are read by the OpenTelemetry SDK itself.

A mistyped setting must not pass silently (`OSAME_DATABSE_URL` would otherwise leave a service
on a SQLite file that Kubernetes deletes with the pod): `check_environment` refuses any
`OSAME_*` variable that no settings class of the process (nor an Osame tool) reads, naming the
closest known one, and outside development (`OSAME_ENVIRONMENT=production`) the embedded
SQLite database must be asked for explicitly.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from osame_chassis.dburl import DatabaseUrlError, normalise


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
    amqp_ca_file: Path | None = Field(
        default=None,
        description="amqps:// only: PEM CA bundle the broker's certificate is verified against "
        "(default: the system CAs); the host name is always checked",
    )
    amqp_cert_file: Path | None = Field(
        default=None, description="amqps:// only: PEM client certificate (chain) for the broker"
    )
    amqp_key_file: Path | None = Field(
        default=None, description="PEM private key of OSAME_AMQP_CERT_FILE (if not inside it)"
    )
    http_ca_file: Path | None = Field(
        default=None,
        description="PEM CA bundle https:// calls to other services and the token issuer verify against "
        "(default: the system CAs)",
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
    handler_concurrency: int = Field(
        default=8,
        ge=1,
        le=2000,
        description="Message handlers running at once in the process, over all its queues (prefetch "
        "is per queue): more only adds CPU contention, and delays /healthz, /readyz and /stats",
    )
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
            return normalise(self.database_url)
        path = (self.data_dir / f"{self.service_name}.db").resolve()
        return f"sqlite+aiosqlite:///{path}"

    environment: Literal["development", "production"] = Field(
        default="development",
        description="development: an unset OSAME_DATABASE_URL means a SQLite file under OSAME_DATA_DIR; "
        "production: the database must be named (set it to a sqlite:/// URL to want SQLite)",
    )

    audit_key: SecretStr | None = Field(
        default=None,
        description="OSAME_AUDIT_KEY: base64 of at least 32 bytes keying the audit log's HMAC chain (kept "
        "outside the database); required outside development",
    )
    audit_key_file: Path | None = Field(
        default=None, description="OSAME_AUDIT_KEY_FILE: a file holding that key (instead of OSAME_AUDIT_KEY)"
    )
    audit_checkpoint_file: Path | None = Field(
        default=None,
        description="OSAME_AUDIT_CHECKPOINT_FILE: where the runner appends signed checkpoints of the audit "
        "chain's head (JSON lines, outside the service's database; `osame audit verify` reads them)",
    )
    audit_checkpoint_interval_seconds: float = Field(
        default=300.0, gt=0, description="OSAME_AUDIT_CHECKPOINT_INTERVAL_SECONDS: how often"
    )

    retention_outbox_days: int = Field(
        default=7,
        ge=1,
        description="OSAME_RETENTION_OUTBOX_DAYS: published outbox rows (message bodies) kept",
    )
    retention_inbox_days: int = Field(
        default=30,
        ge=1,
        description="OSAME_RETENTION_INBOX_DAYS: inbox (deduplication) rows kept; longer than DLQ retention",
    )

    @field_validator("database_url")
    @classmethod
    def _usable_database_url(cls, value: str | None) -> str | None:
        if value:
            try:
                normalise(value)
            except DatabaseUrlError as exc:
                raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _database_named_outside_development(self) -> ServiceSettings:
        if self.environment != "development" and not self.database_url:
            raise ValueError(
                "OSAME_DATABASE_URL is not set, and OSAME_ENVIRONMENT is not development: name the database "
                "(postgresql://user:password@host:5432/database), or set "
                "OSAME_DATABASE_URL=sqlite:///path/to/file.db to run on an embedded SQLite file on purpose"
            )
        return self

    @model_validator(mode="after")
    def _audit_key_outside_development(self) -> ServiceSettings:
        if self.environment != "development" and not (self.audit_key or self.audit_key_file):
            raise ValueError(
                "OSAME_AUDIT_KEY (or OSAME_AUDIT_KEY_FILE) is not set, and OSAME_ENVIRONMENT is not development: "
                "give the audit chain its key (base64 of at least 32 random bytes, kept outside the database)"
            )
        return self


class ConfigurationError(Exception):
    """A setting that cannot work. The message is one line: what is wrong and which setting to change;
    it never repeats a value (which may be a password)."""


# OSAME_* variables read by Osame's tools and tests rather than by a service. A service started from
# a shell that has them set ignores them; anything else unknown is refused.
TOOL_VARIABLES = frozenset(
    {
        "OSAME_TEST_AMQP_URL",
        "OSAME_TEST_DATABASE_URL",
        "OSAME_TEST_WORKERS",  # .ci/run: pytest-xdist workers
        "OSAME_REQUIRE_BROWSER",  # .ci/run: the console's browser tests fail, not skip, without one
        "OSAME_TOOLS_CACHE",
        "OSAME_TOKEN",
        "OSAME_RECEIPTS_URL",
        "OSAME_REFUNDS_URL",
        "OSAME_COLLECTION_URL",
        "OSAME_ADDRESS_SYNC_URL",  # osame retention / osame disclosure
        "OSAME_GATEWAY_URL",
        "OSAME_DEV_ISSUER_DIR",
        "OSAME_DEMO_DATABASE_URL",
        "OSAME_DLQ_AUDIT_FILE",
        "OSAME_AMQP_MANAGEMENT_URL",  # broker provisioning (osame bus provision)
        "OSAME_BROKER_ADMIN_URL",
        "OSAME_HEALTHCHECK_HOST",  # deploy/docker/healthcheck.py, in the service's own container
        "OSAME_HEALTHCHECK_TIMEOUT",
        "OSAME_OPERATOR_TOKEN",  # an operator's staff token for a maintenance command (osame_chassis.operator)
        "OSAME_MYNUMBER_TRANSPORT_PUBLIC_KEY",  # publishers seal 個人番号 to it (osame publish)
    }
)
# The simulator's, the console's and the development OIDC issuer's own settings, broker users'
# passwords for provisioning, and the knobs of the model-based tests (OSAME_MODEL_EXAMPLES, _STEPS, ...).
TOOL_PREFIXES = (
    "OSAME_SIMULATOR_",
    "OSAME_CONSOLE_",
    "OSAME_DEV_ISSUER_",
    "OSAME_BROKER_PASSWORD_",
    "OSAME_MODEL_",
    "OSAME_FAULT_",  # the fault-injection suite's options (tests/e2e/test_e2e_faults.py)
)


def _settings_classes() -> list[type[BaseSettings]]:
    from osame_chassis import auth  # noqa: F401  (every service reads OSAME_AUTH_*)

    found, todo = [], [BaseSettings]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return [c for c in found if str(c.model_config.get("env_prefix", "")).upper().startswith("OSAME_")]


def known_variables(classes: list[type[BaseSettings]] | None = None) -> set[str]:
    """Every `OSAME_*` name a settings class of this process reads."""
    names = set()
    for cls in _settings_classes() if classes is None else classes:
        prefix = str(cls.model_config.get("env_prefix", "")).upper()
        for name, field in cls.model_fields.items():
            aliases = [a.upper() for a in (field.validation_alias, field.alias) if isinstance(a, str)]
            if aliases:
                names.update(aliases)
            else:
                names.add(prefix + name.upper())
    return names


def check_environment(environ: Mapping[str, str] | None = None, known: set[str] | None = None) -> None:
    """Refuse `OSAME_*` variables nothing reads (a typo), naming the closest known setting."""
    environ = os.environ if environ is None else environ
    known = known_variables() if known is None else known
    unknown = sorted(
        name
        for name in environ
        if name.upper().startswith("OSAME_")
        and name.upper() not in known
        and name.upper() not in TOOL_VARIABLES
        and not name.upper().startswith(TOOL_PREFIXES)
    )
    if not unknown:
        return
    parts = []
    for name in unknown:
        close = difflib.get_close_matches(name.upper(), sorted(known), n=1, cutoff=0.6)
        parts.append(f"{name} (did you mean {close[0]}?)" if close else name)
    raise ConfigurationError(
        f"unknown setting{'s' if len(parts) > 1 else ''} {', '.join(parts)}: "
        "remove or rename it (the known settings are listed in docs/runbook.md)"
    )


def explain_validation_error(error: ValidationError, prefix: str = "OSAME_") -> ConfigurationError:
    """One line naming each bad setting and what is wrong with it (never its value)."""
    parts = []
    for item in error.errors(include_input=False, include_url=False):
        field = str(item["loc"][0]) if item["loc"] else ""
        name = prefix + field.upper() if field else "settings"
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{name} {message}" if field else message)
    return ConfigurationError("; ".join(parts))
