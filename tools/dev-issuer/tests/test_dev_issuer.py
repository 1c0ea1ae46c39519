"""The development OIDC issuer: refuses to run outside development, checks client and redirect URI
before anything, requires PKCE S256, redeems a code once with the right verifier, and issues
tokens the services verify unchanged (chassis Authenticator over DevIssuer's JWKS)."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from osame_chassis.auth import Authenticator, AuthSettings
from osame_dev_issuer.app import NotDevelopment, build_app
from osame_dev_issuer.grants import s256
from osame_dev_issuer.settings import DevIssuerSettings
from starlette.testclient import TestClient

CALLBACK = "http://console.test/auth/callback"
VERIFIER = "v" * 43 + "-._~0123456789"


@pytest.fixture
def settings(tmp_path) -> DevIssuerSettings:
    return DevIssuerSettings(
        environment="development",
        directory=tmp_path / "issuer",
        public_url="http://issuer.test",
        clients={"osame-console": [CALLBACK]},
        post_logout_redirect_uris={"osame-console": ["http://console.test/auth/signed-out"]},
    )


@pytest.fixture
def issuer(settings):
    with TestClient(build_app(settings), base_url="http://issuer.test") as client:
        yield client


def authorize_query(**changes) -> dict:
    return {
        "response_type": "code",
        "client_id": "osame-console",
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "state": "st-1",
        "nonce": "no-1",
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
    } | changes


def code_for(issuer: TestClient, user: str = "tainou01", **changes) -> str:
    page = issuer.get("/authorize?" + urlencode(authorize_query(**changes)))
    assert page.status_code == 200, page.text
    fields = {
        k: unescape(v)
        for k, v in re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page.text)
    }
    back = issuer.post("/authorize", data={**fields, "user": user}, follow_redirects=False)
    assert back.status_code == 303
    query = parse_qs(urlsplit(back.headers["location"]).query)
    assert back.headers["location"].startswith(CALLBACK + "?") and query["state"] == ["st-1"]
    return query["code"][0]


def redeem(issuer: TestClient, code: str, verifier: str = VERIFIER, **changes):
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "client_id": "osame-console",
        "code_verifier": verifier,
    } | changes
    return issuer.post("/token", data=form)


def test_refuses_to_run_outside_development(tmp_path):
    with pytest.raises(NotDevelopment):
        build_app(DevIssuerSettings(directory=tmp_path))  # default environment: production
    result = subprocess.run(
        [sys.executable, "-m", "osame_dev_issuer"],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": "/usr/bin:/bin",
            "OSAME_ENVIRONMENT": "production",
            "OSAME_DEV_ISSUER_DIRECTORY": str(tmp_path),
        },
        check=False,
    )
    assert result.returncode == 2 and "refused" in result.stderr


def test_discovery_names_the_endpoints_and_pkce_s256(issuer):
    doc = issuer.get("/.well-known/openid-configuration").json()
    assert doc["issuer"] == "osame-dev-issuer"
    assert doc["authorization_endpoint"] == "http://issuer.test/authorize"
    assert doc["token_endpoint"] == "http://issuer.test/token"
    assert doc["jwks_uri"] == "http://issuer.test/jwks"
    assert doc["end_session_endpoint"] == "http://issuer.test/end-session"
    assert doc["code_challenge_methods_supported"] == ["S256"]


def test_server_to_server_endpoints_may_use_an_internal_address(settings):
    split = settings.model_copy(update={"internal_url": "http://dev-oidc:8191"})
    with TestClient(build_app(split), base_url="http://issuer.test") as client:
        doc = client.get("/.well-known/openid-configuration").json()
    assert doc["authorization_endpoint"] == "http://issuer.test/authorize"  # the browser's
    assert doc["end_session_endpoint"] == "http://issuer.test/end-session"
    assert (doc["token_endpoint"], doc["jwks_uri"]) == (
        "http://dev-oidc:8191/token",
        "http://dev-oidc:8191/jwks",
    )


def test_the_login_page_lists_the_demo_staff_and_their_roles(issuer):
    page = issuer.get("/authorize?" + urlencode(authorize_query())).text
    for user, role in (("tainou01", "collection_staff"), ("shuno01", "receipts_staff"), ("kanri01", "admin")):
        assert f'value="{user}"' in page and role in page
    assert "開発用の認証サーバーです" in page


@pytest.mark.parametrize(
    "changes",
    [
        {"client_id": "someone-else"},
        {"redirect_uri": "http://evil.example/cb"},
        {"redirect_uri": CALLBACK + "x"},
    ],
)
def test_an_unknown_client_or_redirect_uri_gets_a_page_never_a_redirect(issuer, changes):
    response = issuer.get("/authorize?" + urlencode(authorize_query(**changes)), follow_redirects=False)
    assert response.status_code == 400 and "location" not in response.headers


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": ""}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "profile"}, "invalid_scope"),
    ],
)
def test_a_request_without_pkce_s256_is_sent_back_with_an_error(issuer, changes, error):
    response = issuer.get("/authorize?" + urlencode(authorize_query(**changes)), follow_redirects=False)
    assert response.status_code == 303
    assert parse_qs(urlsplit(response.headers["location"]).query) == {"error": [error], "state": ["st-1"]}


def test_the_login_form_needs_its_own_token(issuer):
    page = issuer.get("/authorize?" + urlencode(authorize_query())).text
    fields = {
        k: unescape(v) for k, v in re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page)
    }
    issuer.cookies.clear()
    assert (
        issuer.post("/authorize", data={**fields, "user": "tainou01"}, follow_redirects=False).status_code
        == 403
    )


def test_a_code_is_redeemed_once_with_the_right_verifier(issuer, settings):
    code = code_for(issuer)
    assert redeem(issuer, code, verifier="w" * 43).json() == {"error": "invalid_grant"}  # and now it is spent
    code = code_for(issuer)
    tokens = redeem(issuer, code).json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == settings.access_token_ttl_seconds
    assert redeem(issuer, code).json() == {"error": "invalid_grant"}  # replay


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"redirect_uri": "http://console.test/other"}, "invalid_grant"),
        ({"client_id": "other"}, "invalid_grant"),
        ({"code_verifier": "short"}, "invalid_request"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
    ],
)
def test_the_token_request_must_match_the_code(issuer, changes, error):
    response = redeem(issuer, code_for(issuer), **changes)
    assert response.status_code == 400 and response.json() == {"error": error}


def test_the_services_verify_the_access_token_unchanged(issuer, settings):
    tokens = redeem(issuer, code_for(issuer, "tainou01")).json()
    auth = Authenticator(AuthSettings(jwks_file=settings.directory / "jwks.json"))  # the services' defaults
    principal = asyncio.run(auth.authenticate("Bearer " + tokens["access_token"]))
    assert principal.user == "tainou01" and principal.roles == ("collection_staff",)
    assert principal.can("collection:cases.write") and not principal.can("refunds:refunds.approve")
    id_claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert (
        id_claims["aud"] == "osame-console"
        and id_claims["nonce"] == "no-1"
        and id_claims["sub"] == "tainou01"
    )
    assert "roles" not in id_claims
    assert issuer.get("/jwks").json() == __import__("json").loads(
        (settings.directory / "jwks.json").read_text()
    )


def test_end_session_redirects_only_to_a_registered_address(issuer):
    tokens = redeem(issuer, code_for(issuer)).json()
    ok = issuer.get(
        "/end-session",
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "http://console.test/auth/signed-out",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "http://console.test/auth/signed-out"
    evil = issuer.get(
        "/end-session",
        params={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "http://evil.example/"},
        follow_redirects=False,
    )
    assert evil.status_code == 200 and "サインアウトしました" in evil.text
