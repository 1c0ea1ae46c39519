"""Worklists (issue #12 capabilities): cases by 担当, next actions and promised payments due, 時効
approaching, seizures whose 換価 is pending, breached pledges — as of the server's business date,
paged and sorted, by 宛名番号 only, the team's lists behind their own permission."""

from __future__ import annotations

import contextlib
import datetime as dt
import json

import httpx
import pytest
from osame_chassis.auth import Authenticator, AuthSettings
from osame_collection.domain import worklist as rules
from osame_collection.entrypoints.http import audit_hook, routes
from osame_collection.service_layer import handlers
from osame_collection.service_layer.policy import CollectionPolicy
from osame_contracts.messages import address_sync
from starlette.applications import Starlette

from .test_collection_cases_http import SEIZURE, A, issuer, seed  # noqa: F401 (fixture)
from .test_collection_nightly import assessment

D = dt.date
B = "200002"
TODAY = D(2031, 3, 31)
ROLES = {
    "collection_staff": ["collection:*"],
    "clerk": ["collection:worklists.read", "collection:cases.write"],
}


@contextlib.asynccontextmanager
async def staff_client(service, dev_issuer, roles: dict, today: dt.date):
    """An HTTP client of collection's routes for staff-07 (collection_staff), business date ``today``."""
    auth = Authenticator(
        AuthSettings(jwks_file=dev_issuer.jwks_path, role_permissions=roles),
        audit=audit_hook(service.runtime),
    )
    policy = CollectionPolicy(business_date=lambda: today)
    app = Starlette(routes=routes(service.runtime, auth, policy=policy))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://collection") as c:
        c.headers["Authorization"] = f"Bearer {dev_issuer.token('staff-07', ['collection_staff'])}"
        yield c


@pytest.fixture
async def client(service, issuer):  # noqa: F811
    async with staff_client(service, issuer, ROLES, TODAY) as c:
        yield c


async def seed_b(service):
    await service.handle(
        handlers.apply_addressee_change,
        address_sync.AddresseeChanged(
            addressee_id=B,
            version=1,
            name="試験 花子",
            name_kana="シケン ハナコ",
            postal_code="933-0002",
            address="富山県高岡市試験町2番2号",
            protected=True,  # 支援措置: still worked, never shown by name or address
        ),
    )
    await service.handle(
        handlers.project_assessment, assessment("R8-200", [(1, 50_000, D(2026, 6, 30), 0)], addressee=B)
    )


async def get(client, path, **headers):
    response = await client.get(path, headers=headers or None)
    assert response.status_code == 200, response.text
    return response.json()


async def test_page_rules():
    assert rules.Page(3, 20).offset == 40
    for bad in ((0, 20), (1, 0), (1, rules.MAX_PER_PAGE + 1)):
        with pytest.raises(ValueError):
            rules.Page(*bad)
    assert rules.limitation_approaching(D(2031, 6, 30), D(2031, 3, 31), 91)
    assert not rules.limitation_approaching(D(2031, 6, 30), D(2031, 3, 31), 90)
    assert not rules.limitation_approaching(None, D(2031, 3, 31), 9999)  # a 差押 in force
    assert rules.limitation_approaching(D(2031, 1, 1), D(2031, 3, 31), 0)  # already past: still listed
    assert rules.promise_due(D(2031, 4, 3), D(2031, 3, 31), 3) and not rules.promise_due(
        D(2031, 4, 4), D(2031, 3, 31), 3
    )
    assert rules.action_due(D(2031, 3, 31), D(2031, 3, 31)) and not rules.action_due(None, D(2031, 3, 31))


