"""Provision a broker namespace: the three exchanges, one user per principal, their permissions.

Through RabbitMQ's management HTTP API (plugin `rabbitmq_management`, port 15672), with an
administrator's credentials: one `POST /api/definitions` creates (or updates, idempotently)
the topic exchanges, the users with their password hashes, their permissions and topic
permissions — the same document `deploy/rabbitmq/definitions.json` is generated from.
`deprovision` deletes the namespace's users (and with them their permissions).

Used by `osame bus provision` (compose's `broker-setup`, the Kubernetes Job), by
`osame_cli.stack.Stack` (demo, end-to-end tests) and by the root test fixtures, which give
every run its own prefix, users and passwords and delete them afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import httpx

from osame_chassis.messaging.grants import all_grants, definitions
from osame_chassis.messaging.topology import Names
from osame_chassis.tls import http_verify, http_verify_from_env

MANAGEMENT_PORT = 15672


class ProvisioningFailed(RuntimeError):
    pass


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's `rabbit_password_hashing_sha256`: base64(salt ‖ SHA-256(salt ‖ password))."""
    salt = salt if salt is not None else os.urandom(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def vhost_of(amqp_url: str) -> str:
    path = urlsplit(amqp_url).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def management_url(amqp_url: str, explicit: str | None = None) -> str:
    """The management API base for a broker: `explicit` (or env OSAME_AMQP_MANAGEMENT_URL), else
    the AMQP URL's host and credentials on port 15672."""
    explicit = explicit or os.environ.get("OSAME_AMQP_MANAGEMENT_URL")
    if explicit:
        return explicit.rstrip("/")
    parts = urlsplit(amqp_url)
    scheme = "https" if parts.scheme == "amqps" else "http"
    auth = f"{parts.username or 'guest'}:{parts.password or 'guest'}@"
    return f"{scheme}://{auth}{parts.hostname or '127.0.0.1'}:{MANAGEMENT_PORT}"


def url_as(amqp_url: str, user: str, password: str) -> str:
    """`amqp_url` (host, port, vhost) with another user's credentials."""
    parts = urlsplit(amqp_url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}" + (
        f":{parts.port}" if parts.port else ""
    )
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


@dataclass
class Accounts:
    """The broker users of one namespace and their passwords (never logged)."""

    amqp_url: str  # any URL of the broker (host, port, vhost); credentials are replaced
    prefix: str
    passwords: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def names(self) -> Names:
        return Names(self.prefix)

    def user(self, principal: str) -> str:
        return self.names.user(principal)

    def url(self, principal: str) -> str:
        """The AMQP URL with `principal`'s own credentials."""
        try:
            password = self.passwords[principal]
        except KeyError:
            raise KeyError(f"no broker account for {principal!r} in namespace {self.prefix!r}") from None
        return url_as(self.amqp_url, self.user(principal), password)


def generate_passwords(principals) -> dict[str, str]:
    return {p: secrets.token_urlsafe(24) for p in principals}


def namespace_definitions(
    prefix: str, vhost: str, password_hashes: Mapping[str, str] | None = None, principals=None
) -> dict:
    """Exchanges + users + permissions + topic permissions of one namespace (definitions format),
    for `principals` (default: all)."""
    names = Names(prefix)
    grants = [g for g in all_grants(prefix) if principals is None or g.principal in principals]
    document = {
        "exchanges": [
            {
                "name": exchange.name,
                "vhost": vhost,
                "type": exchange.type.value,
                "durable": True,
                "auto_delete": False,
                "internal": False,
                "arguments": {},
            }
            for exchange in names.exchanges()
        ],
    }
    document.update(definitions(vhost, grants, dict(password_hashes or {})))
    return document


def _client(admin_amqp_url: str, management: str | None) -> httpx.Client:
    base = urlsplit(management_url(admin_amqp_url, management))
    auth = (unquote(base.username or "guest"), unquote(base.password or "guest"))
    root = urlunsplit((base.scheme, f"{base.hostname}:{base.port or MANAGEMENT_PORT}", base.path, "", ""))
    return httpx.Client(
        base_url=root.rstrip("/") + "/api", auth=auth, timeout=30, verify=_management_verify()
    )


def _management_verify():
    """https:// management API: verified against OSAME_AMQP_CA_FILE (the broker's CA, which signs
    its management listener too), else OSAME_HTTP_CA_FILE, else the system CAs."""
    ca = os.environ.get("OSAME_AMQP_CA_FILE")
    return http_verify(Path(ca)) if ca else http_verify_from_env()


def provision(
    admin_amqp_url: str,
    prefix: str = "",
    passwords: Mapping[str, str] | None = None,
    *,
    management: str | None = None,
) -> Accounts:
    """Create or update the namespace's exchanges, users, permissions and topic permissions.

    `passwords` maps principals to passwords (default: new random ones for every principal); only
    those principals' users are created or updated, so a partial run never locks another user out."""
    if passwords is None:
        passwords = generate_passwords(g.principal for g in all_grants(prefix))
    passwords = {p: pw for p, pw in passwords.items() if pw}
    vhost = vhost_of(admin_amqp_url)
    document = namespace_definitions(
        prefix, vhost, {p: password_hash(pw) for p, pw in passwords.items()}, principals=set(passwords)
    )
    with _client(admin_amqp_url, management) as client:
        try:
            response = client.post("/definitions", json=document)
        except httpx.HTTPError as exc:
            raise ProvisioningFailed(
                f"management API unreachable ({type(exc).__name__}): enable rabbitmq_management "
                "or set OSAME_AMQP_MANAGEMENT_URL"
            ) from exc
        if response.status_code not in (200, 201, 204):
            raise ProvisioningFailed(
                f"definitions import refused: HTTP {response.status_code} {response.text[:300]}"
            )
    return Accounts(admin_amqp_url, prefix, passwords)


def deprovision(admin_amqp_url: str, prefix: str, *, management: str | None = None) -> None:
    """Delete every user of the namespace (their permissions go with them); missing users are fine."""
    wanted = {g.user for g in all_grants(prefix)}
    with _client(admin_amqp_url, management) as client:
        listed = client.get("/users")
        if listed.status_code != 200:
            raise ProvisioningFailed(f"user listing refused: HTTP {listed.status_code}")
        users = sorted(wanted & {u["name"] for u in listed.json()})
        if not users:
            return
        response = client.post("/users/bulk-delete", json={"users": users})
        if response.status_code not in (200, 201, 204):
            raise ProvisioningFailed(f"user deletion refused: HTTP {response.status_code}")
