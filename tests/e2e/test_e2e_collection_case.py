"""End to end for collection (issue #4 Done-when): the five services as processes, collection on
PostgreSQL, the real broker, staff over HTTP with JWTs:

assessment → no payment → 督促 (with fee) → 分納誓約 → breach (event over the broker) → 催告 →
差押 record → 執行停止 (即時消滅) → 不納欠損 (prepared, then approved by another staff user), with the
hash-chained audit trail. Every typed date is on or before the server's business date (2026 history).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid

import httpx
import pytest
from osame_chassis.auth import DevIssuer
from osame_cli.bus import delete_namespace
from osame_cli.pgadmin import create_databases, drop_databases
from osame_cli.settle import wait_settled
from osame_cli.stack import Stack
from osame_contracts.messages import address_sync, taxation

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

A = "400001"
NOTICE = "R8-E2E-1"


@pytest.fixture(scope="module")
def collection_stack(amqp_url, pg_server_url, tmp_path_factory):
    run = uuid.uuid4().hex[:8]
    prefix = f"e2e-col-{run}."
    name = f"osame_e2e_col_{run}"
    [url] = asyncio.run(create_databases(pg_server_url, [name])).values()
    issuer = DevIssuer(tmp_path_factory.mktemp("issuer"))
    issuer.write_jwks()
    stack = Stack(
        amqp_url=amqp_url,
        prefix=prefix,
        work_dir=tmp_path_factory.mktemp("e2e-collection"),
        database_urls={"collection": url},
        extra_env={"OSAME_AUTH_JWKS_FILE": str(issuer.jwks_path)},
    )
    stack.start(timeout=180)
    stack.issuer = issuer
    stack.database_url = url
    yield stack
    codes = stack.stop()

    async def cleanup():
        await delete_namespace(amqp_url, prefix)
        await drop_databases(pg_server_url, [name])

    asyncio.run(cleanup())
    assert codes["collection"] == 0


def wait_for(check, timeout=60.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.3)


def staff_flow(stack) -> dict:
    """The staff's part over HTTP (blocking client, run in a thread)."""
    staff = {"Authorization": f"Bearer {stack.issuer.token('staff-e2e', ['collection_staff'])}"}
    base = stack.services["collection"].url
    with httpx.Client(base_url=base, headers=staff, timeout=30) as http:
        assert httpx.post(base + "/batches/nightly", json={"batch_date": "2026-07-10"}).status_code == 401
        # no payment → 督促 for installment 1 (due 6/30) with the 100-yen fee
        batch = http.post("/batches/nightly", json={"batch_date": "2026-07-10"}).json()["result"]
        assert (batch["demand_notices"], batch["demand_fee"]) == (1, 100)
        letters = http.get(f"/batches/{batch['batch_id']}/letters.csv").text.splitlines()
        assert len(letters) == 2 and "富山県高岡市終端町1番地" in letters[1]
        view = http.get(f"/cases/{A}", params={"as_of": "2026-07-10"}).json()
        first = next(u for u in view["unpaid"] if u["installment_no"] == 1)
        assert (first["demand_issued_on"], first["demand_fee"], first["earliest_seizure_on"]) == (
            "2026-07-10",
            100,
            "2026-07-21",
        )
        # 分納誓約, then a missed payment → PledgeBreached over the broker → 催告 by collection's consumer
        pledge = http.post(
            f"/cases/{A}/pledges",
            json={"signed_on": "2026-07-20", "schedule": [{"due_on": "2026-08-10", "amount": 20_000}]},
        )
        assert pledge.status_code == 201, pledge.text
        assert http.post("/pledges/monitor", json={"as_of": "2026-08-25"}).json()["result"]["breached"] == 1
        wait_for(lambda: stack.services["collection"].stats()["reminders"] == 1)
        # 差押 (F12: name + address as the bank reported them)
        seizure = http.post(
            f"/cases/{A}/dispositions",
            json={
                "kind": "seizure",
                "executed_on": "2026-09-01",
                "property_type": "deposit",
                "amount": 40_000,
                "holder": {"name": "終端　試験", "address": "富山県高岡市終端町１番地"},
                "deposit_balance": 40_000,
            },
        )
        assert seizure.status_code == 201, seizure.text
        # 執行停止 (no property, 即時消滅) → 不納欠損 the same day: every typed date is checked against
        # the server's business date, so the 3-year timer is left to the unit tests
        stay = http.post(
            f"/cases/{A}/stays",
            json={"ground": "no_property", "decided_on": "2026-10-01", "immediate_extinction": True},
        )
        assert stay.status_code == 201, stay.text
        future = http.post("/write-offs/run", json={"as_of": "2099-01-01"})
        assert future.json()["error"] == "as_of:after_business_date"
        early = http.post("/write-offs/run", json={"as_of": "2026-09-30"}).json()["result"]
        assert sum(early["written_off"].values()) == 0
        prepared = http.post("/write-offs/run", json={"as_of": "2026-10-01"}).json()["result"]
        assert prepared["written_off"] == {"limitation": 0, "stay_three_years": 0, "immediate_extinction": 2}
        # 不納欠損 needs an approver other than the preparer
        refused = http.post(f"/write-offs/{prepared['run_id']}/approve")
        assert refused.json()["error"] == "approver_must_differ_from_preparer"
        approver = {"Authorization": f"Bearer {stack.issuer.token('approver-e2e', ['collection_staff'])}"}
        done = http.post(f"/write-offs/{prepared['run_id']}/approve", headers=approver).json()["result"]
        assert done["written_off"] == {"limitation": 0, "stay_three_years": 0, "immediate_extinction": 2}
        trail = http.get("/audit", params={"addressee_id": A}).json()
    return trail


async def test_assessment_to_write_off_with_audit_trail(collection_stack):
    stack = collection_stack
    async with stack.bus() as bus:
        await bus.send(
            address_sync.UpsertAddressee(
                addressee_id=A,
                version=1,
                name="終端 試験",
                name_kana="シュウタン シケン",
                postal_code="933-0011",
                address="富山県高岡市終端町1番地",
            )
        )
        await bus.send(
            taxation.AssessmentRegistered(
                addressee_id=A,
                notice_number=NOTICE,
                fiscal_year=2026,
                tax_year=2026,
                tax_item=taxation.TaxItem.RESIDENT_TAX,
                revision=1,
                assessed_on=dt.date(2026, 6, 1),
                installments=[
                    taxation.AssessedInstallment(
                        installment_no=1, principal_tax=60_000, due_date=dt.date(2026, 6, 30)
                    ),
                    taxation.AssessedInstallment(
                        installment_no=2, principal_tax=60_000, due_date=dt.date(2026, 8, 31)
                    ),
                ],
            )
        )
        await wait_settled(
            stack, bus, lambda s: s["collection"]["installments"] == 2 and s["collection"]["addressees"] == 1
        )

    trail = await asyncio.to_thread(staff_flow, stack)

    actions = [e["action"] for e in trail["entries"] if not e["action"].startswith("http.")]
    expected = [
        "case.view",
        "pledge.record",
        "pledge.breached",
        "reminder.pledge_breach",
        "disposition.seizure",
        "stay.record",
        "write_off.record",
        "write_off.record",
    ]
    assert actions == expected, actions
    assert trail["chain_intact"] is True
    staff_users = {e["staff_user"] for e in trail["entries"]}
    assert "staff-e2e" in staff_users
