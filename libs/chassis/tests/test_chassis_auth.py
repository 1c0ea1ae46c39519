"""Staff auth (osame_chassis.auth): JWT verification, roles → permissions, revocation, networks, audit."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
import uvicorn
from osame_chassis.audit import AuditLog, audit_log_table
from osame_chassis.auth import (
    AccessEvent,
    Authenticator,
    AuthError,
    AuthSettings,
    DevIssuer,
    RevocationList,
    grants,
)
from osame_chassis.db import create_engine, session_factory
from sqlalchemy import MetaData
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

PERMISSION = "intermediate-server-gw:provision-records.read"


@pytest.fixture
def issuer(tmp_path) -> DevIssuer:
    issuer = DevIssuer(tmp_path / "issuer")
    issuer.write_jwks()
    return issuer


def make_auth(dev: DevIssuer, **overrides) -> Authenticator:
    return Authenticator(AuthSettings(jwks_file=dev.jwks_path, **overrides))


async def test_valid_token_gives_principal_with_role_permissions(issuer):
    auth = make_auth(issuer)
    token = issuer.token("staff-01", ["disclosure_officer"], token_id="t-1")
    principal = await auth.authenticate(f"Bearer {token}", "127.0.0.1")
    assert (principal.user, principal.roles, principal.token_id) == (
        "staff-01",
        ("disclosure_officer",),
        "t-1",
    )
    assert principal.can(PERMISSION)
    assert not principal.can("intermediate-server-gw:income-query.request")
    auth.authorize(principal, PERMISSION)
    with pytest.raises(AuthError) as err:
        auth.authorize(principal, "collection:case.write")
    assert (err.value.status, err.value.code) == (403, "permission_denied")


def _other_issuer_token(tmp_path) -> str:
    return DevIssuer(tmp_path / "other").token("staff-01", ["admin"])


@pytest.mark.parametrize(
    ("make_header", "code"),
    [
        pytest.param(lambda i, p: None, "missing_token", id="no-header"),
        pytest.param(lambda i, p: "Basic abc", "missing_token", id="not-bearer"),
        pytest.param(lambda i, p: "Bearer ", "missing_token", id="empty-bearer"),
        pytest.param(lambda i, p: "Bearer not.a.jwt", "invalid_token", id="garbage"),
        pytest.param(
            lambda i, p: "Bearer " + i.token("u", ["admin"], now=datetime.now(UTC) - timedelta(hours=3)),
            "token_expired",
            id="expired",
        ),
        pytest.param(
            lambda i, p: "Bearer " + i.token("u", ["admin"], audience="another-system"),
            "invalid_token",
            id="wrong-audience",
        ),
        pytest.param(lambda i, p: "Bearer " + _other_issuer_token(p), "invalid_token", id="foreign-key"),
        pytest.param(
            lambda i, p: (
                "Bearer "
                + jwt.encode(
                    {"sub": "u", "roles": ["admin"], "iss": i.issuer, "aud": "osame", "iat": 1, "exp": 2**31},
                    None,
                    algorithm="none",
                )
            ),
            "invalid_token",
            id="alg-none",
        ),
        pytest.param(
            lambda i, p: "Bearer " + _tamper(i.token("u", ["disclosure_officer"])),
            "invalid_token",
            id="tampered-claims",
        ),
    ],
)
async def test_bad_tokens_are_refused_with_a_code(issuer, tmp_path, make_header, code):
    auth = make_auth(issuer)
    with pytest.raises(AuthError) as err:
        await auth.authenticate(make_header(issuer, tmp_path), "127.0.0.1")
    assert err.value.code == code
    assert err.value.status == 401


def _tamper(token: str) -> str:
    import base64

    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["roles"] = ["admin"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


async def test_wrong_issuer_is_refused(issuer):
    auth = make_auth(issuer, issuer="https://idp.city.example")
    with pytest.raises(AuthError) as err:
        await auth.authenticate("Bearer " + issuer.token("u", ["admin"]), None)
    assert err.value.code == "invalid_token"


@pytest.mark.parametrize(
    ("granted", "permission", "allowed"),
    [
        (["*"], "receipts:receipt.read", True),
        (["receipts:*"], "receipts:receipt.read", True),
        (["receipts:*"], "refunds:refund.decide", False),
        (["*:audit.read"], "collection:audit.read", True),
        (["*:audit.read"], "collection:case.write", False),
        (["receipts:receipt.read"], "receipts:receipt.read", True),
        (["receipts:receipt.read"], "receipts:receipt.write", False),
        ([], "receipts:receipt.read", False),
    ],
)
def test_grants(granted, permission, allowed):
    assert grants(granted, permission) is allowed


async def test_role_mapping_comes_from_settings(issuer):
    auth = make_auth(issuer, role_permissions={"clerk": ["intermediate-server-gw:provision-records.read"]})
    principal = await auth.authenticate("Bearer " + issuer.token("u", ["clerk", "admin"]), None)
    assert principal.permissions == frozenset({PERMISSION})  # "admin" is not defined in this mapping


async def test_revoked_token_and_user(issuer, tmp_path):
    revoked_file = tmp_path / "revoked.json"
    auth = make_auth(issuer, revoked_file=revoked_file)
    first = issuer.token("staff-07", ["admin"], token_id="jti-1")
    second = issuer.token("staff-07", ["admin"], token_id="jti-2")
    assert (await auth.authenticate(f"Bearer {first}", None)).user == "staff-07"

    auth.revocations.revoke_token("jti-1")
    with pytest.raises(AuthError, match="token_revoked"):
        await auth.authenticate(f"Bearer {first}", None)
    assert (await auth.authenticate(f"Bearer {second}", None)).token_id == "jti-2"

    # A staff member who moved: every token issued up to now is revoked, a later one works.
    revoked_file.write_text(json.dumps({"users": {"staff-07": datetime.now(UTC).isoformat()}}))
    with pytest.raises(AuthError, match="token_revoked"):
        await auth.authenticate(f"Bearer {second}", None)
    later = issuer.token("staff-07", ["admin"], now=datetime.now(UTC) + timedelta(seconds=5))
    assert (await auth.authenticate(f"Bearer {later}", None)).user == "staff-07"


def test_revocation_list_cutoff():
    revocations = RevocationList()
    cutoff = datetime(2026, 4, 1, tzinfo=UTC)
    revocations.revoke_user("staff-9", issued_before=cutoff)
    assert revocations.is_revoked("staff-9", None, cutoff - timedelta(days=1))
    assert not revocations.is_revoked("staff-9", None, cutoff + timedelta(seconds=1))
    assert not revocations.is_revoked("staff-8", None, cutoff - timedelta(days=1))


@pytest.mark.parametrize(
    ("networks", "client", "allowed"),
    [
        ([], "203.0.113.9", True),
        (["10.0.0.0/8"], "10.20.30.40", True),
        (["10.0.0.0/8"], "192.168.1.1", False),
        (["10.0.0.0/8", "127.0.0.1/32"], "127.0.0.1", True),
        (["10.0.0.0/8"], None, False),
        (["10.0.0.0/8"], "testclient", False),
    ],
)
async def test_client_network_allow_list(issuer, networks, client, allowed):
    auth = make_auth(issuer, allowed_networks=networks)
    header = "Bearer " + issuer.token("u", ["admin"])
    if allowed:
        assert (await auth.authenticate(header, client)).user == "u"
    else:
        with pytest.raises(AuthError) as err:
            await auth.authenticate(header, client)
        assert (err.value.status, err.value.code) == (403, "network_not_allowed")


async def test_starlette_route_requires_permission_and_audits_every_call(issuer):
    events: list[AccessEvent] = []

    async def hook(event):
        events.append(event)

    auth = Authenticator(AuthSettings(jwks_file=issuer.jwks_path), audit=hook)

    async def records(request):
        request.state.audit_addressee_id = request.path_params["addressee_id"]
        return JSONResponse({"user": request.state.principal.user})

    guarded = auth.require(PERMISSION, operation="provision-records.read")(records)
    app = Starlette(routes=[Route("/records/{addressee_id}", guarded)])
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw")

    ok = await client.get(
        "/records/100009", headers={"Authorization": "Bearer " + issuer.token("s1", ["auditor"])}
    )
    assert (ok.status_code, ok.json()) == (200, {"user": "s1"})
    denied = await client.get(
        "/records/100009", headers={"Authorization": "Bearer " + issuer.token("s2", ["collection_staff"])}
    )
    assert (denied.status_code, denied.json()) == (403, {"error": "permission_denied"})
    anonymous = await client.get("/records/100009")
    assert (anonymous.status_code, anonymous.json()) == (401, {"error": "missing_token"})

    assert [(e.user, e.operation, e.outcome, e.addressee_id) for e in events] == [
        ("s1", "provision-records.read", "ok", "100009"),
        ("s2", "provision-records.read", "refused:permission_denied", None),
        ("-", "provision-records.read", "refused:missing_token", None),
    ]


async def test_keys_from_a_jwks_url_with_rotation(issuer, tmp_path):
    """The issuer's JWKS served over real HTTP; a new key (unknown kid) triggers a refetch."""
    current = {"jwks": issuer.jwks_json()}

    async def jwks(_):
        return JSONResponse(json.loads(current["jwks"]))

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/jwks", jwks)]), port=port, log_level="warning", lifespan="off"
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        auth = Authenticator(AuthSettings(jwks_url=f"http://127.0.0.1:{port}/jwks", jwks_refresh_seconds=0))
        assert (await auth.authenticate("Bearer " + issuer.token("u", ["admin"]), None)).user == "u"

        rotated = DevIssuer(tmp_path / "rotated")
        current["jwks"] = rotated.jwks_json()
        assert (await auth.authenticate("Bearer " + rotated.token("v", ["admin"]), None)).user == "v"
    finally:
        server.should_exit = True
        await task


