"""Staff authentication and permission checks for any service's HTTP routes (職員認証・権限管理).

Stable API (what services use)::

    from osame_chassis.auth import AuthSettings, Authenticator

    auth = Authenticator(AuthSettings(), audit=my_audit_hook)   # settings from OSAME_AUTH_*

    async def list_records(request):
        principal = request.state.principal          # Principal(user, roles, permissions, token_id)
        request.state.audit_addressee_id = "100009"  # optional: which 宛名番号 the call touched
        request.state.audit_outcome = "dry-run:outbox=2"  # optional: the audited outcome (counts only)
        ...

    routes = [Route("/records", auth.require("gateway:provision-records.read")(list_records))]

- `Authenticator.require(permission, operation=None)` wraps a Starlette endpoint
  (`async def endpoint(request) -> Response`). It checks, in this order: the client address is
  inside `allowed_networks` (403 `network_not_allowed`), a `Authorization: Bearer <JWT>` header
  is present (401 `missing_token`), the JWT's signature verifies against the configured
  issuer's keys with the expected `iss` and `aud` and an unexpired `exp` (401
  `invalid_token`; a token whose `alg` is not the key's is `invalid_token` too, never a 500), it
  was issued at most `max_token_age_seconds` ago (401 `token_too_old`), the token is not revoked (401 `token_revoked`), and the roles in the token
  grant `permission` (403 `permission_denied`). Failures answer JSON `{"error": code}` and never
  echo the token. The principal is put on `request.state.principal`. The permission is also
  recorded on the endpoint: the service's OpenAPI document names it (`osame_chassis.openapi`).
- Every call (allowed or refused) is passed to the `audit` hook as an `AccessEvent` (user,
  time, operation, 宛名番号 if the endpoint set `request.state.audit_addressee_id`, outcome).
  `osame_chassis.audit.AuditLog.hook(runtime.sessions)` is the standard hook (hash-chained
  table); any `async def hook(event)` works.
- `Authenticator.authenticate(authorization_header, client_host)` → `Principal` and
  `Authenticator.authorize(principal, permission)` are the same checks without Starlette.
- Keys (`OSAME_AUTH_*`): `jwks_url` (the issuer's JWKS endpoint, cached, refetched when an
  unknown `kid` appears, at most every `jwks_refresh_seconds`), or `jwks_file` (a JWKS JSON
  file, e.g. the development issuer's), or `jwks` (inline JSON). Algorithms: RS256/ES256.
- Roles → permissions: `role_permissions` (JSON in `OSAME_AUTH_ROLE_PERMISSIONS`), default
  `DEFAULT_ROLE_PERMISSIONS`. Permissions are `<service>:<action>`; a grant of `<service>:*`
  or `*` covers every action of that service / every service. Roles come from the token's
  `roles` claim (list of strings).
- Revocation (staff who left or moved): `Authenticator.revocations` is a `RevocationList`
  (`revoke_token(jti)`, `revoke_user(user, issued_before=now)`); `revoked_file` (JSON
  `{"tokens": [...], "users": {"U": "2026-04-01T00:00:00+00:00"}}`) is reloaded when it
  changes. A service can also feed it from a revocation event.
- `allowed_networks`: CIDRs of staff terminals (`OSAME_AUTH_ALLOWED_NETWORKS='["10.0.0.0/8"]'`);
  empty = any address.
- `DevIssuer`: the local development issuer (ES256 key in a directory, JWKS file beside it);
  `osame dev-token --user U --roles R` uses it. Never for production.

No personal data goes into tokens issued by `DevIssuer` or into any error or log line here:
user ids are staff ids, not names.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from osame_chassis.openapi import mark_permission
from osame_chassis.tls import http_verify

log = logging.getLogger("osame.auth")

ALGORITHMS = ("RS256", "ES256")

# Role → permissions. A service's actions are "<service>:<action>"; "*" grants everything.
DEFAULT_ROLE_PERMISSIONS: dict[str, list[str]] = {
    "admin": ["*"],
    # 滞納整理担当: works collection cases and asks for income data through the gateway.
    "collection_staff": [
        "collection:*",
        "address-sync:addressee.read",  # 宛名検索 (支援措置 records masked: no protection.read)
        "intermediate-server-gw:income-query.request",
        "intermediate-server-gw:income-query.read",
    ],
    # 情報提供等記録の開示担当: answers disclosure requests.
    "disclosure_officer": [
        "intermediate-server-gw:provision-records.read",
        "*:disclosure.export",
        # the 訂正・利用停止 register (個人情報保護法 §90, §98)
        "address-sync:data-request.write",
        "address-sync:data-request.decide",
        "address-sync:data-request.read",
    ],
    # 監査担当: reads audit logs and provision records of every service.
    "auditor": ["*:audit.read", "intermediate-server-gw:provision-records.read"],
    # 宛名管理担当
    "addressee_staff": ["address-sync:*"],
    # 還付・充当担当: refund claims, preparation (起案), approval (決裁・支出決定), payouts. The
    # refunds service refuses an approval by the member who prepared the same refund.
    "refunds_staff": ["refunds:*"],
    # The gateway's service identity: may obtain a 個人番号 to get a 符号 (and nothing else).
    "linkage_gateway": ["address-sync:individual-number.read"],
    # 収納担当: records receipts; may read the refund queue and money figures, never act on refunds
    # (separation of duties: the role that records money cannot approve paying it out).
    "receipts_staff": [
        "receipts:*",
        "refunds:money.read",
        "refunds:overpayment.read",
        "refunds:appropriation.read",
        "refunds:refund.read",
    ],
}

# Roles held by service identities, not people: their tokens get max_service_token_age_seconds.
SERVICE_ROLES = frozenset({"linkage_gateway"})


class AuthSettings(BaseSettings):
    """Where the issuer's keys are and what a valid token looks like (`OSAME_AUTH_*`)."""

    model_config = SettingsConfigDict(env_prefix="OSAME_AUTH_", extra="ignore")

    enabled: bool = Field(default=True, description="False only for local experiments: every call allowed")
    issuer: str = "osame-dev-issuer"
    audience: str = "osame"
    jwks_url: str | None = None
    jwks_file: Path | None = None
    jwks: str | None = Field(default=None, description="Inline JWKS JSON")
    jwks_refresh_seconds: float = 60.0
    jwks_timeout_seconds: float = 5.0
    leeway_seconds: int = 30
    max_token_age_seconds: int = Field(
        default=43_200,
        ge=60,
        description="A staff token issued (iat) longer ago than this is refused as token_too_old, whatever its exp",
    )
    max_service_token_age_seconds: int = Field(
        default=604_800,
        ge=60,
        description="The same for a service identity's token (roles all in SERVICE_ROLES, e.g. the "
        "gateway's linkage_gateway token, which operators issue for days, not a working day)",
    )
    role_permissions: dict[str, list[str]] = Field(default_factory=lambda: dict(DEFAULT_ROLE_PERMISSIONS))
    revoked_file: Path | None = None
    allowed_networks: list[str] = Field(default_factory=list)
    http_ca_file: Path | None = Field(
        default=None,
        validation_alias="OSAME_HTTP_CA_FILE",
        description="PEM CA bundle the https:// JWKS URL is verified against (default: the system CAs)",
    )


