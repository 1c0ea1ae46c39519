"""Web sessions (セッション): the signed cookie, the keys derived from it, idle and absolute expiry.

The browser holds only a random session id, signed with the console's secret (HMAC-SHA256) so a
forged or altered cookie is refused before any lookup. The database holds the session under a
hash of that id, and the staff member's tokens sealed with a key derived from it: whoever reads
the console's database alone can neither ride a session nor use a token.

A session ends when the staff member signs out, after `idle_timeout` without a request (無操作
タイムアウト), or when the issuer's access token expires (the services would refuse it anyway).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum


def new_secret_token(nbytes: int = 32) -> str:
    """A random URL-safe token (session ids, CSRF tokens, OIDC state and nonce)."""
    return secrets.token_urlsafe(nbytes)


def _mac(secret: bytes, value: str) -> str:
    digest = hmac.new(secret, value.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sign(value: str, secret: bytes) -> str:
    """`value.mac` for a cookie."""
    return f"{value}.{_mac(secret, value)}"


def unsign(cookie: str | None, secret: bytes) -> str | None:
    """The value of a signed cookie, or None when it is missing, malformed or its MAC is wrong."""
    if not cookie or "." not in cookie or len(cookie) > 512:
        return None
    value, _, mac = cookie.rpartition(".")
    try:
        value.encode("ascii")
    except UnicodeEncodeError:
        return None
    if not value or not hmac.compare_digest(mac, _mac(secret, value)):
        return None
    return value


def lookup_key(session_id: str) -> str:
    """What the database stores instead of the session id."""
    return hashlib.sha256(b"osame-console/session-id\x00" + session_id.encode("ascii")).hexdigest()


def sealing_key(session_id: str) -> bytes:
    """The AES-256 key sealing this session's tokens (derived from the id only the browser holds)."""
    return hashlib.sha256(b"osame-console/token-key\x00" + session_id.encode("ascii")).digest()


class SessionState(StrEnum):
    ACTIVE = "active"
    IDLE = "idle"  # no request for longer than the idle timeout
    EXPIRED = "expired"  # the access token's lifetime is over


@dataclass(frozen=True)
class SessionClock:
    last_seen_at: dt.datetime
    expires_at: dt.datetime


def session_state(clock: SessionClock, now: dt.datetime, idle_timeout: dt.timedelta) -> SessionState:
    """Expired wins over idle: a session past its token's lifetime is over either way."""
    if now >= clock.expires_at:
        return SessionState.EXPIRED
    if now - clock.last_seen_at > idle_timeout:
        return SessionState.IDLE
    return SessionState.ACTIVE


def csrf_matches(expected: str, submitted: str | None) -> bool:
    """Synchroniser token check (constant time); an empty or missing token never matches."""
    return bool(submitted) and bool(expected) and hmac.compare_digest(expected, submitted)


def safe_return_path(candidate: str | None) -> str:
    """Where to go after sign-in: a local path only (never another site: open-redirect guard)."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
        return "/"
    if any(ord(c) < 0x20 for c in candidate) or len(candidate) > 512:
        return "/"
    return candidate
