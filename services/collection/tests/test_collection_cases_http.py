"""Case management over HTTP (chassis JWT): delinquency view, 折衝記録, 分納誓約 → breach → 催告,
財産調査 (income query published), 差押 with the F12 match and 差押禁止 checks, 執行停止 with the
延滞金 exemption (F2), 不納欠損 after the timers, print output, and the hash-chained audit trail."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import httpx
import pytest
from osame_chassis.auth import Authenticator, AuthSettings, DevIssuer
from osame_collection.adapters import orm
from osame_collection.domain.late_fee import accrued_late_fee
from osame_collection.entrypoints.http import audit_hook, routes
from osame_collection.service_layer import handlers
from osame_collection.service_layer.policy import CollectionPolicy
from osame_contracts.messages import address_sync, collection, receipts
from starlette.applications import Starlette

from .test_collection_nightly import assessment, receipt

D = dt.date
A = "200001"
ROLES = {"collection_staff": ["collection:*"], "viewer": ["collection:cases.read"]}
TODAY = D(2031, 12, 31)  # the business date of these tests (the server's day, never a request field)
PINNED = CollectionPolicy(business_date=lambda: TODAY)


async def write_off(client, issuer, as_of: str) -> dict:
    """不納欠損: prepared by the client's user (staff-07), approved by another (staff-08)."""
    prepared = await client.post("/write-offs/run", json={"as_of": as_of})
    assert prepared.status_code == 200, prepared.text
    run_id = prepared.json()["result"]["run_id"]
    approver = {"Authorization": f"Bearer {issuer.token('staff-08', ['collection_staff'])}"}
    approved = await client.post(f"/write-offs/{run_id}/approve", headers=approver)
    assert approved.status_code == 200, approved.text
    return approved.json()["result"]["written_off"]


@pytest.fixture
def issuer(tmp_path) -> DevIssuer:
    issuer = DevIssuer(tmp_path / "issuer")
    issuer.write_jwks()
    return issuer


@pytest.fixture
async def client(service, issuer):
    auth = Authenticator(
        AuthSettings(jwks_file=issuer.jwks_path, role_permissions=ROLES), audit=audit_hook(service.runtime)
    )
    app = Starlette(routes=routes(service.runtime, auth, policy=PINNED))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://collection") as c:
        c.headers["Authorization"] = f"Bearer {issuer.token('staff-07', ['collection_staff'])}"
        yield c


async def seed(service, name="試験 太郎", address="富山県高岡市試験町1番1号"):
    await service.handle(
        handlers.apply_addressee_change,
        address_sync.AddresseeChanged(
            addressee_id=A,
            version=1,
            name=name,
            name_kana="シケン タロウ",
            postal_code="933-0001",
            address=address,
            protected=False,
        ),
    )
    await service.handle(
        handlers.project_assessment,
        assessment("R8-100", [(1, 120_000, D(2026, 6, 30), 0), (2, 120_000, D(2026, 8, 31), 0)]),
    )


async def test_requires_a_token_and_the_permission(service, client, issuer):
    await seed(service)
    anonymous = await client.get(f"/cases/{A}?as_of=2026-07-01", headers={"Authorization": ""})
    assert anonymous.status_code == 401
    viewer = {"Authorization": f"Bearer {issuer.token('staff-09', ['viewer'])}"}
    assert (await client.get(f"/cases/{A}?as_of=2026-07-01", headers=viewer)).status_code == 200
    denied = await client.post(f"/cases/{A}/contacts", json={}, headers=viewer)
    assert denied.status_code == 403
    assert (await client.get("/cases/999999?as_of=2026-07-01")).status_code == 404