class AuthError(Exception):
    """Refusal with an HTTP status and a machine code (never the token or personal data)."""

    def __init__(self, status: int, code: str, user: str | None = None):
        super().__init__(code)
        self.status = status
        self.code = code
        self.user = user


@dataclass(frozen=True)
class Principal:
    """The authenticated staff user (職員) of one call."""

    user: str
    roles: tuple[str, ...]
    permissions: frozenset[str]
    token_id: str | None = None
    issued_at: datetime | None = None
    expires_at: datetime | None = None

    def can(self, permission: str) -> bool:
        return grants(self.permissions, permission)


@dataclass(frozen=True)
class AccessEvent:
    """One audited call: who, when, what, which 宛名番号, outcome."""

    user: str
    operation: str
    outcome: str
    at: datetime
    addressee_id: str | None = None
    client: str | None = None


AuditHook = Callable[[AccessEvent], Awaitable[None]]


def grants(granted: Iterable[str], permission: str) -> bool:
    """True when `permission` ("svc:action") is covered by one of `granted` ("svc:action", "svc:*", "*:action", "*")."""
    service, _, action = permission.partition(":")
    for grant in granted:
        if grant in ("*", permission):
            return True
        g_service, _, g_action = grant.partition(":")
        if g_service in ("*", service) and g_action in ("*", action):
            return True
    return False


