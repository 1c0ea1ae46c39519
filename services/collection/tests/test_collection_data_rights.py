"""Retention of 滞納 files (a dormant person's file goes whole; an open case never loses a row) and
collection's 開示 section (issue 13), through the authenticated API, on SQLite and PostgreSQL."""

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
from osame_collection.adapters import orm
from osame_collection.entrypoints.http import audit_hook, routes
from sqlalchemy import insert

NOW = dt.datetime.now(dt.UTC)
OLD_AT = NOW - dt.timedelta(days=7 * 365)  # past the 5-year 時効 period
OLD = OLD_AT.date()


def installment(number, addressee_id, status, paid):
    return {
        "notice_number": number,
        "installment_no": 1,
        "addressee_id": addressee_id,
        "tax_item": "individual_resident_tax",
        "fiscal_year": OLD.year,
        "principal_tax": 10_000,
        "due_date": OLD,
        "paid": paid,
        "status": status,
        "last_receipt_on": OLD if paid else None,
        "ledger_version": 1,
    }


def contact(contact_id, addressee_id):
    return {
        "contact_id": contact_id,
        "addressee_id": addressee_id,
        "contacted_on": OLD,
        "channel": "phone",
        "summary": "分納の相談",
        "staff_user": "staff-01",
        "recorded_at": OLD_AT,
    }


async def seed(runtime):
    async with runtime.sessions() as session, session.begin():
        await session.execute(
            insert(orm.installments),
            [
                installment("N-1", "100009", "paid", 10_000),  # dormant: settled 7 years ago
                installment("N-2", "100010", "open", 0),  # open case, as old: never goes
                installment("N-3", "100011", "paid", 10_000),
            ],
        )
        await session.execute(
            insert(orm.contact_records),
            [contact("c-1", "100009"), contact("c-2", "100010"), contact("c-3", "100011")],
        )
        await session.execute(
            insert(orm.contact_records),
            {
                **contact("c-4", "100011"),
                "recorded_at": NOW,
                "contacted_on": NOW.date(),
            },  # recent: keeps 100011
        )
        await session.execute(
            insert(orm.cases),
            [{"addressee_id": a, "opened_at": OLD_AT} for a in ("100009", "100010", "100011")],
        )
        await session.execute(
            insert(orm.addressees),
            [
                {
                    "addressee_id": a,
                    "version": 1,
                    "name": "納税 太郎" if a == "100009" else "別人 花子",
                    "name_kana": "ﾉｳｾﾞｲ",
                    "postal_code": "933-0000",
                    "address": "高岡市 1-1",
                    "protected": False,
                    "deceased_on": OLD if a == "100009" else None,
                }
                for a in ("100009", "100010")
            ],
        )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
async def collection(request, make_service, tmp_path):
    svc = make_service(await database_url(request, tmp_path, "collection"))
    await svc.migrate()
    return svc


def _routes(runtime, auth):
    return routes(runtime, auth)


async def test_dormant_files_go_open_cases_stay(collection, tmp_path):
    await seed(collection.runtime)
    hook = audit_hook(collection.runtime)
    async with data_rights_client(collection.runtime, _routes, hook, DevIssuer(tmp_path / "iss")) as (
        http,
        as_role,
    ):
        counted = await retention_run(http, as_role, dry_run=True)
        assert {k: v for k, v in counted.items() if v} == {
            "installments": 1,
            "contact_records": 1,
            "cases": 1,
            "addressees": 1,
        }
        assert await collection.count(orm.installments) == 3
        assert await retention_run(http, as_role, dry_run=False) == counted
    assert sorted(r["notice_number"] for r in await collection.rows(orm.installments)) == ["N-2", "N-3"]
    assert sorted(r["contact_id"] for r in await collection.rows(orm.contact_records)) == [
        "c-2",
        "c-3",
        "c-4",
    ]
    assert sorted(r["addressee_id"] for r in await collection.rows(orm.cases)) == ["100010", "100011"]
    assert [r["addressee_id"] for r in await collection.rows(orm.addressees)] == ["100010"]
    trail = [(r["operation"], r["outcome"][:8]) for r in await collection.rows(orm.audit_log)]
    assert trail == [("http.retention.run", "dry-run:"), ("http.retention.run", "ok:total")]


async def test_disclosure_section_is_the_person_only(collection, tmp_path):
    await seed(collection.runtime)
    hook = audit_hook(collection.runtime)
    async with data_rights_client(collection.runtime, _routes, hook, DevIssuer(tmp_path / "iss")) as (
        http,
        as_role,
    ):
        records = (await disclosure_of(http, as_role, "100009"))["records"]
    assert [r["notice_number"] for r in records["installments"]["rows"]] == ["N-1"]
    assert [r["contact_id"] for r in records["contact_records"]["rows"]] == ["c-1"]
    assert [r["name"] for r in records["addressees"]["rows"]] == ["納税 太郎"]
    assert (
        not mentions(records, "100010")
        and not mentions(records, "別人 花子")
        and not mentions(records, "N-2")
    )
