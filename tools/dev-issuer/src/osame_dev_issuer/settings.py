"""Settings of the development OIDC issuer (`OSAME_DEV_ISSUER_*`; `OSAME_ENVIRONMENT` must be
`development`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DemoUser(BaseModel):
    """A demo staff member offered on the login page (a staff id, never a real person's name)."""

    user: str = Field(pattern=r"^[a-z0-9_-]{1,64}$")
    label: str
    roles: list[str]


DEMO_USERS = [
    DemoUser(user="tainou01", label="滞納整理担当", roles=["collection_staff"]),
    DemoUser(user="shuno01", label="収納担当", roles=["receipts_staff"]),
    # The second 収納 officer: approves or refuses a 収納訂正 shuno01 proposed (receipts refuses
    # the proposer as approver).
    DemoUser(user="shuno02", label="収納担当 係長（訂正の承認）", roles=["receipts_staff"]),
    # Two 還付・充当 officers: one prepares (起案) a refund, the other approves it (決裁); refunds
    # refuses the approval by the one who prepared it.
    DemoUser(user="kanpu01", label="還付・充当担当", roles=["refunds_staff"]),
    DemoUser(user="kanpu02", label="還付・充当担当 係長（決裁）", roles=["refunds_staff"]),
    DemoUser(user="atena01", label="宛名管理担当", roles=["addressee_staff"]),
    DemoUser(user="kansa01", label="監査担当", roles=["auditor"]),
    DemoUser(user="kanri01", label="システム管理者", roles=["admin"]),
]


class DevIssuerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OSAME_DEV_ISSUER_", extra="ignore", populate_by_name=True)

    environment: str = Field(
        default="production",
        validation_alias=AliasChoices("OSAME_DEV_ISSUER_ENVIRONMENT", "OSAME_ENVIRONMENT"),
        description="must be 'development': this issuer signs a token for anyone who clicks",
    )
    directory: Path = Field(default=Path("var/dev-issuer"), description="the DevIssuer key directory")
    issuer: str = "osame-dev-issuer"
    audience: str = "osame"
    host: str = "127.0.0.1"
    port: int = 8191
    public_url: str = Field(default="http://127.0.0.1:8191", description="how browsers reach the issuer")
    internal_url: str | None = Field(
        default=None,
        description="how the console's server reaches the token endpoint and JWKS when that differs "
        "from the browsers' address (e.g. compose: http://dev-oidc:8191); default: public_url",
    )
    clients: dict[str, list[str]] = Field(
        default_factory=lambda: {"osame-console": ["http://127.0.0.1:8106/auth/callback"]},
        description="client_id → its exact redirect URIs (JSON)",
    )
    post_logout_redirect_uris: dict[str, list[str]] = Field(
        default_factory=lambda: {"osame-console": ["http://127.0.0.1:8106/auth/signed-out"]},
        description="client_id → where the browser may be sent after sign-out (JSON)",
    )
    access_token_ttl_seconds: int = Field(default=8 * 3600, ge=60, le=86_400)
    code_ttl_seconds: int = Field(default=120, ge=10, le=600)
    users: list[DemoUser] = Field(default_factory=lambda: list(DEMO_USERS))

    @property
    def development(self) -> bool:
        return self.environment == "development"