def permissions_for(roles: Iterable[str], role_permissions: dict[str, list[str]]) -> frozenset[str]:
    return frozenset(p for role in roles for p in role_permissions.get(role, ()))


class RevocationList:
    """Revoked token ids and users (tokens of a user issued before a time are revoked)."""

    def __init__(self, path: Path | None = None):
        self.path = path
        self._tokens: set[str] = set()
        self._users: dict[str, datetime] = {}
        self._file_tokens: set[str] = set()
        self._file_users: dict[str, datetime] = {}
        self._mtime: float | None = None

    def revoke_token(self, token_id: str) -> None:
        self._tokens.add(token_id)

    def revoke_user(self, user: str, issued_before: datetime | None = None) -> None:
        self._users[user] = issued_before or datetime.now(UTC)

    def _reload(self) -> None:
        if self.path is None:
            return
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            self._file_tokens, self._file_users, self._mtime = set(), {}, None
            return
        if mtime == self._mtime:
            return
        data = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        self._file_tokens = set(data.get("tokens", []))
        self._file_users = {u: datetime.fromisoformat(t) for u, t in data.get("users", {}).items()}
        self._mtime = mtime

    def is_revoked(self, user: str, token_id: str | None, issued_at: datetime | None) -> bool:
        self._reload()
        if token_id is not None and (token_id in self._tokens or token_id in self._file_tokens):
            return True
        for users in (self._users, self._file_users):
            cutoff = users.get(user)
            if cutoff is not None and (issued_at is None or issued_at <= cutoff):
                return True
        return False


class KeySource:
    """The issuer's public keys (JWKS) from a URL (cached), a file or inline JSON."""

    def __init__(self, settings: AuthSettings):
        self.settings = settings
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._file_mtime: float | None = None
        self._lock = asyncio.Lock()
        if settings.jwks:
            self._keys = _parse_jwks(settings.jwks)

    async def key_for(self, kid: str | None) -> jwt.PyJWK:
        await self._refresh(force=False)
        if kid not in self._keys:
            await self._refresh(force=True)
        if kid in self._keys:
            return self._keys[kid]
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        raise AuthError(401, "invalid_token")

    async def _refresh(self, *, force: bool) -> None:
        s = self.settings
        if s.jwks_file is not None:
            try:
                mtime = s.jwks_file.stat().st_mtime
            except FileNotFoundError:
                log.error("auth: JWKS file not found")
                return
            if mtime != self._file_mtime:
                self._keys = _parse_jwks(s.jwks_file.read_text(encoding="utf-8"))
                self._file_mtime = mtime
            return
        if s.jwks_url is None:
            return
        # Cached for jwks_refresh_seconds; an unknown kid (force) refetches, rate-limited by the same interval.
        stale = time.monotonic() - self._fetched_at >= s.jwks_refresh_seconds
        if not self._keys or stale:
            async with self._lock:
                if time.monotonic() - self._fetched_at < s.jwks_refresh_seconds and self._keys:
                    return
                try:
                    async with httpx.AsyncClient(
                        timeout=s.jwks_timeout_seconds, verify=http_verify(s.http_ca_file)
                    ) as client:
                        response = await client.get(s.jwks_url)
                        response.raise_for_status()
                    self._keys = _parse_jwks(response.text)
                except (httpx.HTTPError, ValueError, jwt.PyJWKError) as exc:
                    log.error("auth: JWKS fetch failed (%s)", type(exc).__name__)
                finally:
                    self._fetched_at = time.monotonic()