async def test_cases_by_assignee_own_and_the_team_permission(service, client, issuer):  # noqa: F811
    await seed(service)
    await seed_b(service)
    assert (await client.put(f"/cases/{A}/assignee", json={"assignee": "staff-07"})).status_code == 200
    assert (await client.put(f"/cases/{B}/assignee", json={"assignee": "staff-09"})).status_code == 200
    mine = await get(client, "/worklists/cases")
    assert mine["as_of"] == TODAY.isoformat() and mine["total"] == 1
    [case] = mine["items"]
    assert case == {
        "addressee_id": A,
        "installments": 2,
        "earliest_due_date": "2026-06-30",
        "principal_unpaid": 240_000,
    }
    clerk = {"Authorization": f"Bearer {issuer.token('staff-09', ['clerk'])}"}
    own = await get(client, "/worklists/cases", **clerk)
    assert [c["addressee_id"] for c in own["items"]] == [B]
    assert "試験" not in json.dumps(own) and "町" not in json.dumps(own)  # no name, no address
    other = await client.get("/worklists/cases?assignee=staff-07", headers=clerk)
    assert other.status_code == 403  # another 担当's list needs worklists.team
    team = await get(client, "/worklists/cases?assignee=staff-09")
    assert [c["addressee_id"] for c in team["items"]] == [B]
    viewer = {"Authorization": f"Bearer {issuer.token('staff-10', ['nobody'])}"}
    assert (await client.get("/worklists/cases", headers=viewer)).status_code == 403
    assert (await client.get("/worklists/cases?per_page=201")).status_code == 422
    assert (await client.get("/worklists/unknown")).status_code == 422


async def test_next_actions_due_only_the_latest_contact_counts(service, client):
    await seed(service)
    await seed_b(service)
    first = {"contacted_on": "2031-03-01", "channel": "phone", "summary": "納付相談"}
    await client.post(
        f"/cases/{A}/contacts", json={**first, "next_action_on": "2031-03-20", "next_action": "call"}
    )
    await client.post(
        f"/cases/{B}/contacts", json={**first, "next_action_on": "2031-04-10", "next_action": "visit"}
    )
    due = await get(client, "/worklists/next-actions?assignee=*")
    assert [(i["addressee_id"], i["next_action_on"], i["next_action"]) for i in due["items"]] == [
        (A, "2031-03-20", "call")
    ]
    # a later contact replaces the planned action (here: none planned)
    await client.post(f"/cases/{A}/contacts", json={**first, "contacted_on": "2031-03-21"})
    assert (await get(client, "/worklists/next-actions?assignee=*"))["total"] == 0
    # planned dates are checked: not before the contact, not more than a year ahead
    before = await client.post(f"/cases/{A}/contacts", json={**first, "next_action_on": "2031-02-01"})
    assert before.json()["error"] == "next_action_on:before_contacted_on"
    far = await client.post(f"/cases/{A}/contacts", json={**first, "next_action_on": "2032-06-01"})
    assert far.json()["error"] == "next_action_on:too_far_ahead"


async def test_promises_due_and_breached_pledges(service, client):
    await seed(service)
    await seed_b(service)
    for who, due in ((A, "2031-03-20"), (B, "2031-04-02")):
        pledge = await client.post(
            f"/cases/{who}/pledges",
            json={"signed_on": "2031-03-10", "schedule": [{"due_on": due, "amount": 10_000}]},
        )
        assert pledge.status_code == 201, pledge.text
    due = await get(client, "/worklists/promises?assignee=*")
    assert [(i["addressee_id"], i["due_on"], i["amount"]) for i in due["items"]] == [
        (A, "2031-03-20", 10_000)
    ]
    ahead = await get(client, "/worklists/promises?assignee=*&ahead_days=2")
    assert [i["addressee_id"] for i in ahead["items"]] == [A, B]
    assert (await client.post("/pledges/monitor", json={"as_of": "2031-03-31"})).json()["result"][
        "breached"
    ] == 1
    breached = await get(client, "/worklists/pledges-breached?assignee=*")
    assert [(i["addressee_id"], i["breached_on"]) for i in breached["items"]] == [(A, "2031-03-31")]
    assert (await get(client, "/worklists/promises?assignee=*"))["total"] == 0  # breached: not a promise


