"""Refunds' staff HTTP API: authenticated, audited, bodies validated without echoing input."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_chassis.audit import AuditLog
from osame_chassis.auth import Authenticator, AuthSettings, DevIssuer
from osame_contracts.messages import receipts
from osame_refunds.adapters import orm
from osame_refunds.entrypoints.http import routes
from osame_refunds.service_layer import handlers
from starlette.applications import Starlette
from starlette.testclient import TestClient


@pytest.fixture
def api(service, tmp_path):
    issuer = DevIssuer(tmp_path / "issuer")
    auth = Authenticator(
        AuthSettings(jwks_file=str(issuer.write_jwks())),
        audit=AuditLog(orm.audit_log).hook(service.runtime.sessions),
    )
    app = Starlette(routes=routes(service.runtime, auth=auth))
    with TestClient(app) as client:
        yield client, issuer


async def test_approve_needs_a_refunds_role_and_is_audited(service, api):
    client, issuer = api
    await service.handle(
        handlers.register_overpayment,
        receipts.OverpaymentDetected(
            overpayment_id="op-h",
            addressee_id="100011",
            notice_number="R1",
            installment_no=1,
            amount=300_000,
            cause=receipts.OverpaymentCause.REASSESSMENT,
            arose_on=dt.date(2026, 5, 1),
            paid_on=dt.date(2026, 4, 30),
        ),
    )
    [refund] = await service.rows(orm.refunds)
    path = f"/refunds/{refund['refund_id']}/approve"
    assert client.post(path, json={"decided_on": "2026-11-30"}).status_code == 401
    clerk = issuer.token("clerk-1", ["collection_staff"])
    assert (
        client.post(
            path, json={"decided_on": "2026-11-30"}, headers={"Authorization": f"Bearer {clerk}"}
        ).status_code
        == 403
    )
    staff = {"Authorization": f"Bearer {issuer.token('staff-7', ['refunds_staff'])}"}
    bad = client.post(path, json={"decided_on": "not-a-date-123456789018"}, headers=staff)
    assert bad.status_code == 422 and "123456789018" not in bad.text
    ok = client.post(path, json={"decided_on": "2026-11-30"}, headers=staff)
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    assert client.post(path, json={"decided_on": "2026-11-30"}, headers=staff).status_code == 409
    users = [e["user_id"] for e in await service.rows(orm.audit_log, orm.audit_log.c.id)]
    assert users.count("staff-7") == 3 and "clerk-1" in users
    async with service.runtime.sessions() as session:
        assert (await AuditLog(orm.audit_log).verify(session)).ok


async def test_claim_with_an_unknown_branch_is_refused_without_storing(service, api):
    client, issuer = api
    staff = {"Authorization": f"Bearer {issuer.token('staff-7', ['refunds_staff'])}"}
    body = {
        "addressee_id": "100011",
        "bank_code": "0001",
        "branch_code": "999",
        "account_type": "1",
        "account_number": "1234567",
        "holder_kana": "ﾃｽﾄ",
        "claimed_on": "2026-11-01",
    }
    response = client.post("/refund-claims", json=body, headers=staff)
    assert response.status_code == 409 and "1234567" not in response.text
    assert await service.rows(orm.payee_accounts) == []