def _parse_jwks(text: str) -> dict[str | None, jwt.PyJWK]:
    jwk_set = jwt.PyJWKSet.from_json(text)
    return {k.key_id: k for k in jwk_set.keys}


class Authenticator:
    """Verifies bearer JWTs, maps roles to permissions, enforces revocation and network allow-list."""

    def __init__(
        self,
        settings: AuthSettings | None = None,
        *,
        audit: AuditHook | None = None,
        revocations: RevocationList | None = None,
    ):
        self.settings = settings or AuthSettings()
        self.audit = audit
        self.keys = KeySource(self.settings)
        self.revocations = revocations or RevocationList(self.settings.revoked_file)
        self._networks = [ipaddress.ip_network(n, strict=False) for n in self.settings.allowed_networks]

    def client_allowed(self, client_host: str | None) -> bool:
        if not self._networks:
            return True
        if client_host is None:
            return False
        try:
            address = ipaddress.ip_address(client_host)
        except ValueError:
            return False
        return any(address in network for network in self._networks)

    async def authenticate(self, authorization: str | None, client_host: str | None = None) -> Principal:
        """The `Principal` of an `Authorization` header value, or `AuthError`."""
        if not self.client_allowed(client_host):
            raise AuthError(403, "network_not_allowed")
        if not self.settings.enabled:
            return Principal(user="anonymous", roles=(), permissions=frozenset({"*"}))
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError(401, "missing_token")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in ALGORITHMS:
                raise AuthError(401, "invalid_token")
            key = await self.keys.key_for(header.get("kid"))
            if header["alg"] != key.algorithm_name:  # e.g. RS256 claimed against an EC key
                raise AuthError(401, "invalid_token")
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm_name],
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway_seconds,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError(401, "token_expired") from exc
        except (jwt.PyJWTError, TypeError, ValueError) as exc:  # a malformed token is a refusal, not a 500
            raise AuthError(401, "invalid_token") from exc
        user = str(claims["sub"])
        roles = claims.get("roles") or []
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise AuthError(401, "invalid_token", user)
        issued_at = datetime.fromtimestamp(int(claims["iat"]), UTC)
        age = (datetime.now(UTC) - issued_at).total_seconds()
        max_age = (
            self.settings.max_service_token_age_seconds
            if roles and set(roles) <= SERVICE_ROLES
            else self.settings.max_token_age_seconds
        )
        if age > max_age + self.settings.leeway_seconds:
            raise AuthError(401, "token_too_old", user)
        if age < -self.settings.leeway_seconds:
            raise AuthError(401, "invalid_token", user)  # issued in the future
        token_id = claims.get("jti")
        if self.revocations.is_revoked(user, token_id, issued_at):
            raise AuthError(401, "token_revoked", user)
        return Principal(
            user=user,
            roles=tuple(roles),
            permissions=permissions_for(roles, self.settings.role_permissions),
            token_id=token_id,
            issued_at=issued_at,
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )

    def authorize(self, principal: Principal, permission: str) -> None:
        if not principal.can(permission):
            raise AuthError(403, "permission_denied", principal.user)

    def require(self, permission: str, operation: str | None = None):
        """Decorator for a Starlette endpoint: authenticate, authorize, audit (see the module doc)."""
        from starlette.responses import JSONResponse

        op = operation or permission

        def decorate(endpoint: Callable[[Any], Awaitable[Any]]):
            @functools.wraps(endpoint)
            async def guarded(request):
                client = request.client.host if request.client else None
                try:
                    principal = await self.authenticate(request.headers.get("authorization"), client)
                    self.authorize(principal, permission)
                except AuthError as exc:
                    log.warning("auth refused %s: %s", op, exc.code)
                    await self._audit(exc.user or "-", op, f"refused:{exc.code}", None, client)
                    return JSONResponse({"error": exc.code}, status_code=exc.status)
                request.state.principal = principal
                try:
                    response = await endpoint(request)
                except Exception:
                    await self._audit(principal.user, op, "error", _addressee(request), client)
                    raise
                outcome = "ok" if response.status_code < 400 else f"status:{response.status_code}"
                if response.status_code < 400:  # an endpoint may say more (counts, never contents)
                    outcome = getattr(request.state, "audit_outcome", None) or outcome
                await self._audit(principal.user, op, outcome, _addressee(request), client)
                return response

            mark_permission(guarded, permission)  # the OpenAPI document names it (osame_chassis.openapi)
            return guarded

        return decorate

    async def _audit(self, user, operation, outcome, addressee_id, client) -> None:
        if self.audit is None:
            return
        await self.audit(
            AccessEvent(
                user=user,
                operation=operation,
                outcome=outcome,
                at=datetime.now(UTC),
                addressee_id=addressee_id,
                client=client,
            )
        )


