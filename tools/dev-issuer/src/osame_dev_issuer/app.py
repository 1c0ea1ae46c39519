"""Development OpenID Connect issuer: discovery, authorize (a login page listing the demo staff
users and their roles), token (PKCE S256 verified), JWKS, end-session.

It signs with `osame_chassis.auth.DevIssuer`'s key, `iss` and `aud`, so the services verify its
access tokens exactly as they verify `osame auth dev-token` ones (`OSAME_AUTH_JWKS_FILE` at the
key directory's `jwks.json`, or `OSAME_AUTH_JWKS_URL` at `/jwks`). Anyone who can reach the login
page can sign in as any demo user: it refuses to start unless the environment is development.

Endpoints:
  GET  /.well-known/openid-configuration
  GET  /authorize      the login page (after checking client, redirect URI, PKCE S256)
  POST /authorize      the chosen user → redirect to the client with code and state
  POST /token          authorization_code + code_verifier → access_token, id_token
  GET  /jwks           the public key
  GET  /end-session    → post_logout_redirect_uri when registered for the client, else a page
  GET  /healthz
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives import serialization
from osame_chassis.auth import DevIssuer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from osame_dev_issuer.grants import GrantError, Grants
from osame_dev_issuer.settings import DevIssuerSettings

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
FORM_COOKIE = "osame_dev_issuer_form"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
AUTHORIZE_FIELDS = (
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)


class NotDevelopment(RuntimeError):
    pass


class Signer:
    """Signs ID tokens with the DevIssuer's key (its public files only: key_path, jwks)."""

    def __init__(self, issuer: DevIssuer):
        issuer.write_jwks()
        self.issuer = issuer
        self.jwks = issuer.jwks_json()
        self.kid = json.loads(self.jwks)["keys"][0]["kid"]
        self.key = serialization.load_pem_private_key(issuer.key_path.read_bytes(), password=None)

    def id_token(self, *, user: str, client_id: str, nonce: str | None, ttl: int) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer.issuer,
            "sub": user,
            "aud": client_id,
            "iat": now,
            "exp": now + ttl,
            "auth_time": now,
        }
        if nonce:
            claims["nonce"] = nonce
        return jwt.encode(claims, self.key, algorithm="ES256", headers={"kid": self.kid})

    def verify(self, token: str) -> dict | None:
        """Claims of a token this issuer signed (signature only; for id_token_hint), else None."""
        try:
            return jwt.decode(
                token,
                self.key.public_key(),
                algorithms=["ES256"],
                options={"verify_aud": False, "verify_exp": False},
            )
        except jwt.PyJWTError:
            return None


