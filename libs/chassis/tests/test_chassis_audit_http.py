"""The one audit read API (osame_chassis.audit_http, issue 13): GET /audit pages and filters the chain
(action, 宛名番号, business dates in Asia/Tokyo), GET /audit/verify answers 409 once a row is rewritten;
both need `<service>:audit.read`, and reading is itself audited. The chain covers `detail` too."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from osame_chassis.audit import AuditLog, audit_log_table
from osame_chassis.audit_http import audit_routes
from osame_chassis.auth import Authenticator, AuthSettings, DevIssuer
from osame_chassis.db import create_engine, session_factory
from osame_chassis.testing import drop_audit_triggers
from sqlalchemy import MetaData, update
from starlette.applications import Starlette

metadata = MetaData()
TABLE = audit_log_table(metadata, detail=True)
LOG = AuditLog(TABLE)
ROLES = {"auditor": ["*:audit.read"], "clerk": ["demo:case.read"]}
# (UTC instant, operation, 宛名番号, detail): 2026-07-01 23:30 UTC is already 07-02 in Tokyo
SEEDED = [
    (datetime(2026, 6, 30, 14, 59, tzinfo=UTC), "case.view", "100001", None),
    (datetime(2026, 6, 30, 15, 0, tzinfo=UTC), "contact.record", "100001", {"contact_id": "c-1"}),
    (datetime(2026, 7, 1, 23, 30, tzinfo=UTC), "case.view", "100002", None),
    (datetime(2026, 7, 2, 1, 0, tzinfo=UTC), "case.view", "100001", {"amount": 12_000}),
]


@pytest.fixture
async def app(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/audit.db")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    sessions = session_factory(engine)
    for at, operation, addressee_id, detail in SEEDED:
        async with sessions() as session, session.begin():
            await LOG.append(
                session, user="staff-01", operation=operation, outcome="ok", addressee_id=addressee_id,
                at=at, detail=detail,
            )  # fmt: skip
    issuer = DevIssuer(tmp_path / "issuer")
    auth = Authenticator(
        AuthSettings(jwks_file=issuer.write_jwks(), role_permissions=ROLES), audit=LOG.hook(sessions)
    )
    web = Starlette(routes=audit_routes("demo", auth, sessions, LOG))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://demo") as client:
        yield client, issuer, sessions
    await engine.dispose()


def as_(issuer, role):
    return {"Authorization": f"Bearer {issuer.token('auditor-1', [role])}"}


@pytest.mark.parametrize(
    ("query", "seqs"),
    [
        ("", [1, 2, 3, 4]),
        ("?action=case.view", [1, 3, 4]),
        ("?addressee_id=100001", [1, 2, 4]),
        ("?from_date=2026-07-01&to_date=2026-07-01", [2]),  # Tokyo's 7/1 = 6/30 15:00 – 7/1 15:00 UTC
        ("?from_date=2026-07-02", [3, 4]),
        ("?to_date=2026-06-30", [1]),
        ("?action=case.view&addressee_id=100001&from_date=2026-07-02", [4]),
    ],
)
async def test_the_trail_is_filtered_by_action_addressee_and_business_date(app, query, seqs):
    client, issuer, _ = app
    response = await client.get(f"/audit{query}", headers=as_(issuer, "auditor"))
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    body = response.json()
    assert [e["seq"] for e in body["entries"]] == seqs
    assert (body["total"], body["chain_intact"], body["first_broken"]) == (len(seqs), True, None)


async def test_the_trail_is_paged_and_keeps_collections_entry_shape(app):
    client, issuer, _ = app
    body = (await client.get("/audit?per_page=3&page=2", headers=as_(issuer, "auditor"))).json()
    assert (body["page"], body["per_page"], body["total"]) == (2, 3, 4)
    [entry] = body["entries"]
    assert set(entry) == {
        "seq", "at", "staff_user", "action", "addressee_id", "outcome", "client", "detail", "prev_hash", "hash",
    }  # fmt: skip
    assert (entry["seq"], entry["action"], entry["detail"]) == (4, "case.view", {"amount": 12000})
    assert entry["at"] == "2026-07-02T01:00:00+00:00"


@pytest.mark.parametrize(
    "query",
    ["?per_page=501", "?page=0", "?addressee_id=abc", "?from_date=2026-07-02&to_date=2026-07-01", "?x=1"],
)
async def test_bad_parameters_are_refused_without_echoing_them(app, query):
    client, issuer, _ = app
    response = await client.get(f"/audit{query}", headers=as_(issuer, "auditor"))
    assert response.status_code == 422 and "abc" not in response.text


async def test_both_routes_need_the_audit_permission_and_reading_is_audited(app):
    client, issuer, sessions = app
    for path in ("/audit", "/audit/verify"):
        assert (await client.get(path, headers=as_(issuer, "clerk"))).status_code == 403
    await client.get("/audit?addressee_id=100002", headers=as_(issuer, "auditor"))
    async with sessions() as session:
        entries = await LOG.entries(session, since=datetime(2026, 12, 1, tzinfo=UTC))
    assert [(e["operation"], e["outcome"], e["addressee_id"]) for e in entries] == [
        ("audit.read", "refused:permission_denied", None),
        ("audit.verify", "refused:permission_denied", None),
        ("audit.read", "ok", "100002"),
    ]


async def test_verify_answers_409_once_a_detail_is_rewritten(app):
    client, issuer, sessions = app
    ok = await client.get("/audit/verify", headers=as_(issuer, "auditor"))
    assert (ok.status_code, ok.json()) == (200, {"ok": True, "entries": 4, "first_broken_id": None})
    async with sessions() as session, session.begin():
        await drop_audit_triggers(session)
        await session.execute(update(TABLE).where(TABLE.c.id == 2).values(detail={"contact_id": "c-2"}))
    broken = await client.get("/audit/verify", headers=as_(issuer, "auditor"))
    assert broken.status_code == 409 and broken.json()["first_broken_id"] == 2
    assert (await client.get("/audit", headers=as_(issuer, "auditor"))).json()["first_broken"] == 2