def _addressee(request) -> str | None:
    return getattr(request.state, "audit_addressee_id", None)


# ---------------------------------------------------------------- development issuer


@dataclass
class DevIssuer:
    """Local development issuer: an ES256 key in `directory`, its JWKS in `directory/jwks.json`.

    Services point `OSAME_AUTH_JWKS_FILE` at `jwks_path`. For development and tests only.
    """

    directory: Path
    issuer: str = "osame-dev-issuer"
    audience: str = "osame"
    _key: Any = field(default=None, init=False, repr=False)

    @property
    def key_path(self) -> Path:
        return self.directory / "dev-issuer-key.pem"

    @property
    def jwks_path(self) -> Path:
        return self.directory / "jwks.json"

    def _private_key(self):
        if self._key is not None:
            return self._key
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        if self.key_path.exists():
            self._key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
        else:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._key = ec.generate_private_key(ec.SECP256R1())
            pem = self._key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            self.key_path.write_bytes(pem)
            self.key_path.chmod(0o600)
        return self._key

    def jwks_json(self) -> str:
        from jwt.algorithms import ECAlgorithm

        public = json.loads(ECAlgorithm.to_jwk(self._private_key().public_key()))
        public.update({"use": "sig", "alg": "ES256"})
        # kid = a digest of the public key itself, so it is stable for one key.
        public["kid"] = "dev-" + str(uuid.uuid5(uuid.NAMESPACE_OID, public["x"] + public["y"]))[:8]
        return json.dumps({"keys": [public]})

    def write_jwks(self) -> Path:
        self.jwks_path.parent.mkdir(parents=True, exist_ok=True)
        self.jwks_path.write_text(self.jwks_json(), encoding="utf-8")
        return self.jwks_path

    def token(
        self,
        user: str,
        roles: Iterable[str],
        *,
        ttl_seconds: int = 3600,
        now: datetime | None = None,
        token_id: str | None = None,
        audience: str | None = None,
    ) -> str:
        """A signed JWT for staff `user` with `roles` (writes the JWKS file if missing)."""
        if not self.jwks_path.exists():
            self.write_jwks()
        issued = int((now or datetime.now(UTC)).timestamp())
        kid = json.loads(self.jwks_json())["keys"][0]["kid"]
        claims = {
            "iss": self.issuer,
            "aud": audience or self.audience,
            "sub": user,
            "roles": list(roles),
            "iat": issued,
            "nbf": issued,
            "exp": issued + ttl_seconds,
            "jti": token_id or str(uuid.uuid4()),
        }
        return jwt.encode(claims, self._private_key(), algorithm="ES256", headers={"kid": kid})
