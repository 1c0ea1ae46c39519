"""Session cookie, idle/expiry, CSRF token and sign-in redirect rules (domain.session, domain.oidc)."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_console.domain.oidc import (
    PendingSignIn,
    SignInRefused,
    authorization_url,
    check_id_token_claims,
    s256,
)
from osame_console.domain.session import (
    SessionClock,
    SessionState,
    csrf_matches,
    lookup_key,
    safe_return_path,
    sealing_key,
    session_state,
    sign,
    unsign,
)

SECRET = b"x" * 32
T0 = dt.datetime(2026, 7, 10, 9, 0, tzinfo=dt.UTC)
IDLE = dt.timedelta(minutes=15)


def test_signed_cookie_round_trip_and_tampering():
    cookie = sign("abc123", SECRET)
    assert unsign(cookie, SECRET) == "abc123"
    value, _, mac = cookie.rpartition(".")
    assert unsign(f"abc124.{mac}", SECRET) is None  # altered id
    assert unsign(cookie, b"y" * 32) is None  # another secret
    assert unsign(value, SECRET) is None  # no MAC
    for bad in (None, "", ".", "a" * 600, "ü.x"):
        assert unsign(bad, SECRET) is None


def test_the_database_never_holds_the_session_id_and_keys_differ():
    assert "abc" not in lookup_key("abc")
    assert lookup_key("abc") != lookup_key("abd")
    assert sealing_key("abc") != bytes.fromhex(lookup_key("abc"))


@pytest.mark.parametrize(
    ("last_seen", "expires", "state"),
    [
        (T0, T0 + dt.timedelta(hours=8), SessionState.ACTIVE),
        (T0 - IDLE, T0 + dt.timedelta(hours=8), SessionState.ACTIVE),  # exactly the timeout: still active
        (T0 - IDLE - dt.timedelta(seconds=1), T0 + dt.timedelta(hours=8), SessionState.IDLE),
        (T0, T0, SessionState.EXPIRED),  # the token's lifetime is over
        (T0 - dt.timedelta(hours=1), T0 - dt.timedelta(seconds=1), SessionState.EXPIRED),  # expired wins
    ],
)
def test_session_state(last_seen, expires, state):
    assert session_state(SessionClock(last_seen, expires), T0, IDLE) is state


def test_csrf_token_must_match_exactly():
    assert csrf_matches("tok", "tok")
    for submitted in (None, "", "tok2", "TOK"):
        assert not csrf_matches("tok", submitted)
    assert not csrf_matches("", "")


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("/cases/100001", "/cases/100001"),
        ("/batches?batch_id=x", "/batches?batch_id=x"),
        (None, "/"),
        ("", "/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("cases", "/"),
        ("/a\r\nSet-Cookie: x", "/"),
    ],
)
def test_return_path_is_local_only(candidate, expected):
    assert safe_return_path(candidate) == expected


def test_pkce_s256_matches_rfc7636_appendix_b():
    assert (
        s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_authorization_url_carries_state_nonce_and_s256_challenge():
    pending = PendingSignIn("st", "no", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "/")
    url = authorization_url(
        "http://issuer/authorize", client_id="c", redirect_uri="http://c/cb", scope="openid", pending=pending
    )
    assert url.startswith("http://issuer/authorize?response_type=code&client_id=c&")
    for part in (
        "state=st",
        "nonce=no",
        "code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method=S256",
        "redirect_uri=http%3A%2F%2Fc%2Fcb",
    ):
        assert part in url
    assert "dBjftJeZ" not in url  # the verifier never leaves the console


NOW = 1_800_000_000
GOOD = {"iss": "iss", "aud": "console", "sub": "tainou01", "nonce": "n1", "iat": NOW, "exp": NOW + 600}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"iss": "other"}, "id_token_issuer"),
        ({"aud": "someone-else"}, "id_token_audience"),
        ({"aud": ["console", "other"]}, "id_token_audience"),  # several audiences need azp
        ({"exp": NOW - 31}, "id_token_expired"),
        ({"iat": NOW + 31}, "id_token_issued_in_future"),
        ({"nonce": "n2"}, "id_token_nonce"),
        ({"nonce": None}, "id_token_nonce"),
        ({"sub": ""}, "id_token_subject"),
    ],
)
def test_id_token_claims_refused(change, code):
    with pytest.raises(SignInRefused) as refused:
        check_id_token_claims({**GOOD, **change}, issuer="iss", client_id="console", nonce="n1", now=NOW)
    assert refused.value.code == code


def test_id_token_claims_accepted():
    assert check_id_token_claims(GOOD, issuer="iss", client_id="console", nonce="n1", now=NOW) == "tainou01"
    multi = {**GOOD, "aud": ["console", "other"], "azp": "console"}
    assert check_id_token_claims(multi, issuer="iss", client_id="console", nonce="n1", now=NOW) == "tainou01"
