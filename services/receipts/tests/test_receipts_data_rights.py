"""Retention of receipts' ledgers (a closed and quiet notice goes with everything on it; an open one
never), and receipts' 開示 section (issue 13), through the authenticated API on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from osame_chassis.audit import AuditLog
from osame_chassis.auth import DevIssuer
from osame_chassis.testing_data_rights import data_rights_client, disclosure_of, mentions, retention_run
from osame_receipts.adapters import orm
from osame_receipts.entrypoints.http import routes
from sqlalchemy import insert

TODAY = dt.datetime.now(dt.UTC).date()
OLD = TODAY - dt.timedelta(days=7 * 365)  # past the 5-year 時効 period
RECENT = TODAY - dt.timedelta(days=200)
AT = dt.datetime.now(dt.UTC)


def notice(number, addressee_id):
    return {
        "notice_number": number,
        "addressee_id": addressee_id,
        "tax_item": "individual_resident_tax",
        "fiscal_year": OLD.year,
        "tax_year": OLD.year,
        "revision": 1,
        "ledger_version": 1,
    }


def installment(number, paid, due=OLD, principal=10_000):
    return {
        "notice_number": number,
        "installment_no": 1,
        "principal_tax": principal,
        "statutory_due_date": due,
        "due_date": due,
        "paid": paid,
    }


def receipt(receipt_id, number, booked, amount=10_000):
    return {
        "receipt_id": receipt_id,
        "channel": "counter",
        "channel_key": receipt_id,
        "notice_number": number,
        "installment_no": 1,
        "amount": amount,
        "applied": amount,
        "overpaid": 0,
        "paid_on": booked,
        "booked_on": booked,
        "preliminary": False,
        "matched": True,
        "recorded_at": AT,
    }


async def seed(runtime):
    async with runtime.sessions() as session, session.begin():
        await session.execute(
            insert(orm.notices),
            [
                notice("N-PAID-OLD", "100009"),  # paid 7 years ago: goes
                notice("N-OPEN-OLD", "100009"),  # never paid: an open case, stays
                notice("N-PAID-RECENT", "100009"),  # paid within the period: stays
                notice("N-OTHER", "100010"),  # another person's open notice
                notice("N-GONE", "100012"),  # a person who died, their last notice settled long ago
            ],
        )
        await session.execute(
            insert(orm.installments),
            [
                installment("N-PAID-OLD", 10_000),
                installment("N-OPEN-OLD", 0),
                installment("N-PAID-RECENT", 10_000),
                installment("N-OTHER", 0),
                installment("N-GONE", 10_000),
            ],
        )
        await session.execute(
            insert(orm.receipts),
            [receipt("r-old", "N-PAID-OLD", OLD), receipt("r-recent", "N-PAID-RECENT", RECENT)],
        )
        await session.execute(
            insert(orm.receipt_corrections),
            {
                "correction_id": "c-1",
                "receipt_id": "r-old",
                "kind": "reverse",
                "reason": "test",
                "status": "rejected",
                "proposed_by": "staff-1",
                "proposed_on": OLD,
                "recorded_at": AT,
            },
        )
        await session.execute(
            insert(orm.addressees),
            [
                {"addressee_id": "100011", "version": 1, "protected": False, "deceased_on": OLD},  # gone
                {"addressee_id": "100009", "version": 1, "protected": False, "deceased_on": None},
                {
                    "addressee_id": "100012",
                    "version": 1,
                    "protected": False,
                    "deceased_on": OLD,
                },  # goes with it
                {
                    "addressee_id": "100010",
                    "version": 1,
                    "protected": False,
                    "deceased_on": OLD,
                },  # open: stays
            ],
        )


async def test_ledger_retention_dry_run_then_real_run(any_service, tmp_path):
    await seed(any_service.runtime)
    hook = AuditLog(orm.audit_log).hook(any_service.runtime.sessions)
    async with data_rights_client(any_service.runtime, routes, hook, DevIssuer(tmp_path / "iss")) as (
        http,
        as_role,
    ):
        counted = await retention_run(http, as_role, dry_run=True)
        moved = {k: v for k, v in counted.items() if v}
        assert moved == {
            "notices": 2,
            "installments": 2,
            "receipts": 1,
            "receipt_corrections": 1,
            "addressees": 2,
        }
        assert await any_service.count(orm.notices) == 5
        assert await retention_run(http, as_role, dry_run=False) == counted
    assert sorted(r["notice_number"] for r in await any_service.rows(orm.notices)) == [
        "N-OPEN-OLD",
        "N-OTHER",
        "N-PAID-RECENT",
    ]
    assert sorted(r["notice_number"] for r in await any_service.rows(orm.installments)) == [
        "N-OPEN-OLD",
        "N-OTHER",
        "N-PAID-RECENT",
    ]
    assert [r["receipt_id"] for r in await any_service.rows(orm.receipts)] == ["r-recent"]
    assert sorted(r["addressee_id"] for r in await any_service.rows(orm.addressees)) == ["100009", "100010"]
    audit = [(r["operation"], r["outcome"][:8]) for r in await any_service.rows(orm.audit_log)]
    assert audit == [("retention.run", "dry-run:"), ("retention.run", "ok:total")]


async def test_disclosure_section_is_the_person_only(any_service, tmp_path):
    await seed(any_service.runtime)
    hook = AuditLog(orm.audit_log).hook(any_service.runtime.sessions)
    async with data_rights_client(any_service.runtime, routes, hook, DevIssuer(tmp_path / "iss")) as (
        http,
        as_role,
    ):
        records = (await disclosure_of(http, as_role, "100009"))["records"]
    assert len(records["notices"]["rows"]) == 3 and len(records["installments"]["rows"]) == 3
    assert sorted(r["receipt_id"] for r in records["receipts"]["rows"]) == ["r-old", "r-recent"]
    assert [r["correction_id"] for r in records["receipt_corrections"]["rows"]] == ["c-1"]
    assert (
        not mentions(records, "100010")
        and not mentions(records, "N-OTHER")
        and not mentions(records, "100011")
        and not mentions(records, "100012")
    )
