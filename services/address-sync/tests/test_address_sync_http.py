"""HTTP: the gateway-only, audited 個人番号 release, and the staff registration endpoints (chassis JWT auth)."""

from __future__ import annotations

import httpx
import pytest
from osame_address_sync.adapters import orm
from osame_address_sync.adapters.orm import AUDIT
from osame_address_sync.domain.my_number_release import RELEASE_RECORD
from osame_address_sync.entrypoints.http import routes
from osame_address_sync.service_layer import handlers
from osame_address_sync.service_layer.my_number_release import note_income_query
from osame_chassis.auth import Authenticator, AuthSettings
from starlette.applications import Starlette

RELEASE = "/internal/individual-number"


async def releases(service) -> list[dict]:
    """個人番号提供記録: the release entries of the audit chain."""
    return [r for r in await service.rows(orm.audit_log) if r["operation"] == RELEASE_RECORD]


async def accesses(service) -> list[dict]:
    return [r for r in await service.rows(orm.audit_log) if r["operation"] != RELEASE_RECORD]


ROLES = {
    "linkage_gateway": ["address-sync:individual-number.read"],
    "addressee_staff": ["address-sync:*"],
    "collection_staff": ["collection:*"],
}


@pytest.fixture
async def client(service, issuer):
    auth = Authenticator(
        AuthSettings(jwks_file=issuer.jwks_path, role_permissions=ROLES),
        audit=AUDIT.hook(service.runtime.sessions),
    )
    app = Starlette(routes=routes(service.runtime, auth))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://address-sync") as c:
        yield c


def bearer(issuer, user, *roles):
    return {"Authorization": f"Bearer {issuer.token(user, roles)}"}


def ask(addressee_id="200001", purpose="linkage_code_acquisition"):
    return {"addressee_id": addressee_id, "purpose": purpose, "query_id": f"q-{addressee_id}"}


def income_query(addressee_id="200001", query_id=None):
    import datetime as dt

    from osame_contracts.messages import collection

    return collection.IncomeQueryRequested(
        query_id=query_id or f"q-{addressee_id}",
        addressee_id=addressee_id,
        affair="local_tax_assessment_collection",
        item="income",
        fiscal_year=2025,
        purpose="財産調査",
        staff_user="staff-01",
        requested_on=dt.date(2026, 7, 1),
    )


async def note(service, *addressee_ids):
    """Collection asked for these income queries (noted from the bus)."""
    for addressee_id in addressee_ids:
        await service.run(note_income_query, income_query(addressee_id))


async def test_gateway_obtains_the_number_and_the_release_is_audited(service, client, issuer, f):
    await service.run(handlers.record_resident_change, f.moved_in(my_number=f.my_number_a))
    await note(service, "200001")
    gw = bearer(issuer, "intermediate-server-gw", "linkage_gateway")
    response = await client.post(RELEASE, json=ask(), headers=gw)
    assert response.status_code == 200
    assert response.json() == {"addressee_id": "200001", "individual_number": f.my_number_a}
    assert response.headers["cache-control"] == "no-store"
    [entry] = await releases(service)
    assert (
        entry["user_id"],
        entry["addressee_id"],
        entry["detail"]["purpose"],
        entry["detail"]["request_ref"],
        entry["outcome"],
    ) == (
        "intermediate-server-gw",
        "200001",
        "linkage_code_acquisition",
        "q-200001",
        "released",
    )
    [access] = await accesses(service)
    assert (access["user_id"], access["addressee_id"], access["outcome"]) == (
        "intermediate-server-gw",
        "200001",
        "ok",
    )


