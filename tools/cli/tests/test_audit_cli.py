"""`osame audit verify`/`checkpoint` (issue 13): on every service's own migrated database — the five
keep one chassis chain — a rewritten row (a rewritten detail on collection and address-sync), a
deleted row and a truncated tail are each reported; checkpoints are signed and checked. The attack
drops the append-only triggers first, as a database-level attacker would. SQLite for every attack,
PostgreSQL for rewrite + truncation together."""

from __future__ import annotations

import asyncio
import importlib
import json

import pytest
from osame_chassis.audit import AuditLog
from osame_chassis.db import create_engine, session_factory
from osame_chassis.migrations import upgrade
from osame_chassis.testing import drop_audit_triggers
from osame_cli.main import app
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

runner = CliRunner()
SERVICES = {
    "receipts": "osame_receipts",
    "refunds": "osame_refunds",
    "collection": "osame_collection",
    "address-sync": "osame_address_sync",
    "intermediate-server-gw": "osame_gateway",
}


def _table(service: str):
    return importlib.import_module(f"{SERVICES[service]}.adapters.orm").audit_log


async def _service_db(service: str, url: str, entries: int) -> None:
    spec = importlib.import_module(f"{SERVICES[service]}.bootstrap").build_spec()
    engine = create_engine(url)
    try:
        await upgrade(engine, spec.migrations)
        table = _table(service)
        audit = AuditLog(table)
        for i in range(entries):
            detail = {"amount": 1000 + i} if "detail" in table.c else None
            async with session_factory(engine)() as session, session.begin():
                await audit.append(
                    session, user=f"s-{i}", operation="import.run", outcome="ok", detail=detail
                )
    finally:
        await engine.dispose()


async def _attack(url: str, *statements) -> None:
    engine = create_engine(url)
    try:
        with pytest.raises(DBAPIError):  # the database itself refuses
            async with session_factory(engine)() as session, session.begin():
                await session.execute(statements[0])
        async with session_factory(engine)() as session, session.begin():
            await drop_audit_triggers(session)
            for statement in statements:
                await session.execute(statement)
    finally:
        await engine.dispose()


def _verify(service: str, url: str, checkpoints) -> tuple[int, dict]:
    result = runner.invoke(
        app, ["audit", "verify", "--db", f"{service}={url}", "--checkpoints", str(checkpoints)]
    )
    return result.exit_code, json.loads(result.stdout.splitlines()[-1])


def _checkpoint(service: str, url: str, checkpoints) -> None:
    made = runner.invoke(
        app, ["audit", "checkpoint", "--db", f"{service}={url}", "--checkpoints", str(checkpoints)]
    )
    assert made.exit_code == 0 and json.loads(made.stdout)["seq"] == 5
    assert _verify(service, url, checkpoints) == (
        0,
        {"service": service, "entries": 5, "checkpoints": 1, "ok": True, "problems": []},
    )


def _rewrite(service: str):
    t = _table(service)
    if "detail" in t.c:
        return update(t).where(t.c.id == 2).values(detail={"amount": 1})
    return update(t).where(t.c.id == 2).values(user_id="someone-else")


@pytest.mark.parametrize("service", sorted(SERVICES))
@pytest.mark.parametrize("attack", ["rewrite", "delete-row", "truncate-tail"])
def test_verify_reports_each_attack_on_every_service(tmp_path, service, attack):
    url = f"sqlite+aiosqlite:///{tmp_path}/{service}.db"
    checkpoints = tmp_path / "checkpoints.jsonl"
    asyncio.run(_service_db(service, url, 5))
    _checkpoint(service, url, checkpoints)
    t = _table(service)
    statement = {
        "rewrite": _rewrite(service),
        "delete-row": delete(t).where(t.c.id == 3),
        "truncate-tail": delete(t).where(t.c.id >= 4),
    }[attack]
    asyncio.run(_attack(url, statement))
    code, report = _verify(service, url, checkpoints)
    expected = {
        "rewrite": ["chain broken at id 2 (rewritten or deleted)"],
        "delete-row": ["chain broken at id 4 (rewritten or deleted)"],
        "truncate-tail": ["seq 5: row missing (truncated or deleted)"],
    }[attack]
    assert (code, report["ok"], report["problems"]) == (1, False, expected)


@pytest.mark.integration
@pytest.mark.parametrize("service", sorted(SERVICES))
def test_verify_reports_a_rewrite_and_a_truncation_on_postgresql(tmp_path, service, pg_databases):
    (url,) = pg_databases(1)
    checkpoints = tmp_path / "checkpoints.jsonl"
    asyncio.run(_service_db(service, url, 5))
    _checkpoint(service, url, checkpoints)
    t = _table(service)
    asyncio.run(_attack(url, _rewrite(service), delete(t).where(t.c.id >= 4)))
    code, report = _verify(service, url, checkpoints)
    assert (code, report["ok"]) == (1, False)
    assert report["problems"] == [
        "chain broken at id 2 (rewritten or deleted)",
        "seq 5: row missing (truncated or deleted)",
    ]
