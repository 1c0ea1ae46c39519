"""Permitted-query list loading, retention (保管期限切れ削除), and the staff HTTP API (auth + audit)."""

from __future__ import annotations

import datetime as dt
import json
import logging

import httpx
import pytest
from osame_chassis.auth import Authenticator, AuthSettings, DevIssuer
from osame_chassis.testing import drop_audit_triggers
from osame_gateway.adapters import orm
from osame_gateway.adapters.repository import AUDIT
from osame_gateway.domain.permitted_list import PermittedListError, parse_permitted_list
from osame_gateway.domain.query_progress import accepts_answer, next_attempt_delay, past_deadline
from osame_gateway.domain.retention import retention_cutoff
from osame_gateway.entrypoints.commands import DEFAULT_LIST
from osame_gateway.entrypoints.http import routes
from osame_gateway.service_layer.permitted import load_permitted_list
from osame_gateway.service_layer.retention import purge_expired
from sqlalchemy import insert, update
from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette

UTC = dt.UTC
DOCUMENT = json.loads(DEFAULT_LIST.read_text(encoding="utf-8"))


def test_shipped_row48_list_parses_with_legal_basis():
    entries = parse_permitted_list(DOCUMENT)
    assert ("local_tax_assessment_collection", "income") in {(e.affair, e.item) for e in entries}
    assert all(e.table_row == 48 and "第48項" in e.legal_basis for e in entries)


@pytest.mark.parametrize(
    ("document", "error"),
    [
        ({}, "<file>: expected an object with an 'entries' list"),
        ({"entries": [{"affair": "a", "item": "i"}]}, "entries[0].legal_basis: missing or empty"),
        (
            {"entries": [{"affair": "a", "item": "i", "legal_basis": "x", "table_row": "48"}]},
            "entries[0].table_row: not a positive integer",
        ),
        (
            {"entries": [{"affair": "a" * 81, "item": "i", "legal_basis": "x"}]},
            "entries[0].affair: longer than 80",
        ),
        (
            {"entries": [{"affair": "a", "item": "i", "legal_basis": "x", "colour": 1}]},
            "entries[0]: unknown fields ['colour']",
        ),
        (
            {
                "entries": [
                    {"affair": "a", "item": "i", "legal_basis": "x"},
                    {"affair": "a", "item": "i", "legal_basis": "y"},
                ]
            },
            "entries[1]: duplicate of entries[0] (a, i)",
        ),
    ],
)
def test_bad_permitted_list_names_the_entry_and_field(document, error):
    with pytest.raises(PermittedListError) as err:
        parse_permitted_list(document)
    assert error in err.value.errors


async def test_loading_is_idempotent_and_all_or_nothing(service):
    async with service.runtime.unit_of_work() as uow:
        assert await load_permitted_list(uow, DOCUMENT) == (3, 0, 0)
    async with service.runtime.unit_of_work() as uow:
        assert await load_permitted_list(uow, DOCUMENT) == (0, 0, 0)
    bad = {"entries": [*DOCUMENT["entries"][:1], {"affair": "x"}]}
    with pytest.raises(PermittedListError):
        async with service.runtime.unit_of_work() as uow:
            await load_permitted_list(uow, bad)
    assert await service.count(orm.permitted_queries) == 3
    async with service.runtime.unit_of_work() as uow:
        assert await load_permitted_list(uow, {"entries": DOCUMENT["entries"][:1]}) == (0, 0, 2)


def test_query_progress_rules():
    import random

    rng = random.Random(1)
    assert [round(next_attempt_delay(n, jitter=0, rng=rng).total_seconds()) for n in (1, 2, 3, 10, 20)] == [
        1,
        2,
        4,
        300,
        300,
    ]
    d = next_attempt_delay(3, jitter=0.2, rng=rng).total_seconds()
    assert 3.2 <= d <= 4.8
    t0 = dt.datetime(2026, 7, 1, tzinfo=UTC)
    assert not past_deadline(t0, t0 + dt.timedelta(seconds=3600), 3600)
    assert past_deadline(t0, t0 + dt.timedelta(seconds=3601), 3600)
    assert accepts_answer("pending") and not accepts_answer("answered") and not accepts_answer("refused")