@pytest.mark.parametrize(
    ("user", "roles", "body", "status", "error", "outcome"),
    [
        pytest.param("intermediate-server-gw", ["linkage_gateway"], ask(purpose="collection"), 403,
                     "purpose_refused", "purpose_refused", id="other-purpose"),
        pytest.param("staff-01", ["addressee_staff"], ask(), 403, "caller_not_allowed", "caller_not_allowed",
                     id="staff-with-permission-is-not-the-gateway"),
        pytest.param("staff-02", ["collection_staff"], ask(), 403, "permission_denied", None, id="no-permission"),
        pytest.param("intermediate-server-gw", ["linkage_gateway"], ask("299999"), 404, "unknown_addressee",
                     "unknown_addressee", id="unknown-addressee"),
        pytest.param("intermediate-server-gw", ["linkage_gateway"], ask("200002"), 404, "no_individual_number",
                     "no_individual_number", id="no-number"),
    ],
)  # fmt: skip
async def test_release_refusals_are_audited_and_never_carry_the_number(
    service, client, issuer, f, user, roles, body, status, error, outcome
):
    await service.run(handlers.record_resident_change, f.moved_in(my_number=f.my_number_a))
    await service.run(handlers.record_resident_change, f.moved_in(addressee_id="200002"))
    await note(service, "200001", "200002", "299999")
    response = await client.post(RELEASE, json=body, headers=bearer(issuer, user, *roles))
    assert (response.status_code, response.json()) == (status, {"error": error})
    assert f.my_number_a not in response.text
    assert [r["outcome"] for r in await releases(service)] == ([outcome] if outcome else [])
    assert len(await accesses(service)) == 1


async def test_release_without_a_token_is_refused(service, client, f):
    response = await client.post(RELEASE, json=ask())
    assert (response.status_code, response.json()) == (401, {"error": "missing_token"})


async def test_release_audit_is_a_hash_chain(service, client, issuer, f):
    await service.run(handlers.record_resident_change, f.moved_in(my_number=f.my_number_a))
    await note(service, "200001")
    gw = bearer(issuer, "intermediate-server-gw", "linkage_gateway")
    for purpose in ("linkage_code_acquisition", "x", "linkage_code_acquisition"):
        await client.post(RELEASE, json=ask(purpose=purpose), headers=gw)
    entries = await releases(service)
    assert [e["detail"]["purpose"] for e in entries] == [
        "linkage_code_acquisition",
        "x",
        "linkage_code_acquisition",
    ]
    async with service.runtime.sessions() as session:
        assert (await AUDIT.verify(session)).ok
    # somebody edits history (after dropping the append-only triggers): the keyed chain breaks there
    from osame_chassis.testing import drop_audit_triggers
    from sqlalchemy import update

    forged = update(orm.audit_log).where(orm.audit_log.c.id == entries[1]["id"])
    async with service.runtime.sessions() as session:
        await drop_audit_triggers(session)
        await session.execute(
            forged.values(detail={**entries[1]["detail"], "purpose": "linkage_code_acquisition"})
        )
        await session.commit()
    async with service.runtime.sessions() as session:
        assert (await AUDIT.verify(session)).first_broken_id == entries[1]["id"]


async def test_staff_register_a_non_resident_over_http_and_read_what_may_be_disclosed(
    service, client, issuer, f
):
    staff = bearer(issuer, "staff-01", "addressee_staff")
    body = f.non_resident("300001", my_number=f.my_number_a).model_dump(mode="json")
    response = await client.post("/addressees/non-residents", json=body, headers=staff)
    assert response.status_code == 202
    shown = (await client.get("/addressees/300001", headers=staff)).json()
    assert (shown["name"], shown["address"], shown["unified_addressee_id"]) == (
        "住登外 太郎",
        "東京都千代田区試験2-2",
        "000000000000001",
    )
    assert f.my_number_a not in repr(shown)
    protection = {"addressee_id": "300001", "revision": 1, "protected": True, "effective_on": "2026-05-01"}
    assert (await client.put("/addressees/protection", json=protection, headers=staff)).status_code == 202
    shown = (await client.get("/addressees/300001", headers=staff)).json()
    assert (shown["protected"], shown["address"], shown["postal_code"]) == (True, "", "")


async def test_http_bad_input_is_a_located_error_without_values(service, client, issuer, f):
    staff = bearer(issuer, "staff-01", "addressee_staff")
    body = f.non_resident("300001", my_number="123456789010").model_dump(mode="json")
    response = await client.post("/addressees/non-residents", json=body, headers=staff)
    assert (response.status_code, response.json()) == (
        422,
        {"error": "my_number: 個人番号 check digit mismatch"},
    )
    # Sealed to another 宛名番号 (copied from another message): does not open.
    body["my_number"] = f.non_resident("300002", my_number=f.my_number_a).model_dump(mode="json")["my_number"]
    response = await client.post("/addressees/non-residents", json=body, headers=staff)
    assert (response.status_code, response.json()) == (
        422,
        {"error": "my_number: my_number_envelope_does_not_open"},
    )
    # In clear: not the contract (a 個人番号 travels only sealed).
    body["my_number"] = f.my_number_a
    response = await client.post("/addressees/non-residents", json=body, headers=staff)
    assert response.status_code == 422 and f.my_number_a not in response.text
    body["my_number"] = "12345"
    response = await client.post("/addressees/non-residents", json=body, headers=staff)
    assert response.status_code == 422 and "my_number" in response.text and "12345" not in response.text
    assert await service.rows(orm.addressees) == []
    response = await client.post(
        "/addressees/non-residents", json=body, headers=bearer(issuer, "x", "collection_staff")
    )
    assert response.status_code == 403