async def test_limitation_approaching_and_seizures_pending_conversion(service, client):
    await seed(service)
    await seed_b(service)
    await client.post("/batches/nightly", json={"batch_date": "2026-07-15"})  # 督促 of the 6/30 ones
    seized = await client.post(f"/cases/{A}/dispositions", json=SEIZURE)
    assert seized.status_code == 201, seized.text
    pending = await get(client, "/worklists/seizures?assignee=*")
    [item] = pending["items"]
    assert (item["addressee_id"], item["executed_on"], item["property_type"]) == (A, "2026-10-15", "deposit")
    # A's 6/30 installment: its 差押 is in force, so its 時効 does not complete and it is not listed;
    # A's 8/31 one (never dunned) completes 2031-08-31; B's was dunned: renewed to July 2031
    near = await get(client, "/worklists/limitation?assignee=*&horizon_days=180")
    listed = [(i["addressee_id"], i["installment_no"]) for i in near["items"]]
    assert listed == [(B, 1), (A, 2)]
    assert near["items"][-1]["limitation_ends_on"] == "2031-08-31"
    assert (await get(client, "/worklists/limitation?assignee=*&horizon_days=30"))["total"] == 0
    paged = await get(client, "/worklists/limitation?assignee=*&horizon_days=180&per_page=1&page=2")
    assert (paged["total"], [i["addressee_id"] for i in paged["items"]]) == (2, [A])
    release = {
        "kind": "release",
        "executed_on": "2031-03-01",
        "amount": 50_000,
        "related_id": item["disposition_id"],
    }
    assert (await client.post(f"/cases/{A}/dispositions", json=release)).status_code == 201
    assert (await get(client, "/worklists/seizures?assignee=*"))["total"] == 0


@pytest.mark.integration
async def test_every_worklist_runs_on_postgresql(request, make_service):
    """The worklists' SQL (correlated EXISTS, grouped joins, tuple IN) on PostgreSQL too, and the
    campaign's pledged / 猶予 guards."""
    import asyncio

    from osame_collection.domain.campaign import CampaignCriteria
    from osame_collection.service_layer import cases, pledges, postponements, reminders, worklists

    (url,) = await asyncio.to_thread(request.getfixturevalue("pg_databases"), 1)
    svc = make_service(url)
    await svc.migrate()
    await seed(svc)
    policy = CollectionPolicy(business_date=lambda: TODAY)

    def pinned(handler):
        return lambda command, uow: handler(command, uow, policy=policy)

    await svc.handle(cases.assign_case, cases.AssignCase(addressee_id=A, assignee="staff-07", staff_user="s"))
    await svc.handle(
        pinned(cases.record_contact),
        cases.RecordContact(
            addressee_id=A,
            contacted_on=D(2031, 3, 1),
            channel="phone",
            summary="x",
            next_action_on=D(2031, 3, 2),
            next_action="call",
            staff_user="s",
        ),
    )
    await svc.handle(
        pinned(pledges.record_pledge),
        pledges.RecordPledge(
            addressee_id=A,
            signed_on=D(2031, 3, 1),
            schedule=[{"due_on": D(2031, 3, 2), "amount": 1_000}],
            installments=[("R8-100", 2)],  # its 承認 renews the 時効 of the second 期別 only
            staff_user="s",
        ),
    )
    totals = {}
    for kind in ("cases", "next-actions", "promises", "limitation", "seizures", "pledges-breached"):
        command = worklists.ReadWorklist(kind=kind, assignee="staff-07", horizon_days=365, staff_user="s")
        totals[kind] = (await svc.handle(pinned(worklists.read_worklist), command))["total"]
    assert totals == {
        "cases": 1,
        "next-actions": 1,
        "promises": 1,
        "limitation": 1,
        "seizures": 0,
        "pledges-breached": 0,
    }
    applied = await svc.handle(
        pinned(postponements.apply),
        postponements.ApplyPostponement(
            addressee_id=A,
            kind="collection",
            ground="illness",
            applied_on=D(2031, 3, 1),
            installments=[("R8-100", 1)],
            staff_user="s",
        ),
    )
    await svc.handle(
        pinned(postponements.decide),
        postponements.DecidePostponement(
            postponement_id=applied,
            approve=True,
            decided_on=D(2031, 3, 1),
            starts_on=D(2031, 3, 1),
            ends_on=D(2031, 12, 31),
            staff_user="s",
        ),
    )
    campaign_id = await svc.handle(
        reminders.save_campaign,
        reminders.SaveCampaign(name="c", criteria=CampaignCriteria(require_demand=False), staff_user="s"),
    )
    summary = await svc.handle(
        pinned(reminders.run_campaign),
        reminders.RunCampaign(campaign_id=campaign_id, run_on=TODAY, staff_user="s"),
    )
    assert (summary["guarded_installments"], summary["pledged_installments"], summary["reminders"]) == (
        1,
        1,
        0,
    )
