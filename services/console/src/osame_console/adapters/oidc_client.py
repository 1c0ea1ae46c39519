"""The OpenID Connect provider as the console sees it: discovery, token endpoint, key checks.

Tokens are verified with the chassis' `Authenticator` (the services' own checks and settings,
`OSAME_AUTH_*`): the access token exactly as every service will verify it, and the ID token
against the same issuer keys with the console's client id as audience. When `OSAME_AUTH_*`
names no keys, the provider's `jwks_uri` from discovery is used.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import httpx
import jwt
from osame_chassis.auth import ALGORITHMS, Authenticator, AuthError, AuthSettings, Principal

from osame_console.domain.oidc import SignInRefused, check_id_token_claims
from osame_console.settings import ConsoleSettings

_SAFE_CODE = re.compile(r"[^a-z_]")


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None


@dataclass(frozen=True)
class Tokens:
    access_token: str
    id_token: str


class OidcClient:
    def __init__(self, settings: ConsoleSettings, auth_settings: AuthSettings, http: httpx.AsyncClient):
        self.settings = settings
        self.auth_settings = auth_settings
        self.http = http
        self._provider: Provider | None = None
        self._auth: Authenticator | None = None

    async def provider(self) -> Provider:
        """The discovery document (cached after the first good answer)."""
        if self._provider is not None:
            return self._provider
        try:
            response = await self.http.get(self.settings.oidc_discovery_url)
            response.raise_for_status()
            doc = response.json()
            provider = Provider(
                issuer=str(doc["issuer"]),
                authorization_endpoint=str(doc["authorization_endpoint"]),
                token_endpoint=str(doc["token_endpoint"]),
                jwks_uri=str(doc["jwks_uri"]),
                end_session_endpoint=doc.get("end_session_endpoint"),
            )
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise SignInRefused("issuer_unavailable") from exc
        if "S256" not in (doc.get("code_challenge_methods_supported") or []):
            raise SignInRefused("issuer_without_pkce_s256")
        if self.settings.oidc_issuer and provider.issuer != self.settings.oidc_issuer:
            raise SignInRefused("issuer_mismatch")
        self._provider = provider
        return provider

    async def authenticator(self) -> Authenticator:
        if self._auth is None:
            settings = self.auth_settings
            if not (settings.jwks_url or settings.jwks_file or settings.jwks):
                settings = settings.model_copy(update={"jwks_url": (await self.provider()).jwks_uri})
            self._auth = Authenticator(settings)
        return self._auth

    async def exchange(self, code: str, verifier: str) -> Tokens:
        """Authorization code + PKCE verifier → tokens (token endpoint, RFC 6749 §4.1.3)."""
        provider = await self.provider()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.settings.redirect_uri,
            "client_id": self.settings.oidc_client_id,
            "code_verifier": verifier,
        }
        if self.settings.oidc_client_secret is not None:
            form["client_secret"] = self.settings.oidc_client_secret.get_secret_value()
        try:
            response = await self.http.post(provider.token_endpoint, data=form)
        except httpx.HTTPError as exc:
            raise SignInRefused("issuer_unavailable") from exc
        if response.status_code != 200:
            raise SignInRefused("token_" + _error_code(response))
        try:
            body = response.json()
            return Tokens(access_token=str(body["access_token"]), id_token=str(body["id_token"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise SignInRefused("token_response_malformed") from exc

    async def verify_id_token(self, id_token: str, nonce: str) -> str:
        """The subject of a valid ID token for this client and this sign-in (nonce)."""
        provider = await self.provider()
        auth = await self.authenticator()
        try:
            header = jwt.get_unverified_header(id_token)
            if header.get("alg") not in ALGORITHMS:
                raise SignInRefused("id_token_algorithm")
            key = await auth.keys.key_for(header.get("kid"))
            claims = jwt.decode(
                id_token,
                key,
                algorithms=list(ALGORITHMS),
                options={"verify_aud": False, "verify_iss": False, "verify_exp": False, "verify_iat": False},
            )
        except (jwt.PyJWTError, AuthError) as exc:
            raise SignInRefused("id_token_signature") from exc
        return check_id_token_claims(
            claims,
            issuer=provider.issuer,
            client_id=self.settings.oidc_client_id,
            nonce=nonce,
            now=int(time.time()),
            leeway=self.auth_settings.leeway_seconds,
        )

    async def principal(self, access_token: str) -> Principal:
        """The staff member of an access token, verified as the services verify it."""
        try:
            return await (await self.authenticator()).authenticate(f"Bearer {access_token}")
        except AuthError as exc:
            raise SignInRefused("access_token_" + exc.code) from exc


def _error_code(response: httpx.Response) -> str:
    try:
        code = str(response.json().get("error", "refused"))
    except (ValueError, AttributeError):
        code = f"status_{response.status_code}"
    return _SAFE_CODE.sub("", code.lower())[:40] or "refused"
