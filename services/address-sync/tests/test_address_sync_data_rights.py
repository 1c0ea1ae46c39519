"""Retention of 宛名 of people gone (with their sealed 個人番号), of superseded 住基 history and of
noted queries, and address-sync's 開示 section (issue 13), through the authenticated API, on SQLite
and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_address_sync.adapters import orm
from osame_address_sync.entrypoints.http import routes
from osame_chassis.auth import DevIssuer
from osame_chassis.disclosure import SEALED
from osame_chassis.testing_data_rights import (
    data_rights_client,
    database_url,
    disclosure_of,
    mentions,
    retention_run,
)
from sqlalchemy import insert

NOW = dt.datetime.now(dt.UTC)
OLD_AT = NOW - dt.timedelta(days=8 * 365)  # past the 7-year period for people gone
OLD = OLD_AT.date()
SEALED_BYTES = b"\x00sealed-123456789018"


def addressee(addressee_id, name, **extra):
    return {
        "addressee_id": addressee_id,
        "version": 1,
        "name": name,
        "name_kana": "ｶﾅ",
        "postal_code": "933-0000",
        "address": "高岡市 1-1",
        "protected": False,
        "updated_at": OLD_AT,
        "deceased_on": None,
        "moved_out_on": None,
        **extra,
    }


def change(change_id, addressee_id, sequence, received_at):
    return {
        "change_id": change_id,
        "addressee_id": addressee_id,
        "sequence": sequence,
        "kind": "address_change",
        "changed_on": received_at.date(),
        "fields": {},
        "my_number_key_id": "k1",
        "my_number_sealed": SEALED_BYTES,
        "received_at": received_at,
    }


async def seed(runtime):
    async with runtime.sessions() as session, session.begin():
        await session.execute(
            insert(orm.addressees),
            [
                addressee("100009", "故人 一郎", deceased_on=OLD),  # gone past the period: goes
                addressee("100010", "転出 二郎", moved_out_on=NOW.date()),  # moved out this year: stays
                addressee("100011", "在住 三郎"),  # lives here: stays, old history superseded
            ],
        )
        await session.execute(
            insert(orm.my_numbers),
            [
                {
                    "addressee_id": a,
                    "key_id": "k1",
                    "sealed": SEALED_BYTES,
                    "blind_index": "b" + a,
                    "updated_at": OLD_AT,
                }
                for a in ("100009", "100010", "100011")
            ],
        )
        await session.execute(
            insert(orm.resident_changes),
            [
                change("c-1", "100009", 1, OLD_AT),
                change("c-0", "100009", 0, OLD_AT),  # superseded too: counted once, with the person
                change("c-2", "100011", 1, OLD_AT),  # superseded by c-3, past 5 years: goes
                change("c-3", "100011", 2, OLD_AT),  # the latest of 100011: stays however old
                change("c-4", "100010", 1, NOW),
            ],
        )
        await session.execute(
            insert(orm.income_queries_noted),
            [
                {"query_id": "q-old", "addressee_id": "100011", "noted_at": OLD_AT},
                {"query_id": "q-new", "addressee_id": "100011", "noted_at": NOW},
            ],
        )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
async def address_sync(request, make_service, tmp_path):
    svc = make_service(await database_url(request, tmp_path, "address-sync"))
    await svc.migrate()
    return svc


async def test_people_gone_and_superseded_history_go(address_sync, tmp_path):
    svc = address_sync
    await seed(svc.runtime)
    hook = orm.AUDIT.hook(svc.runtime.sessions)
    async with data_rights_client(svc.runtime, routes, hook, DevIssuer(tmp_path / "iss")) as (http, as_role):
        counted = await retention_run(http, as_role, dry_run=True)
        assert {k: v for k, v in counted.items() if v} == {
            "addressees": 1,
            "my_numbers": 1,
            "resident_changes": 3,  # 100009's two (with the person) and 100011's superseded one
            "income_queries_noted": 1,
        }
        assert await svc.count(orm.my_numbers) == 3
        assert await retention_run(http, as_role, dry_run=False) == counted
    assert sorted(r["addressee_id"] for r in await svc.rows(orm.addressees)) == ["100010", "100011"]
    assert sorted(r["addressee_id"] for r in await svc.rows(orm.my_numbers)) == ["100010", "100011"]
    assert sorted(r["change_id"] for r in await svc.rows(orm.resident_changes)) == ["c-3", "c-4"]
    assert [r["query_id"] for r in await svc.rows(orm.income_queries_noted)] == ["q-new"]
    audit = [(r["operation"], r["outcome"][:8]) for r in await svc.rows(orm.audit_log)]
    assert audit == [("retention.run", "dry-run:"), ("retention.run", "ok:total")]


async def test_disclosure_section_is_the_person_only_and_never_the_number(address_sync, tmp_path):
    svc = address_sync
    await seed(svc.runtime)
    hook = orm.AUDIT.hook(svc.runtime.sessions)
    async with data_rights_client(svc.runtime, routes, hook, DevIssuer(tmp_path / "iss")) as (http, as_role):
        records = (await disclosure_of(http, as_role, "100011"))["records"]
    assert [r["name"] for r in records["addressees"]["rows"]] == ["在住 三郎"]
    assert [r["sealed"] for r in records["my_numbers"]["rows"]] == [SEALED]
    assert "blind_index" not in records["my_numbers"]["rows"][0]
    assert sorted(r["change_id"] for r in records["resident_changes"]["rows"]) == ["c-2", "c-3"]
    assert (
        not mentions(records, "100009")
        and not mentions(records, "故人 一郎")
        and not mentions(records, "100010")
    )
    assert "123456789018" not in str(records)
