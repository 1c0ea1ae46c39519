"""宛名検索 for the staff console: カナ氏名 partial match in any kana form, by 宛名番号, and 支援措置
records masked unless the roles grant address-sync:protection.read; plus the audit chain check."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from osame_address_sync.adapters.orm import AUDIT
from osame_address_sync.domain.staff_search import kana_key
from osame_address_sync.entrypoints.http import routes
from osame_address_sync.service_layer import handlers
from osame_chassis.auth import DEFAULT_ROLE_PERMISSIONS, Authenticator, AuthSettings
from osame_contracts.messages.address_sync import SetProtection
from starlette.applications import Starlette

ROLES = DEFAULT_ROLE_PERMISSIONS  # collection_staff: address-sync:addressee.read, not protection.read


@pytest.fixture
async def client(service, issuer, f):
    await service.run(
        handlers.record_resident_change, f.moved_in("200001", name="試験 一郎", name_kana="シケン イチロウ")
    )
    await service.run(
        handlers.record_resident_change,
        f.moved_in("200002", name="山田 花子", name_kana="ヤマダ ハナコ", date_of_birth="1990-02-03"),
    )
    await service.run(
        handlers.record_resident_change, f.moved_in("200003", name="山田 太郎", name_kana="ヤマダ タロウ")
    )
    await service.run(
        handlers.set_protection,
        SetProtection(addressee_id="200002", revision=1, protected=True, effective_on=dt.date(2026, 4, 1)),
    )
    auth = Authenticator(
        AuthSettings(jwks_file=issuer.jwks_path, role_permissions=ROLES),
        audit=AUDIT.hook(service.runtime.sessions),
    )
    app = Starlette(routes=routes(service.runtime, auth))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://address-sync") as c:
        yield c


def as_(issuer, *roles):
    return {"Authorization": f"Bearer {issuer.token('staff-1', roles)}"}


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("やまだ", "ヤマダ"),
        ("ﾔﾏﾀﾞ", "ヤマダ"),
        ("ヤマダ　ハナコ", "ヤマダハナコ"),
        ("ｼｹﾝ ｲﾁﾛｳ", "シケンイチロウ"),
        ("%", "%"),
    ],
)
def test_kana_key(typed, key):
    assert kana_key(typed) == key


@pytest.mark.parametrize("typed", ["やまだ", "ﾔﾏﾀﾞ", "ヤマダ", "まだ"])
async def test_partial_kana_in_any_form_finds_the_people(client, issuer, typed):
    response = await client.post(
        "/addressees/search", json={"name_kana": typed}, headers=as_(issuer, "addressee_staff")
    )
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert [r["addressee_id"] for r in response.json()["results"]] == ["200003", "200002"]  # カナ order


async def test_spaces_do_not_matter_and_wildcards_are_literal(client, issuer):
    staff = as_(issuer, "addressee_staff")
    found = await client.post("/addressees/search", json={"name_kana": "ダハナ"}, headers=staff)
    assert [r["addressee_id"] for r in found.json()["results"]] == ["200002"]
    for literal in ("%", "_", "ヤ%ダ"):
        response = await client.post("/addressees/search", json={"name_kana": literal}, headers=staff)
        assert response.json()["results"] == [], literal


async def test_a_protected_record_is_masked_without_protection_read(client, issuer):
    response = await client.post(
        "/addressees/search", json={"name_kana": "ハナコ"}, headers=as_(issuer, "collection_staff")
    )
    [hanako] = response.json()["results"]
    assert hanako["protected"] is True and hanako["masked"] is True
    assert (hanako["address"], hanako["postal_code"], hanako["birth_date"]) == ("", "", None)
    assert hanako["name"] == "山田 花子"  # found: staff must know the person is protected
    other = await client.post(
        "/addressees/search", json={"name_kana": "タロウ"}, headers=as_(issuer, "collection_staff")
    )
    [taro] = other.json()["results"]
    assert taro["masked"] is False and taro["address"] == "富山県高岡市試験町1番1号"


async def test_protection_read_shows_the_protected_record(client, issuer):
    response = await client.post(
        "/addressees/search", json={"name_kana": "ハナコ"}, headers=as_(issuer, "addressee_staff")
    )
    [hanako] = response.json()["results"]
    assert hanako["masked"] is False and hanako["birth_date"] == "1990-02-03" and hanako["address"]


async def test_by_addressee_id(client, issuer):
    response = await client.post(
        "/addressees/search", json={"addressee_id": "200001"}, headers=as_(issuer, "collection_staff")
    )
    assert [r["name_kana"] for r in response.json()["results"]] == ["シケン イチロウ"]


@pytest.mark.parametrize("body", [{}, {"name_kana": "  "}, {"addressee_id": "12-3"}, {"other": "x"}])
async def test_a_search_without_a_valid_criterion_is_refused(client, issuer, body):
    response = await client.post("/addressees/search", json=body, headers=as_(issuer, "addressee_staff"))
    assert response.status_code == 422
    assert "ハナコ" not in response.text and "12-3" not in response.text  # values never echoed


async def test_search_needs_the_read_permission_and_is_audited(client, issuer, service):
    refused = await client.post(
        "/addressees/search", json={"name_kana": "ヤマダ"}, headers=as_(issuer, "refunds_staff")
    )
    assert refused.status_code == 403
    await client.post(
        "/addressees/search", json={"name_kana": "ヤマダ"}, headers=as_(issuer, "addressee_staff")
    )
    async with service.runtime.sessions() as session:
        entries = await AUDIT.entries(session)
    assert [(e["operation"], e["outcome"]) for e in entries] == [
        ("addressee.search", "refused:permission_denied"),
        ("addressee.search", "ok"),
    ]
    assert all("ヤマダ" not in str(e) for e in entries)


async def test_the_audit_chain_check(client, issuer):
    await client.post(
        "/addressees/search", json={"name_kana": "ヤマダ"}, headers=as_(issuer, "addressee_staff")
    )
    assert (await client.get("/audit/verify", headers=as_(issuer, "collection_staff"))).status_code == 403
    response = await client.get("/audit/verify", headers=as_(issuer, "auditor"))
    assert response.status_code == 200
    assert response.json() == {"ok": True, "entries": 2, "first_broken_id": None}