async def test_view_lists_unpaid_installments_with_late_fee_to_the_date(service, client):
    await seed(service)
    body = (await client.get(f"/cases/{A}?as_of=2026-12-01")).json()
    fees = {u["installment_no"]: u["late_fee"] for u in body["unpaid"]}
    assert fees == {
        1: accrued_late_fee(120_000, D(2026, 6, 30), D(2026, 12, 1), [], []).late_fee,
        2: accrued_late_fee(120_000, D(2026, 8, 31), D(2026, 12, 1), [], []).late_fee,
    }
    assert fees[1] > 0
    assert body["totals"]["unpaid"] == 240_000
    assert body["unpaid"][0]["limitation_ends_on"] == "2031-06-30"
    assert "name" not in json.dumps(body)  # the view is by 宛名番号, no name/address


async def test_pledge_breach_raises_event_and_the_event_sends_a_reminder(service, client):
    await seed(service)
    pledge = await client.post(
        f"/cases/{A}/pledges",
        json={
            "signed_on": "2026-09-10",
            "schedule": [
                {"due_on": "2026-09-30", "amount": 30_000},
                {"due_on": "2026-10-31", "amount": 30_000},
            ],
        },
    )
    assert pledge.status_code == 201, pledge.text
    # the first pledged payment is made, the second is missed
    await service.handle(
        handlers.note_receipt, receipt("r-pl-1", "R8-100", 1, D(2026, 9, 29), applied=30_000)
    )
    assert (await client.post("/pledges/monitor", json={"as_of": "2026-10-20"})).json() == {
        "result": {"breached": 0}
    }
    assert (await client.post("/pledges/monitor", json={"as_of": "2026-11-10"})).json() == {
        "result": {"breached": 1}
    }
    [(_, event)] = [e for e in await service.events() if e[0] == collection.PledgeBreached.routing_key]
    assert (event["missed_due_on"], event["shortfall"]) == ("2026-10-31", 30_000)
    # the consumer of the event (collection itself) sends the 催告 — once, even if redelivered
    message = collection.PledgeBreached.model_validate(event)
    first = await service.handle(handlers.send_breach_reminder, message)
    assert await service.handle(handlers.send_breach_reminder, message) == first
    [reminder] = await service.rows(orm.reminders)
    assert (reminder["reason"], reminder["addressee_id"]) == ("pledge_breach", A)
    [p] = await service.rows(orm.pledges)
    assert p["status"] == "breached"


async def test_income_inquiry_is_published_to_the_gateway(service, client):
    await seed(service)
    response = await client.post(
        f"/cases/{A}/inquiries", json={"kind": "income", "requested_on": "2026-10-01", "fiscal_year": 2026}
    )
    assert response.status_code == 201
    [(key, body)] = await service.events()
    assert key == collection.IncomeQueryRequested.routing_key
    assert (body["addressee_id"], body["staff_user"], body["query_id"]) == (
        A,
        "staff-07",
        response.json()["result"],
    )
    bank = await client.post(
        f"/cases/{A}/inquiries",
        json={"kind": "bank", "requested_on": "2026-10-01", "detail": {"bank": "0001"}},
    )
    assert bank.status_code == 201 and len(await service.events()) == 1


SEIZURE = {
    "kind": "seizure",
    "executed_on": "2026-10-15",
    "property_type": "deposit",
    "amount": 50_000,
    "holder": {"name": "試験　太郎", "address": "富山県高岡市試験町１番１号"},
    "deposit_balance": 180_000,
    "deposit_credits": [{"source": "child_allowance", "amount": 130_000}],
}


