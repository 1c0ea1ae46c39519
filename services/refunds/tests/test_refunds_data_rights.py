"""Retention of settled overpayments with their 充当/還付 records (a held one, or one whose refund is
still in flight, never goes), and refunds' 開示 section (issue 13), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_chassis.audit import AuditLog
from osame_chassis.auth import DevIssuer
from osame_chassis.testing_data_rights import (
    data_rights_client,
    database_url,
    disclosure_of,
    mentions,
    retention_run,
)
from osame_refunds.adapters import orm
from osame_refunds.entrypoints.http import routes
from sqlalchemy import insert

NOW = dt.datetime.now(dt.UTC)
OLD_AT = NOW - dt.timedelta(days=7 * 365)  # past the 5-year 還付請求権 period
OLD = OLD_AT.date()


def overpayment(op_id, addressee_id, status):
    return {
        "overpayment_id": op_id,
        "addressee_id": addressee_id,
        "notice_number": "N-" + op_id,
        "installment_no": 1,
        "amount": 5_000,
        "cause": "overpaid",
        "arose_on": OLD,
        "paid_on": OLD,
        "status": status,
        "registered_at": OLD_AT,
    }


def refund(refund_id, op_id, addressee_id, status):
    return {
        "refund_id": refund_id,
        "overpayment_id": op_id,
        "addressee_id": addressee_id,
        "amount": 3_000,
        "cause": "overpaid",
        "status": status,
        "created_on": OLD,
        "closed_on": OLD if status == "paid" else None,
    }


async def seed(runtime):
    async with runtime.sessions() as session, session.begin():
        await session.execute(
            insert(orm.overpayments),
            [
                overpayment("op-settled", "100009", "closed"),  # goes, with its records
                overpayment("op-held", "100009", "held"),  # money not applied: stays
                overpayment("op-failed", "100009", "closed"),  # its refund came back: stays
                overpayment("op-other", "100010", "held"),
                overpayment("op-gone", "100012", "closed"),  # settled: goes, and frees the account below
            ],
        )
        await session.execute(
            insert(orm.payee_accounts),
            {
                "addressee_id": "100012",
                "bank_code": "0001",
                "branch_code": "001",
                "account_type": "1",
                "account_number": "1234567",
                "holder_kana": "ﾀﾛｳ",
                "claimed_on": OLD,
            },
        )
        await session.execute(
            insert(orm.appropriations),
            {
                "appropriation_id": "ap-1",
                "overpayment_id": "op-settled",
                "addressee_id": "100009",
                "appropriable_on": OLD,
                "total": 2_000,
                "rule": "令6条の14",
                "status": "applied",
                "decided_at": OLD_AT,
            },
        )
        await session.execute(
            insert(orm.appropriation_items),
            {
                "appropriation_id": "ap-1",
                "line": 1,
                "notice_number": "N-X",
                "installment_no": 1,
                "component": "principal_tax",
                "amount": 2_000,
                "seen_version": 1,
            },
        )
        await session.execute(
            insert(orm.refunds),
            [
                refund("rf-paid", "op-settled", "100009", "paid"),
                refund("rf-failed", "op-failed", "100009", "failed"),
            ],
        )
        await session.execute(
            insert(orm.transfer_results),
            {
                "result_id": "tr-1",
                "refund_id": "rf-paid",
                "batch_id": "b-1",
                "ok": True,
                "on": OLD,
                "reason": "ok",
            },
        )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
async def refunds_service(request, make_service, tmp_path):
    svc = make_service(await database_url(request, tmp_path, "refunds"))
    await svc.migrate()
    return svc


async def test_settled_overpayments_go_open_money_stays(refunds_service, tmp_path):
    svc = refunds_service
    await seed(svc.runtime)
    hook = AuditLog(orm.audit_log).hook(svc.runtime.sessions)
    async with data_rights_client(svc.runtime, routes, hook, DevIssuer(tmp_path / "iss")) as (http, as_role):
        counted = await retention_run(http, as_role, dry_run=True)
        expected = {  # the account is freed by the overpayment going in the same run: counted too
            "payee_accounts": 1,
            "overpayments": 2,
            "appropriations": 1,
            "appropriation_items": 1,
            "refunds": 1,
            "transfer_results": 1,
        }
        assert {k: v for k, v in counted.items() if v} == expected
        assert await svc.count(orm.refunds) == 2
        assert await retention_run(http, as_role, dry_run=False) == counted
    assert sorted(r["overpayment_id"] for r in await svc.rows(orm.overpayments)) == [
        "op-failed",
        "op-held",
        "op-other",
    ]
    assert [r["refund_id"] for r in await svc.rows(orm.refunds)] == ["rf-failed"]
    assert await svc.count(orm.appropriation_items) == 0 and await svc.count(orm.transfer_results) == 0


async def test_disclosure_section_is_the_person_only(refunds_service, tmp_path):
    svc = refunds_service
    await seed(svc.runtime)
    hook = AuditLog(orm.audit_log).hook(svc.runtime.sessions)
    async with data_rights_client(svc.runtime, routes, hook, DevIssuer(tmp_path / "iss")) as (http, as_role):
        records = (await disclosure_of(http, as_role, "100009"))["records"]
    assert len(records["overpayments"]["rows"]) == 3 and len(records["refunds"]["rows"]) == 2
    assert [r["line"] for r in records["appropriation_items"]["rows"]] == [1]
    assert [r["result_id"] for r in records["transfer_results"]["rows"]] == ["tr-1"]
    assert not mentions(records, "100010") and not mentions(records, "op-other")
    audit = (await svc.rows(orm.audit_log))[-1]
    assert (audit["operation"], audit["addressee_id"], audit["outcome"]) == (
        "disclosure.export",
        "100009",
        "ok:rows=8",
    )
