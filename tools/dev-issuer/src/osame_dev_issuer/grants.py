"""Authorization codes in flight and their checks (RFC 6749 §4.1, RFC 7636 PKCE S256).

A code is single use, short-lived, bound to the client, the exact redirect URI, the PKCE
challenge and the nonce of the request it answers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

VERIFIER_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


class GrantError(Exception):
    """An OAuth error code (`invalid_grant`, `invalid_request`, …) for the token endpoint."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Grant:
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    user: str
    roles: tuple[str, ...]
    expires_at: float


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def verifier_well_formed(verifier: str | None) -> bool:
    """43–128 characters of the unreserved set (RFC 7636 §4.1)."""
    return verifier is not None and 43 <= len(verifier) <= 128 and set(verifier) <= VERIFIER_CHARS


class Grants:
    """Codes issued by this process (development only: in memory)."""

    def __init__(self, ttl_seconds: int):
        self.ttl_seconds = ttl_seconds
        self._codes: dict[str, Grant] = {}

    def issue(self, **fields) -> str:
        self._expire()
        code = secrets.token_urlsafe(32)
        self._codes[code] = Grant(expires_at=time.monotonic() + self.ttl_seconds, **fields)
        return code

    def redeem(
        self, code: str | None, *, client_id: str | None, redirect_uri: str | None, verifier: str | None
    ) -> Grant:
        """The grant of `code` (removed: a second use fails), or `GrantError`."""
        grant = self._codes.pop(code or "", None)
        if grant is None or grant.expires_at < time.monotonic():
            raise GrantError("invalid_grant")
        if client_id != grant.client_id or redirect_uri != grant.redirect_uri:
            raise GrantError("invalid_grant")
        if not verifier_well_formed(verifier):
            raise GrantError("invalid_request")
        if not hmac.compare_digest(s256(verifier), grant.code_challenge):
            raise GrantError("invalid_grant")
        return grant

    def _expire(self) -> None:
        now = time.monotonic()
        for code in [c for c, g in self._codes.items() if g.expires_at < now]:
            del self._codes[code]
