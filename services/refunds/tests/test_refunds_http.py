"""Refunds' staff HTTP API: authenticated, audited, bodies validated without echoing input."""

from __future__ import annotations

import datetime as dt

from osame_chassis.audit import AuditLog
from osame_contracts.messages import receipts
from osame_refunds.adapters import orm
from osame_refunds.service_layer import handlers


def bearer(issuer, user, roles):
    return {"Authorization": f"Bearer {issuer.token(user, roles)}"}


async def register(service, overpayment_id="op-h", addressee_id="100011"):
    await service.handle(
        handlers.register_overpayment,
        receipts.OverpaymentDetected(
            overpayment_id=overpayment_id,
            addressee_id=addressee_id,
            notice_number="R1",
            installment_no=1,
            amount=300_000,
            cause=receipts.OverpaymentCause.REASSESSMENT,
            arose_on=dt.date(2026, 5, 1),
            paid_on=dt.date(2026, 4, 30),
        ),
    )
    [refund] = await service.rows(orm.refunds)
    return refund


async def test_approve_needs_a_refunds_role_and_is_audited(service, api):
    client, issuer = api
    refund = await register(service)
    path = f"/refunds/{refund['refund_id']}/approve"
    assert client.post(path, json={}).status_code == 401
    clerk = bearer(issuer, "clerk-1", ["collection_staff"])
    assert client.post(path, json={}, headers=clerk).status_code == 403
    preparer = bearer(issuer, "staff-6", ["refunds_staff"])
    staff = bearer(issuer, "staff-7", ["refunds_staff"])
    assert client.post(f"/refunds/{refund['refund_id']}/prepare", headers=preparer).status_code == 200
    bad = client.post(path, json={"decided_on": "not-a-date-123456789018"}, headers=staff)
    assert bad.status_code == 422 and "123456789018" not in bad.text
    ok = client.post(path, json={}, headers=staff)
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    assert ok.json()["decided_on"] == "2026-11-28"  # the server's business date, not the client's
    assert (ok.json()["prepared_by"], ok.json()["approved_by"]) == ("staff-6", "staff-7")
    assert client.post(path, json={}, headers=staff).status_code == 409
    users = [e["user_id"] for e in await service.rows(orm.audit_log, orm.audit_log.c.id)]
    assert users.count("staff-7") == 3 and "clerk-1" in users and "staff-6" in users
    async with service.runtime.sessions() as session:
        assert (await AuditLog(orm.audit_log).verify(session)).ok


async def test_the_preparer_cannot_approve_the_same_refund(service, api):
    """Separation of duties: 起案 and 決裁 by two different staff members (from the token)."""
    client, issuer = api
    refund = await register(service)
    staff = bearer(issuer, "staff-7", ["refunds_staff"])
    path = f"/refunds/{refund['refund_id']}"
    unprepared = client.post(f"{path}/approve", json={}, headers=staff)
    assert unprepared.status_code == 409 and "not been prepared" in unprepared.json()["error"]
    assert client.post(f"{path}/prepare", headers=staff).status_code == 200
    same = client.post(f"{path}/approve", json={}, headers=staff)
    assert same.status_code == 403
    assert "different staff member" in same.json()["error"]
    assert (await service.one(orm.refunds))["status"] == "pending_approval"


async def test_receipts_staff_cannot_prepare_or_approve_refunds(service, api):
    """The role that records receipts (収納担当) may read the refund queue, not act on it."""
    client, issuer = api
    refund = await register(service)
    cashier = bearer(issuer, "cashier-1", ["receipts_staff"])
    path = f"/refunds/{refund['refund_id']}"
    assert client.post(f"{path}/prepare", headers=cashier).json() == {"error": "permission_denied"}
    assert client.post(f"{path}/approve", json={}, headers=cashier).status_code == 403
    assert client.get("/refunds", headers=cashier).status_code == 200
    assert client.get("/money", headers=cashier).status_code == 200


async def test_an_approval_date_after_the_business_date_is_refused(service, api):
    client, issuer = api
    refund = await register(service)
    path = f"/refunds/{refund['refund_id']}"
    client.post(f"{path}/prepare", headers=bearer(issuer, "staff-6", ["refunds_staff"]))
    response = client.post(
        f"{path}/approve",
        json={"decided_on": "2026-12-01"},
        headers=bearer(issuer, "staff-7", ["refunds_staff"]),
    )
    assert response.status_code == 422
    assert response.json()["error"] == "decided_on 2026-12-01 is after the business date 2026-11-28"


async def test_claim_with_an_unknown_branch_is_refused_without_storing(service, api):
    client, issuer = api
    staff = bearer(issuer, "staff-7", ["refunds_staff"])
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


async def test_the_queues_page_with_limit_and_offset(service, api):
    """The console pages the queues: `limit` rows after `offset`, in the queue's own order."""
    client, issuer = api
    for n in range(3):
        await service.handle(
            handlers.register_overpayment,
            receipts.OverpaymentDetected(
                overpayment_id=f"op-p{n}",
                addressee_id=f"10002{n}",
                notice_number="R1",
                installment_no=1,
                amount=10_000 + n,
                cause=receipts.OverpaymentCause.REASSESSMENT,
                arose_on=dt.date(2026, 5, 1),
                paid_on=dt.date(2026, 4, 30),
            ),
        )
    reader = bearer(issuer, "cashier-1", ["receipts_staff"])
    whole = client.get("/refunds?stage=to_prepare", headers=reader).json()
    assert len(whole) == 3
    first = client.get("/refunds?stage=to_prepare&limit=2", headers=reader).json()
    rest = client.get("/refunds?stage=to_prepare&limit=2&offset=2", headers=reader).json()
    assert [r["refund_id"] for r in first + rest] == [r["refund_id"] for r in whole]
    overpayments = client.get("/overpayments?limit=1&offset=1", headers=reader).json()
    assert [o["overpayment_id"] for o in overpayments] == ["op-p1"]
    assert client.get("/appropriations?limit=5", headers=reader).json() == []
    for bad in ("limit=0", "limit=201", "offset=1", "limit=x", "limit=2&offset=-1"):
        response = client.get(f"/refunds?{bad}", headers=reader)
        assert response.status_code == 422, bad
        assert "query parameter" in response.json()["error"]
