"""Retention of 情報提供等記録, finished queries and 符号, and the gateway's 開示 section (issue 13),
through the authenticated API, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_chassis.auth import DevIssuer
from osame_chassis.testing_data_rights import (
    data_rights_client,
    database_url,
    disclosure_of,
    mentions,
    retention_run,
)
from osame_gateway.adapters import orm
from osame_gateway.adapters.repository import AUDIT
from osame_gateway.entrypoints.http import routes
from sqlalchemy import insert

NOW = dt.datetime.now(dt.UTC)
OLD = NOW - dt.timedelta(days=8 * 365)  # past the 7-year 保管期限 and the 符号 period
RECENT = NOW - dt.timedelta(days=30)


def query(query_id, addressee_id, status, finished_at):
    return {
        "query_id": query_id,
        "addressee_id": addressee_id,
        "requesting_service": "collection",
        "affair": "local_tax_assessment_collection",
        "item": "income",
        "fiscal_year": 2025,
        "purpose": "滞納整理",
        "staff_user": "staff-01",
        "requested_on": (finished_at or NOW).date(),
        "status": status,
        "attempts": 1,
        "next_attempt_at": NOW,
        "answer": {"income": 1} if status == "answered" else None,
        "trace_headers": {},
        "received_at": finished_at or NOW,
        "finished_at": finished_at,
    }


def record(query_id, addressee_id, at):
    return {
        "query_id": query_id,
        "addressee_id": addressee_id,
        "requesting_service": "collection",
        "affair": "local_tax_assessment_collection",
        "item": "income",
        "staff_user": "staff-01",
        "outcome": "answered",
        "step": "answer",
        "recorded_at": at,
        "linkage_code": "LC-" + addressee_id,
    }


async def seed(runtime):
    async with runtime.sessions() as session, session.begin():
        await session.execute(
            insert(orm.income_queries),
            [
                query("q-old", "100009", "answered", OLD),
                query("q-new", "100009", "answered", RECENT),
                query("q-pending", "100010", "pending", None),
                query("q-other", "100010", "refused", OLD),
            ],
        )
        await session.execute(
            insert(orm.query_records),
            [
                record("q-old", "100009", OLD),
                record("q-new", "100009", RECENT),
                record("q-other", "100010", OLD),
            ],
        )
        await session.execute(
            insert(orm.linkage_codes),
            [
                {"addressee_id": "100009", "linkage_code": "LC-100009", "obtained_at": OLD},
                {"addressee_id": "100010", "linkage_code": "LC-100010", "obtained_at": OLD},  # query pending
                {"addressee_id": "100011", "linkage_code": "LC-100011", "obtained_at": RECENT},
            ],
        )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
async def gateway(request, make_service, tmp_path):
    svc = make_service(await database_url(request, tmp_path, "gw"))
    await svc.migrate()
    return svc


async def test_retention_dry_run_then_real_run_through_the_api(gateway, tmp_path):
    await seed(gateway.runtime)
    issuer = DevIssuer(tmp_path / "issuer")
    async with data_rights_client(gateway.runtime, routes, AUDIT.hook(gateway.runtime.sessions), issuer) as (
        http,
        as_role,
    ):
        refused = await http.post(
            "/ops/retention", json={"dry_run": False}, headers=as_role("s-1", "collection_staff")
        )
        assert refused.status_code == 403
        counted = await retention_run(http, as_role, dry_run=True)
        expected = {"outbox": 0, "inbox": 0, "query_records": 2, "income_queries": 2, "linkage_codes": 1}
        assert counted == expected
        assert await gateway.count(orm.query_records) == 3  # a dry run deletes nothing
        assert await retention_run(http, as_role, dry_run=False) == expected
        assert await retention_run(http, as_role, dry_run=True) == dict.fromkeys(expected, 0)
    assert [r["query_id"] for r in await gateway.rows(orm.query_records)] == ["q-new"]
    assert sorted(r["query_id"] for r in await gateway.rows(orm.income_queries)) == ["q-new", "q-pending"]
    assert sorted(r["addressee_id"] for r in await gateway.rows(orm.linkage_codes)) == ["100010", "100011"]
    audit = [(r["user_id"], r["operation"], r["outcome"]) for r in await gateway.rows(orm.audit_log)]
    assert audit[0] == ("s-1", "retention.run", "refused:permission_denied")
    assert audit[1] == (
        "ops-1",
        "retention.run",
        "dry-run:total=5:query_records=2:income_queries=2:linkage_codes=1",
    )
    assert audit[2][2].startswith("ok:") and len(audit) == 4


async def test_disclosure_section_holds_the_person_and_no_one_else(gateway, tmp_path):
    await seed(gateway.runtime)
    issuer = DevIssuer(tmp_path / "issuer")
    async with data_rights_client(gateway.runtime, routes, AUDIT.hook(gateway.runtime.sessions), issuer) as (
        http,
        as_role,
    ):
        assert (
            await http.get("/disclosure/100009", headers=as_role("s-1", "collection_staff"))
        ).status_code == 403
        section = await disclosure_of(http, as_role, "100009")
    records = section["records"]
    assert set(records) == {"linkage_codes", "income_queries", "query_records", "audit_log"}
    assert sorted(r["query_id"] for r in records["income_queries"]["rows"]) == ["q-new", "q-old"]
    assert len(records["query_records"]["rows"]) == 2 and len(records["linkage_codes"]["rows"]) == 1
    assert not mentions(records, "100010") and not mentions(records, "LC-100009")  # no 符号 value either
    last = (await gateway.rows(orm.audit_log))[-1]
    assert (last["user_id"], last["operation"], last["addressee_id"]) == (
        "officer-1",
        "disclosure.export",
        "100009",
    )