async def test_seizure_requires_the_f12_match_and_respects_protected_money(service, client):
    await seed(service)
    early = await client.post(f"/cases/{A}/dispositions", json=SEIZURE)
    assert (early.status_code, early.json()["error"]) == (422, "before_earliest_seizure_date")  # no 督促 yet
    await client.post("/batches/nightly", json={"batch_date": "2026-07-15"})
    same_name_only = {**SEIZURE, "holder": {"name": "試験 太郎", "address": "東京都千代田区1-1"}}
    refused = await client.post(f"/cases/{A}/dispositions", json=same_name_only)
    assert (refused.status_code, refused.json()["error"]) == (422, "holder_not_matched:name_only")
    # F13: 130,000 of the 180,000 balance is 児童手当 — only 50,000 is seizable
    too_much = await client.post(f"/cases/{A}/dispositions", json={**SEIZURE, "amount": 60_000})
    assert (too_much.status_code, too_much.json()["error"]) == (422, "exceeds_seizable_amount:50000")
    ok = await client.post(f"/cases/{A}/dispositions", json=SEIZURE)
    assert ok.status_code == 201, ok.text
    assert ok.json()["result"]["protected_amount"] == 130_000
    assert ok.json()["result"]["match"] == "name_and_address"
    [row] = await service.rows(orm.dispositions)
    assert (row["kind"], row["amount"]) == ("seizure", 50_000)
    # the seizure restarts the 時効 of the installments
    kinds = {
        (e["kind"], e["installment_no"], e["occurred_on"]) for e in await service.rows(orm.limitation_events)
    }
    assert ("seizure", 1, D(2026, 10, 15)) in kinds
    assert row["installments"] == [["R8-100", 1]]  # installment 2 was never dunned: not seized
    release = await client.post(
        f"/cases/{A}/dispositions",
        json={
            "kind": "release",
            "executed_on": "2026-11-01",
            "amount": 50_000,
            "related_id": row["disposition_id"],
        },
    )
    assert release.status_code == 201


async def test_salary_seizure_is_limited_to_the_non_protected_part(service, client):
    await seed(service)
    await client.post("/batches/nightly", json={"batch_date": "2026-07-15"})
    salary = {
        **SEIZURE,
        "property_type": "salary",
        "salary": {"gross": 300_000, "withheld_taxes": 20_000, "social_insurance": 40_000, "dependents": 1},
        "amount": 70_000,
    }
    # protected = 60,000 + 145,000 + 20% × 95,000 = 224,000 → seizable 76,000
    ok = await client.post(f"/cases/{A}/dispositions", json=salary)
    assert ok.status_code == 201 and ok.json()["result"]["protected_amount"] == 224_000
    over = await client.post(f"/cases/{A}/dispositions", json={**salary, "amount": 76_001})
    assert over.json()["error"] == "exceeds_seizable_amount:76000"


async def test_stay_exempts_late_fee_blocks_seizure_and_extinguishes_after_three_years(
    service, client, issuer
):
    await seed(service)
    stay = await client.post(f"/cases/{A}/stays", json={"ground": "livelihood", "decided_on": "2026-10-01"})
    assert stay.status_code == 201
    body = (await client.get(f"/cases/{A}?as_of=2026-12-31")).json()
    exempt = {u["installment_no"]: u["late_fee"] for u in body["unpaid"]}
    # F2: the late fee stops on the decision day (accrued only to 2026-09-30)
    assert exempt[1] == accrued_late_fee(120_000, D(2026, 6, 30), D(2026, 9, 30), [], []).late_fee
    assert exempt[1] < accrued_late_fee(120_000, D(2026, 6, 30), D(2026, 12, 31), [], []).late_fee
    await client.post("/batches/nightly", json={"batch_date": "2026-09-15"})
    refused = await client.post(f"/cases/{A}/dispositions", json={**SEIZURE, "executed_on": "2026-12-10"})
    assert refused.json()["error"] == "enforcement_stay_in_force"
    assert (await write_off(client, issuer, "2029-10-01"))["stay_three_years"] == 0
    assert (await write_off(client, issuer, "2029-10-02"))["stay_three_years"] == 2
    rows = await service.rows(orm.write_offs)
    assert {(r["cause"], r["extinguished_on"], r["principal_tax"]) for r in rows} == {
        ("stay_three_years", D(2029, 10, 2), 120_000)
    }
    # idempotent: nothing is written off twice
    assert sum((await write_off(client, issuer, "2030-01-01")).values()) == 0


