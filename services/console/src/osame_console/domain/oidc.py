"""OpenID Connect sign-in, authorization-code flow with PKCE (RFC 7636, S256), state and nonce.

Pure parts: the PKCE pair, the authorization request URL, and the checks of an ID token's claims
(OpenID Connect Core 1.0 §3.1.3.7) once its signature has been verified by the adapter.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode


class SignInRefused(Exception):
    """Sign-in cannot complete; `code` is safe to log and audit (no token, no personal data)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def s256(verifier: str) -> str:
    """code_challenge = BASE64URL(SHA256(ASCII(code_verifier))) without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_verifier() -> str:
    """43+ characters of [A-Za-z0-9-._~] (RFC 7636 §4.1): 64 random bytes → 86 characters."""
    return secrets.token_urlsafe(64)


@dataclass(frozen=True)
class PendingSignIn:
    """What the console keeps between sending the browser to the issuer and its return."""

    state: str
    nonce: str
    verifier: str
    return_to: str


def authorization_url(
    endpoint: str, *, client_id: str, redirect_uri: str, scope: str, pending: PendingSignIn
) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": s256(pending.verifier),
            "code_challenge_method": "S256",
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def check_id_token_claims(
    claims: dict, *, issuer: str, client_id: str, nonce: str, now: int, leeway: int = 30
) -> str:
    """The subject (staff id) of a signature-verified ID token, or `SignInRefused`."""
    if claims.get("iss") != issuer:
        raise SignInRefused("id_token_issuer")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        raise SignInRefused("id_token_audience")
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise SignInRefused("id_token_audience")
    if not isinstance(claims.get("exp"), int) or claims["exp"] + leeway < now:
        raise SignInRefused("id_token_expired")
    if not isinstance(claims.get("iat"), int) or claims["iat"] - leeway > now:
        raise SignInRefused("id_token_issued_in_future")
    if not nonce or claims.get("nonce") != nonce:
        raise SignInRefused("id_token_nonce")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise SignInRefused("id_token_subject")
    return subject
