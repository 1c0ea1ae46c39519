"""`osame disclosure export` and `osame retention run` over the five services (issue 13): the export
of a seeded taxpayer holds every service's section with that person's records and nothing of
another person; each service audits the call; retention runs as a dry run in all five."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from osame_chassis.auth import Authenticator, AuthSettings, DevIssuer
from osame_chassis.testing import ServiceHarness
from osame_chassis.testing_data_rights import mentions
from osame_cli.data_rights_cli import SERVICES, ServiceFailed, gather_disclosure, run_retention, summary_text
from sqlalchemy import insert
from starlette.applications import Starlette

NOW = dt.datetime.now(dt.UTC)
TODAY = NOW.date()
PEOPLE = {"100009": "開示 太郎", "100010": "他人 花子"}


def addressee(addressee_id: str, name: str) -> dict:
    return {
        "addressee_id": addressee_id,
        "version": 1,
        "name": name,
        "name_kana": "ｶﾅ",
        "postal_code": "933-0000",
        "address": "高岡市 1-1",
        "protected": False,
    }


async def seed_receipts(runtime, orm):
    async with runtime.sessions() as session, session.begin():
        for a in PEOPLE:
            await session.execute(
                insert(orm.notices).values(
                    notice_number=f"N-{a}",
                    addressee_id=a,
                    tax_item="individual_resident_tax",
                    fiscal_year=2026,
                    tax_year=2026,
                    revision=1,
                    ledger_version=1,
                )
            )
            await session.execute(
                insert(orm.installments).values(
                    notice_number=f"N-{a}",
                    installment_no=1,
                    principal_tax=10_000,
                    statutory_due_date=TODAY,
                    due_date=TODAY,
                    paid=0,
                )
            )


async def seed_refunds(runtime, orm):
    async with runtime.sessions() as session, session.begin():
        for a in PEOPLE:
            await session.execute(
                insert(orm.overpayments).values(
                    overpayment_id=f"op-{a}",
                    addressee_id=a,
                    notice_number=f"N-{a}",
                    installment_no=1,
                    amount=500,
                    cause="overpaid",
                    arose_on=TODAY,
                    paid_on=TODAY,
                    status="held",
                    registered_at=NOW,
                )
            )


async def seed_collection(runtime, orm):
    async with runtime.sessions() as session, session.begin():
        for a, name in PEOPLE.items():
            await session.execute(insert(orm.addressees).values(**addressee(a, name)))
            await session.execute(
                insert(orm.contact_records).values(
                    contact_id=f"c-{a}",
                    addressee_id=a,
                    contacted_on=TODAY,
                    channel="phone",
                    summary="納付の相談",
                    staff_user="staff-01",
                    recorded_at=NOW,
                )
            )


async def seed_address_sync(runtime, orm):
    async with runtime.sessions() as session, session.begin():
        for a, name in PEOPLE.items():
            await session.execute(insert(orm.addressees).values(**addressee(a, name), updated_at=NOW))
            await session.execute(
                insert(orm.my_numbers).values(
                    addressee_id=a, key_id="k1", sealed=b"\x01sealed", blind_index="bi-" + a, updated_at=NOW
                )
            )


async def seed_gateway(runtime, orm):
    async with runtime.sessions() as session, session.begin():
        for a in PEOPLE:
            await session.execute(
                insert(orm.linkage_codes).values(addressee_id=a, linkage_code="LC-" + a, obtained_at=NOW)
            )
            await session.execute(
                insert(orm.query_records).values(
                    query_id=f"q-{a}",
                    addressee_id=a,
                    requesting_service="collection",
                    affair="local_tax_assessment_collection",
                    item="income",
                    staff_user="staff-01",
                    outcome="answered",
                    step="answer",
                    recorded_at=NOW,
                )
            )


def _parts(service: str):
    """(settings class, build_spec, orm module, routes, audit hook factory, seed) of one service."""
    if service == "receipts":
        from osame_chassis.audit import AuditLog
        from osame_receipts.adapters import orm
        from osame_receipts.bootstrap import ReceiptsSettings, build_spec
        from osame_receipts.entrypoints.http import routes

        return (
            ReceiptsSettings,
            build_spec,
            orm,
            routes,
            lambda rt: AuditLog(orm.audit_log).hook(rt.sessions),
            seed_receipts,
        )
    if service == "refunds":
        from osame_chassis.audit import AuditLog
        from osame_refunds.adapters import orm
        from osame_refunds.bootstrap import RefundsSettings, build_spec
        from osame_refunds.entrypoints.http import routes

        return (
            RefundsSettings,
            build_spec,
            orm,
            routes,
            lambda rt: AuditLog(orm.audit_log).hook(rt.sessions),
            seed_refunds,
        )
    if service == "collection":
        from osame_collection.adapters import orm
        from osame_collection.bootstrap import CollectionSettings, build_spec
        from osame_collection.entrypoints.http import audit_hook, routes

        return CollectionSettings, build_spec, orm, routes, audit_hook, seed_collection
    if service == "address-sync":
        from osame_address_sync.adapters import orm
        from osame_address_sync.bootstrap import AddressSyncSettings, build_spec
        from osame_address_sync.entrypoints.http import routes

        return (
            AddressSyncSettings,
            build_spec,
            orm,
            routes,
            lambda rt: orm.AUDIT.hook(rt.sessions),
            seed_address_sync,
        )
    from osame_gateway.adapters import orm
    from osame_gateway.adapters.repository import AUDIT
    from osame_gateway.bootstrap import GatewaySettings, build_spec
    from osame_gateway.entrypoints.http import routes

    return GatewaySettings, build_spec, orm, routes, lambda rt: AUDIT.hook(rt.sessions), seed_gateway


@pytest.fixture
async def city(tmp_path):
    """The five services on SQLite, seeded with two people, each app behind its own authenticator."""
    issuer = DevIssuer(tmp_path / "issuer")
    jwks = issuer.write_jwks()
    harnesses, clients, orms = [], {}, {}
    for service in SERVICES:
        settings_cls, build_spec, orm, routes, hook, seed = _parts(service)
        settings = settings_cls(
            database_url=f"sqlite+aiosqlite:///{tmp_path}/{service}.db",
            telemetry_enabled=False,
            amqp_prefix="t.",
        )
        harness = ServiceHarness(build_spec, settings, orm.metadata)
        await harness.migrate()
        await seed(harness.runtime, orm)
        auth = Authenticator(AuthSettings(jwks_file=jwks), audit=hook(harness.runtime))
        app = Starlette(routes=routes(harness.runtime, auth))
        clients[service] = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=f"http://{service}")
        harnesses.append(harness)
        orms[service] = (harness, orm)
    yield clients, orms, issuer
    for client in clients.values():
        await client.aclose()
    for harness in harnesses:
        await harness.close()


def _as(clients, issuer, user, role):
    for client in clients.values():
        client.headers["Authorization"] = "Bearer " + issuer.token(user, [role])


async def test_export_is_complete_for_the_person_and_holds_no_one_else(city):
    clients, orms, issuer = city
    _as(clients, issuer, "officer-7", "disclosure_officer")
    document = await gather_disclosure(clients, "100009")
    assert set(document["services"]) == set(SERVICES)
    held = {
        "receipts": ("notices", "installments"),
        "refunds": ("overpayments",),
        "collection": ("addressees", "contact_records"),
        "address-sync": ("addressees", "my_numbers"),
        "intermediate-server-gw": ("linkage_codes", "query_records"),
    }
    for service, tables in held.items():
        records = document["services"][service]["records"]
        for table in tables:
            rows = records[table]["rows"]
            assert rows and all(r.get("addressee_id", "100009") == "100009" for r in rows), (service, table)
    assert not mentions(document, "100010") and not mentions(document, PEOPLE["100010"])
    assert (
        "他人" not in str(document) and "bi-100009" not in str(document) and "LC-100009" not in str(document)
    )
    summary = summary_text(document)
    assert all(f"== {s}:" in summary for s in SERVICES) and "100009" in summary

    for service, (harness, orm) in orms.items():  # each service audited the export, with the 宛名番号
        rows = await harness.rows(orm.audit_log)
        last = rows[-1]
        user = last.get("user_id") or last.get("staff_user")
        assert (user, last["addressee_id"]) == ("officer-7", "100009"), service


async def test_export_refused_without_the_right_role_names_the_service(city):
    clients, _, issuer = city
    _as(clients, issuer, "clerk-1", "receipts_staff")
    with pytest.raises(ServiceFailed) as refused:
        await gather_disclosure(clients, "100009")
    assert "403" in str(refused.value)


async def test_retention_dry_run_in_every_service(city):
    clients, orms, issuer = city
    _as(clients, issuer, "ops-1", "admin")
    answers = await run_retention(clients, dry_run=True)
    assert set(answers) == set(SERVICES)
    for service, answer in answers.items():
        assert answer["dry_run"] is True and set(answer["counts"]) >= {"outbox", "inbox"}, service
        assert not any(answer["counts"].values()), service  # everything seeded is current
        assert all(p["basis"] for p in answer["periods"].values()), service
        harness, orm = orms[service]
        last = (await harness.rows(orm.audit_log))[-1]
        outcome = last.get("outcome") or last["detail"]["outcome"]  # collection keeps its own trail
        assert outcome == "dry-run:total=0", service