async def test_immediate_extinction_needs_ground_no_property(service, client):
    await seed(service)
    bad = await client.post(
        f"/cases/{A}/stays",
        json={"ground": "livelihood", "decided_on": "2026-10-01", "immediate_extinction": True},
    )
    assert bad.status_code == 422
    ok = await client.post(
        f"/cases/{A}/stays",
        json={"ground": "no_property", "decided_on": "2026-10-01", "immediate_extinction": True},
    )
    assert ok.status_code == 201
    done = await client.post("/write-offs/run", json={"as_of": "2026-10-01"})
    assert done.json()["result"]["written_off"]["immediate_extinction"] == 2


async def test_limitation_write_off_after_five_years(service, client, issuer):
    await seed(service)
    assert await write_off(client, issuer, "2031-07-01") == {
        "limitation": 1,
        "stay_three_years": 0,
        "immediate_extinction": 0,
    }


async def test_nightly_batch_letters_csv_and_pdf_use_the_mailing_override(service, client):
    await seed(service)
    await service.handle(
        handlers.project_assessment,
        assessment("R8-200", [(1, 8_000, D(2026, 6, 30), 0)], addressee="200002", tax_item="fixed_asset_tax"),
    )
    await service.handle(
        handlers.apply_addressee_change_v2,
        address_sync.AddresseeChangedV2(
            addressee_id="200002",
            unified_addressee_id="200002",
            version=1,
            addressee_kind="person",
            name="送付 花子",
            name_kana="ソウフ ハナコ",
            postal_code="933-0002",
            address="高岡市本町2",
            protected=False,
            mailing_overrides=[
                address_sync.MailingOverride(
                    tax_item="fixed_asset_tax",
                    recipient="納税管理人 代理 一郎",
                    postal_code="100-0001",
                    address="東京都千代田区千代田1-1",
                )
            ],
        ),
    )
    run = await client.post("/batches/nightly", json={"batch_date": "2026-07-15"})
    assert run.status_code == 200, run.text
    summary = run.json()["result"]
    assert summary["demand_notices"] == 2
    status = (await client.get(f"/batches/{summary['batch_id']}")).json()
    assert status["status"] == "done" and status["progress"]["processed"] == status["progress"]["total"] == 3
    csv_text = (await client.get(f"/batches/{summary['batch_id']}/letters.csv")).text
    import csv

    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert len(rows) == 2
    by_addressee = {r["addressee_id"]: r for r in rows}
    assert by_addressee["200002"]["recipient"] == "納税管理人 代理 一郎"
    assert by_addressee["200002"]["via_override"] == "1"
    assert by_addressee[A]["address"] == "富山県高岡市試験町1番1号"
    assert {r["demand_fee"] for r in rows} == {"100"}
    assert all(r["earliest_seizure_on"] == "2026-07-26" for r in rows)
    # one letter = one addressee
    letters = {}
    for r in rows:
        letters.setdefault(r["letter_id"], set()).add(r["addressee_id"])
    assert all(len(v) == 1 for v in letters.values())
    pdf = await client.get(f"/batches/{summary['batch_id']}/sample.pdf")
    assert pdf.content.startswith(b"%PDF") and len(re.findall(rb"/Type /Page\b", pdf.content)) == 2


async def test_audit_trail_is_hash_chained_and_names_the_staff(service, client):
    await seed(service)
    await client.post(
        f"/cases/{A}/contacts", json={"contacted_on": "2026-09-01", "channel": "phone", "summary": "納付相談"}
    )
    await client.get(f"/cases/{A}?as_of=2026-09-01")
    trail = (await client.get(f"/audit?addressee_id={A}")).json()
    actions = [(e["staff_user"], e["action"]) for e in trail["entries"]]
    assert ("staff-07", "contact.record") in actions and ("staff-07", "case.view") in actions
    assert ("staff-07", "http.collection:cases.write") in actions
    assert trail["total"] == len(trail["entries"]) and all(e["outcome"] for e in trail["entries"])
    assert trail["chain_intact"] is True
    # the database refuses the edit; tampering after dropping its triggers is detected
    from osame_chassis.testing import drop_audit_triggers
    from sqlalchemy import update
    from sqlalchemy.exc import DBAPIError

    forge = update(orm.audit_log).where(orm.audit_log.c.id == 2).values(operation="forged")
    with pytest.raises(DBAPIError):
        async with service.runtime.sessions() as session, session.begin():
            await session.execute(forge)
    async with service.runtime.sessions() as session:
        await drop_audit_triggers(session)
        await session.execute(forge)
        await session.commit()
    assert (await client.get("/audit")).json()["first_broken"] == 2
    assert (await client.get("/audit/verify")).status_code == 409