# ---------------------------------------------------------------- issue 13 item 7: who, for what, how often


async def test_a_staff_token_with_a_wildcard_grant_and_the_gateways_name_gets_no_number(
    service, client, issuer, f
):
    """addressee_staff holds address-sync:*; even with the subject 'intermediate-server-gw' it is
    not the gateway's service identity (the permission must be granted by name)."""
    await service.run(handlers.record_resident_change, f.moved_in(my_number=f.my_number_a))
    await note(service, "200001")
    impostor = bearer(issuer, "intermediate-server-gw", "addressee_staff")
    response = await client.post(RELEASE, json=ask(), headers=impostor)
    assert (response.status_code, response.json()) == (403, {"error": "caller_not_allowed"})
    assert f.my_number_a not in response.text


async def test_a_number_is_released_only_for_an_income_query_collection_asked_for(service, client, issuer, f):
    await service.run(handlers.record_resident_change, f.moved_in(my_number=f.my_number_a))
    await service.run(
        handlers.record_resident_change, f.moved_in(addressee_id="200002", my_number=f.my_number_b)
    )
    gw = bearer(issuer, "intermediate-server-gw", "linkage_gateway")
    response = await client.post(RELEASE, json=ask(), headers=gw)  # no query was ever asked
    assert (response.status_code, response.json()) == (409, {"error": "no_pending_query"})
    await note(service, "200002")
    # a real query for another 宛名番号 does not open this one
    moved = ask() | {"query_id": "q-200002"}
    assert (await client.post(RELEASE, json=moved, headers=gw)).status_code == 409
    await note(service, "200001")
    assert (await client.post(RELEASE, json=ask(), headers=gw)).status_code == 200
    outcomes = [r["outcome"] for r in await releases(service)]
    assert outcomes == ["no_pending_query", "no_pending_query", "released"]


async def test_a_query_noted_too_long_ago_opens_nothing(make_service, tmp_path, issuer, f):
    service = make_service(f"sqlite+aiosqlite:///{tmp_path}/w.db", mynumber_release_window_seconds=0.001)
    await service.migrate()
    await service.run(handlers.record_resident_change, f.moved_in(my_number=f.my_number_a))
    await note(service, "200001")
    auth = Authenticator(AuthSettings(jwks_file=issuer.jwks_path, role_permissions=ROLES))
    app = Starlette(routes=routes(service.runtime, auth))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as c:
        gw = bearer(issuer, "intermediate-server-gw", "linkage_gateway")
        response = await c.post(RELEASE, json=ask(), headers=gw)
    assert (response.status_code, response.json()) == (409, {"error": "no_pending_query"})


async def test_releases_are_rate_limited_per_caller(make_service, tmp_path, issuer, f):
    service = make_service(f"sqlite+aiosqlite:///{tmp_path}/r.db", mynumber_releases_per_minute=2)
    await service.migrate()
    ids = ("200001", "200002", "200003")
    for addressee_id, number in zip(ids, (f.my_number_a, f.my_number_b, f.my_number_a), strict=True):
        await service.run(
            handlers.record_resident_change, f.moved_in(addressee_id=addressee_id, my_number=number)
        )
    await note(service, *ids)
    auth = Authenticator(AuthSettings(jwks_file=issuer.jwks_path, role_permissions=ROLES))
    app = Starlette(routes=routes(service.runtime, auth))
    gw = bearer(issuer, "intermediate-server-gw", "linkage_gateway")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as c:
        statuses = [(await c.post(RELEASE, json=ask(a), headers=gw)).status_code for a in ids]
    assert statuses == [200, 200, 429]
    assert [r["outcome"] for r in await releases(service)][-1] == "rate_limited"