def test_retention_cutoff():
    now = dt.datetime(2033, 7, 1, tzinfo=UTC)
    assert retention_cutoff(now, 7 * 365 + 2) == dt.datetime(2026, 7, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        retention_cutoff(now, 0)


async def add_record(service, query_id, at, addressee_id="100009", step="answer"):
    async with service.runtime.sessions() as session, session.begin():
        await session.execute(
            insert(orm.query_records).values(
                query_id=query_id,
                addressee_id=addressee_id,
                requesting_service="collection",
                affair="local_tax_assessment_collection",
                item="income",
                staff_user="staff-01",
                outcome="answered",
                step=step,
                recorded_at=at,
                linkage_code="LCX",
            )
        )


async def test_retention_deletes_only_expired_records_and_logs_counts(service, caplog):
    now = dt.datetime(2033, 7, 2, tzinfo=UTC)
    await add_record(service, "old-1", dt.datetime(2026, 6, 30, tzinfo=UTC))
    await add_record(service, "old-2", dt.datetime(2026, 7, 1, 23, tzinfo=UTC))
    await add_record(service, "new-1", dt.datetime(2026, 7, 3, tzinfo=UTC))
    caplog.set_level(logging.INFO, logger="osame.gateway.retention")
    async with service.runtime.unit_of_work() as uow:
        result = await purge_expired(uow, 7 * 365 + 2, now=now)
    assert (result.records_deleted, result.queries_deleted) == (2, 0)
    assert [r["query_id"] for r in await service.rows(orm.query_records)] == ["new-1"]
    assert "deleted 2 provision records" in caplog.text


@pytest.fixture
def issuer(tmp_path):
    issuer = DevIssuer(tmp_path / "issuer")
    issuer.write_jwks()
    return issuer


@pytest.fixture
async def api(service, issuer):
    auth = Authenticator(AuthSettings(jwks_file=issuer.jwks_path), audit=AUDIT.hook(service.runtime.sessions))
    app = Starlette(routes=routes(service.runtime, auth))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw") as client:
        yield client


def bearer(issuer, user, *roles):
    return {"Authorization": "Bearer " + issuer.token(user, roles)}


async def test_provision_records_by_addressee_need_permission_and_are_audited(service, api, issuer):
    await add_record(service, "q-1", dt.datetime(2026, 7, 1, tzinfo=UTC))
    await add_record(service, "q-2", dt.datetime(2026, 7, 2, tzinfo=UTC), addressee_id="100010")

    ok = await api.get("/provision-records/100009", headers=bearer(issuer, "officer-1", "disclosure_officer"))
    assert ok.status_code == 200
    assert [(r["query_id"], r["linkage_code"]) for r in ok.json()["records"]] == [("q-1", "LCX")]
    denied = await api.get("/provision-records/100009", headers=bearer(issuer, "staff-9", "collection_staff"))
    assert denied.status_code == 403
    assert (await api.get("/provision-records/100009")).status_code == 401
    assert (
        await api.get("/provision-records/abc", headers=bearer(issuer, "officer-1", "disclosure_officer"))
    ).status_code == 400

    audit = [
        (r["user_id"], r["operation"], r["outcome"], r["addressee_id"])
        for r in await service.rows(orm.audit_log)
    ]
    assert audit == [
        ("officer-1", "provision-records.read", "ok", "100009"),
        ("staff-9", "provision-records.read", "refused:permission_denied", None),
        ("-", "provision-records.read", "refused:missing_token", None),
        ("officer-1", "provision-records.read", "status:400", None),
    ]
    verified = await api.get("/audit/verify", headers=bearer(issuer, "aud-1", "auditor"))
    assert verified.json() == {"ok": True, "entries": 4, "first_broken_id": None}

    forge = update(orm.audit_log).where(orm.audit_log.c.id == 2).values(outcome="ok")
    with pytest.raises(DBAPIError):  # the database refuses the edit (append-only triggers)
        async with service.runtime.sessions() as session, session.begin():
            await session.execute(forge)
    async with service.runtime.sessions() as session, session.begin():  # an attacker who drops them first
        await drop_audit_triggers(session)
        await session.execute(forge)
    broken = await api.get("/audit/verify", headers=bearer(issuer, "aud-1", "auditor"))
    assert (broken.status_code, broken.json()["first_broken_id"]) == (409, 2)


async def test_permitted_queries_listing_for_admin(service, api, issuer):
    async with service.runtime.unit_of_work() as uow:
        await load_permitted_list(uow, DOCUMENT)
    r = await api.get("/permitted-queries", headers=bearer(issuer, "adm", "admin"))
    assert len(r.json()["entries"]) == 3
    assert (
        await api.get("/permitted-queries", headers=bearer(issuer, "s", "collection_staff"))
    ).status_code == 403