async def test_partial_payment_counts_as_acknowledgement_for_the_limitation(service, client):
    await seed(service)
    await service.handle(handlers.note_receipt, receipt("r-ack", "R8-100", 1, D(2030, 5, 1), applied=10_000))
    body = (await client.get(f"/cases/{A}?as_of=2030-06-01")).json()
    first = next(u for u in body["unpaid"] if u["installment_no"] == 1)
    assert first["limitation_ends_on"] == "2035-05-01"


_ = receipts


async def test_distribution_computes_the_statement_by_priority(service, client):
    """配当: 滞納処分費 first, a 抵当権 set before every 法定納期限等, the city as attaching authority
    (差押先着手) before the tax office's earlier 交付要求; the city's share 督促手数料 → 本税 → 延滞金."""
    await seed(service)
    await client.post("/batches/nightly", json={"batch_date": "2026-07-15"})
    seized = (await client.post(f"/cases/{A}/dispositions", json=SEIZURE)).json()["result"]
    late_fee = accrued_late_fee(120_000, D(2026, 6, 30), D(2026, 11, 2), [], []).late_fee
    claim = 120_000 + late_fee + 100
    body = {
        "kind": "distribution",
        "executed_on": "2026-11-02",
        "related_id": seized["disposition_id"],
        "proceeds": 10_000 + 50_000 + claim + 30_000,
        "disposition_costs": 10_000,
        "competing_claims": [
            {
                "claimant": "nta",
                "kind": "claim_filing",
                "amount": 80_000,
                "filed_on": "2026-09-01",
                "statutory_due_on": "2026-03-16",
            },
            {"claimant": "bank", "kind": "secured", "amount": 50_000, "filed_on": "2025-12-01"},
        ],
    }
    done = await client.post(f"/cases/{A}/dispositions", json=body)
    assert done.status_code == 201, done.text
    statement = done.json()["result"]["distribution"]
    got = {a["claimant"]: a["allocated"] for a in statement["allocations"]}
    assert got == {"disposition_costs": 10_000, "bank": 50_000, "city": claim, "nta": 30_000}
    assert (statement["city_claim"], statement["city_share"], statement["surplus"]) == (claim, claim, 0)
    [line] = statement["city_breakdown"]  # only the seized installment
    assert (line["installment_no"], line["demand_fee"], line["principal"], line["late_fee"]) == (
        1,
        100,
        120_000,
        late_fee,
    )
    row = next(r for r in await service.rows(orm.dispositions) if r["kind"] == "distribution")
    assert row["amount"] == claim and row["detail"]["distribution"]["surplus"] == 0
    # a 担保権 registered between the taxes' 法定納期限等 is refused (徴収法26 not implemented)
    circular = {
        **body,
        "competing_claims": [
            {**body["competing_claims"][0]},
            {"claimant": "bank", "kind": "secured", "amount": 1, "filed_on": "2026-04-01"},
        ],
    }
    refused = await client.post(f"/cases/{A}/dispositions", json=circular)
    assert (refused.status_code, refused.json()["error"]) == (422, "distribution_refused:circular_priority")
    no_amount = await client.post(f"/cases/{A}/dispositions", json={**SEIZURE, "amount": None})
    assert no_amount.status_code == 422


async def test_view_defaults_to_the_business_date_in_tokyo(service, client):
    """Issue #12 defect 12: the default as_of is the server's business date (Asia/Tokyo, from the
    policy), not the machine's local date."""
    await seed(service)
    body = (await client.get(f"/cases/{A}")).json()
    assert body["as_of"] == TODAY.isoformat()