async def test_audit_hook_writes_a_verifiable_chain(issuer, tmp_path):
    metadata = MetaData()
    table = audit_log_table(metadata)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/audit.db")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    log = AuditLog(table)
    hook = log.hook(session_factory(engine))
    for i in range(3):
        await hook(AccessEvent(user=f"s{i}", operation="op", outcome="ok", at=datetime.now(UTC)))
    async with session_factory(engine)() as session:
        result = await log.verify(session)
    await engine.dispose()
    assert (result.ok, result.entries) == (True, 3)


# ---------------------------------------------------------------- issue 13 item 7: edge cases


def _rs256_with_the_ec_kid(dev: DevIssuer) -> str:
    """A token that claims RS256 under the kid of the issuer's ES256 key (an algorithm mismatch)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    kid = json.loads(dev.jwks_json())["keys"][0]["kid"]
    now = int(datetime.now(UTC).timestamp())
    claims = {
        "iss": dev.issuer,
        "aud": "osame",
        "sub": "mallory",
        "roles": ["admin"],
        "iat": now,
        "exp": now + 60,
    }
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


async def test_an_algorithm_mismatch_is_a_401_not_a_500(issuer):
    with pytest.raises(AuthError) as err:
        await make_auth(issuer).authenticate("Bearer " + _rs256_with_the_ec_kid(issuer), None)
    assert (err.value.status, err.value.code) == (401, "invalid_token")


async def test_an_algorithm_mismatch_over_http_is_refused_and_audited(issuer):
    events: list[AccessEvent] = []

    async def hook(event: AccessEvent) -> None:
        events.append(event)

    auth = Authenticator(AuthSettings(jwks_file=issuer.jwks_path), audit=hook)

    async def endpoint(_):
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/records", auth.require(PERMISSION)(endpoint))])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
        response = await client.get(
            "/records", headers={"Authorization": "Bearer " + _rs256_with_the_ec_kid(issuer)}
        )
    assert (response.status_code, response.json()) == (401, {"error": "invalid_token"})
    assert [(e.operation, e.outcome) for e in events] == [(PERMISSION, "refused:invalid_token")]


async def test_a_token_older_than_the_maximum_age_is_refused_whatever_its_expiry(issuer):
    auth = make_auth(issuer, max_token_age_seconds=3600)
    issued = datetime.now(UTC) - timedelta(hours=2)
    old = issuer.token("staff-01", ["auditor"], now=issued, ttl_seconds=10 * 86_400)
    with pytest.raises(AuthError) as err:
        await auth.authenticate(f"Bearer {old}", None)
    assert (err.value.status, err.value.code) == (401, "token_too_old")
    recent = issuer.token("staff-01", ["auditor"], now=datetime.now(UTC) - timedelta(minutes=50))
    assert (await auth.authenticate(f"Bearer {recent}", None)).user == "staff-01"
    future = issuer.token("staff-01", ["auditor"], now=datetime.now(UTC) + timedelta(hours=1))
    with pytest.raises(AuthError) as err:
        await auth.authenticate(f"Bearer {future}", None)
    assert err.value.code == "invalid_token"


async def test_a_service_identitys_token_has_its_own_maximum_age(issuer):
    """The gateway's token is issued for days (compose: 7 days): the staff maximum (a working day)
    would cut the gateway off mid-deployment; a staff token of the same age is still refused."""
    auth = make_auth(issuer, max_token_age_seconds=3600, max_service_token_age_seconds=86_400)
    issued = datetime.now(UTC) - timedelta(hours=5)
    service = issuer.token("intermediate-server-gw", ["linkage_gateway"], now=issued, ttl_seconds=7 * 86_400)
    assert (await auth.authenticate(f"Bearer {service}", None)).user == "intermediate-server-gw"
    mixed = issuer.token("staff-01", ["linkage_gateway", "auditor"], now=issued, ttl_seconds=7 * 86_400)
    with pytest.raises(AuthError) as err:
        await auth.authenticate(f"Bearer {mixed}", None)
    assert err.value.code == "token_too_old"
    older = issuer.token(
        "intermediate-server-gw", ["linkage_gateway"], now=issued - timedelta(days=1), ttl_seconds=7 * 86_400
    )
    with pytest.raises(AuthError) as err:
        await auth.authenticate(f"Bearer {older}", None)
    assert err.value.code == "token_too_old"