def build_app(settings: DevIssuerSettings | None = None) -> Starlette:
    settings = settings or DevIssuerSettings()
    if not settings.development:
        raise NotDevelopment(
            "the development OIDC issuer runs only when OSAME_ENVIRONMENT=development "
            "(it signs a staff token for anyone who opens its login page)"
        )
    issuer = DevIssuer(settings.directory, issuer=settings.issuer, audience=settings.audience)
    signer = Signer(issuer)
    grants = Grants(settings.code_ttl_seconds)
    users = {u.user: u for u in settings.users}
    base = settings.public_url.rstrip("/")
    internal = (settings.internal_url or settings.public_url).rstrip("/")

    def refuse_page(request: Request, message: str, status: int = 400) -> Response:
        """An error the client cannot be told about (unknown client or redirect URI): never redirect."""
        return TEMPLATES.TemplateResponse(
            request, "error.html", {"message": message}, status_code=status, headers=NO_STORE
        )

    def redirect_error(redirect_uri: str, error: str, state: str | None) -> Response:
        query = {"error": error} | ({"state": state} if state else {})
        return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=303)

    def check_request(params) -> str | None:
        client_id, redirect_uri = params.get("client_id"), params.get("redirect_uri")
        if client_id not in settings.clients:
            return "unknown client"
        if redirect_uri not in settings.clients[client_id]:
            return "redirect_uri not registered for this client"
        return None

    async def discovery(_: Request) -> Response:
        return JSONResponse(
            {
                "issuer": settings.issuer,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{internal}/token",
                "jwks_uri": f"{internal}/jwks",
                "end_session_endpoint": f"{base}/end-session",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["ES256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["none"],
                "scopes_supported": ["openid"],
                "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nonce", "roles"],
            }
        )

    async def authorize_page(request: Request) -> Response:
        params = request.query_params
        if problem := check_request(params):
            return refuse_page(request, problem)
        redirect_uri, state = params["redirect_uri"], params.get("state")
        if params.get("response_type") != "code":
            return redirect_error(redirect_uri, "unsupported_response_type", state)
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return redirect_error(redirect_uri, "invalid_request", state)  # PKCE S256 is required
        if "openid" not in (params.get("scope") or "").split():
            return redirect_error(redirect_uri, "invalid_scope", state)
        form_token = secrets.token_urlsafe(24)
        response = TEMPLATES.TemplateResponse(
            request,
            "login.html",
            {
                "users": settings.users,
                "fields": {k: params.get(k, "") for k in AUTHORIZE_FIELDS},
                "form_token": form_token,
            },
            headers=NO_STORE,
        )
        response.set_cookie(
            FORM_COOKIE, form_token, httponly=True, samesite="strict", path="/authorize", max_age=600
        )
        return response

    async def authorize_submit(request: Request) -> Response:
        form = await request.form()
        if problem := check_request(form):
            return refuse_page(request, problem)
        cookie, submitted = request.cookies.get(FORM_COOKIE), form.get("form_token")
        if not cookie or not isinstance(submitted, str) or not secrets.compare_digest(cookie, submitted):
            return refuse_page(request, "the login form expired; start again from the application", 403)
        redirect_uri, state = form["redirect_uri"], form.get("state") or None
        if form.get("code_challenge_method") != "S256" or not form.get("code_challenge"):
            return redirect_error(redirect_uri, "invalid_request", state)
        user = users.get(str(form.get("user") or ""))
        if user is None:
            return redirect_error(redirect_uri, "access_denied", state)
        code = grants.issue(
            client_id=form["client_id"],
            redirect_uri=redirect_uri,
            code_challenge=str(form["code_challenge"]),
            nonce=str(form.get("nonce") or "") or None,
            user=user.user,
            roles=tuple(user.roles),
        )
        query = {"code": code} | ({"state": state} if state else {})
        response = RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=303)
        response.delete_cookie(FORM_COOKIE, path="/authorize")
        return response

    async def token(request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400, headers=NO_STORE)
        try:
            grant = grants.redeem(
                form.get("code"),
                client_id=form.get("client_id"),
                redirect_uri=form.get("redirect_uri"),
                verifier=form.get("code_verifier"),
            )
        except GrantError as err:
            return JSONResponse({"error": err.code}, status_code=400, headers=NO_STORE)
        ttl = settings.access_token_ttl_seconds
        return JSONResponse(
            {
                "access_token": issuer.token(grant.user, grant.roles, ttl_seconds=ttl),
                "id_token": signer.id_token(
                    user=grant.user, client_id=grant.client_id, nonce=grant.nonce, ttl=ttl
                ),
                "token_type": "Bearer",
                "expires_in": ttl,
                "scope": "openid",
            },
            headers=NO_STORE,
        )

    async def jwks(_: Request) -> Response:
        return Response(signer.jwks, media_type="application/json")

    async def end_session(request: Request) -> Response:
        params = request.query_params
        target = params.get("post_logout_redirect_uri")
        client_id = params.get("client_id")
        if hint := params.get("id_token_hint"):
            claims = signer.verify(hint)
            client_id = claims.get("aud") if claims else None
        if target and client_id and target in settings.post_logout_redirect_uris.get(client_id, []):
            return RedirectResponse(target, status_code=303)
        return TEMPLATES.TemplateResponse(request, "signed_out.html", {}, headers=NO_STORE)

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/.well-known/openid-configuration", discovery),
            Route("/authorize", authorize_page, methods=["GET"]),
            Route("/authorize", authorize_submit, methods=["POST"]),
            Route("/token", token, methods=["POST"]),
            Route("/jwks", jwks),
            Route("/end-session", end_session),
            Route("/healthz", healthz),
        ]
    )
